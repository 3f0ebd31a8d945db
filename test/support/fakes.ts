import type {
  CreateGroupRequest,
  EngineDisk,
  GroupInfo,
  RollbackResult,
  SnapshotEngine,
} from '../../src/engines/types.js';
import { GroupCallUnanswered, madeBy } from '../../src/engines/types.js';
import { monoNs, type Deadline } from '../../src/system/clock.js';
import type { AppQuiescer, Held } from '../../src/apps/types.js';
import type { Freezer, FreezeOutcome, ThawOutcome } from '../../src/freeze/types.js';
import type { Params } from '../../src/params/index.js';
import { extractParams, validateParams } from '../../src/params/index.js';
import type { Deps, Platform, ScriptHost } from '../../src/plugin/deps.js';
import { AgentError } from '../../src/errors/errors.js';
import { RunLog } from '../../src/report/logger.js';
import type { ScriptRun } from '../../src/system/runner.js';

/** In-memory engine that keeps the engine contract; `fail` injects engine errors. */
export class MemoryEngine implements SnapshotEngine {
  readonly name = 'memory';
  readonly canRollback = true;
  warmUp?: () => Promise<void>;
  afterWindow?: () => Promise<void>;
  groups = new Map<string, GroupInfo>();
  fail: Partial<Record<'create' | 'tag' | 'find' | 'delete' | 'retain', AgentError>> = {};
  /** Called inside createGroup: lets a test look at the world while "frozen". */
  onCreate: () => void = () => undefined;
  quota = 64;
  /** describeGroup answers 'progressing' this many times first (Infinity: stuck). */
  progressPolls = 0;
  describeCalls = 0;
  /** createGroup's answer never comes: the group was 'made' anyway, or none was ('lost'). */
  unanswered: 'made' | 'lost' | undefined;
  /** findGroup sees a made group only from this call on (a service lists it late). */
  visibleFromFind = 1;
  findCalls = 0;
  private n = 0;
  constructor(public disks: EngineDisk[] = memoryDisks(2)) {}
  /** What writesWhileFrozen() answers (a local pool's directory, in tests of the pool check). */
  writes: string[] = [];
  writesWhileFrozen(): readonly string[] {
    return this.writes;
  }

  async validate(): Promise<void> {}
  async describeDisks(): Promise<EngineDisk[]> {
    return this.disks;
  }
  /** How long createGroup takes (the service's answer time). */
  createDelayMs = 0;
  async createGroup(req: CreateGroupRequest): Promise<GroupInfo> {
    const same = [...this.groups.values()].find((g) => g.clientToken === req.clientToken);
    if (same) return same;
    this.onCreate();
    if (this.createDelayMs) await new Promise((r) => setTimeout(r, this.createDelayMs));
    if (this.fail.create) throw this.fail.create;
    if (this.unanswered === 'lost') throw new GroupCallUnanswered('no answer (lost)');
    for (const d of req.diskIds) {
      if (!this.disks.some((x) => x.id === d))
        throw new AgentError('CreateGroupFailed', `no disk ${d}`);
      const used = [...this.groups.values()]
        .flatMap((g) => g.snapshots)
        .filter((s) => s.diskId === d).length;
      if (used >= this.quota) throw new AgentError('SnapshotQuotaExceeded', `quota of ${d}`);
    }
    const id = `ssg-mem${++this.n}`;
    const g: GroupInfo = {
      id,
      name: req.name,
      description: req.description,
      status: 'accomplished',
      createdAt: new Date().toISOString(),
      clientToken: req.clientToken,
      instantAccess: req.instantAccess,
      instantAccessRetentionDays: req.instantAccessRetentionDays,
      ...(req.tags ? { tags: { ...req.tags } } : {}),
      snapshots: req.diskIds.map((diskId, i) => ({
        id: `s-mem${this.n}x${i}`,
        diskId,
        status: 'accomplished',
        progress: 100,
        sizeBytes: 1,
        tags: {},
        createdAt: new Date().toISOString(),
      })),
    };
    this.groups.set(id, g);
    if (this.unanswered === 'made') throw new GroupCallUnanswered('no answer (made)');
    return g;
  }
  async findGroup(req: CreateGroupRequest, since: Date): Promise<GroupInfo | undefined> {
    if (++this.findCalls < this.visibleFromFind) return undefined;
    if (this.fail.find) throw this.fail.find;
    return [...this.groups.values()].find((g) => madeBy(g, req, since));
  }
  async describeGroup(id: string): Promise<GroupInfo> {
    const g = this.groups.get(id);
    if (!g) throw new AgentError('ConditionCheckFailed', `no group ${id}`);
    this.describeCalls++;
    if (this.describeCalls <= this.progressPolls) {
      return {
        ...g,
        status: 'progressing',
        snapshots: g.snapshots.map((s) => ({ ...s, status: 'progressing', progress: 50 })),
      };
    }
    return g;
  }
  /** Retention per snapshot id, as set. */
  async setRetention(ids: readonly string[], days: number): Promise<void> {
    if (this.fail.retain) throw this.fail.retain;
    const all = [...this.groups.values()].flatMap((g) => g.snapshots);
    const unknown = ids.filter((id) => !all.some((s) => s.id === id));
    if (unknown.length)
      throw new AgentError('RetentionFailed', `unknown snapshot id(s): ${unknown.join(', ')}`);
    const shorter = all.find((s) => ids.includes(s.id) && (s.retentionDays ?? 0) > days);
    if (shorter)
      throw new AgentError('RetentionFailed', `retention of ${shorter.id} can only be extended`);
    for (const [id, g] of this.groups)
      this.groups.set(id, {
        ...g,
        snapshots: g.snapshots.map((s) => (ids.includes(s.id) ? { ...s, retentionDays: days } : s)),
      });
  }
  async tagSnapshots(
    ids: readonly string[],
    tags: Readonly<Record<string, string>>,
  ): Promise<void> {
    if (this.fail.tag) throw this.fail.tag;
    const known = new Set([...this.groups.values()].flatMap((g) => g.snapshots.map((s) => s.id)));
    const unknown = ids.filter((id) => !known.has(id));
    if (unknown.length)
      throw new AgentError('TagFailed', `unknown snapshot id(s): ${unknown.join(', ')}`);
    for (const [id, g] of this.groups) {
      this.groups.set(id, {
        ...g,
        snapshots: g.snapshots.map((s) =>
          ids.includes(s.id) ? { ...s, tags: { ...s.tags, ...tags } } : s,
        ),
      });
    }
  }
  async listGroups(): Promise<GroupInfo[]> {
    return [...this.groups.values()];
  }
  async deleteGroup(id: string): Promise<void> {
    await this.describeGroup(id);
    if (this.fail.delete) throw this.fail.delete;
    this.groups.delete(id);
  }
  async rollbackGroup(
    id: string,
    o: { diskIds?: readonly string[] } = {},
  ): Promise<RollbackResult> {
    const g = await this.describeGroup(id);
    return {
      groupId: id,
      disks: g.snapshots
        .filter((s) => !o.diskIds || o.diskIds.includes(s.diskId))
        .map((s) => ({ diskId: s.diskId, snapshotId: s.id })),
    };
  }
}

export function memoryDisks(n: number): EngineDisk[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `d-${i + 1}`,
    device: `/dev/vd${'bcdefgh'[i]}`,
    category: 'cloud_essd',
    sizeBytes: 2 ** 30,
    supported: true,
  }));
}

/**
 * Records the freeze/thaw calls and keeps what is frozen. It can fail freezing one mount
 * (`failOn`: the mounts before it are frozen, then rolled back, as the contract says), fail
 * to thaw, "thaw late" (the watchdog's deadline came before the point in time) or lose its
 * watchdog (the agent thawed directly and cannot vouch for the freeze).
 */
export class FakeFreezer implements Freezer {
  events: string[] = [];
  /** The fsfreeze the run asked this freezer to use (Deps.newFreezer). */
  fsfreeze: string | undefined;
  /** Freezing this mount fails; `failFreeze` fails the first mount. */
  failOn: string | undefined;
  failFreeze = false;
  failThaw = false;
  lateThaw = false;
  lostWatchdog = false;
  /** Mounts frozen right now, in freeze order. */
  frozen: string[] = [];
  /** Mounts someone else froze: freezing them fails with EBUSY; they are not ours to thaw. */
  foreign: string[] = [];
  get frozenNow(): boolean {
    return this.frozen.length > 0;
  }
  /** The run let its watchdog go (everything after the thaw has begun). */
  get disposed(): boolean {
    return this.events.includes('dispose');
  }
  async prepare(): Promise<void> {
    this.events.push('prepare');
  }
  async freeze(waves: readonly (readonly string[])[], _deadline: Deadline): Promise<FreezeOutcome> {
    this.events.push(`freeze ${waves.map((w) => w.join(',')).join('|')}`);
    const first = monoNs();
    for (const mount of waves.flat()) {
      if (this.failFreeze || mount === this.failOn || this.foreign.includes(mount)) {
        const rolledBack = [...this.frozen];
        this.frozen = [];
        const why = this.foreign.includes(mount)
          ? 'Device or resource busy'
          : 'Operation not supported';
        throw new AgentError('FreezeFailed', `freezing ${mount} failed: ${why}`, {
          details: { mount, rolledBack },
        });
      }
      this.frozen.push(mount);
    }
    return {
      frozen: [...this.frozen],
      firstFreezeNs: first,
      lastFreezeNs: monoNs(),
      seenNs: monoNs(),
      freezeWith: 'fsfreeze',
    };
  }
  async thaw(): Promise<ThawOutcome> {
    this.events.push('thaw');
    if (this.failThaw) throw new AgentError('ThawFailed', 'could not thaw /x');
    const thawed = [...this.frozen].reverse();
    this.frozen = [];
    const start = this.lateThaw ? '1' : monoNs();
    return {
      reason: this.lostWatchdog ? 'watchdog-lost' : this.lateThaw ? 'deadline' : 'requested',
      thawStartNs: start,
      thawEndNs: monoNs(),
      thawed,
    };
  }
  async dispose(): Promise<void> {
    this.events.push('dispose');
  }
}

/** Mountinfo for memoryDisks: /data on vdb (xfs), /logs on vdc (ext4), / on vda. */
export const MOUNTINFO = [
  '27 1 254:0 / / rw - ext4 /dev/vda rw',
  '60 27 254:16 / /data rw - xfs /dev/vdb rw',
  '61 27 254:32 / /logs rw - ext4 /dev/vdc rw',
].join('\n');

export function fakePlatform(over: Partial<Platform> = {}): Platform {
  const devs: Record<string, string> = { '/dev/vdb': '254:16', '/dev/vdc': '254:32' };
  return {
    osRelease: () => 'ID=ubuntu\nVERSION_ID="22.04"\nPRETTY_NAME="Ubuntu 22.04"\n',
    redhatRelease: () => undefined,
    mountinfo: () => MOUNTINFO,
    isRoot: () => true,
    stackedDevs: (node) => new Set(devs[node] ? [devs[node]] : []),
    devOfNode: () => undefined,
    backingFileOf: () => undefined,
    fsfreezePath: () => '/sbin/fsfreeze',
    ...over,
  };
}

/** The platform, failing as SysBlock would when sysfs is asked about no device node. */
export function deviceNodesOnly(platform: Platform): Platform {
  return {
    ...platform,
    stackedDevs: (node) => {
      if (typeof node !== 'string') throw new TypeError(`no device node: ${String(node)}`);
      return platform.stackedDevs(node);
    },
  };
}

export interface ScriptScenario {
  /** Paths that pass the checks; anything else fails with "does not exist". */
  valid: string[];
  outcome: Partial<Record<'pre' | 'post', Partial<ScriptRun>>>;
}

export class FakeScripts implements ScriptHost {
  ran: string[] = [];
  constructor(
    private readonly s: ScriptScenario,
    private readonly freezer?: FakeFreezer,
  ) {}
  check(path: string) {
    return this.s.valid.includes(path)
      ? ({ ok: true, path, content: Buffer.from('true') } as const)
      : ({ ok: false, path, reason: 'the file does not exist' } as const);
  }
  /** The timeout and whether an abort signal came with each run, in order. */
  calls: { role: 'pre' | 'post'; timeoutMs: number; abortable: boolean }[] = [];
  async run(
    role: 'pre' | 'post',
    _check: unknown,
    timeoutMs: number,
    abort?: AbortSignal,
  ): Promise<ScriptRun> {
    // Invariant: scripts never run inside the frozen window.
    this.ran.push(`${role}${this.freezer?.frozenNow ? ' WHILE FROZEN' : ''}`);
    this.calls.push({ role, timeoutMs, abortable: abort !== undefined });
    return {
      exitCode: 0,
      signal: undefined,
      timedOut: false,
      spawnError: undefined,
      output: `${role} output\n`,
      durationMs: 1,
      ...this.s.outcome[role],
    };
  }
  cleanup(): void {
    this.ran.push('cleanup');
  }
}

export function params(...words: string[]): Params {
  const named = words.some((w) => w.startsWith('-Name='));
  return validateParams(extractParams([...(named ? [] : ['-Name=test1']), ...words]).params);
}

export interface Harness {
  deps: Deps;
  engine: MemoryEngine;
  freezer: FakeFreezer;
  scripts: FakeScripts;
  out: string[];
  locks: string[];
}

export function harness(
  o: {
    /** Built from the harness's freezer, so quiescers can see whether it is frozen. */
    apps?: (freezer: FakeFreezer) => AppQuiescer[];
    interrupt?: AbortSignal;
    engine?: MemoryEngine;
    platform?: Partial<Platform>;
    scripts?: Partial<ScriptScenario>;
  } = {},
): Harness {
  const engine = o.engine ?? new MemoryEngine();
  const freezer = new FakeFreezer();
  const scripts = new FakeScripts(
    { valid: ['/tmp/prescript.sh', '/tmp/postscript.sh'], outcome: {}, ...o.scripts },
    freezer,
  );
  const out: string[] = [];
  const locks: string[] = [];
  const deps: Deps = {
    apps: o.apps?.(freezer) ?? [],
    log: new RunLog((t) => out.push(t)),
    engine,
    newFreezer: (fsfreeze) => ((freezer.fsfreeze = fsfreeze), freezer),
    platform: fakePlatform(o.platform),
    scripts,
    acquireLock: () => {
      locks.push('acquire');
      return { held: () => true, release: () => void locks.push('release') };
    },
    recoverLeftoverFreeze: () => [],
    interrupt: o.interrupt ?? new AbortController().signal,
    paths: { stateDir: '/nonexistent/state', logDir: '/nonexistent/log' },
    runner: {
      run: async () => ({ exitCode: 0, stdout: '', stderr: '', timedOut: false }),
      runScript: async () => {
        throw new Error('not used');
      },
      spawnHelper: () => {
        throw new Error('not used');
      },
    },
  };
  return { deps, engine, freezer, scripts, out, locks };
}

/** A quiescer that records its calls; `fail` makes a step fail, `lose` drops the lock. */
export class FakeQuiescer implements AppQuiescer {
  readonly type = 'mysql' as const;
  events: string[] = [];
  fail: Partial<Record<'prepare' | 'quiesce' | 'release', AgentError>> = {};
  /** The "application's" lock: taken by quiesce, ended by release, close or a loss. */
  private holding = false;
  private lost = false;
  constructor(
    readonly name: string,
    private readonly freezer?: FakeFreezer,
  ) {}
  /** The application dropped the lock (a killed session): verify() must see it. */
  set lose(v: boolean) {
    this.lost = v;
    if (v) this.holding = false;
  }
  get lose(): boolean {
    return this.lost;
  }
  get locked(): boolean {
    return this.holding;
  }
  async prepare(): Promise<void> {
    this.events.push('prepare');
    if (this.fail.prepare) throw this.fail.prepare;
  }
  plan(): string {
    return 'fake-lock';
  }
  async quiesce(): Promise<Held> {
    this.events.push(`quiesce${this.freezer?.frozenNow ? ' WHILE FROZEN' : ''}`);
    if (this.fail.quiesce) throw this.fail.quiesce;
    this.holding = true;
    return {
      mode: 'fake-lock',
      facts: { LockTime: '2026-11-24 00:00:00.000001', Gtid: '0-1-7' },
      verify: async () => {
        this.events.push(`verify${this.freezer?.frozenNow ? ' WHILE FROZEN' : ''}`);
        return !this.lost;
      },
      release: async () => {
        // Released only after the watchdog is let go: the lock outlived the thaw for nothing.
        this.events.push(`release${this.freezer?.disposed ? ' LATE' : ''}`);
        if (this.fail.release) throw this.fail.release;
        this.holding = false;
      },
    };
  }
  async close(): Promise<void> {
    this.events.push('close');
    this.holding = false;
  }
}
