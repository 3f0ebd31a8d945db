import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { script } from './tmp.js';

/**
 * A real executable standing in for fsfreeze (short or long options, like util-linux): appends
 * "-f /m" / "-u /m" to a log, fails
 * freezing `failOn`, and answers a thaw of a not-frozen mount like util-linux does.
 */
export function fakeFsfreeze(
  dir: string,
  failOn = '',
  /** Each freeze takes this long (a busy filesystem flushing). */
  freezeSeconds = 0,
  /** Frozen by someone else before we start. */
  alreadyFrozen: string[] = [],
): { bin: string; calls: () => string[]; frozen: () => string[] } {
  const log = join(dir, 'fsfreeze.log');
  const state = join(dir, 'frozen');
  const bin = script(
    dir,
    'fsfreeze',
    `#!/bin/sh
case "$1" in
  -f|--freeze) act=-f ;;
  -u|--unfreeze) act=-u ;;
  *) echo "fsfreeze: unknown option $1" >&2; exit 1 ;;
esac
echo "$act $2" >> ${log}
key=$(echo "$2" | tr / _)
if [ "$act" = "-f" ]; then
  sleep ${freezeSeconds}
  if [ "$2" = "${failOn}" ]; then echo "fsfreeze: $2: freeze failed: Operation not supported" >&2; exit 1; fi
  if [ -e ${state}/$key ]; then echo "fsfreeze: $2: freeze failed: Device or resource busy" >&2; exit 1; fi
  mkdir -p ${state}; touch ${state}/$key; exit 0
fi
if [ -e ${state}/$key ]; then rm ${state}/$key; exit 0; fi
echo "fsfreeze: $2: thaw failed: Invalid argument" >&2; exit 1
`,
  );
  mkdirSync(state, { recursive: true });
  for (const m of alreadyFrozen) writeFileSync(join(state, m.replace(/\//g, '_')), '');
  const calls = () => {
    try {
      return readFileSync(log, 'utf8').trim().split('\n').filter(Boolean);
    } catch {
      return [];
    }
  };
  // What is frozen right now: the state files the fake keeps, one per mount ("/" as "_").
  const frozen = () => {
    try {
      return readdirSync(state).map((k) => k.replace(/_/g, '/'));
    } catch {
      return [];
    }
  };
  return { bin, calls, frozen };
}

/** The built watchdog entry point (npm test builds first). */
export const WATCHDOG = {
  file: process.execPath,
  args: [join(import.meta.dirname, '../../dist/cli/main.js'), '__watchdog'],
};
