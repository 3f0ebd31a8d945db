// Cloud disk -> guest block device, through the disk's serial number (DescribeDisks'
// SerialNumber, or the disk id without "d-"): the udev by-id links first, then sysfs.
import { readdirSync, readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';

export interface DeviceLookup {
  readonly byIdDir: string;
  readonly sysBlockDir: string;
}

export const DEFAULT_LOOKUP: DeviceLookup = {
  byIdDir: '/dev/disk/by-id',
  sysBlockDir: '/sys/block',
};

function list(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
}

export function deviceForSerial(
  serial: string,
  o: DeviceLookup = DEFAULT_LOOKUP,
): string | undefined {
  if (!serial) return undefined;
  const names = [`virtio-${serial}`, `nvme-Alibaba_Cloud_Elastic_Block_Storage_${serial}`];
  const entries = list(o.byIdDir);
  // Exact links first, then any link naming the serial (never a partition link).
  const hit =
    names.find((n) => entries.includes(n)) ??
    entries.find((n) => n.includes(serial) && !/-part\d+$/.test(n));
  if (hit) {
    try {
      return realpathSync(join(o.byIdDir, hit));
    } catch {
      // dangling link: try sysfs
    }
  }
  // udev may not have made the link yet (kernels before 4.20): read the serials.
  for (const dev of list(o.sysBlockDir)) {
    const s =
      read(join(o.sysBlockDir, dev, 'serial')) ?? read(join(o.sysBlockDir, dev, 'device/serial'));
    if (s === serial) return `/dev/${dev}`;
  }
  return undefined;
}
