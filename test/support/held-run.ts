// A snapshot run held inside its frozen window (the local engine's create-delay fault), so a
// test can do things to it while the lab's filesystems are frozen.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { FAULTY_CLI, type TestLab } from './lab.js';

export interface HeldRun {
  readonly child: ReturnType<typeof spawn>;
  readonly exited: Promise<number | null>;
  /** Resolves with the group id once the run is inside createGroup, i.e. frozen. */
  readonly frozen: Promise<string>;
  stdout(): string;
  json(): any;
}

export function startHeld(
  lab: TestLab,
  delayMs: number,
  extra: string[] = [],
  env: NodeJS.ProcessEnv = {},
): HeldRun {
  const groupsDir = join(lab.pool, 'groups');
  const before = new Set(existsSync(groupsDir) ? readdirSync(groupsDir) : []);
  const child = spawn(
    process.execPath,
    [FAULTY_CLI, `-Pool=${lab.pool}`, '-Engine=local', '-Name=held', ...extra, '--output', 'json'],
    {
      env: {
        ...process.env,
        ...lab.env,
        APP_SNAPSHOT_LOCAL_FAULT: `create-delay=${delayMs}`,
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  child.stdout.on('data', (c) => (stdout += c));
  child.stderr.resume();
  const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  // The engine records the group as progressing inside createGroup, i.e. while frozen.
  const frozen = (async () => {
    for (let i = 0; i < 500; i++) {
      const fresh = existsSync(groupsDir)
        ? readdirSync(groupsDir).filter((g) => !before.has(g))
        : [];
      if (fresh.length) return fresh[0]!;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error('the run never reached the frozen window');
  })();
  frozen.catch(() => undefined);
  return { child, exited, frozen, stdout: () => stdout, json: () => JSON.parse(stdout) };
}
