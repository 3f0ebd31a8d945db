import { EXIT } from '../../errors/exit-codes.js';
import { createQuiescers, type AppQuiescer } from '../../apps/index.js';
import type { DataLocator, DataPlace, GroupLayout } from '../../apps/types.js';
import { groupLayout } from '../../plugin/layout.js';
import type { Params } from '../../params/index.js';
import { validate, type RunPlan } from '../../plugin/validate.js';
import { systemDeps } from '../../plugin/system-deps.js';
import { readMarker } from '../../freeze/marker.js';
import { lockHolder } from '../../system/lock.js';
import { describeError, exitCodeFor } from '../../errors/exit-code-for.js';
import { RunLog } from '../../report/logger.js';
import { assembleEngine } from '../engine.js';
import type { CliContext } from '../context.js';
import { describeParams, JSON_ALIAS, wantsJson } from '../param-options.js';
import { validateParams } from '../../params/index.js';
import type { Argv } from 'yargs';

/** Dry run: every validation, then what would happen. Exits with the code a run would fail with. */
export async function checkCommand(
  params: Params,
  json: boolean,
  ctx: Pick<CliContext, 'io' | 'config'>,
): Promise<number> {
  const { io, config } = ctx;
  try {
    const { engine } = assembleEngine(params, config);
    const apps = createQuiescers(params.apps, config.appsConfigPath);
    const deps = systemDeps(new RunLog(() => undefined), engine, config, undefined, apps);
    const plan = await validate(deps, params);
    const layout = groupLayout(deps.platform, plan);
    const report = checkReport(
      engine.name,
      plan,
      await appPlans(apps, layout),
      config.paths.stateDir,
    );
    io.out(json ? `${JSON.stringify(report, null, 2)}\n` : `${checkText(report, plan, params)}\n`);
    return report.ExitCode;
  } catch (e) {
    const code = exitCodeFor(e);
    if (json) io.out(`${JSON.stringify({ ExitCode: code, Error: describeError(e) }, null, 2)}\n`);
    else io.err(`check failed (exit ${code}): ${describeError(e)}\n`);
    return code;
  }
}

/** One of an app's directories in check's JSON (PascalCase, as the rest of it). */
interface DataReport {
  readonly What: string;
  readonly Path: string;
  readonly Pid?: number;
  readonly Container: boolean;
  readonly HostPath?: string;
  readonly MountPoint?: string;
  readonly FsType?: string;
  readonly InGroup: boolean;
  readonly Note?: string;
}
type AppPlan = { Name: string; Type: string; Plan: string; Data: DataReport[] };

const dataReport = (what: string, d: DataPlace): DataReport => ({
  What: what,
  Path: d.path,
  ...(d.pid !== undefined ? { Pid: d.pid } : {}),
  Container: d.container,
  ...(d.hostPath ? { HostPath: d.hostPath } : {}),
  ...(d.mountPoint ? { MountPoint: d.mountPoint, FsType: d.fsType } : {}),
  InGroup: d.inGroup,
  ...(d.note ? { Note: d.note } : {}),
});

/**
 * Connects to each application (nothing is locked) to say how it would be quiesced, and where
 * its data is: through the server's process, so a container's directory is placed right.
 */
async function appPlans(
  apps: readonly AppQuiescer[],
  layout: GroupLayout & DataLocator,
): Promise<AppPlan[]> {
  const out: AppPlan[] = [];
  for (const a of apps) {
    try {
      await a.prepare(layout);
      const data = a.data?.();
      out.push({
        Name: a.name,
        Type: a.type,
        Plan: a.plan(),
        Data: (data?.paths ?? []).map((p) =>
          dataReport(p.what, layout.place(p.path, data!.processNames, data!.hostname)),
        ),
      });
    } finally {
      await a.close();
    }
  }
  return out;
}

function checkReport(engine: string, plan: RunPlan, apps: AppPlan[], stateDir: string) {
  const holder = lockHolder(stateDir);
  const busy = holder ? `another run (pid ${holder}) is in progress` : undefined;
  const marker = readMarker(stateDir);
  return {
    ExitCode: busy ? EXIT.SnapshotInProgress : 0,
    Engine: engine,
    Os: plan.os,
    Disks: plan.disks.map((d) => ({ DiskId: d.id, Device: d.device ?? null })),
    SkippedDisks: plan.skippedDisks,
    Freeze:
      plan.freeze?.freeze.map((f) => ({
        MountPoint: f.mountPoint,
        FsType: f.fsType,
        Disks: f.diskIds,
      })) ?? [],
    NotFrozen: plan.freeze?.skipped ?? [],
    Consistency: plan.intent,
    Apps: apps,
    Why: plan.why,
    Warnings: plan.warnings,
    LeftoverFreeze: marker ? marker.mounts : [],
    Busy: busy ?? null,
  };
}

function checkText(r: ReturnType<typeof checkReport>, plan: RunPlan, params: Params): string {
  return [
    `engine: ${r.Engine}    os: ${r.Os}`,
    `disks in the group: ${r.Disks.map((d) => `${d.DiskId}${d.Device ? ` (${d.Device})` : ''}`).join(', ')}`,
    ...plan.skippedDisks.map((s) => `skipped disk ${s.id}: ${s.reason}`),
    params.enableFsFreeze
      ? `would freeze, wave by wave (each wave in parallel): ${plan.freeze?.waves.map((w) => w.join(', ')).join(' | ') || 'nothing (no mounted filesystem)'}`
      : 'would not freeze (EnableFsFreeze=false)',
    ...r.NotFrozen.map((s) => `not frozen: ${s.mountPoint} (${s.fsType}): ${s.reason}`),
    ...r.Apps.flatMap((a) => [
      `app ${a.Name} (${a.Type}): ${a.Plan}`,
      ...a.Data.map((d) => `app ${a.Name}: ${d.What} ${placeText(d)}`),
    ]),
    `result: ${r.Consistency}`,
    ...plan.why.map((w) => `  because ${w}`),
    ...plan.warnings.map((w) => `warning: ${w}`),
    ...(r.LeftoverFreeze.length
      ? [`warning: a frozen marker lists ${r.LeftoverFreeze.join(', ')} (run 'thaw')`]
      : []),
    ...(r.Busy ? [`busy: ${r.Busy}`] : []),
  ].join('\n');
}

/** "/var/lib/mysql (container, pid 812) is /data/db on /data (xfs): on a disk of the group". */
function placeText(d: DataReport): string {
  const who =
    d.Pid === undefined ? '' : d.Container ? ` (in a container, pid ${d.Pid})` : ` (pid ${d.Pid})`;
  const host = d.HostPath && d.HostPath !== d.Path ? ` is ${d.HostPath} here,` : '';
  const fs = d.MountPoint ? ` on ${d.MountPoint} (${d.FsType})` : ' on no filesystem mounted here';
  const verdict = d.InGroup
    ? 'on a disk of the group'
    : 'NOT on a disk of the group: the snapshot does not hold it';
  return `${d.Path}${who}${host}${fs}: ${verdict}${d.Note ? ` (${d.Note})` : ''}`;
}

export function registerCheck(y: Argv, ctx: CliContext): Argv {
  return y.command(
    'check',
    'Run every validation and say what a run would do; exits with the code the run would fail with',
    (y) => describeParams(y).option('json', JSON_ALIAS),
    async (a) => ctx.setCode(await checkCommand(validateParams(ctx.raw), wantsJson(a), ctx)),
  );
}
