// An emulated region whose instances each snapshot a lab of their own, for one test file:
// labs up and the region started before its tests; the region stopped, the labs down and the
// file's directory removed after them.
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { Region, type InstanceOptions } from '../../tools/emulator/region.js';
import { agentArgv, TestLab } from './lab.js';
import { STAND_IN } from './operator.js';

export interface LabRegion {
  readonly region: Region;
  readonly labs: readonly TestLab[];
  /** The file's own directory (the operator's HOME, scripts). */
  readonly dir: string;
  /** An AccessKey the region issued. */
  readonly operator: { accessKeyId: string; accessKeySecret: string };
}

export function labRegionForThisFile(o: {
  /** One disk spec per instance: [disks, filesystems] as TestLab.up takes them. */
  readonly instances: readonly (readonly [number, string])[];
  readonly instance: (i: number) => Partial<InstanceOptions>;
  readonly prefix: string;
}): LabRegion {
  const f = { labs: [] as TestLab[] } as { -readonly [K in keyof LabRegion]: LabRegion[K] } & {
    labs: TestLab[];
  };
  beforeAll(async () => {
    for (const [disks, fs] of o.instances) f.labs.push(await new TestLab().up(disks, fs));
    f.dir = mkdtempSync(`/tmp/${o.prefix}`);
    f.region = new Region({
      agent: agentArgv(),
      pluginManager: STAND_IN,
      instances: f.labs.map((lab, i) => ({
        pool: lab.pool,
        byIdDir: join(lab.root, 'by-id'),
        stateDir: lab.stateDir,
        logDir: lab.logDir,
        ...o.instance(i),
      })),
    });
    await f.region.start();
    f.operator = f.region.sts.issueAccessKey();
  });
  afterAll(async () => {
    await f.region?.stop();
    for (const l of f.labs) await l.down();
    if (f.dir) rmSync(f.dir, { recursive: true, force: true });
  });
  return f;
}
