// `fleet prune`: groups prune over many instances from the operator's machine (docs/110).
import type { Argv } from 'yargs';
import { ParamsError } from '../../errors/errors.js';
import { describeError, exitCodeFor } from '../../errors/exit-code-for.js';
import { FLEET_EXIT } from '../../fleet/report.js';
import { pruneFleet, type InstancePrune } from '../../fleet/prune.js';
import { parseKeepOptions } from '../../retention/options.js';
import { kebab } from '../../params/index.js';
import { globMatch } from '../../retention/prune.js';
import type { CliContext } from '../context.js';
import { keepOptionsOf, PRUNE_OPTIONS } from '../prune-options.js';
import { connect, FLEET_TARGETS, progressLine } from './fleet.js';
import { groupsJson } from './prune.js';

const when = (ms: number) => new Date(ms).toISOString().replace('T', ' ').slice(0, 16);

function rows(results: readonly InstancePrune[], dryRun: boolean): string {
  const all = [['instance', 'name', 'group', 'created (UTC)', 'consistency', 'action', 'why']];
  for (const r of results) {
    if (r.error) all.push([r.instanceId, '-', '-', '-', '-', 'not listed', r.error]);
    const failed = new Map(r.report?.failed.map((f) => [f.id, f.error]));
    for (const d of r.report?.decisions ?? []) {
      const action = d.keep
        ? 'keep'
        : dryRun
          ? 'remove'
          : failed.has(d.group.id)
            ? 'NOT removed'
            : 'removed';
      all.push([
        r.instanceId,
        d.group.name,
        d.group.id,
        when(d.group.createdMs),
        d.group.consistency,
        action,
        failed.get(d.group.id) ?? d.reasons.join(', '),
      ]);
    }
  }
  const w = all[0]!.map((_, i) => Math.max(...all.map((row) => row[i]!.length)));
  return all
    .map((row) =>
      row
        .map((c, i) => c.padEnd(w[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

function json(results: readonly InstancePrune[], dryRun: boolean, code: number): unknown {
  return {
    ExitCode: code,
    DryRun: dryRun,
    Instances: results.map((r) => ({
      InstanceId: r.instanceId,
      ...(r.error ? { Error: r.error } : {}),
      Groups: groupsJson(r.report?.decisions ?? []),
      Deleted: r.report?.deleted ?? [],
      NotDeleted: (r.report?.failed ?? []).map((f) => ({ SnapshotGroupId: f.id, Error: f.error })),
    })),
  };
}

async function fleetPrune(a: Record<string, unknown>, ctx: CliContext): Promise<number> {
  try {
    // The keep options are also agent parameters (-KeepDaily=7 on a run), so the command line
    // split hands them over as such: they count here as if given as --keep-daily 7.
    const fromRaw = Object.fromEntries(
      ctx.raw
        .filter((r) => /^Keep/.test(r.spec.name))
        .map((r) => [kebab(r.spec.name), r.spec.name === 'KeepTag' ? r.value.split(',') : r.value]),
    );
    const policy = parseKeepOptions(keepOptionsOf({ ...a, ...fromRaw }));
    const ids = String(a.instances ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const bad = ids.find((id) => !/^i-[0-9a-z]+$/.test(id));
    if (bad) throw new ParamsError(`-Instances: '${bad}' is not an instance id`);
    const tagWord = a['instance-tag'] === undefined ? undefined : String(a['instance-tag']);
    if (!ids.length && !tagWord)
      throw new ParamsError('fleet prune needs -Instances=... or -InstanceTag=...');
    const tag = tagWord === undefined ? undefined : tagOf(tagWord);
    const { api, cloud, source } = await connect(
      a.region === undefined ? {} : { region: String(a.region) },
      ctx,
    );
    const say = progressLine(ctx);
    say(`credentials: ${source}; region ${cloud.regionId}`);
    const targets = await cloud.instances(ids, tag);
    if (!targets.length) {
      ctx.io.err('app-snapshot-plugin fleet prune: no instance found\n');
      return FLEET_EXIT.NotStarted;
    }
    const dryRun = a['dry-run'] === true;
    const name = a.name === undefined ? undefined : String(a.name);
    const results = await pruneFleet(api, cloud.regionId, targets, {
      policy,
      dryRun,
      ...(name !== undefined ? { names: (n: string) => globMatch(name, n) } : {}),
    });
    const allDone = results.every((r) => !r.error && !r.report?.failed.length);
    const code = allDone ? FLEET_EXIT.AllSucceeded : FLEET_EXIT.SomeFailed;
    ctx.io.out(
      a.output === 'json'
        ? `${JSON.stringify(json(results, dryRun, code), null, 2)}\n`
        : `${rows(results, dryRun)}\n`,
    );
    return code;
  } catch (e) {
    ctx.io.err(`app-snapshot-plugin fleet prune: ${describeError(e)}\n`);
    const code = exitCodeFor(e);
    return code === 2 ? FLEET_EXIT.BadParameters : FLEET_EXIT.NotStarted;
  }
}

function tagOf(s: string): { key: string; value?: string } {
  const i = s.indexOf('=');
  return i < 0 ? { key: s } : { key: s.slice(0, i), value: s.slice(i + 1) };
}

export function registerFleetPrune(y: Argv, ctx: CliContext): Argv {
  return y.command(
    'prune',
    "Prune snapshot groups on many instances with the operator's credentials (DescribeSnapshotGroups, DeleteSnapshotGroup; nothing runs on the instances): the keep options of groups prune",
    (y) => y.options(FLEET_TARGETS).options(PRUNE_OPTIONS),
    async (a) => ctx.setCode(await fleetPrune(a as Record<string, unknown>, ctx)),
  );
}
