// A region of emulated instances behind one endpoint: each instance has its own lab disks,
// by-id directory, state directory, metadata service (at /i/<instance-id>/latest/...) and RAM
// role credentials; the ECS actions are routed to the instance they name; and Cloud Assistant
// is emulated: RunCommand runs `sh -c <content>` "on" each instance with the acs-plugin-manager
// stand-in on its PATH and the agent pointed at that instance, DescribeInvocationResults
// answers per instance (Base64 output tail of 24 KB, Dropped, ExitCode, InvocationStatus,
// ErrorCode), StopInvocation sends the command's process group SIGTERM, DescribeInstances
// answers with tags. An instance may instead be a guest VM (`guest: true`): its commands go to
// the Cloud Assistant service inside the guest (guest-commands.ts), and guestListener() gives
// the port QEMU forwards the guest's 100.100.100.200 to (metadata, ECS API, command channel).
// For tests of the fleet command and the guest VM, and for `npm run emulator -- --instances N`.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { acquireLock, type Lock } from '../../src/system/lock.js';
import { FrequencyError } from './frequency.js';
import { InvocationBook } from './schedules.js';
import { ClusterGroups } from './cluster-groups.js';
import { GuestCommands } from './guest-commands.js';
import { OUTPUT_QUOTA } from './plugin-manager.js';
import { Emulator, send, withoutSecrets, type Answer } from './server.js';
import { Sts } from './sts.js';

export interface InstanceOptions {
  readonly pool: string;
  readonly byIdDir: string;
  readonly stateDir: string;
  readonly logDir: string;
  readonly name?: string;
  /** Default: the region's zone h. */
  readonly zoneId?: string;
  readonly tags?: Record<string, string>;
  /** 'Stopped': RunCommand cannot reach it (InstanceNotRunning). */
  readonly status?: 'Running' | 'Stopped';
  /** false: the Cloud Assistant agent is not running there (ClientNotRunning). */
  readonly assistant?: boolean;
  /** More environment for the agent on this instance (e.g. APP_SNAPSHOT_APPS_CONFIG). */
  readonly env?: Record<string, string>;
  /** Faults this instance's API and metadata start with (tests may change them later). */
  readonly faults?: Emulator['faults'];
  /** Another run holds the agent's lock during the first command here: that run exits 16. */
  readonly busyOnce?: boolean;
  /**
   * A guest VM (test/support/vm.ts): commands run inside it, through its Cloud Assistant
   * service; until that service says hello, RunCommand finds ClientNotRunning. The pool's
   * images are the guest's disks (byIdDir, stateDir and logDir are unused: the guest has its own).
   */
  readonly guest?: boolean;
}

export interface RegionOptions {
  /** How the agent is started on an instance: e.g. [process.execPath, 'dist/cli/main.js']. */
  readonly agent: readonly string[];
  readonly instances: readonly InstanceOptions[];
  readonly regionId?: string;
  readonly progressMs?: number;
  /** The built stand-in (dist-tools/tools/emulator/acs-plugin-manager.js). */
  readonly pluginManager: string;
}

export interface Instance {
  readonly id: string;
  readonly o: InstanceOptions;
  readonly emulator: Emulator;
  busy: boolean;
  /** For a guest VM: its Cloud Assistant channel. */
  readonly channel?: GuestCommands;
}

export interface InvocationRecord {
  readonly invokeId: string;
  readonly instanceId: string;
  status: string;
  exitCode: number | null;
  errorCode: string;
  errorInfo: string;
  output: Buffer;
  readonly startTime: string;
  finishedTime: string;
  timedOut: boolean;
  child?: ChildProcess;
}

/** The Cloud Assistant actions (everything else is an instance's ECS action). */
const ASSISTANT = new Set([
  'RunCommand',
  'DescribeInvocationResults',
  'StopInvocation',
  'DescribeInstances',
  'DescribeInvocations',
]);

export class Region {
  readonly regionId: string;
  readonly sts = new Sts();
  readonly instances: Instance[];
  /** Every invocation per instance, in order. */
  readonly invocations: InvocationRecord[] = [];
  /** Every API request: action and its non-secret parameters. */
  readonly requests: { action: string; params: Record<string, string>; code: string }[] = [];
  /** The next N Cloud Assistant calls answer Throttling.User. */
  throttleAssistant = 0;
  private server: Server | undefined;
  private readonly guestServers: Server[] = [];
  private readonly bin: string;
  private readonly clusters: ClusterGroups;
  /** Every RunCommand: name, mode, and for RepeatMode=Period its schedule. */
  readonly book = new InvocationBook();
  private clockOffsetMs = 0;
  private ticker: NodeJS.Timeout | undefined;
  url = '';

  constructor(private readonly o: RegionOptions) {
    this.regionId = o.regionId ?? 'cn-hangzhou';
    this.instances = o.instances.map((io) => this.makeInstance(io));
    this.clusters = new ClusterGroups(this.instances);
    // Next to the first instance's state (a test's own directory); a region that starts empty
    // (guests only: nothing runs here) keeps it in the temporary directory.
    this.bin = o.instances[0]
      ? join(o.instances[0].stateDir, '..', `.asp-region-bin-${process.pid}`)
      : join(tmpdir(), `asp-region-bin-${process.pid}`);
  }

  private makeInstance(io: InstanceOptions): Instance {
    const id = `i-${randomBytes(10).toString('hex')}`;
    const emulator = new Emulator({
      pool: io.pool,
      byIdDir: io.byIdDir,
      regionId: this.regionId,
      instanceId: id,
      ...(io.zoneId ? { zoneId: io.zoneId } : {}),
      sts: this.sts,
      progressMs: this.o.progressMs ?? 300,
      ...(io.faults ? { faults: io.faults } : {}),
    });
    const channel = io.guest
      ? new GuestCommands((rec, code, timedOut) =>
          this.settle(rec as InvocationRecord, code, timedOut),
        )
      : undefined;
    return { id, o: io, emulator, busy: Boolean(io.busyOnce), ...(channel ? { channel } : {}) };
  }

  /** One more instance after start (e.g. a guest booted from another's snapshots). */
  async addInstance(io: InstanceOptions): Promise<Instance> {
    const i = this.makeInstance(io);
    this.instances.push(i);
    await i.emulator.linkDevices();
    return i;
  }

  /**
   * The loopback port a guest VM's 100.100.100.200:80 is forwarded to: the instance's metadata
   * at /latest/..., the guest's command channel, and the region's API.
   */
  async guestListener(i: Instance): Promise<number> {
    const server = createServer(
      (req, res) =>
        void (async () => {
          const chunks: Buffer[] = [];
          for await (const c of req) chunks.push(c as Buffer);
          const url = new URL(req.url ?? '/', 'http://x');
          if (i.channel && (await i.channel.handle(req, res, url, Buffer.concat(chunks)))) return;
          if (url.pathname.startsWith('/latest/'))
            return i.emulator.metadata(req, res, url.pathname);
          await this.route(req, res, url, Buffer.concat(chunks));
        })(),
    );
    this.guestServers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return (server.address() as AddressInfo).port;
  }

  /** The region's clock (Cloud Assistant's schedules): the real one, plus what tests advanced. */
  now(): number {
    return Date.now() + this.clockOffsetMs;
  }

  /**
   * Moves the region's clock, and every instance's cloud clock, `ms` ahead; the periodic
   * invocations that fall due fire now, once for each firing passed.
   */
  advanceClock(ms: number): void {
    if (!(ms >= 0)) throw new Error(`the clock only moves ahead, not by ${ms} ms`);
    this.clockOffsetMs += ms;
    for (const i of this.instances) i.emulator.advanceClock(ms);
    this.fireDue();
  }

  private fireDue(): void {
    for (const inv of this.book.due(this.now()))
      for (const id of inv.instanceIds) {
        const i = this.instances.find((x) => x.id === id);
        if (i) this.launch(inv.invokeId, i, inv.content, inv.timeoutS);
      }
  }

  async start(port = 0): Promise<string> {
    // Schedules in real time too (the emulator started by hand): checked every second.
    this.ticker = setInterval(() => this.fireDue(), 1000);
    this.ticker.unref();
    for (const i of this.instances) await i.emulator.linkDevices();
    mkdirSync(this.bin, { recursive: true });
    const stand = join(this.bin, 'acs-plugin-manager');
    writeFileSync(stand, `#!/bin/sh\nexec '${process.execPath}' '${this.o.pluginManager}' "$@"\n`);
    chmodSync(stand, 0o755);
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((r) => this.server!.listen(port, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    clearInterval(this.ticker);
    for (const inv of this.invocations) inv.child?.kill('SIGKILL');
    for (const server of [this.server, ...this.guestServers]) {
      server?.closeAllConnections();
      await new Promise((r) => server?.close(r));
    }
    for (const i of this.instances) await i.emulator.stop();
    rmSync(this.bin, { recursive: true, force: true });
  }

  /** The agent environment an instance's commands get (its metadata, disks, state). */
  instanceEnv(i: Instance): Record<string, string> {
    // In a guest the metadata service and the disks are where they are on a real instance;
    // only the API endpoint is ours (reached through the metadata address's forward).
    if (i.o.guest) return { APP_SNAPSHOT_ECS_ENDPOINT: 'http://100.100.100.200', ...i.o.env };
    return {
      APP_SNAPSHOT_METADATA_URL: `${this.url}/i/${i.id}`,
      APP_SNAPSHOT_ECS_ENDPOINT: this.url,
      APP_SNAPSHOT_DISK_BY_ID_DIR: i.o.byIdDir,
      APP_SNAPSHOT_STATE_DIR: i.o.stateDir,
      APP_SNAPSHOT_LOG_DIR: i.o.logDir,
      // The instance's own run history, and no node_exporter: never this machine's.
      APP_SNAPSHOT_DATA_DIR: join(i.o.stateDir, 'data'),
      APP_SNAPSHOT_METRICS_DIR: join(i.o.stateDir, 'no-node-exporter'),
      ...i.o.env,
    };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    await this.route(req, res, new URL(req.url ?? '/', 'http://x'), Buffer.concat(chunks));
  }

  private async route(req: IncomingMessage, res: ServerResponse, url: URL, body: Buffer) {
    try {
      const meta = /^\/i\/(i-[0-9a-f]+)(\/latest\/.*)$/.exec(url.pathname);
      if (meta) {
        const inst = this.instances.find((i) => i.id === meta[1]);
        if (!inst) return send(res, 404, { Code: 'NotFound', Message: 'no such instance' });
        return inst.emulator.metadata(req, res, meta[2]!);
      }
      const params: Record<string, string> = Object.fromEntries(url.searchParams);
      if (String(req.headers['content-type'] ?? '').includes('x-www-form-urlencoded'))
        Object.assign(params, Object.fromEntries(new URLSearchParams(body.toString())));
      await this.api(req, res, url, params);
    } catch (e) {
      send(res, 500, { Code: 'InternalError', Message: String(e) });
    }
  }

  private async api(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    params: Record<string, string>,
  ): Promise<void> {
    const action = params.Action ?? String(req.headers['x-acs-action'] ?? '');
    const auth = this.sts.authenticate(req, url, params, false);
    const safe = withoutSecrets(params);
    const answer = (out: Answer) => {
      this.requests.push({ action, params: safe, code: 'error' in out ? out.error[1] : 'OK' });
      if ('error' in out)
        return send(res, out.error[0], { Code: out.error[1], Message: out.error[2] });
      if (out.cut) return void res.socket?.destroy();
      send(res, 200, out.body);
    };
    if (auth.error) return answer({ error: auth.error });
    if (params.RegionId !== this.regionId)
      return answer({
        error: [404, 'InvalidRegionId.NotFound', 'The specified RegionId does not exist.'],
      });
    if (ASSISTANT.has(action)) {
      if (this.throttleAssistant > 0) {
        this.throttleAssistant--;
        return answer({
          error: [400, 'Throttling.User', 'Request was denied due to user flow control.'],
        });
      }
      return answer(this.assistant(action, params));
    }
    answer(await this.ecs(action, params));
  }

  /** An ECS action, routed to the instance it names (or that owns the ids it names). */
  private async ecs(action: string, p: Record<string, string>): Promise<Answer> {
    // Without an InstanceId: a group over several instances' disks, and its kin.
    if (!p.InstanceId) {
      const cluster = await this.clusters.handle(action, p);
      if (cluster) return cluster;
    }
    let target = this.instances.find((i) => i.id === p.InstanceId);
    if (!target && !p.InstanceId)
      for (const i of this.instances) if (await i.emulator.owns(p)) target = i;
    if (!target && p.InstanceId)
      return {
        error: [404, 'InvalidInstanceId.NotFound', 'The specified InstanceId does not exist.'],
      };
    target ??= this.instances[0]!;
    return (
      (await target.emulator.dispatch(action, p)) ?? {
        error: [400, 'InvalidAction.NotFound', `Specified action ${action} is not valid.`],
      }
    );
  }

  private assistant(action: string, p: Record<string, string>): Answer {
    if (action === 'DescribeInstances') return this.describeInstances(p);
    if (action === 'RunCommand') return this.runCommand(p);
    if (action === 'StopInvocation') return this.stopInvocation(p);
    if (action === 'DescribeInvocations') return this.describeInvocations(p);
    return this.describeResults(p);
  }

  private describeInstances(p: Record<string, string>): Answer {
    const ids = p.InstanceIds ? (JSON.parse(p.InstanceIds) as string[]) : undefined;
    const tags: [string, string | undefined][] = [];
    for (let n = 1; p[`Tag.${n}.Key`] !== undefined; n++)
      tags.push([p[`Tag.${n}.Key`]!, p[`Tag.${n}.Value`]]);
    const found = this.instances.filter(
      (i) =>
        (!ids || ids.includes(i.id)) &&
        tags.every(
          ([k, v]) => i.o.tags?.[k] !== undefined && (v === undefined || i.o.tags[k] === v),
        ),
    );
    return {
      body: {
        Instances: {
          Instance: found.map((i) => ({
            InstanceId: i.id,
            InstanceName: i.o.name ?? i.id,
            RegionId: this.regionId,
            ZoneId: i.emulator.zoneId,
            Status: i.o.status ?? 'Running',
            Tags: {
              Tag: Object.entries(i.o.tags ?? {}).map(([TagKey, TagValue]) => ({
                TagKey,
                TagValue,
              })),
            },
          })),
        },
        TotalCount: found.length,
        NextToken: '',
      },
    };
  }

  private runCommand(p: Record<string, string>): Answer {
    const limits = runCommandLimits(p);
    if (limits) return { error: [400, ...limits] };
    if (p.Type !== 'RunShellScript')
      return {
        error: [
          400,
          'InvalidCommandType.NotSupported',
          'The specified command type is not supported.',
        ],
      };
    const content =
      (p.ContentEncoding ?? '').toLowerCase() === 'base64'
        ? Buffer.from(p.CommandContent ?? '', 'base64').toString('utf8')
        : (p.CommandContent ?? '');
    const ids = Object.keys(p)
      .filter((k) => /^InstanceId\.\d+$/.test(k))
      .map((k) => p[k]!);
    if (!ids.length || ids.length > 100)
      return { error: [400, 'InvalidParameter.InstanceId', 'InstanceId.N: 1 to 100 instances.'] };
    const unknown = ids.find((id) => !this.instances.some((i) => i.id === id));
    if (unknown)
      return {
        error: [
          404,
          'InvalidInstance.NotFound',
          `The specified instance ${unknown} does not exist.`,
        ],
      };
    const invokeId = `t-${randomBytes(8).toString('hex')}`;
    const repeatMode = p.Frequency || p.RepeatMode === 'Period' ? 'Period' : 'Once';
    try {
      this.book.add({
        invokeId,
        name: p.Name ?? '',
        repeatMode,
        frequency: p.Frequency ?? '',
        instanceIds: ids,
        content,
        timeoutS: Number(p.Timeout ?? 60),
        createdMs: this.now(),
      });
    } catch (e) {
      if (!(e instanceof FrequencyError)) throw e;
      return { error: [400, 'InvalidParameter.Frequency', `Frequency: ${e.message}.`] };
    }
    // A periodic command runs at its first firing, not now.
    if (repeatMode === 'Once')
      for (const id of ids)
        this.launch(
          invokeId,
          this.instances.find((i) => i.id === id)!,
          content,
          Number(p.Timeout ?? 60),
        );
    return { body: { CommandId: `c-${randomBytes(8).toString('hex')}`, InvokeId: invokeId } };
  }

  /** One instance's run of the command: `sh -c`, as Cloud Assistant runs RunShellScript. */
  private launch(invokeId: string, i: Instance, content: string, timeoutS: number): void {
    const rec: InvocationRecord = {
      invokeId,
      instanceId: i.id,
      status: 'Running',
      exitCode: null,
      errorCode: '',
      errorInfo: '',
      output: Buffer.alloc(0),
      startTime: new Date().toISOString(),
      finishedTime: '',
      timedOut: false,
    };
    this.invocations.push(rec);
    const unreachable =
      (i.o.status ?? 'Running') !== 'Running'
        ? ['InstanceNotRunning', 'the instance is not running']
        : i.o.assistant === false || (i.channel && !i.channel.online)
          ? ['ClientNotRunning', 'the Cloud Assistant agent is not running']
          : undefined;
    if (unreachable) {
      Object.assign(rec, { status: 'Error', errorCode: unreachable[0], errorInfo: unreachable[1] });
      rec.finishedTime = new Date().toISOString();
      return;
    }
    if (i.channel) return i.channel.submit(rec, content, timeoutS, this.instanceEnv(i));
    let lock: Lock | undefined;
    if (i.busy) {
      lock = acquireLock(i.o.stateDir); // held by this process, alive: the agent exits 16
      i.busy = false;
    }
    const child = spawn('/bin/sh', ['-c', content], {
      cwd: '/',
      detached: true,
      env: {
        PATH: `${this.bin}:/usr/sbin:/usr/bin:/sbin:/bin`,
        APP_SNAPSHOT_EMULATOR_AGENT: JSON.stringify(this.o.agent),
        ...this.instanceEnv(i),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    rec.child = child;
    const add = (c: Buffer) => (rec.output = Buffer.concat([rec.output, c]));
    child.stdout!.on('data', add);
    child.stderr!.on('data', add);
    const timer = setTimeout(() => {
      rec.timedOut = true;
      child.kill('SIGKILL'); // the sh only, as Cloud Assistant does
    }, timeoutS * 1000);
    child.on('close', (code) => {
      clearTimeout(timer);
      lock?.release();
      this.settle(rec, code, rec.timedOut);
    });
  }

  /** A command's end: its status as DescribeInvocationResults reports it. */
  private settle(rec: InvocationRecord, code: number | null, timedOut: boolean): void {
    rec.finishedTime = new Date().toISOString();
    rec.exitCode = code;
    if (rec.status === 'Stopping') rec.status = 'Terminated';
    else if (timedOut)
      Object.assign(rec, {
        status: 'Timeout',
        errorCode: 'ExecutionTimeout',
        errorInfo: 'the command execution has timed out',
      });
    else if (code === 0) rec.status = 'Success';
    else
      Object.assign(rec, {
        status: 'Failed',
        errorCode: 'ExitCodeNonzero',
        errorInfo: 'the command execution exit code is not zero',
      });
  }

  private stopInvocation(p: Record<string, string>): Answer {
    const known = this.book.all.find((i) => i.invokeId === p.InvokeId);
    if (!known)
      return {
        error: [404, 'InvalidInvokeId.NotFound', 'The specified InvokeId does not exist.'],
      };
    const ids = Object.keys(p)
      .filter((k) => /^InstanceId\.\d+$/.test(k))
      .map((k) => p[k]!);
    // Without instances it ends the task itself: a periodic one fires no more.
    if (!ids.length) this.book.stop(p.InvokeId!);
    for (const rec of this.invocations) {
      if (rec.invokeId !== p.InvokeId || (ids.length && !ids.includes(rec.instanceId))) continue;
      const inst = this.instances.find((i) => i.id === rec.instanceId);
      if (rec.status === 'Running' && inst?.channel) {
        rec.status = 'Stopping';
        inst.channel.stop(rec);
        continue;
      }
      if (rec.status !== 'Running' || !rec.child?.pid) continue;
      rec.status = 'Stopping';
      // The whole command's process group: the agent's own signal handling thaws and exits.
      try {
        process.kill(-rec.child.pid, 'SIGTERM');
      } catch {
        // already gone
      }
    }
    return { body: {} };
  }

  /**
   * Per instance, its latest execution of the command and how many there were (Repeats): a
   * periodic command has one per firing.
   */
  private describeResults(p: Record<string, string>): Answer {
    const plain = (p.ContentEncoding ?? '').toLowerCase() === 'plaintext';
    const latest = new Map<string, { rec: InvocationRecord; repeats: number }>();
    for (const r of this.invocations) {
      if (r.invokeId !== p.InvokeId || (p.InstanceId && r.instanceId !== p.InstanceId)) continue;
      latest.set(r.instanceId, { rec: r, repeats: (latest.get(r.instanceId)?.repeats ?? 0) + 1 });
    }
    const results = [...latest.values()].map(({ rec: r, repeats }) => {
      const kept = r.output.subarray(Math.max(0, r.output.length - OUTPUT_QUOTA));
      return {
        InvokeId: r.invokeId,
        InstanceId: r.instanceId,
        InvocationStatus: r.status,
        InvokeRecordStatus: ['Running', 'Stopping'].includes(r.status) ? 'Running' : 'Finished',
        ExitCode: r.exitCode,
        ErrorCode: r.errorCode,
        ErrorInfo: r.errorInfo,
        Output: plain ? kept.toString('utf8') : kept.toString('base64'),
        Dropped: r.output.length - kept.length,
        StartTime: r.startTime,
        FinishedTime: r.finishedTime,
        Repeats: repeats,
      };
    });
    return {
      body: {
        Invocation: {
          InvocationResults: { InvocationResult: results },
          TotalCount: results.length,
          PageSize: 50,
          PageNumber: 1,
        },
      },
    };
  }

  /** The commands (filtered by InvokeId, RepeatMode, CommandName), newest first, paged. */
  private describeInvocations(p: Record<string, string>): Answer {
    const size = Math.min(Math.max(Number(p.PageSize ?? 10), 1), 50);
    const page = Math.max(Number(p.PageNumber ?? 1), 1);
    const matching = this.book.all
      .filter(
        (i) =>
          (!p.InvokeId || i.invokeId === p.InvokeId) &&
          (!p.RepeatMode || i.repeatMode === p.RepeatMode) &&
          (!p.CommandName || i.name === p.CommandName) &&
          (!p.InstanceId || i.instanceIds.includes(p.InstanceId)),
      )
      .reverse();
    const runs = (i: (typeof matching)[number], id: string) =>
      this.invocations.filter((r) => r.invokeId === i.invokeId && r.instanceId === id);
    const status = (i: (typeof matching)[number]) =>
      i.stopped
        ? 'Stopped'
        : i.repeatMode === 'Period' && i.nextMs !== undefined
          ? 'Pending'
          : this.invocations.some((r) => r.invokeId === i.invokeId && r.status === 'Running')
            ? 'Running'
            : 'Finished';
    return {
      body: {
        Invocations: {
          Invocation: matching.slice((page - 1) * size, page * size).map((i) => ({
            InvokeId: i.invokeId,
            CommandName: i.name,
            RepeatMode: i.repeatMode,
            Frequency: i.frequency,
            Timed: i.repeatMode === 'Period',
            InvocationStatus: status(i),
            CreationTime: new Date(i.createdMs).toISOString().replace(/\.\d+Z$/, 'Z'),
            InvokeInstances: {
              InvokeInstance: i.instanceIds.map((id) => ({
                InstanceId: id,
                Repeats: runs(i, id).length,
                InvocationStatus: runs(i, id).at(-1)?.status ?? 'Pending',
              })),
            },
          })),
        },
        TotalCount: matching.length,
        PageSize: size,
        PageNumber: page,
      },
    };
  }
}

/**
 * The documented limits of RunCommand's parameters (the ECS SDK's RunCommandRequest and the
 * Cloud Assistant documentation): what the service refuses, the emulator refuses.
 */
function runCommandLimits(p: Record<string, string>): [string, string] | undefined {
  const chars = (v: string | undefined) => [...(v ?? '')].length;
  if (!chars(p.Name) || chars(p.Name) > 128)
    return ['InvalidParameter.Name', `Name must be 1 to 128 characters, not ${chars(p.Name)}.`];
  if (chars(p.Description) > 512)
    return ['InvalidParameter.Description', 'Description must be at most 512 characters.'];
  if (Buffer.byteLength(p.CommandContent ?? '') > 18 * 1024)
    return ['InvalidParameter.CommandContent', 'CommandContent must be at most 18 KB (Base64).'];
  const timeout = Number(p.Timeout ?? 60);
  if (!Number.isInteger(timeout) || timeout < 1 || timeout > 86400)
    return ['InvalidParameter.Timeout', `Timeout must be 1 to 86400 seconds, not ${p.Timeout}.`];
  return undefined;
}
