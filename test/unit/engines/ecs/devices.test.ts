import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { deviceForSerial } from '../../../../src/engines/ecs/devices.js';
import { tmp } from '../../../support/tmp.js';

function world() {
  const root = tmp();
  const byIdDir = join(root, 'by-id');
  const sysBlockDir = join(root, 'sys-block');
  mkdirSync(byIdDir);
  mkdirSync(sysBlockDir);
  const dev = (name: string) => {
    const p = join(root, name);
    writeFileSync(p, '');
    return p;
  };
  return { root, byIdDir, sysBlockDir, dev };
}

describe('deviceForSerial', () => {
  it('follows the virtio and NVMe by-id links, never a partition link', () => {
    const w = world();
    symlinkSync(w.dev('vdb'), join(w.byIdDir, 'virtio-bp1abc'));
    symlinkSync(w.dev('vdb1'), join(w.byIdDir, 'virtio-bp1xyz-part1'));
    symlinkSync(
      w.dev('nvme1n1'),
      join(w.byIdDir, 'nvme-Alibaba_Cloud_Elastic_Block_Storage_bp1nvm'),
    );
    expect(deviceForSerial('bp1abc', w)).toBe(join(w.root, 'vdb'));
    expect(deviceForSerial('bp1nvm', w)).toBe(join(w.root, 'nvme1n1'));
    expect(deviceForSerial('bp1xyz', w)).toBeUndefined();
  });
  it('falls back to sysfs serials (virtio and NVMe controller) when udev made no link', () => {
    const w = world();
    mkdirSync(join(w.sysBlockDir, 'vdc'));
    writeFileSync(join(w.sysBlockDir, 'vdc', 'serial'), 'bp1late\n');
    mkdirSync(join(w.sysBlockDir, 'nvme2n1', 'device'), { recursive: true });
    writeFileSync(join(w.sysBlockDir, 'nvme2n1', 'device', 'serial'), 'bp1ctrl  \n');
    expect(deviceForSerial('bp1late', w)).toBe('/dev/vdc');
    expect(deviceForSerial('bp1ctrl', w)).toBe('/dev/nvme2n1');
    expect(deviceForSerial('nothing', w)).toBeUndefined();
  });
});
