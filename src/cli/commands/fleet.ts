import { mkdirSync } from 'node:fs';
import type { Argv } from 'yargs';
import { ecsApi, ecsEndpoint, MetadataClient } from '../../cloud/index.js';
import { FleetCloud } from '../../fleet/cloud.js';
import { agentCommand } from '../../fleet/command.js';
import { credentialChain, profileRegion } from '../../fleet/credentials.js';
import { commandTimeoutS, FLEET_EXIT, fleetExit, toJson, toTable } from '../../fleet/report.js';
import { runFleet } from '../../fleet/run.js';
import { ParamsError } from '../../errors/errors.js';
import type { CliContext } from '../context.js';
import { registerFleetPrune } from './fleet-prune.js';
import { registerFleetSchedule } from './fleet-schedule.js';

/** Which instances (fleet run and fleet prune). */
export const FLEET_TARGETS = {
  instances: {
    type: 'string' as const,
    describe: 'instance ids, comma-separated (also -Instances=i-1,i-2)',
  },
  'instance-tag': {
    type: 'string' as const,
    describe: 'every instance with this tag: key=value or key (also -InstanceTag=)',
  },
  region: {
    type: 'string' as const,
    describe: "region id (also -Region=); default: the profile's, or this instance's",
  },
};

/** The fleet's own Go-flag words (as the vendor spells parameters) and their long flags. */
export const FLEET_FLAGS: Record<string, string> = {
  instances: '--instances',
  instancetag: '--instance-tag',
  region: '--region',
  frequency: '--frequency',
};

interface FleetArgs {
  instances?: string;
  'instance-tag'?: string;
  region?: string;
  logs?: string;
  retries: number;
  timeout?: number;
  output: string;
}

export function registerFleet(y: Argv, ctx: CliContext): Argv {
  return y.command('fleet', 'Many instances at once: fleet run, fleet prune, fleet schedule', (y) =>
    registerFleetSchedule(registerFleetPrune(registerFleetRun(y, ctx), ctx), ctx).demandCommand(
      1,
      'fleet run, fleet prune or fleet schedule',
    ),
  );
}

function registerFleetRun(y: Argv, ctx: CliContext): Argv {
  return y.command(
    'run',
    'Run the agent on many instances through Cloud Assistant (RunCommand), follow them and print one row per instance; the agent parameters (-Name=..., -PreScriptPath=...) are forwarded',
    (y) =>
      y
        .options(FLEET_TARGETS)
        .option('logs', {
          type: 'string',
          describe: "directory for each instance's full decoded log (<instance>.log, mode 0600)",
        })
        .option('timeout', {
          type: 'number',
          describe:
            "RunCommand's Timeout in seconds; default: the agent's scripts + freeze + group budgets + 120 (a shorter one may kill the agent mid-run)",
        })
        .option('retries', {
          type: 'number',
          default: 2,
          describe: 'times an instance that answers 16 (another snapshot in progress) is retried',
        }),
    async (a) => ctx.setCode(await fleetRun(a as unknown as FleetArgs, ctx)),
  );
}

async function fleetRun(a: FleetArgs, ctx: CliContext): Promise<number> {
  const { command, ids, tag } = parseFleetArgs(a, ctx);
  const { cloud, source } = await connect(a, ctx);
  const say = progressLine(ctx);
  say(`credentials: ${source}; region ${cloud.regionId}`);
  const targets = await cloud.instances(ids, tag);
  const missing = ids.filter((id) => !targets.includes(id));
  if (missing.length) say(`not found in ${cloud.regionId}: ${missing.join(', ')}`);
  if (!targets.length) {
    ctx.io.err('app-snapshot-plugin fleet: no instance to run on\n');
    return FLEET_EXIT.NotStarted;
  }
  if (a.logs) mkdirSync(a.logs, { recursive: true, mode: 0o700 });
  // Ctrl-C: no new batches; StopInvocation for the running ones (their agents thaw and exit).
  const stop = new AbortController();
  const onInt = () => stop.abort();
  // `on`, not `once`: a second Ctrl-C must not kill the command before it has stopped the
  // running invocations and printed what happened (aborting twice is harmless).
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onInt);
  try {
    const derived = commandTimeoutS(command.params);
    const timeoutS = a.timeout ?? derived;
    say(`${targets.length} instance(s); command timeout ${timeoutS}s`);
    if (timeoutS < derived)
      say(`warning: --timeout ${timeoutS}s is below the agent's own budgets (${derived}s)`);
    const poll = ctx.config.fleetPollMs;
    const outcomes = await runFleet({
      cloud,
      instances: targets,
      content: command.content,
      name: command.params.name,
      timeoutS,
      retries: a.retries,
      progress: say,
      signal: stop.signal,
      ...(a.logs ? { logsDir: a.logs } : {}),
      ...(poll ? { pollMs: { first: poll, max: poll * 4 }, retryDelayMs: poll } : {}),
    });
    const code = fleetExit(outcomes, stop.signal.aborted);
    if (a.output === 'json') ctx.io.out(`${JSON.stringify(toJson(outcomes, code), null, 2)}\n`);
    else ctx.io.out(`${toTable(outcomes)}\n`);
    return code;
  } finally {
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onInt);
  }
}

/** Everything checked before any call: the agent's parameters, the targets, --retries. */
function parseFleetArgs(a: FleetArgs, ctx: CliContext) {
  const command = agentCommand(ctx.raw.map((r) => `-${r.spec.name}=${r.value}`));
  const { ids, tag } = parseTargets(a, 'fleet run');
  if (!Number.isInteger(a.retries) || a.retries < 0 || a.retries > 10)
    throw new ParamsError('--retries must be 0 to 10');
  if (
    a.timeout !== undefined &&
    !(Number.isInteger(a.timeout) && a.timeout >= 10 && a.timeout <= 86400)
  )
    throw new ParamsError('--timeout must be 10 to 86400 seconds');
  return { command, ids, tag };
}

/** -Instances and -InstanceTag, checked: at least one of them. */
export function parseTargets(
  a: { readonly instances?: string; readonly 'instance-tag'?: string },
  command: string,
): { ids: string[]; tag: { key: string; value?: string } | undefined } {
  const ids = (a.instances ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = ids.find((id) => !/^i-[0-9a-z]+$/.test(id));
  if (bad) throw new ParamsError(`-Instances: '${bad}' is not an instance id`);
  const tag = parseTag(a['instance-tag']);
  if (!ids.length && !tag)
    throw new ParamsError(`${command} needs -Instances=... or -InstanceTag=...`);
  return { ids, tag };
}

/** The signed client for the region, with the credential chain's first source. */
export async function connect(a: { region?: string }, ctx: CliContext) {
  const env = ctx.config.env;
  const metadataUrl = ctx.config.engine.metadataUrl;
  const credentials = credentialChain(env, metadataUrl);
  const region =
    a.region ??
    profileRegion(env) ??
    (await new MetadataClient(metadataUrl ? { baseUrl: metadataUrl } : {}).regionId());
  const api = ecsApi({
    endpoint: async () => ecsEndpoint(ctx.config.engine.ecsEndpoint ?? 'public', region),
    credentials: () => credentials.get(),
    retry: { budgetMs: 60_000, baseMs: 500, maxMs: 8000, attemptTimeoutMs: 10_000 },
  });
  return { api, cloud: new FleetCloud(api, region), source: credentials.name };
}

/**
 * A line per state change on stderr; on a terminal, also a bar of finished instances that the
 * next line overwrites.
 */
export function progressLine(ctx: CliContext): (line: string) => void {
  const tty = Boolean(process.stderr.isTTY);
  let total = 0;
  let done = 0;
  return (line) => {
    const started = /^started (\d+) instance/.exec(line);
    if (started) total += Number(started[1]);
    if (/ \(exit [^)]*\)$/.test(line)) done++;
    const clear = tty ? '\r\x1b[K' : '';
    ctx.io.err(`${clear}${new Date().toISOString().slice(11, 19)} ${line}\n`);
    if (tty && total) {
      const width = 30;
      const filled = Math.round((Math.min(done, total) / total) * width);
      ctx.io.err(`[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} finished`);
    }
  };
}

function parseTag(s: string | undefined): { key: string; value?: string } | undefined {
  if (!s) return undefined;
  const i = s.indexOf('=');
  return i < 0 ? { key: s } : { key: s.slice(0, i), value: s.slice(i + 1) };
}
