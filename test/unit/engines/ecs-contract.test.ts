// The ecs engine through the conformance suite: real HTTP and real signatures, against the
// emulator over a copy-mode pool (no root, no loop devices).
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { ecsClient } from '../../../src/engines/ecs/client.js';
import { EcsEngine } from '../../../src/engines/ecs/engine.js';
import { MetadataClient, RoleCredentials } from '../../../src/engines/ecs/metadata.js';
import { Emulator } from '../../../src/emulator/server.js';
import { describeEngineContract } from '../../contract/engine-contract.js';
import { copyPool } from '../../support/pool.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';

const dir = mkdtempSync(join(tmpdir(), 'asp-ecs-'));
const emulator = new Emulator({ pool: copyPool(dir), byIdDir: join(dir, 'by-id'), progressMs: 50 });
beforeAll(async () => {
  await emulator.start();
});
afterAll(async () => {
  await emulator.stop();
  rmSync(dir, { recursive: true, force: true });
});

describeEngineContract('ecs (emulator, copy-mode pool)', () => {
  const metadata = new MetadataClient({ baseUrl: emulator.url });
  const credentials = new RoleCredentials(metadata, emulator.roleName);
  return new EcsEngine({
    api: ecsClient({
      endpoint: emulator.url,
      credentials: () => credentials.get(),
      timeoutMs: 5000,
    }),
    metadata,
    checkCredentials: () => credentials.get(),
  });
});
