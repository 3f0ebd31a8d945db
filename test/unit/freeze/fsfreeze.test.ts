// fsfreeze.ts against real executables standing in for util-linux's fsfreeze: what it is
// called with, how its exit status and strerror text are read, how it is bounded in time.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  findFsfreeze,
  findSync,
  fsfreezeAsync,
  fsfreezeSync,
  presync,
} from '../../../src/freeze/fsfreeze.js';
import { findTool } from '../../../src/system/tools.js';
import { fakeFsfreeze } from '../../support/fake-fsfreeze.js';
import { script, tmp } from '../../support/tmp.js';

/** An fsfreeze that records its arguments and environment, then exits `code` saying `stderr`. */
function recorder(dir: string, code: number, stderr = '', sleepS = 0) {
  const log = join(dir, 'argv');
  const bin = script(
    dir,
    'fsfreeze',
    // `exec sleep`: one process, like fsfreeze itself (a child left behind would hold the pipe)
    `#!/bin/sh\necho "$* LC_ALL=$LC_ALL LANGUAGE=$LANGUAGE" > ${log}\n${sleepS ? `exec sleep ${sleepS}\n` : ''}${stderr ? `echo '${stderr}' >&2\n` : ''}exit ${code}\n`,
  );
  return { bin, argv: () => readFileSync(log, 'utf8').trim() };
}

const both = [
  ['fsfreezeSync', (...a: Parameters<typeof fsfreezeSync>) => Promise.resolve(fsfreezeSync(...a))],
  ['fsfreezeAsync', fsfreezeAsync],
] as const;

describe.each(both)('%s', (_, call) => {
  it('freezes and thaws with the long options (busybox has only those), in the C locale', async () => {
    const dir = tmp();
    const r = recorder(dir, 0);
    expect(await call(r.bin, 'freeze', '/data', 5_000)).toMatchObject({
      ok: true,
      notFrozen: false,
      alreadyFrozen: false,
      error: '',
    });
    // LANGUAGE would override LC_ALL for GNU gettext: it is dropped
    expect(r.argv()).toBe('--freeze /data LC_ALL=C LANGUAGE=');
    expect((await call(r.bin, 'thaw', '/data', 5_000)).ok).toBe(true);
    expect(r.argv()).toBe('--unfreeze /data LC_ALL=C LANGUAGE=');
  });

  it('tells "not frozen" on thaw and "already frozen" on freeze from the error text', async () => {
    const dir = tmp();
    const fake = fakeFsfreeze(dir, '', 0, ['/busy']);
    const busy = await call(fake.bin, 'freeze', '/busy', 5_000);
    expect(busy).toMatchObject({ ok: false, alreadyFrozen: true, notFrozen: false });
    expect(busy.error).toBe('fsfreeze: /busy: freeze failed: Device or resource busy');
    const thaw = await call(fake.bin, 'thaw', '/idle', 5_000);
    expect(thaw).toMatchObject({ ok: false, notFrozen: true, alreadyFrozen: false });
    expect(thaw.error).toBe('fsfreeze: /idle: thaw failed: Invalid argument');
  });

  it('the same texts on the other action mean neither', async () => {
    const dir = tmp();
    const einval = recorder(dir, 1, 'fsfreeze: /d: freeze failed: Invalid argument');
    expect(await call(einval.bin, 'freeze', '/d', 5_000)).toMatchObject({
      ok: false,
      notFrozen: false,
      alreadyFrozen: false,
    });
    const ebusy = recorder(tmp(), 1, 'fsfreeze: /d: thaw failed: Device or resource busy');
    expect(await call(ebusy.bin, 'thaw', '/d', 5_000)).toMatchObject({
      ok: false,
      notFrozen: false,
      alreadyFrozen: false,
    });
  });

  it('a failure without a word says its exit status', async () => {
    const r = recorder(tmp(), 3);
    expect(await call(r.bin, 'freeze', '/d', 5_000)).toMatchObject({ ok: false, error: 'exit 3' });
  });

  it('an fsfreeze that cannot be run says why', async () => {
    const r = await call('/nonexistent/fsfreeze', 'freeze', '/d', 5_000);
    expect(r.ok).toBe(false);
    expect(r.error).toMatch(/ENOENT/);
  });

  it('is killed at its timeout and says so', async () => {
    const r = recorder(tmp(), 0, '', 5);
    const out = await call(r.bin, 'freeze', '/d', 200);
    expect(out.ok).toBe(false);
    expect(out.error).toMatch(/killed by SIGKILL|timed out|ETIMEDOUT/);
  });
});

describe('fsfreezeAsync', () => {
  it('a timed-out freeze is marked: it may still have taken effect', async () => {
    const slow = recorder(tmp(), 0, '', 5);
    expect(await fsfreezeAsync(slow.bin, 'freeze', '/d', 200)).toMatchObject({
      ok: false,
      timedOut: true,
      error: 'timed out',
    });
    const quick = recorder(tmp(), 1, 'boom');
    expect(await fsfreezeAsync(quick.bin, 'freeze', '/d', 5_000)).toMatchObject({
      ok: false,
      timedOut: false,
      error: 'boom',
    });
  });
});

describe('findFsfreeze', () => {
  it("the system's fsfreeze first, then one on the caller's PATH, else none", () => {
    const dir = tmp();
    const ours = recorder(dir, 0).bin;
    const system = findFsfreeze({ PATH: '' });
    expect(findFsfreeze({ PATH: `relative:${dir}` })).toBe(system ?? ours);
    if (!system) expect(findFsfreeze({ PATH: 'relative' })).toBeUndefined();
  });

  it('skips a file it cannot execute', () => {
    const dir = tmp();
    script(dir, 'fsfreeze', '#!/bin/sh\n', 0o600);
    expect(findFsfreeze({ PATH: dir })).toBe(findFsfreeze({ PATH: '' }));
  });
});

describe('fsfreezeSync', () => {
  it('an fsfreeze killed by a signal says so', () => {
    const bin = script(tmp(), 'fsfreeze', '#!/bin/sh\nkill -9 $$\n');
    expect(fsfreezeSync(bin, 'freeze', '/d', 5_000)).toMatchObject({
      ok: false,
      error: 'killed by SIGKILL',
    });
  });
});

describe('findFsfreeze (the name)', () => {
  it('finds an executable called fsfreeze', () => {
    const dir = tmp();
    recorder(dir, 0);
    expect(findFsfreeze({ PATH: dir })).toMatch(/\/fsfreeze$/);
  });
});

describe('findSync', () => {
  it("coreutils' sync from the system's directories, or 'sync' by PATH", () => {
    const dir = tmp();
    const ours = script(dir, 'sync', '#!/bin/sh\n');
    const system = findTool('sync', { PATH: '' });
    expect(findSync({ PATH: dir })).toBe(system ?? ours);
    expect(findSync({ PATH: '' })).toBe(system ?? 'sync');
  });
});

describe('presync (a recording sync)', () => {
  /** A sync that logs each call's arguments, answers `codes` in turn, sleeps `sleepS` first. */
  function fakeSync(codes: number[], sleepS = 0) {
    const dir = tmp();
    const log = join(dir, 'calls');
    const states = codes.map((c, i) => `  ${i}) code=${c} ;;`).join('\n');
    const bin = script(
      dir,
      'sync',
      `#!/bin/sh\nn=$(cat ${log} 2>/dev/null | wc -l)\necho "[$*]" >> ${log}\ncase $n in\n${states}\n  *) code=0 ;;\nesac\n${sleepS ? `exec sleep ${sleepS}\n` : ''}exit $code\n`,
    );
    const calls = () => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : []);
    return { bin, calls };
  }

  it('syncs exactly the given filesystems (syncfs, -f)', async () => {
    const s = fakeSync([0]);
    await presync(['/data', '/logs'], 5_000, s.bin);
    expect(s.calls()).toEqual(['[-f /data /logs]']);
  });

  it('nothing to sync: nothing run', async () => {
    const s = fakeSync([0]);
    await presync([], 5_000, s.bin);
    expect(s.calls()).toEqual([]);
  });

  it('a sync without -f (coreutils before 8.24): a plain sync instead', async () => {
    const s = fakeSync([1, 0]);
    await presync(['/data'], 5_000, s.bin);
    expect(s.calls()).toEqual(['[-f /data]', '[]']);
  });

  it('a sync that outlives its bound is killed and not tried again', async () => {
    const s = fakeSync([0], 30);
    const t0 = performance.now();
    await presync(['/data'], 200, s.bin);
    expect(performance.now() - t0).toBeLessThan(20_000);
    expect(s.calls()).toEqual(['[-f /data]']);
  });

  it('runs sync in the C locale with the system PATH, its output discarded', async () => {
    const dir = tmp();
    const env = join(dir, 'env');
    const bin = script(dir, 'sync', `#!/bin/sh\necho "LC_ALL=$LC_ALL PATH=$PATH" > ${env}\n`);
    await presync(['/data'], 5_000, bin);
    expect(readFileSync(env, 'utf8')).toMatch(/^LC_ALL=C PATH=.*\/usr\/sbin/);
  });

  it('a sync that cannot be run is no error (best effort)', async () => {
    await expect(presync(['/data'], 1_000, '/nonexistent/sync')).resolves.toBeUndefined();
  });
});
