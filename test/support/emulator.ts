import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { Emulator, type EmulatorOptions } from '../../tools/emulator/server.js';
import { ecsClient } from '../../src/cloud/client.js';
import { MetadataClient, RoleCredentials } from '../../src/cloud/metadata.js';
import { EcsEngine } from '../../src/engines/ecs/engine.js';
import { TestLab } from './lab.js';
import { copyPool } from './pool.js';

/**
 * An emulator over a copy-mode pool (no root, no loop devices), started before the file's
 * tests and stopped, with its directory removed, after them.
 */
export function emulatorForThisFile(o: Partial<EmulatorOptions> = {}): Emulator {
  const dir = mkdtempSync(join(tmpdir(), 'asp-emu-'));
  const emulator = new Emulator({ pool: copyPool(dir), byIdDir: join(dir, 'by-id'), ...o });
  beforeAll(async () => {
    await emulator.start();
  });
  afterAll(async () => {
    await emulator.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  return emulator;
}

/** The environment that points the agent at `emulator` for a lab (its by-id links included). */
export function agentEnvFor(
  emulator: Emulator,
  lab: { env: NodeJS.ProcessEnv; root: string },
): NodeJS.ProcessEnv {
  return {
    ...lab.env,
    APP_SNAPSHOT_METADATA_URL: emulator.url,
    APP_SNAPSHOT_ECS_ENDPOINT: emulator.url,
    APP_SNAPSHOT_DISK_BY_ID_DIR: emulatorByIdDir(lab),
  };
}

/** Where the emulator makes the virtio-<serial> links for a lab. */
export function emulatorByIdDir(lab: { root: string }): string {
  return join(lab.root, 'by-id');
}

/**
 * A real two-disk lab (root, loop devices) with the emulator over it as its cloud, made before
 * the file's tests and removed after them. Read `lab` and `emulator` once the hooks have run.
 */
export function cloudLabForThisFile(): { lab: TestLab; emulator: Emulator } {
  const world = {} as { lab: TestLab; emulator: Emulator };
  beforeAll(async () => {
    world.lab = await new TestLab().up(2);
    world.emulator = new Emulator({
      pool: world.lab.pool,
      byIdDir: emulatorByIdDir(world.lab),
      progressMs: 300,
    });
    await world.emulator.start();
  });
  afterAll(async () => {
    await world.emulator?.stop();
    await world.lab?.down();
  });
  return world;
}

/** The ecs engine and its signed API, pointed at `emulator` (its instance, its RAM role). */
export function ecsOn(emulator: Emulator) {
  const metadata = new MetadataClient({ baseUrl: emulator.url });
  const credentials = new RoleCredentials(metadata, emulator.roleName);
  const api = ecsClient({
    endpoint: emulator.url,
    credentials: () => credentials.get(),
    timeoutMs: 5000,
  });
  const engine = new EcsEngine({ api, metadata, checkCredentials: () => credentials.get() });
  return { metadata, api, engine };
}
