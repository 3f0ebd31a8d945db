#!/usr/bin/env node
// npm run emulator: the ECS API and metadata emulator over a lab, on loopback, until Ctrl-C.
// Prints the environment that points the agent at it.
import { join } from 'node:path';
import { Lab } from '../../src/lab/lab.js';
import { DEFAULT_LAB_ROOT } from '../../src/system/paths.js';
import { systemRunner } from '../../src/system/runner.js';
import { FAULTS, type Fault } from './faults.js';
import { Emulator } from './server.js';

const args = process.argv.slice(2);
const opt = (name: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const root = opt('root') ?? DEFAULT_LAB_ROOT;
const lab = new Lab(systemRunner, root).status();
if (!lab) {
  process.stderr.write(`no lab at ${root}: run 'app-snapshot-plugin lab up' first\n`);
  process.exitCode = 1;
} else {
  const faults: Partial<Record<Fault, number | boolean>> = {};
  for (const f of (opt('faults') ?? '').split(',').filter(Boolean)) {
    const [name, value] = f.split('=');
    if (!(FAULTS as readonly string[]).includes(name!))
      throw new Error(`unknown fault ${name} (${FAULTS.join(', ')})`);
    faults[name as Fault] = value === undefined ? true : Number(value);
  }
  const emulator = new Emulator({ pool: lab.pool, byIdDir: join(root, 'by-id'), faults });
  const url = await emulator.start(Number(opt('port') ?? 0));
  process.stdout.write(
    [
      `export APP_SNAPSHOT_METADATA_URL=${url}`,
      `export APP_SNAPSHOT_ECS_ENDPOINT=${url}`,
      `export APP_SNAPSHOT_DISK_BY_ID_DIR=${join(root, 'by-id')}`,
      `export APP_SNAPSHOT_RAM_ROLE=${emulator.roleName}`,
      `# instance ${emulator.instanceId} in ${emulator.regionId}; then, in another shell:`,
      `#   app-snapshot-plugin -Engine=ecs -RamRoleName=${emulator.roleName} -Name=cloud1`,
      '',
    ].join('\n'),
  );
  const stop = () => void emulator.stop(); // the server closed, the process ends
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
