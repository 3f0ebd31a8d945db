// The snapshot run as the plugin manager starts it (parameters and --output, nothing else),
// without the command parser: yargs and the other commands cost more start-up than the run
// before its first freeze. Anything else (a command, --help, a word it does not know, a bad
// parameter) goes to the full parser, which parses and reports it as always.
import { extractParams, validateParams, type Params } from '../params/index.js';
import { COMMAND_NAMES } from '../commands.js';
import type { OutputMode } from '../report/output.js';
import type { Helper } from '../system/runner.js';
import { snapshotCommand } from './commands/snapshot.js';
import { readConfig } from './config.js';
import type { AgentHooks } from './context.js';
import { processIo, type Io } from './io.js';
import { OUTPUT_OPTION } from './param-options.js';

/** Words that only a full parse can handle: commands and the parser's own flags. */
const NOT_FAST = new Set(COMMAND_NAMES);

/**
 * The run's parameters and output mode when argv is only parameters (Go-flag, long flag or
 * --params) and --output; undefined otherwise. Never throws: a word it cannot take is the full
 * parser's to judge.
 */
export function snapshotWords(
  argv: readonly string[],
): { params: Params; output: OutputMode } | undefined {
  if (!argv.length || NOT_FAST.has(argv[0]!)) return undefined;
  try {
    const { params, rest } = extractParams(argv);
    let output: OutputMode = 'text';
    for (let i = 0; i < rest.length; i++) {
      const m = /^--output(?:=(.*))?$/s.exec(rest[i]!);
      const value = m && (m[1] ?? rest[++i]);
      if (!value || !(OUTPUT_OPTION.choices as readonly string[]).includes(value)) return undefined;
      output = value as OutputMode; // the last one wins, as in the full parser
    }
    return { params: validateParams(params), output };
  } catch {
    return undefined;
  }
}

/** Runs the snapshot if argv is a plain one (see snapshotWords); undefined when it is not. */
export async function fastSnapshot(
  argv: readonly string[],
  watchdog: Helper | undefined,
  hooks: AgentHooks,
  io: Io = processIo,
): Promise<number | undefined> {
  const words = snapshotWords(argv);
  if (!words) return undefined;
  return snapshotCommand(words.params, words.output, { io, config: readConfig(), hooks, watchdog });
}
