import { createRequire } from 'node:module';
import { COMMAND_NAMES } from '../commands.js';

/**
 * How the watchdog is started: this same program with the hidden `__watchdog` command; as a
 * single executable (Node SEA or Bun compile) the program is the executable itself (no script
 * argument).
 */
export function selfCommand(sea = isSea()): { file: string; args: string[] } {
  if (sea) return { file: process.execPath, args: ['__watchdog'] };
  return { file: process.execPath, args: [...process.execArgv, process.argv[1]!, '__watchdog'] };
}

/** The runtime facts isSea reads (tests give others: Bun's cannot be had under Node). */
export interface Runtime {
  readonly versions: NodeJS.ProcessVersions;
  readonly script: string | undefined;
  readonly nodeSea: () => { isSea(): boolean };
}

const thisRuntime: Runtime = {
  versions: process.versions,
  script: process.argv[1],
  // node:sea exists from Node 20.12; require keeps it out of the ESM import graph.
  nodeSea: () => createRequire(import.meta.url)('node:sea') as { isSea(): boolean },
};

export function isSea(rt: Runtime = thisRuntime): boolean {
  // A Bun-compiled executable: the embedded script lives in Bun's virtual /$bunfs/.
  if (rt.versions.bun) return (rt.script ?? '').startsWith('/$bunfs/');
  try {
    return rt.nodeSea().isSea();
  } catch {
    return false; // a Node without node:sea is no single executable
  }
}

const NOT_SNAPSHOT = new Set([...COMMAND_NAMES, '--help', '-h', '--version']);

/**
 * Whether argv is (probably) a snapshot run: then the watchdog is started first thing, so its
 * start-up overlaps the agent's own instead of delaying the first freeze. A wrong guess only
 * costs a process that exits when its pipe closes.
 */
export function looksLikeSnapshot(argv: readonly string[]): boolean {
  return (
    !argv.some((w) => NOT_SNAPSHOT.has(w)) &&
    !argv.some((w) => /enable-?fs-?freeze=(false|0|f)\b/i.test(w))
  );
}
