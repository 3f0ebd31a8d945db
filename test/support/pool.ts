import { join } from 'node:path';
import { writeFileSync, mkdirSync } from 'node:fs';
import { Pool } from '../../src/engines/local/pool.js';

/** A pool on any filesystem (copy mode: no reflink needed), with unattached disk images. */
export function copyPool(dir: string, disks = 2, quota = 64): string {
  const pool = new Pool(join(dir, 'pool'));
  mkdirSync(join(pool.dir, 'disks'), { recursive: true });
  const list = Array.from({ length: disks }, (_, i) => {
    const id = `d-unit${i}`;
    writeFileSync(join(pool.dir, 'disks', `${id}.img`), `disk ${i} contents`);
    return { id, image: `disks/${id}.img`, sizeBytes: 16, createdAt: new Date().toISOString() };
  });
  pool.writeConfig({ version: 1, disks: list, maxSnapshotsPerDisk: quota, allowFullCopy: true });
  return pool.dir;
}
