import yargs, { type Argv } from 'yargs';
import {
  PARAMS,
  DEFAULT_POOL,
  extractParams,
  kebab,
  validateParams,
  type ParamSpec,
  type RawParam,
} from '../params/index.js';
import { ParamsError } from '../report/errors.js';
import { EXIT } from '../report/exit-codes.js';
import { decodeOutput, type OutputMode } from '../report/output.js';
import { DEFAULT_LAB_ROOT } from '../system/paths.js';
import { VERSION } from '../version.js';
import { checkCommand } from './commands/check.js';
import { docsCommand } from './commands/docs.js';
import { groupsCommand } from './commands/groups.js';
import { labCommand } from './commands/lab.js';
import { snapshotCommand } from './commands/snapshot.js';
import { thawCommand } from './commands/thaw.js';
import { processIo, type Io } from './io.js';
import type { Helper } from '../system/runner.js';

const SUBCOMMANDS = new Set(['check', 'thaw', 'groups', 'lab', 'decode', '__docs']);
const PARAM_GROUP =
  'Snapshot parameters (Go-flag -Name=x, long flag --name x, or one --params="-Name=x,..."):';

function describeParams(y: Argv): Argv {
  for (const p of PARAMS as readonly ParamSpec[]) {
    const def = p.required
      ? ' [required]'
      : p.default === '' || p.default === undefined
        ? ''
        : ` [default: ${String(p.default)}]`;
    y = y.option(kebab(p.name), {
      describe: `-${p.name}: ${p.help}${def}`,
      type: 'string',
      group: PARAM_GROUP,
    });
  }
  return y.option('params', {
    describe: "The plugin manager's form: one string, commas between words",
    type: 'string',
    group: PARAM_GROUP,
  });
}

/** Parses argv, runs the command, returns the exit code. Never throws. */
export async function main(
  argv: readonly string[],
  io: Io = processIo,
  watchdog?: Helper,
): Promise<number> {
  const takesParams = !argv.length || !SUBCOMMANDS.has(argv[0]!) || argv[0] === 'check';
  let raw: RawParam[] = [];
  let rest = [...argv];
  let code: number = EXIT.Success;
  try {
    if (takesParams && !argv.includes('--help') && !argv.includes('-h')) {
      ({ params: raw, rest } = extractParams(argv));
      // A Go-style word we do not know: name it as the user wrote it (yargs would split it).
      const unknown = rest.find((w) => /^-[A-Za-z][^=]+/.test(w));
      if (unknown) throw new ParamsError(`unknown parameter ${unknown.split('=')[0]}`);
    }
    const parser = yargs()
      .scriptName('app-snapshot-plugin')
      .usage(
        '$0 [parameters]   take an application-consistent snapshot group\n$0 <command>      see the commands below',
      )
      .version(VERSION)
      .strict()
      .exitProcess(false)
      .wrap(Math.min(120, process.stdout.columns || 100))
      .parserConfiguration({ 'camel-case-expansion': false, 'duplicate-arguments-array': false })
      .fail((msg, err) => {
        throw err ?? new ParamsError(msg);
      })
      .option('output', {
        choices: ['text', 'json', 'invocation'] as const,
        default: 'text',
        describe:
          'text: the vendor log; json: one JSON result (log on stderr); invocation: what the control plane returns (base64 Output)',
      })
      .command(
        '$0',
        'Take a snapshot group (validate, pre-script, freeze, group, thaw, post-script, tag)',
        (y) => describeParams(y),
        async (a) => {
          code = await snapshotCommand(validateParams(raw), a.output as OutputMode, io, watchdog);
        },
      )
      .command(
        'check',
        'Run every validation and say what a run would do; exits with the code the run would fail with',
        (y) => describeParams(y).option('json', { type: 'boolean', default: false }),
        async (a) => {
          code = await checkCommand(validateParams(raw), Boolean(a.json), io);
        },
      )
      .command(
        'thaw',
        'Emergency: thaw the filesystems this tool froze (idempotent)',
        (y) =>
          y.option('force', {
            type: 'boolean',
            default: false,
            describe:
              'also when the freezing run is still alive (that run cannot tell: its snapshot is then not consistent)',
          }),
        (a) => {
          code = thawCommand(Boolean(a.force), io);
        },
      )
      .command(
        'groups <action> [id]',
        'List, show, roll back (local engine) or delete snapshot groups',
        (y) =>
          y
            .positional('action', { choices: ['list', 'show', 'rollback', 'delete'] as const })
            .positional('id', { type: 'string', describe: 'snapshot group id (ssg-...)' })
            .option('pool', { type: 'string', default: DEFAULT_POOL })
            .option('engine', {
              choices: ['auto', 'local', 'ecs'] as const,
              default: 'auto' as const,
            })
            .option('ram-role-name', {
              type: 'string',
              default: '',
              describe: 'ecs engine: the RAM role',
            })
            .option('disk', {
              type: 'string',
              array: true,
              describe: 'rollback: only these disk ids',
            })
            .option('json', { type: 'boolean', default: false })
            .check((a) => {
              if (a.action !== 'list' && !a.id)
                throw new ParamsError(`groups ${a.action} needs a group id`);
              return true;
            }),
        async (a) => {
          code = await groupsCommand(
            {
              action: a.action!,
              engine: a.engine,
              ramRoleName: String(a['ram-role-name']),
              pool: a.pool,
              ...(a.id ? { id: a.id } : {}),
              ...(a.disk ? { disks: a.disk.map(String) } : {}),
              json: a.json,
            },
            io,
          );
        },
      )
      .command(
        'lab <action>',
        'Build (up), inspect (status) or remove (down) a local pool with loop disks, filesystems and mounts',
        (y) =>
          y
            .positional('action', { choices: ['up', 'down', 'status'] as const })
            .option('root', { type: 'string', default: DEFAULT_LAB_ROOT })
            .option('disks', { type: 'number', default: 2 })
            .option('size', {
              type: 'string',
              default: '512M',
              describe: 'size of each disk (sparse)',
            })
            .option('fs', {
              type: 'string',
              default: 'ext4,xfs',
              describe: 'filesystems, used in turn',
            })
            .option('quota', {
              type: 'number',
              default: 64,
              describe: 'snapshots allowed per disk',
            })
            .option('json', { type: 'boolean', default: false }),
        async (a) => {
          code = await labCommand(
            {
              action: a.action!,
              root: a.root,
              disks: a.disks,
              size: a.size,
              fs: a.fs,
              quota: a.quota,
              json: a.json,
            },
            io,
          );
        },
      )
      .command(
        'decode [text]',
        'Decode base64 output (or an invocation JSON) back to readable text; reads stdin without an argument',
        (y) => y.positional('text', { type: 'string' }),
        async (a) => {
          io.out(decodeOutput(a.text ?? (await io.readStdin())));
        },
      )
      .command(
        '__docs',
        false,
        (y) => y.option('write', { type: 'string' }).option('check', { type: 'string' }),
        (a) => {
          const r = docsCommand((a.write ?? a.check)!, a.write ? 'write' : 'check');
          (r.ok ? io.out : io.err)(`${r.message}\n`);
          code = r.ok ? 0 : 1;
        },
      )
      .help();
    let shown = '';
    // With a callback yargs hands us --help/--version text instead of printing it itself.
    await parser.parseAsync(rest, {}, (err, _argv, output) => {
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
