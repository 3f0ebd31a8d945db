#!/usr/bin/env node
// npm run emulator: the ECS API and metadata emulator on loopback, until Ctrl-C.
//   (default)        one instance over an existing lab (lab up first); prints the agent's env
//   --instances N    a region of N instances, each with its own new 2-disk lab under
//                    --root (default /var/lib/app-snapshot-plugin/fleet), Cloud Assistant
//                    included; writes the operator's credentials to <root>/operator.env (0600)
//                    and prints how to run `fleet run` against it. Ctrl-C removes the labs.
//   --vm             one instance that is a Debian guest VM under QEMU (tools/vm/machine.ts:
//                    the guest image is built on first use), our deb installed in it; prints
//                    how to run `fleet run` against it. Ctrl-C powers it off and removes it.
//   --faults, --apps, --env: every instance's or one instance's (K:) faults and agent settings
//                    (tools/emulator/options.ts); a bad argument or fault is exit 2.
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Lab } from '../../src/lab/lab.js';
import { DEFAULT_LAB_ROOT } from '../../src/system/paths.js';
import { systemRunner } from '../../src/system/runner.js';
import { parseEmulatorArgs, UsageError, type EmulatorOptions } from './options.js';
import { Region } from './region.js';
import { Emulator } from './server.js';
import { DiskStore, Guest, guestImage, online } from '../vm/machine.js';

let o: EmulatorOptions;
try {
  o = parseEmulatorArgs(process.argv.slice(2));
} catch (e) {
  if (!(e instanceof UsageError)) throw e;
  process.stderr.write(`emulator: ${e.message}\n`);
  process.exit(2);
}

async function single(): Promise<void> {
  const root = o.root ?? DEFAULT_LAB_ROOT;
  const lab = new Lab(systemRunner, root).status();
  if (!lab) {
    process.stderr.write(`no lab at ${root}: run 'app-snapshot-plugin lab up' first\n`);
    process.exitCode = 1;
    return;
  }
  const emulator = new Emulator({
    pool: lab.pool,
    byIdDir: join(root, 'by-id'),
    faults: o.faultsFor(1),
  });
  const url = await emulator.start(o.port);
  process.stdout.write(
    [
      `export APP_SNAPSHOT_METADATA_URL=${url}`,
      `export APP_SNAPSHOT_ECS_ENDPOINT=${url}`,
      `export APP_SNAPSHOT_DISK_BY_ID_DIR=${join(root, 'by-id')}`,
      `export APP_SNAPSHOT_RAM_ROLE=${emulator.roleName}`,
      ...Object.entries(o.envFor(1)).map(([k, v]) => `export ${k}=${JSON.stringify(v)}`),
      `# instance ${emulator.instanceId} in ${emulator.regionId}; then, in another shell:`,
      `#   app-snapshot-plugin -Engine=ecs -RamRoleName=${emulator.roleName} -Name=cloud1`,
      '',
    ].join('\n'),
  );
  const stop = () => void emulator.stop(); // the server closed, the process ends
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

async function region(n: number): Promise<void> {
  const root = o.root ?? '/var/lib/app-snapshot-plugin/fleet';
  const labs: Lab[] = [];
  const instances = [];
  for (let k = 1; k <= n; k++) {
    const lab = new Lab(systemRunner, join(root, `instance-${k}`, 'lab'));
    labs.push(lab);
    const state = await lab.up({
      root: lab.root,
      disks: 2,
      sizeBytes: 320 * 2 ** 20,
      fsTypes: ['ext4', 'xfs'],
      quota: 64,
    });
    const base = join(root, `instance-${k}`);
    mkdirSync(join(base, 'state'), { recursive: true, mode: 0o700 });
    instances.push({
      pool: state.pool,
      byIdDir: join(base, 'by-id'),
      stateDir: join(base, 'state'),
      logDir: join(base, 'logs'),
      name: `instance-${k}`,
      tags: { app: 'demo' },
      env: o.envFor(k),
      faults: o.faultsFor(k),
    });
  }
  const r = new Region({
    agent: [process.execPath, join(import.meta.dirname, '../../../dist/cli/main.js')],
    pluginManager: join(import.meta.dirname, 'acs-plugin-manager.js'),
    instances,
  });
  await r.start(o.port);
  const envFile = operatorEnv(r, root);
  process.stdout.write(
    [
      `# ${n} instances in ${r.regionId}, tagged app=demo: ${r.instances.map((i) => i.id).join(' ')}`,
      '# in another shell:',
      `#   . ${envFile}`,
      `#   node dist/cli/main.js fleet run -InstanceTag=app=demo -Region=${r.regionId} -Name=demo1 -Engine=ecs -RamRoleName=AppSnapshotRoleName`,
      '',
    ].join('\n'),
  );
  const stop = () =>
    void (async () => {
      await r.stop();
      for (const lab of labs) await lab.down();
    })();
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

/** An operator's AccessKey for the region and its endpoint, in a 0600 file to source. */
function operatorEnv(r: Region, dir: string): string {
  const key = r.sts.issueAccessKey();
  const envFile = join(dir, 'operator.env');
  writeFileSync(
    envFile,
    `export ALIBABA_CLOUD_ACCESS_KEY_ID=${key.accessKeyId}\nexport ALIBABA_CLOUD_ACCESS_KEY_SECRET=${key.accessKeySecret}\nexport APP_SNAPSHOT_ECS_ENDPOINT=${r.url}\n`,
    { mode: 0o600 },
  );
  chmodSync(envFile, 0o600);
  return envFile;
}

async function vm(): Promise<void> {
  const image = guestImage();
  const store = new DiskStore();
  const { pool, disks } = store.pool('vm-1', [
    { id: 'd-vmsys000000000001', from: image.root },
    { id: 'd-vmdata00000000002', from: image.data },
  ]);
  const r = new Region({ agent: [], pluginManager: '', instances: [] });
  await r.start(o.port);
  const dir = store.root;
  const inst = await r.addInstance({
    pool,
    ...{ byIdDir: join(dir, 'by-id'), stateDir: dir, logDir: dir },
    guest: true,
    tags: { app: 'vm' },
    env: o.envFor(1),
    faults: o.faultsFor(1),
  });
  const guest = new Guest({
    image,
    disks,
    port: await r.guestListener(inst),
    console: join(dir, 'console.log'),
  });
  const stop = () =>
    void (async () => {
      await guest.kill();
      await r.stop();
      store.destroy();
    })();
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  process.stdout.write(
    `# booting a Debian guest under QEMU (console: ${join(dir, 'console.log')})\n`,
  );
  const ms = await online(inst, guest);
  process.stdout.write(
    [
      `# ${inst.id} in ${r.regionId} is up (${(ms / 1000).toFixed(1)} s); its disks are ${pool}/disks, its groups go to ${pool}/groups`,
      '# in another shell:',
      `#   . ${operatorEnv(r, dir)}`,
      `#   node dist/cli/main.js fleet run -Instances=${inst.id} -Region=${r.regionId} -Name=vm1 -RamRoleName=AppSnapshotRoleName`,
      '',
    ].join('\n'),
  );
}

if (o.mode === 'vm') await vm();
else if (o.mode === 'region') await region(o.instances);
else await single();
