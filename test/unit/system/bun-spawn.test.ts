// Bun.spawn's adapters, with a stand-in for Bun's API made of Node's own spawn (Bun cannot run
// under vitest): the Helper contract, the exit code, the timeout. The real Bun.spawn is exercised by every run of the shipped executable in CI.
import { spawn } from 'node:child_process';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { bunHelper, bunRun } from '../../../src/system/bun-spawn.js';
import { describeHelperContract } from '../../contract/helper-contract.js';

/** Bun's spawn, honoured with Node's: argv, stdin/stdout pipes, the environment, kill. */
const fakeBun = {
  stdin: { stream: () => Readable.toWeb(process.stdin) as ReadableStream<Uint8Array> },
  spawn(cmd: string[], o: { stdin: string; stdout: string; env?: NodeJS.ProcessEnv }) {
    const child = spawn(cmd[0]!, cmd.slice(1), {
      stdio: [
        o.stdin === 'pipe' ? 'pipe' : 'ignore',
        o.stdout === 'pipe' ? 'pipe' : 'ignore',
        'ignore',
      ],
      ...(o.env ? { env: o.env } : {}),
    });
    let exitCode: number | null = null;
    const exited = new Promise<number>((resolve, reject) => {
      child.on('error', reject);
      child.on('exit', (code) => ((exitCode = code), resolve(code ?? 137)));
    });
    if (!child.pid) {
      exited.catch(() => undefined); // Bun throws at spawn instead
      throw new Error(`ENOENT ${cmd[0]}`);
    }
    // Bun's FileSink reports a write to a pipe whose reader is gone by throwing, never by an
    // event that nobody listens to.
    child.stdin?.on('error', () => undefined);
    return {
      pid: child.pid,
      stdin: {
        write: (c: Uint8Array | string) => child.stdin!.write(c),
        flush: () => undefined,
        end: () => child.stdin!.end(),
      },
      stdout: (o.stdout === 'pipe'
        ? Readable.toWeb(child.stdout!)
        : undefined) as ReadableStream<Uint8Array>,
      exited,
      get exitCode() {
        return exitCode;
      },
      kill: (sig?: string) => void child.kill(sig as NodeJS.Signals),
    };
  },
};

describeHelperContract('bunHelper (Bun.spawn)', (file, args) => bunHelper(fakeBun, file, args));

describe('bunRun', () => {
  it('the exit code, the environment given, and a timeout that kills', async () => {
    expect(await bunRun(fakeBun, '/bin/sh', ['-c', 'exit 4'], 5000, {})).toEqual({
      code: 4,
      timedOut: false,
    });
    expect(await bunRun(fakeBun, '/bin/sh', ['-c', '[ "$X" = y ]'], 5000, { X: 'y' })).toEqual({
      code: 0,
      timedOut: false,
    });
    expect(await bunRun(fakeBun, '/bin/sleep', ['5'], 50, {})).toEqual({
      code: null,
      timedOut: true,
    });
  });
  it('a program that cannot start: no code, not a timeout', async () => {
    expect(await bunRun(fakeBun, '/nonexistent/sync', [], 5000, {})).toEqual({
      code: null,
      timedOut: false,
    });
  });
});
