// An emulator of the ECS API subset the agent uses and of the instance metadata service, on
// loopback. It checks request signatures and the STS token it issued, backs the "cloud disks"
// with lab loop disks (a group really clones them, through the local engine), makes the
// by-id links the agent resolves, answers errors in the service's JSON shape, and injects
// faults on demand. For tests and for trying the cloud path by hand (npm run emulator).
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { LocalEngine } from '../../src/engines/local/engine.js';
import { systemRunner } from '../../src/system/runner.js';
import type { Fault } from './faults.js';
import { Sts } from './sts.js';

export interface EmulatorOptions {
  /** A lab pool (lab up): its disks are the instance's cloud disks. */
  readonly pool: string;
  /** Where the virtio-<serial> links are made (a test's own directory, not /dev). */
  readonly byIdDir: string;
  readonly roleName?: string;
  readonly regionId?: string;
  readonly instanceId?: string;
  /** Default: the region's zone h. */
  readonly zoneId?: string;
  /** How long a group stays progressing before it is accomplished. */
  readonly progressMs?: number;
  readonly faults?: Partial<Record<Fault, number | boolean>>;
  /** Shared by the instances of one region (tools/emulator/region.ts): one set of keys. */
  readonly sts?: Sts;
}

export interface RequestRecord {
  readonly action: string;
  readonly signature: 'v1' | 'acs3';
  readonly params: Record<string, string>;
  readonly code: string;
}

export class Emulator {
  readonly regionId: string;
  readonly instanceId: string;
  readonly zoneId: string;
  readonly roleName: string;
  faults: Partial<Record<Fault, number | boolean>>;
  /** Every API request, in order (no secrets: the signature fields are dropped). */
  readonly requests: RequestRecord[] = [];
  /** Metadata requests: path and whether a hardened-mode token came with it. */
  readonly metadataRequests: { path: string; token: boolean }[] = [];
  /**
   * CreateSnapshotGroup calls received so far, counted on arrival (requests records answers):
   * with slow-create, a test knows the agent is inside its frozen window.
   */
  createGroupArrivals = 0;
  private readonly engine: LocalEngine;
  private readonly sts: Sts;
  private readonly tokens = new Set<string>();
  private readonly groups = new Map<
    string,
    {
      createdAt: number;
      token: string;
      faults: Emulator['faults'];
      /** Snapshots the cloud deleted when their RetentionDays ran out. */
      expired: Set<string>;
    }
  >();
  /** How far the emulator's clock runs ahead of the real one (advanceClock). */
  private clockOffsetMs = 0;
  private server: Server | undefined;
  url = '';

  constructor(private readonly o: EmulatorOptions) {
    this.regionId = o.regionId ?? 'cn-hangzhou';
    this.instanceId = o.instanceId ?? `i-${randomBytes(10).toString('hex')}`;
    this.zoneId = o.zoneId ?? `${this.regionId}-h`;
    this.roleName = o.roleName ?? 'AppSnapshotRoleName';
    this.faults = { ...o.faults };
    this.sts = o.sts ?? new Sts();
    this.engine = new LocalEngine({ poolDir: o.pool, runner: systemRunner });
  }

  /**
   * The emulator's clock: the real one, plus what tests advanced it by. Progress and
   * RetentionDays are counted on it, so a test can let a week pass in no time.
   */
  now(): number {
    return Date.now() + this.clockOffsetMs;
  }

  /** Moves the emulator's clock `ms` ahead (never back, as time does). */
  advanceClock(ms: number): void {
    if (!(ms >= 0)) throw new Error(`the clock only moves ahead, not by ${ms} ms`);
    this.clockOffsetMs += ms;
  }

  async start(port = 0): Promise<string> {
    await this.linkDevices();
    return this.listen(port);
  }

  private async listen(port: number): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((r) => this.server!.listen(port, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  /** Every secret it handed out: tests scan the agent's output and logs for them. */
  secrets(): string[] {
    return this.sts.secrets();
  }

  async stop(): Promise<void> {
    const server = this.server; // none when a Region serves this instance
    if (server) {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
    rmSync(this.o.byIdDir, { recursive: true, force: true });
  }

  /** The udev links the agent resolves: virtio-<disk id without "d-"> -> /dev/loopN. */
  async linkDevices(): Promise<void> {
    mkdirSync(this.o.byIdDir, { recursive: true });
    for (const d of await this.engine.describeDisks()) {
      if (!d.device) continue;
      const link = join(this.o.byIdDir, `virtio-${d.id.replace(/^d-/, '')}`);
      rmSync(link, { force: true });
      symlinkSync(d.device, link);
    }
  }

  private take(fault: 'throttle' | 'unavailable'): boolean {
    const n = Number(this.faults[fault] ?? 0);
    if (n > 0) this.faults[fault] = n - 1;
    return n > 0;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://x');
    try {
      if (url.pathname.startsWith('/latest/')) return this.metadata(req, res, url.pathname);
      await this.api(req, res, url, body);
    } catch (e) {
      send(res, 500, { Code: 'InternalError', Message: String(e) });
    }
  }

  metadata(req: IncomingMessage, res: ServerResponse, path: string): void {
    const tokenHeader = req.headers['x-aliyun-ecs-metadata-token'];
    this.metadataRequests.push({
      path,
      token: typeof tokenHeader === 'string' && this.tokens.has(tokenHeader),
    });
    const text = (status: number, s: string) => {
      res.writeHead(status, { 'content-type': 'text/plain' });
      res.end(s);
    };
    if (path === '/latest/api/token' && req.method === 'PUT') {
      if (this.faults['no-imds-token'] || req.headers['x-forwarded-for'])
        return text(403, 'Forbidden');
      const ttl = Number(req.headers['x-aliyun-ecs-metadata-token-ttl-seconds']);
      if (!(ttl >= 1 && ttl <= 21600)) return text(400, 'Bad TTL');
      const token = randomBytes(24).toString('base64url');
      this.tokens.add(token);
      return text(200, token);
    }
    const meta = path.replace(/^\/latest\/meta-data\//, '');
    if (meta === 'instance-id') return text(200, this.instanceId);
    if (meta === 'region-id') return text(200, this.regionId);
    if (meta === 'zone-id') return text(200, this.zoneId);
    if (meta === 'ram/security-credentials/') {
      return this.faults['role-missing'] ? text(404, 'Not Found') : text(200, this.roleName);
    }
    if (meta === `ram/security-credentials/${this.roleName}` && !this.faults['role-missing']) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(this.sts.issue()));
      return;
    }
    text(404, 'Not Found');
  }

  private async api(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    body: string,
  ): Promise<void> {
    const params: Record<string, string> = Object.fromEntries(url.searchParams);
    if (String(req.headers['content-type'] ?? '').includes('x-www-form-urlencoded')) {
      Object.assign(params, Object.fromEntries(new URLSearchParams(body)));
    }
    const action = params.Action ?? String(req.headers['x-acs-action'] ?? '');
    const auth = this.sts.authenticate(req, url, params, Boolean(this.faults['token-expired']));
    const record = (code: string) => {
      this.requests.push({ action, signature: auth.style, params: withoutSecrets(params), code });
    };
    const fail = (status: number, code: string, message: string) => {
      record(code);
      send(res, status, { Code: code, Message: message });
    };
    if (this.faults.slow) await new Promise((r) => setTimeout(r, Number(this.faults.slow)));
    if (auth.error) return fail(...auth.error);
    if (this.take('throttle'))
      return fail(400, 'Throttling.User', 'Request was denied due to user flow control.');
    if (this.take('unavailable'))
      return fail(
        503,
        'ServiceUnavailable',
        'The request has failed due to a temporary failure of the server.',
      );
    if (this.faults.forbidden)
      return fail(
        403,
        'Forbidden.RAM',
        "User not authorized to operate on the specified resource, or this API doesn't support RAM.",
      );
    if (params.RegionId !== this.regionId)
      return fail(404, 'InvalidRegionId.NotFound', 'The specified RegionId does not exist.');
    const out = await this.dispatch(action, params);
    if (!out)
      return fail(400, 'InvalidAction.NotFound', `Specified action ${action} is not valid.`);
    if ('error' in out) return fail(...out.error);
    record(out.cut ? 'Cut' : 'OK');
    if (out.cut) return void res.socket?.destroy();
    send(res, 200, out.body);
  }

  /** This instance's answer to one ECS action (authenticated already), or undefined. */
  async dispatch(action: string, params: Record<string, string>): Promise<Answer | undefined> {
    await this.expire();
    const handler = {
      DescribeDisks: () => this.describeDisks(params),
      CreateSnapshotGroup: () => this.createGroup(params),
      DescribeSnapshotGroups: () => this.describeGroups(params),
      TagResources: () => this.tag(params),
      ModifySnapshotAttribute: () => this.modifySnapshot(params),
      DeleteSnapshotGroup: () => this.deleteGroup(params),
    }[action];
    return handler?.();
  }

  /** Whether the cloud deleted this snapshot when its retention ran out. */
  private deleted(snapshotId: string): boolean {
    return [...this.groups.values()].some((m) => m.expired.has(snapshotId));
  }

  /**
   * What the cloud does on its own: a snapshot whose RetentionDays have passed since its
   * creation is deleted, and a group none of whose snapshots is left goes with them.
   */
  private async expire(): Promise<void> {
    const now = this.now();
    for (const [id, meta] of this.groups) {
      const g = await this.engine.describeGroup(id).catch(() => undefined);
      if (!g) continue;
      for (const s of g.snapshots)
        if (s.retentionDays && meta.createdAt + s.retentionDays * 86_400_000 <= now)
          meta.expired.add(s.id);
      if (g.snapshots.every((s) => meta.expired.has(s.id))) {
        await this.engine.deleteGroup(id);
        this.groups.delete(id);
      }
    }
  }

  /** This instance's cloud disk ids. */
  async diskIds(): Promise<string[]> {
    return (await this.engine.describeDisks()).map((d) => d.id);
  }

  /** Whether this instance holds the group or snapshot ids named in `params`. */
  async owns(params: Record<string, string>): Promise<boolean> {
    const ids = Object.entries(params)
      .filter(([k]) => /^(ResourceId\.\d+|SnapshotGroupId|SnapshotId)$/.test(k))
      .map(([, v]) => v);
    for (const [id] of this.groups) {
      if (ids.includes(id)) return true;
      const g = await this.engine.describeGroup(id).catch(() => undefined);
      if (g?.snapshots.some((sn) => ids.includes(sn.id))) return true;
    }
    return false;
  }

  private async describeDisks(p: Record<string, string>): Promise<Answer> {
    if (p.InstanceId && p.InstanceId !== this.instanceId)
      return notFound('InvalidInstanceId.NotFound', 'The specified InstanceId does not exist.');
    const disks = (await this.engine.describeDisks()).map((d) => ({
      DiskId: d.id,
      Category: 'cloud_essd',
      Size: Math.ceil(d.sizeBytes / 2 ** 30),
      SerialNumber: d.id.replace(/^d-/, ''),
      Status: 'In_use',
      Type: 'data',
      InstanceId: this.instanceId,
    }));
    if (this.faults['efficiency-disk']) {
      disks.push({
        DiskId: 'd-efficiency00000000000',
        Category: 'cloud_efficiency',
        Size: 40,
        SerialNumber: 'efficiency00000000000',
        Status: 'In_use',
        Type: 'data',
        InstanceId: this.instanceId,
      });
    }
    return { body: { Disks: { Disk: disks }, TotalCount: disks.length, NextToken: '' } };
  }

  private async createGroup(p: Record<string, string>): Promise<Answer> {
    this.createGroupArrivals++;
    if (p.InstanceId !== this.instanceId)
      return notFound('InvalidInstanceId.NotFound', 'The specified InstanceId does not exist.');
    if (!p.Name)
      return {
        error: [
          400,
          'MissingParameter.Name',
          'The input parameter Name that is mandatory for processing this request is not supplied.',
        ],
      };
    if (this.faults['slow-create']) {
      await new Promise((r) => setTimeout(r, Number(this.faults['slow-create'])));
    }
    if (this.faults.quota)
      return { error: [403, 'QuotaExceed.Snapshot', 'The snapshot quota exceeds.'] };
    if (this.faults['in-progress'])
      return {
        error: [
          403,
          'IncorrectDiskStatus.CreatingSnapshot',
          'A previous snapshot creation is in process.',
        ],
      };
    if (this.faults['create-error'])
      return {
        error: [403, 'CreateSnapshot.Failed', 'The process of creating snapshot is failed.'],
      };
    const diskIds = Object.keys(p)
      .filter((k) => /^DiskId\.\d+$/.test(k))
      .map((k) => p[k]!);
    const known = (await this.engine.describeDisks()).map((d) => d.id);
    const unknown = diskIds.find((d) => !known.includes(d));
    if (unknown)
      return notFound('InvalidDiskId.NotFound', `The specified DiskId ${unknown} does not exist.`);
    const token = p.ClientToken ?? randomUUID();
    const same = [...this.groups].find(([, g]) => g.token === token);
    // The same ClientToken is the same group, answered (or not) like the first call.
    if (same) return this.answerCreate(same[0]);
    // The real clone, while the agent holds the freeze.
    const g = await this.engine.createGroup({
      name: p.Name,
      description: p.Description ?? '',
      diskIds: diskIds.length ? diskIds : known,
      instantAccess: p.InstantAccess === 'true',
      instantAccessRetentionDays: Number(p.InstantAccessRetentionDays ?? 1),
      clientToken: token,
      ...(groupTags(p) ? { tags: groupTags(p) } : {}),
    });
    this.groups.set(g.id, {
      createdAt: this.now(),
      token,
      faults: { ...this.faults },
      expired: new Set(),
    });
    return this.answerCreate(g.id);
  }

  /**
   * The group exists whatever happens to the answer (a service does not undo a group because
   * its caller went away): slow-answer holds the answer back, cut-create never sends one.
   */
  private async answerCreate(id: string): Promise<Answer> {
    if (this.faults['slow-answer'])
      await new Promise((r) => setTimeout(r, Number(this.faults['slow-answer'])));
    return { body: { SnapshotGroupId: id }, ...(this.faults['cut-create'] ? { cut: true } : {}) };
  }

  private async describeGroups(p: Record<string, string>): Promise<Answer> {
    if (this.faults['snapshot-status']) {
      return {
        error: [
          403,
          'IncorrectSnapshotStatus',
          'The current status of the snapshot does not support this operation.',
        ],
      };
    }
    const wanted = Object.keys(p)
      .filter((k) => /^SnapshotGroupId\.\d+$/.test(k))
      .map((k) => p[k]!);
    // Another instance's groups are not ours to list (the filter is an AND, as the API's).
    if (p.InstanceId !== undefined && p.InstanceId !== this.instanceId) return page([], p);
    const progressMs = this.o.progressMs ?? 1500;
    const out = [];
    for (const [id, meta] of this.groups) {
      if (wanted.length && !wanted.includes(id)) continue;
      const g = await this.engine.describeGroup(id).catch(() => undefined);
      if (!g || (p.Name !== undefined && g.name !== p.Name)) continue;
      const age = this.now() - meta.createdAt;
      const done = !meta.faults.stuck && age >= progressMs;
      const status = done
        ? meta.faults['group-failed']
          ? 'failed'
          : 'accomplished'
        : 'progressing';
      const pct = done ? 100 : Math.min(99, Math.floor((age / progressMs) * 100));
      out.push({
        SnapshotGroupId: id,
        Name: g.name,
        Description: g.description,
        InstanceId: this.instanceId,
        // The cloud's clock (advanceClock moves it), to the second as the API answers it.
        CreationTime: new Date(meta.createdAt).toISOString().replace(/\.\d+Z$/, 'Z'),
        Status: status,
        Tags: { Tag: Object.entries(g.tags ?? {}).map(([Key, Value]) => ({ Key, Value })) },
        Snapshots: {
          Snapshot: g.snapshots
            .filter((s) => !meta.expired.has(s.id))
            .map((s, i) => {
              const broken = i === 0 && meta.faults['snapshot-unavailable'];
              return {
                SnapshotId: s.id,
                SourceDiskId: s.diskId,
                SourceDiskType: 'data',
                Progress: `${broken ? Math.min(pct, 99) : pct}%`,
                Available: done && !broken,
                InstantAccess: g.instantAccess,
                InstantAccessRetentionDays: g.instantAccessRetentionDays,
                ...(s.retentionDays ? { RetentionDays: s.retentionDays } : {}),
                Tags: { Tag: Object.entries(s.tags).map(([Key, Value]) => ({ Key, Value })) },
              };
            }),
        },
      });
    }
    return page(out, p);
  }

  /**
   * ModifySnapshotAttribute's RetentionDays (1-65536, counted from creation; only extended, as
   * the official SDK's model documents it). The other attributes are not emulated.
   */
  private async modifySnapshot(p: Record<string, string>): Promise<Answer> {
    const days = Number(p.RetentionDays);
    if (p.RetentionDays === undefined)
      return { error: [400, 'MissingParameter', 'RetentionDays is not emulated without a value.'] };
    if (!Number.isInteger(days) || days < 1 || days > 65536)
      return {
        error: [400, 'InvalidParameter.RetentionDays', 'The specified RetentionDays is invalid.'],
      };
    if (this.faults['retention-refused'])
      return {
        error: [403, 'Forbidden.RAM', 'User not authorized to operate on the specified resource.'],
      };
    try {
      if (this.deleted(p.SnapshotId ?? '')) throw new Error('unknown snapshot');
      await this.engine.setRetention([p.SnapshotId ?? ''], days);
    } catch (e) {
      if (/unknown snapshot/.test((e as Error).message))
        return notFound('InvalidSnapshotId.NotFound', 'The specified SnapshotId does not exist.');
      return {
        error: [
          400,
          'InvalidParameter.RetentionDays',
          'The RetentionDays of a snapshot can only be extended.',
        ],
      };
    }
    return { body: {} };
  }

  private async tag(p: Record<string, string>): Promise<Answer> {
    if (p.ResourceType !== 'snapshot')
      return notFound('InvalidResourceType.NotFound', 'The specified ResourceType is not found.');
    const ids = Object.keys(p)
      .filter((k) => /^ResourceId\.\d+$/.test(k))
      .map((k) => p[k]!);
    if (ids.length > 50)
      return {
        error: [400, 'NumberExceed.ResourceIds', 'The maximum number of ResourceIds is exceeded.'],
      };
    if (this.faults['tag-refused'])
      return { error: [403, 'QuotaExceed.Tags', 'The maximum number of tags is exceeded.'] };
    const tags: Record<string, string> = {};
    for (let n = 1; p[`Tag.${n}.Key`] !== undefined; n++)
      tags[p[`Tag.${n}.Key`]!] = p[`Tag.${n}.Value`] ?? '';
    try {
      if (ids.some((id) => this.deleted(id))) throw new Error('unknown snapshot');
      await this.engine.tagSnapshots(ids, tags);
    } catch {
      return notFound(
        'InvalidResourceId.NotFound',
        'The specified ResourceIds are not found in our records.',
      );
    }
    return { body: {} };
  }

  private async deleteGroup(p: Record<string, string>): Promise<Answer> {
    const id = p.SnapshotGroupId ?? '';
    if (!this.groups.has(id))
      return notFound(
        'InvalidSnapshotGroupId.NotFound',
        'The specified SnapshotGroupId does not exist.',
      );
    const meta = this.groups.get(id)!;
    const done =
      meta.faults.stuck !== undefined
        ? false
        : this.now() - meta.createdAt >= (this.o.progressMs ?? 1500);
    // A group still being made cannot be deleted (the API's documented refusal).
    if (!done) return { error: [403, 'Operation.Forbidden', 'The operation is not permitted.'] };
    const g = await this.engine.describeGroup(id);
    // The answer says how each snapshot went; with delete-partial the first one stays.
    const progress = g.snapshots.map((s, i) => {
      const failed = i === 0 && this.faults['delete-partial'];
      return {
        OperationStatus: failed ? 'Failed' : 'Success',
        ErrorCode: failed ? 'SnapshotCreatedImage' : '',
        ErrorMsg: failed ? 'The snapshot has been used to create user defined image(s).' : '',
        RelatedItemSet: { RelatedItem: [{ Name: 'SnapshotId', Value: s.id }] },
      };
    });
    if (!this.faults['delete-partial']) {
      await this.engine.deleteGroup(id);
      this.groups.delete(id);
    }
    return { body: { OperationProgressSet: { OperationProgress: progress } } };
  }
}

/** An answer; `cut`: the connection is closed without one (the work is done all the same). */
export type Answer = { body: unknown; cut?: boolean } | { error: [number, string, string] };

function notFound(code: string, message: string): Answer {
  return { error: [404, code, message] };
}

export function send(res: ServerResponse, status: number, body: unknown): void {
  const requestId = randomUUID().toUpperCase();
  const payload =
    status >= 400
      ? { RequestId: requestId, HostId: 'ecs.aliyuncs.com', ...(body as object) }
      : { RequestId: requestId, ...(body as object) };
  res.writeHead(status, { 'content-type': 'application/json;charset=utf-8' });
  res.end(JSON.stringify(payload));
}

/** A request's parameters as recorded: the signature and credential fields dropped. */
export function withoutSecrets(params: Record<string, string>): Record<string, string> {
  const { Signature: _s, SecurityToken: _t, AccessKeyId: _a, SignatureNonce: _n, ...safe } = params;
  return safe;
}

/** CreateSnapshotGroup's Tag.N.Key / Tag.N.Value, or undefined when there are none. */
function groupTags(p: Record<string, string>): Record<string, string> | undefined {
  const tags: Record<string, string> = {};
  for (let n = 1; p[`Tag.${n}.Key`] !== undefined; n++)
    tags[p[`Tag.${n}.Key`]!] = p[`Tag.${n}.Value`] ?? '';
  return Object.keys(tags).length ? tags : undefined;
}

/**
 * DescribeSnapshotGroups' pages, as the API documents them: MaxResults 1-100 (default 10), and
 * a NextToken for the next page ('' after the last). The token is the offset, opaque to callers.
 */
function page(all: unknown[], p: Record<string, string>): Answer {
  const max = p.MaxResults === undefined ? 10 : Number(p.MaxResults);
  if (!Number.isInteger(max) || max < 1 || max > 100)
    return { error: [400, 'InvalidParameter.MaxResults', 'The specified MaxResults is invalid.'] };
  const from = p.NextToken ? Number(Buffer.from(p.NextToken, 'base64url').toString()) : 0;
  const next = from + max < all.length ? Buffer.from(String(from + max)).toString('base64url') : '';
  return {
    body: { SnapshotGroups: { SnapshotGroup: all.slice(from, from + max) }, NextToken: next },
  };
}
