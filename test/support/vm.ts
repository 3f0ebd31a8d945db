// The guest VM suite's side of the cloud in a box (tools/vm/machine.ts): an operator speaking
// RunCommand to the region, and what the tests read of the pools' groups and disk images.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ecsClient } from '../../src/cloud/client.js';
import { FleetCloud, FINAL, type InvocationResult } from '../../src/fleet/cloud.js';
import { Region, type Instance } from '../../tools/emulator/region.js';

/** An operator's view of the region: RunCommand and its results, as `fleet run` makes them. */
export class Operator {
  readonly cloud: FleetCloud;

  constructor(readonly region: Region) {
    const key = region.sts.issueAccessKey();
    const api = ecsClient({
      endpoint: region.url,
      credentials: () =>
        Promise.resolve({ ...key, securityToken: '', expiration: '2999-01-01T00:00:00Z' }),
      timeoutMs: 10_000,
    });
    this.cloud = new FleetCloud(api, region.regionId);
  }

  /** Runs `content` on the instance (RunShellScript) and waits for its final result. */
  async run(
    i: Instance,
    content: string,
    timeoutS = 300,
  ): Promise<InvocationResult & { text: string }> {
    const invokeId = await this.cloud.runCommand([i.id], content, timeoutS, 'vm-test');
    // The guest enforces the timeout; a guest that died never answers: give up a minute later.
    const until = Date.now() + (timeoutS + 60) * 1000;
    for (;;) {
      const [r] = await this.cloud.results(invokeId);
      if (r && FINAL.has(r.InvocationStatus))
        return { ...r, text: Buffer.from(r.Output ?? '', 'base64').toString('utf8') };
      if (Date.now() > until)
        throw new Error(`no result from ${i.id} ${timeoutS + 60} s after RunCommand: ${content}`);
      await new Promise((res) => setTimeout(res, 250));
    }
  }

  /** Starts `content` on the instance; returns the invocation id (results() to follow it). */
  start(i: Instance, content: string, timeoutS = 300): Promise<string> {
    return this.cloud.runCommand([i.id], content, timeoutS, 'vm-test');
  }
}

/** A group as the pool stores it (group.json): its snapshots, their disks and tags. */
export interface StoredGroup {
  readonly id: string;
  readonly name: string;
  readonly status: string;
  readonly snapshots: { id: string; diskId: string; tags: Record<string, string> }[];
}

export function readGroup(pool: string, groupId: string): StoredGroup {
  return JSON.parse(
    readFileSync(join(pool, 'groups', groupId, 'group.json'), 'utf8'),
  ) as StoredGroup;
}

export function listGroups(pool: string): StoredGroup[] {
  const dir = join(pool, 'groups');
  return existsSync(dir) ? readdirSync(dir).map((id) => readGroup(pool, id)) : [];
}

/** Whether an ext4 image has a journal to replay (a frozen ext4 has none: freeze flushes it). */
export function ext4NeedsRecovery(file: string): boolean {
  const r = spawnSync('dumpe2fs', ['-h', file], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`dumpe2fs ${file}: ${r.stderr}`);
  return /needs_recovery/.test(r.stdout);
}

export {
  DiskStore,
  Guest,
  guestImage,
  online,
  type CloudDisk,
  type GuestImage,
} from '../../tools/vm/machine.js';
