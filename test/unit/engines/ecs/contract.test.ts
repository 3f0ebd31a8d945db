// The ecs engine through the conformance suite: real HTTP and real signatures, against the
// emulator over a copy-mode pool (no root, no loop devices).
import { ecsClient } from '../../../../src/cloud/client.js';
import { EcsEngine } from '../../../../src/engines/ecs/engine.js';
import { MetadataClient, RoleCredentials } from '../../../../src/cloud/metadata.js';
import { describeEngineContract } from '../../../contract/engine-contract.js';
import { emulatorForThisFile } from '../../../support/emulator.js';

const emulator = emulatorForThisFile({ progressMs: 50 });

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
