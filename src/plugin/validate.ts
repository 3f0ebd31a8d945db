import { keepPolicyOf } from './prune-after.js';
import type { KeepPolicy } from '../retention/policy.js';
import type { EngineDisk } from '../engines/types.js';
import { planFreeze, type FreezePlan } from '../freeze/plan.js';
import { checkDescription, checkSnapshotName, type Params } from '../params/index.js';
import { AgentError, conditionFailed } from '../errors/errors.js';
import type { ScriptCheck } from '../scripts/check.js';
import { diskDevOf, mountOf, parseMountinfo } from '../system/mountinfo.js';
import { osSupportProblem, parseOsRelease } from '../system/os-release.js';
import { intentOf, type Consistency } from './consistency.js';
import type { Deps } from './deps.js';

export interface RunPlan {
  readonly os: string;
  readonly disks: EngineDisk[];
  readonly skippedDisks: { id: string; reason: string }[];
  readonly freeze: FreezePlan | undefined;
  readonly fsfreeze: string | undefined;
  readonly pre: Extract<ScriptCheck, { ok: true }> | undefined;
  readonly post: Extract<ScriptCheck, { ok: true }> | undefined;
  /** What the run aims for if everything succeeds, and why. */
  readonly intent: Consistency;
  readonly why: string[];
  /** Shown whatever the intent: e.g. disks whose snapshots will get no consistency tag. */
  readonly warnings: string[];
  /** The keep options: prune this name's groups after a successful run. */
  readonly keep?: KeepPolicy;
}

/** Every check that can fail before anything is run or frozen. Throws AgentError. */
export async function validate(deps: Deps, params: Params): Promise<RunPlan> {
  const keep = keepPolicyOf(params);
  const os = checkSystem(deps.platform, params);
  const { disks, skippedDisks } = await selectDisks(deps.engine, params);
  const { freeze, fsfreeze, warnings, why } = planTheFreeze(deps, params, disks);
  const scripts = checkScripts(deps, params);
  why.push(...scripts.why);
  const apps = deps.apps.map((a) => `${a.type} app ${a.name}`);
  const intent = intentOf({
    preScript: Boolean(scripts.pre),
    apps: apps.length,
    enableFsFreeze: params.enableFsFreeze,
  });
  if (apps.length && !params.enableFsFreeze) {
    why.unshift(
      `EnableFsFreeze=false: the built-in quiescers' databases may have pages no freeze flushed, so no AppConsistent claim (freeze, or vouch with your own pre-script)`,
    );
  }
  if (apps.length) why.unshift(`built-in quiescer(s): ${apps.join(', ')}`);
  if (scripts.pre)
    why.unshift(
      `pre-script ${scripts.pre.path} and ${scripts.post ? `post-script ${scripts.post.path}` : 'no post-script'} will run`,
    );
  return {
    os,
    disks,
    skippedDisks,
    freeze,
    fsfreeze,
    ...scripts,
    intent,
    why,
    warnings,
    ...(keep ? { keep } : {}),
  };
}

/** OS, root, and the parameters only the system can judge. Returns the OS's pretty name. */
function checkSystem(platform: Deps['platform'], params: Params): string {
  const os = parseOsRelease(platform.osRelease());
  const osProblem = osSupportProblem(os, platform.redhatRelease());
  if (osProblem) throw conditionFailed(osProblem);
  if (!platform.isRoot()) throw conditionFailed('app-snapshot-plugin must run as root');
  checkSnapshotName(params.name);
  checkDescription(params.description);
  return os.pretty;
}

/** The group's disks: the engine's, less the excluded and unsupported ones (which say why). */
async function selectDisks(
  engine: Deps['engine'],
  params: Params,
): Promise<Pick<RunPlan, 'disks' | 'skippedDisks'>> {
  await engine.validate();
  const all = await engine.describeDisks();
  const unknown = params.excludeDiskIds.filter((id) => !all.some((d) => d.id === id));
  if (unknown.length) {
    throw conditionFailed(
      `ExcludeDiskId names disk(s) this instance does not have: ${unknown.join(', ')} (disks: ${all.map((d) => d.id).join(', ') || 'none'})`,
    );
  }
  const skippedDisks: { id: string; reason: string }[] = [];
  const disks = all.filter((d) => {
    if (params.excludeDiskIds.includes(d.id))
      skippedDisks.push({ id: d.id, reason: 'excluded by ExcludeDiskId' });
    else if (!d.supported)
      skippedDisks.push({
        id: d.id,
        reason: d.unsupportedReason ?? `category ${d.category} is not supported`,
      });
    else return true;
    return false;
  });
  if (!disks.length) {
    throw new AgentError(
      'NoSnapshotCapableDisk',
      `no disk left to snapshot (${skippedDisks.map((s) => `${s.id}: ${s.reason}`).join('; ') || 'the instance has no disks'})`,
    );
  }
  return { disks, skippedDisks };
}

/** What to freeze, and which disks that leaves uncovered (see freeze/plan.ts). */
function planTheFreeze(
  deps: Deps,
  params: Params,
  disks: EngineDisk[],
): Pick<RunPlan, 'freeze' | 'fsfreeze' | 'warnings' | 'why'> {
  const { platform, engine } = deps;
  if (!params.enableFsFreeze) {
    return {
      freeze: undefined,
      fsfreeze: undefined,
      warnings: [],
      why: ['EnableFsFreeze=false: filesystems are not frozen, so no FsConsistent tag is possible'],
    };
  }
  const mounts = parseMountinfo(platform.mountinfo());
  const freeze = planFreeze(
    mounts,
    disks
      .filter((d) => d.device)
      .map((d) => ({ diskId: d.id, devs: platform.stackedDevs(d.device!) })),
    (source) => platform.devOfNode(source),
    (dev) => platform.backingFileOf(dev),
  );
  let fsfreeze: string | undefined;
  if (freeze.freeze.length) {
    fsfreeze = platform.fsfreezePath();
    if (!fsfreeze) throw conditionFailed('fsfreeze (util-linux) is not installed');
  }
  // Compared by filesystem: the directory may sit on another mount (a subvolume, a bind
  // mount) of a filesystem that is frozen through a different path.
  for (const dir of engine.writesWhileFrozen?.() ?? []) {
    const m = mountOf(mounts, dir);
    const dev = m && diskDevOf(m, (node) => platform.devOfNode(node));
    const hit = freeze.freeze.find((f) => f.dev === dev);
    if (hit)
      throw conditionFailed(
        `the pool ${dir} is on ${hit.mountPoint}, a filesystem of the group that would be frozen`,
      );
  }
  const warnings = freeze.uncoveredDisks.map((d) => {
    const because = freeze.skipped
      .filter((s) => s.uncovers?.includes(d))
      .map((s) => `${s.mountPoint}: ${s.reason}`);
    return `disk ${d} has a writable filesystem that cannot be frozen (${because.join('; ')}): its snapshot gets no consistency tag`;
  });
  return { freeze, fsfreeze, warnings, why: [] };
}

/**
 * The scripts' checks. Scripts run in pairs or not at all: a pre-script whose post-script
 * cannot run would leave the application quiesced.
 */
function checkScripts(deps: Deps, params: Params): Pick<RunPlan, 'pre' | 'post' | 'why'> {
  const checks = {
    pre: params.preScriptPath ? deps.scripts.check(params.preScriptPath) : undefined,
    post: params.postScriptPath ? deps.scripts.check(params.postScriptPath) : undefined,
  };
  const problems = (['pre', 'post'] as const).flatMap((role) => {
    const c = checks[role];
    return c && !c.ok
      ? [`${role === 'pre' ? 'PreScriptPath' : 'PostScriptPath'} ${c.path}: ${c.reason}`]
      : [];
  });
  const usable = problems.length === 0;
  const why = problems.map((p) => `${p}; no script will run`);
  if (!params.preScriptPath && !deps.apps.length) why.push('no PreScriptPath given');
  return {
    pre: usable && checks.pre?.ok ? checks.pre : undefined,
    post: usable && checks.post?.ok ? checks.post : undefined,
    why,
  };
}
