// groups rollback --remount on a real lab: mounted ext4 and XFS put back to a group's point in
// time and mounted again where they were; refused, with nothing changed, while a process holds
// one open or while it is still mounted in another mount namespace (as a container's would be).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireRoot, runCli, TestLab } from '../support/lab.js';

describe.skipIf(!requireRoot())('groups rollback --remount', () => {
  let lab: TestLab;
  let group: string;
  const holders: ChildProcess[] = [];
  const rollback = (...extra: string[]) =>
    runCli(
      ['groups', 'rollback', group, '--remount', `--pool=${lab.pool}`, '--engine=local', ...extra],
      {
        env: lab.env,
      },
    );
  const files = () =>
    [0, 1].map((i) => ({
      seed:
        existsSync(join(lab.mount(i), 'seed')) && readFileSync(join(lab.mount(i), 'seed'), 'utf8'),
      later: existsSync(join(lab.mount(i), 'later')),
    }));
  const mounted = () => {
    const info = readFileSync('/proc/self/mountinfo', 'utf8');
    return [0, 1].map((i) => info.includes(` ${lab.mount(i)} `));
  };
  /** A process that starts where asked and says when it is there. */
  const hold = (argv: string[], cwd = '/') =>
    new Promise<ChildProcess>((resolve) => {
      const p = spawn(argv[0]!, [...argv.slice(1)], { cwd, stdio: ['ignore', 'pipe', 'ignore'] });
      holders.push(p);
      p.stdout!.once('data', () => resolve(p));
    });

  beforeAll(async () => {
    lab = await new TestLab().up(2);
    for (const i of [0, 1]) writeFileSync(join(lab.mount(i), 'seed'), `seed ${i}`);
    const r = await lab.snapshot(['-Name=seed']);
    expect(r.json?.ExitCode, r.stderr).toBe(0);
    group = r.json.SnapshotGroupId;
    for (const i of [0, 1]) {
      writeFileSync(join(lab.mount(i), 'later'), 'written by the test suite');
      rmSync(join(lab.mount(i), 'seed'));
    }
  });
  afterAll(async () => {
    for (const p of holders) p.kill('SIGKILL');
    await lab?.down();
  });

  /** While `p` runs, a rollback is refused (exit 18) and changes nothing; `check` reads its line. */
  const refusedWhile = async (p: ChildProcess, check: (stderr: string) => void) => {
    try {
      const r = await rollback();
      expect(r.code, r.stderr).toBe(18);
      check(r.stderr);
      expect(mounted()).toEqual([true, true]);
      expect(files()).toEqual([
        { seed: false, later: true },
        { seed: false, later: true },
      ]);
    } finally {
      p.kill('SIGKILL');
      await new Promise((r) => p.once('exit', r));
    }
  };

  it('a process with its working directory on one of them: exit 18 naming it, nothing changed', async () => {
    const p = await hold(['sh', '-c', 'echo here; exec sleep 600'], lab.mount(1));
    await refusedWhile(p, (stderr) => {
      expect(stderr).toContain(`in use by process ${p.pid} (sleep: cwd ${lab.mount(1)}`);
      expect(stderr).toContain('nothing was changed');
    });
  });

  it('still mounted in another mount namespace: exit 18, mounted back here, nothing rolled back', async () => {
    // A private mount namespace keeps its own copy of both mounts, as a container does.
    const p = await hold([
      'unshare',
      '--mount',
      '--propagation',
      'private',
      'sh',
      '-c',
      'echo here; exec sleep 600',
    ]);
    await refusedWhile(p, (stderr) =>
      expect(stderr).toMatch(
        /is still mounted where this agent cannot unmount it \(another mount namespace/,
      ),
    );
  });

  it('nothing holds them: both disks back at the snapshot, mounted again where they were', async () => {
    const r = await rollback('--json');
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.groupId).toBe(group);
    expect(out.remounted.sort()).toEqual([lab.mount(0), lab.mount(1)].sort());
    expect(mounted()).toEqual([true, true]);
    expect(files()).toEqual([
      { seed: 'seed 0', later: false },
      { seed: 'seed 1', later: false },
    ]);
    // And again: the same point in time, idempotent.
    writeFileSync(join(lab.mount(0), 'later'), 'again');
    expect((await rollback()).code).toBe(0);
    expect(files()[0]).toEqual({ seed: 'seed 0', later: false });
  });
});
