import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MAX_SCRIPT_OUTPUT, ScriptDir, runPrepared } from '../../../src/scripts/private-copy.js';
import { BoundedOutput } from '../../../src/system/bounded-output.js';
import { systemRunner, type Runner } from '../../../src/system/runner.js';
import { isAlive } from '../../../src/system/process.js';
import { script, tmp } from '../../support/tmp.js';
import { dies } from '../../support/proc.js';

const run = (body: string, timeoutMs = 10_000) => {
  const dir = new ScriptDir(tmp());
  return runPrepared(
    systemRunner,
    dir.prepare('pre', '/tmp/prescript.sh', Buffer.from(body)),
    timeoutMs,
    {
      PATH: process.env.PATH,
    },
  );
};

describe('script runner', () => {
  it('runs the private copy, keeps the raw exit code and interleaved output', async () => {
    const r = await run('echo out; echo err >&2; echo "role=$APP_SNAPSHOT_SCRIPT_ROLE"; exit 3');
    expect(r.exitCode).toBe(3);
    expect(r.timedOut).toBe(false);
    expect(r.output).toMatch(/out/);
    expect(r.output).toMatch(/err/);
    expect(r.output).toMatch(/role=pre/);
  });
  it('runs scripts without a shebang with bash, as the vendor examples need', async () => {
    const r = await run('function f() { echo bashism; }\nf\n');
    expect(r.exitCode).toBe(0);
    expect(r.output).toBe('bashism\n');
  });
  it('kills the whole process group on timeout', async () => {
    const d = tmp();
    const pidFile = join(d, 'bg.pid');
    const r = await run(`sleep 300 & echo $! > ${pidFile}; sleep 300`, 500);
    expect(r.timedOut).toBe(true);
    const bg = Number(readFileSync(pidFile, 'utf8'));
    expect(await dies(bg)).toBe(true);
  });
  // Were the runner to wait for EOF on the pipe, this would hit the test timeout (5 s).
  it('does not wait for a background child that keeps the output pipe open', async () => {
    const pidFile = join(tmp(), 'bg.pid');
    const r = await run(`sleep 60 & echo $! > ${pidFile}; echo started`);
    expect(r.exitCode).toBe(0);
    expect(r.output).toMatch(/started/);
    const bg = Number(readFileSync(pidFile, 'utf8'));
    expect(isAlive(bg)).toBe(true); // a pre-script's lock holder must outlive it
    process.kill(bg);
  });
  // The abort listener is attached after execa has loaded: a signal that came before must
  // still stop the script (it used to run to its end, or to its 30-minute timeout).
  it('stops a script at once when the agent was interrupted before it started', async () => {
    const dir = new ScriptDir(tmp());
    const c = new AbortController();
    c.abort('SIGTERM');
    const p = dir.prepare('pre', '/x', Buffer.from('sleep 30\n'));
    const r = await runPrepared(systemRunner, p, 60_000, {}, c.signal);
    expect(r.aborted).toBe(true);
    expect(r.signal).toBe('SIGTERM');
  });
  it('reports a script whose interpreter is missing, naming it', async () => {
    const dir = new ScriptDir(tmp());
    const p = dir.prepare('post', '/x', Buffer.from('#!/nonexistent/interpreter\n'));
    const r = await runPrepared(systemRunner, p, 5000, {});
    expect(r.exitCode).toBeUndefined();
    expect(r.spawnError).toBe(
      'its interpreter /nonexistent/interpreter (from the #! line) is not installed',
    );
    dir.remove();
    expect(existsSync(dir.dir)).toBe(false);
  });
  it('never execs the copy: it is not even executable, its interpreter reads it', async () => {
    const dir = new ScriptDir(tmp());
    const p = dir.prepare(
      'pre',
      '/x',
      Buffer.from('#!/bin/sh -e\necho "sh:$0"\nfalse\necho unreachable\n'),
    );
    expect(statSync(p.copy).mode & 0o111).toBe(0);
    const r = await runPrepared(systemRunner, p, 5000, {});
    // -e from the #! line took effect: the script stopped at `false`.
    expect(r.exitCode).toBe(1);
    expect(r.output).toBe(`sh:${p.copy}\n`);
  });
  it('gives scripts the system directories on PATH even when the caller had none', async () => {
    const r = await run('echo "$PATH"');
    expect(r.output.trim().split(':')).toEqual(expect.arrayContaining(['/usr/sbin', '/sbin']));
  });
});

describe('BoundedOutput', () => {
  it('keeps head and tail and says how much was dropped', () => {
    const b = new BoundedOutput(100);
    b.push(Buffer.from('H'.repeat(25)));
    b.push(Buffer.from('m'.repeat(1000)));
    b.push(Buffer.from('T'.repeat(10)));
    const s = b.toString();
    expect(s.startsWith('H'.repeat(25))).toBe(true);
    expect(s.endsWith('T'.repeat(10))).toBe(true);
    expect(s).toMatch(/\[\.\.\. 935 bytes dropped \.\.\.\]/);
  });
});

describe('ScriptDir', () => {
  it('one 0700 directory per run (by pid), copies 0600 with exactly the checked bytes, rewritten each time', () => {
    const state = tmp();
    const dir = new ScriptDir(state);
    expect(dir.dir).toBe(join(state, `run-${process.pid}`));
    const pre = dir.prepare('pre', '/etc/pre.sh', Buffer.from('#!/bin/sh\necho one\n'));
    expect(pre).toMatchObject({
      role: 'pre',
      original: '/etc/pre.sh',
      copy: join(dir.dir, 'prescript'),
    });
    expect(statSync(dir.dir).mode & 0o777).toBe(0o700);
    expect(statSync(pre.copy).mode & 0o777).toBe(0o600);
    const again = dir.prepare('pre', '/etc/pre.sh', Buffer.from('#!/bin/sh\n'));
    expect(readFileSync(again.copy, 'utf8')).toBe('#!/bin/sh\n');
    const post = dir.prepare('post', '/etc/post.sh', Buffer.from('echo two\n'));
    expect(post.copy).toBe(join(dir.dir, 'postscript'));
    expect(post.launch).toMatchObject({ ok: true, file: '/bin/bash' });
  });

  it('makes the state directory too when there is none yet', () => {
    const dir = new ScriptDir(join(tmp(), 'state', 'deeper'));
    dir.prepare('pre', '/x', Buffer.from('true\n'));
    expect(existsSync(dir.dir)).toBe(true);
  });

  it('removes only what it made: a directory of the same name it did not make is left alone', () => {
    const state = tmp();
    const mine = new ScriptDir(state);
    mkdirSync(mine.dir);
    writeFileSync(join(mine.dir, 'someone-elses'), '');
    mine.remove();
    expect(existsSync(join(mine.dir, 'someone-elses'))).toBe(true);
    mine.prepare('post', '/x', Buffer.from('true\n'));
    mine.remove();
    expect(existsSync(mine.dir)).toBe(false);
  });
});

describe('runPrepared (a recording runner)', () => {
  function recording() {
    const calls: { file: string; args: readonly string[]; opts: Record<string, unknown> }[] = [];
    const runner = {
      ...systemRunner,
      runScript: (file: string, args: readonly string[], opts: Record<string, unknown>) => {
        calls.push({ file, args, opts });
        return Promise.resolve({
          exitCode: 0,
          signal: undefined,
          timedOut: false,
          output: '',
          durationMs: 1,
        });
      },
    } as unknown as Runner;
    return { runner, calls };
  }

  it('runs the interpreter on the copy from /, with its role, its original path, the bound and the output cap', async () => {
    const { runner, calls } = recording();
    const p = new ScriptDir(tmp()).prepare('post', '/etc/post.sh', Buffer.from('#!/bin/sh -e\n'));
    const abort = new AbortController().signal;
    await runPrepared(runner, p, 1234, { PATH: '/opt/bin', KEEP: 'me' }, abort);
    expect(calls).toHaveLength(1);
    const [c] = calls;
    expect(c!.file).toBe('/bin/sh');
    expect(c!.args).toEqual(['-e', p.copy]);
    expect(c!.opts).toMatchObject({
      timeoutMs: 1234,
      cwd: '/',
      abort,
      maxOutputBytes: MAX_SCRIPT_OUTPUT,
      env: {
        KEEP: 'me',
        APP_SNAPSHOT_SCRIPT_ROLE: 'post',
        APP_SNAPSHOT_SCRIPT_PATH: '/etc/post.sh',
      },
    });
    expect((c!.opts.env as NodeJS.ProcessEnv).PATH!.split(':').slice(0, 2)).toEqual([
      '/opt/bin',
      '/usr/sbin',
    ]);
    expect(MAX_SCRIPT_OUTPUT).toBe(64 * 1024);
  });

  it('without an abort signal passes none', async () => {
    const { runner, calls } = recording();
    const p = new ScriptDir(tmp()).prepare('pre', '/x', Buffer.from('true\n'));
    await runPrepared(runner, p, 1000, {});
    expect('abort' in calls[0]!.opts).toBe(false);
  });

  it('an interpreter that is there but cannot be run is named with why, and nothing is started', async () => {
    const d = tmp();
    script(d, 'interp', '#!/bin/sh\n', 0o600);
    const { runner, calls } = recording();
    const p = new ScriptDir(tmp()).prepare('pre', '/x', Buffer.from(`#!${d}/interp\n`));
    const r = await runPrepared(runner, p, 1000, {});
    expect(calls).toEqual([]);
    expect(r).toEqual({
      exitCode: undefined,
      signal: undefined,
      timedOut: false,
      spawnError: `its interpreter ${d}/interp (from the #! line) cannot be run (EACCES)`,
      output: '',
      durationMs: 0,
    });
  });

  it('a #! line that names no usable interpreter is refused with its reason, nothing started', async () => {
    const { runner, calls } = recording();
    const p = new ScriptDir(tmp()).prepare('pre', '/x', Buffer.from('#!\n'));
    expect(p.launch.ok).toBe(false);
    const r = await runPrepared(runner, p, 1000, {});
    expect(calls).toEqual([]);
    expect(r.spawnError).toBe((p.launch as { reason: string }).reason);
  });
});
