import yargs, { type Argv } from 'yargs';
import { extractParams, type RawParam } from '../params/index.js';
import { COMMAND_NAMES } from '../commands.js';
import { ParamsError } from '../errors/errors.js';
import { EXIT } from '../errors/exit-codes.js';
import type { Helper } from '../system/runner.js';
import { VERSION_TEXT } from '../version.js';
import { registerCheck } from './commands/check.js';
import { registerDecode } from './commands/decode.js';
import { registerCluster } from './commands/cluster.js';
import { FLEET_FLAGS, registerFleet } from './commands/fleet.js';
import { registerGroups } from './commands/groups.js';
import { registerLab } from './commands/lab.js';
import { registerSchedule } from './commands/schedule.js';
import { registerSnapshot } from './commands/snapshot.js';
import { registerStatus } from './commands/status.js';
import { registerThaw } from './commands/thaw.js';
import { readConfig } from './config.js';
import type { AgentHooks, CliContext } from './context.js';
import { processIo, type Io } from './io.js';
import { OUTPUT_OPTION } from './param-options.js';

const SUBCOMMANDS = new Set(COMMAND_NAMES);
const COMMANDS = [
  registerSnapshot,
  registerCheck,
  registerThaw,
  registerGroups,
  registerLab,
  registerDecode,
  registerFleet,
  registerCluster,
  registerSchedule,
  registerStatus,
];

/** Parses argv, runs the command, returns the exit code. Never throws. */
export async function main(
  argv: readonly string[],
  io: Io = processIo,
  watchdog?: Helper,
  hooks: AgentHooks = {},
): Promise<number> {
  let code: number = EXIT.Success;
  try {
    const { raw, rest } = splitParams(argv);
    const ctx: CliContext = {
      io,
      config: readConfig(),
      hooks,
      watchdog,
      raw,
      setCode: (c) => (code = c),
    };
    let parser: Argv = yargs()
      .scriptName('app-snapshot-plugin')
      .usage(
        '$0 [parameters]   take an application-consistent snapshot group\n$0 <command>      see the commands below',
      )
      .version(VERSION_TEXT)
      .strict()
      .exitProcess(false)
      .wrap(Math.min(120, process.stdout.columns || 100))
      .parserConfiguration({ 'camel-case-expansion': false, 'duplicate-arguments-array': false })
      .fail((msg, err) => {
        throw err ?? new ParamsError(msg);
      })
      .option('output', OUTPUT_OPTION);
    for (const register of COMMANDS) parser = register(parser, ctx);
    let shown = '';
    // With a callback yargs hands us --help/--version text instead of printing it itself.
    await parser.help().parseAsync(rest, {}, (err, _argv, output) => {
      if (err) throw err;
      shown = output;
    });
    if (shown) io.out(`${shown}\n`);
  } catch (e) {
    if (e instanceof ParamsError || (e as Error)?.name === 'YError') {
      const message = (e as Error).message.replace(/\s*\n\s*/g, ' ');
      io.err(`app-snapshot-plugin: ${message} (see --help)\n`);
      return EXIT.BadParameters;
    }
    io.err(`app-snapshot-plugin: unexpected error: ${(e as Error)?.stack ?? String(e)}\n`);
    return EXIT.Unknown;
  }
  return code;
}

/**
 * The Go-flag parameter words (-Name=x, as the plugin manager passes them) come out of argv
 * before yargs sees it; yargs gets the rest (commands, long flags, --help).
 */
function splitParams(argv: readonly string[]): { raw: RawParam[]; rest: string[] } {
  const takesParams =
    !argv.length ||
    !SUBCOMMANDS.has(argv[0]!) ||
    ['check', 'fleet', 'cluster', 'schedule'].includes(argv[0]!);
  if (!takesParams || argv.includes('--help') || argv.includes('-h')) {
    return { raw: [], rest: [...argv] };
  }
  // fleet run: its own Go-flag words (-Instances=...) become long flags; the rest are the agent's.
  const words = argv[0] === 'fleet' || argv[0] === 'cluster' ? argv.map(fleetFlag) : argv;
  const { params: raw, rest } = extractParams(words);
  // A Go-style word we do not know: name it as the user wrote it (yargs would split it).
  const unknown = rest.find((w) => /^-[A-Za-z][^=]+/.test(w));
  if (unknown) throw new ParamsError(`unknown parameter ${unknown.split('=')[0]}`);
  return { raw, rest };
}

function fleetFlag(word: string): string {
  const m = /^-([A-Za-z]+)(=.*)?$/s.exec(word);
  const long = m && FLEET_FLAGS[m[1]!.toLowerCase()];
  return long ? `${long}${m[2] ?? ''}` : word;
}
