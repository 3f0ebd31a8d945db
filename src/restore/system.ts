// The machine behind RemountDeps: /proc, sysfs, util-linux's umount and mount.
import { closeSync, constants, openSync, readFileSync } from 'node:fs';
import type { SnapshotEngine } from '../engines/types.js';
import { SysBlock } from '../system/blockdev.js';
import { openersOf } from '../system/openers.js';
import { systemRunner, type Runner } from '../system/runner.js';
import type { RemountDeps } from './remount.js';

export function systemRemountDeps(
  engine: SnapshotEngine,
  runner: Runner = systemRunner,
): RemountDeps {
  const sys = new SysBlock();
  const must = async (tool: string, args: string[]) => {
    const r = await runner.run(tool, args, { timeoutMs: 60_000 });
    if (r.exitCode !== 0) throw new Error(r.stderr.trim() || `${tool} exited ${r.exitCode}`);
  };
  return {
    engine,
    mountinfo: () => readFileSync('/proc/self/mountinfo', 'utf8'),
    stackedDevs: (device) => sys.stackedDevs(device.replace(/^\/dev\//, '')),
    devOf: (node) => sys.devOfNode(node),
    openers: (devs) => openersOf(devs),
    umount: (mountPoint) => must('umount', [mountPoint]),
    mount: (m, options, bindFrom) =>
      bindFrom
        ? must('mount', ['--bind', '-o', options, bindFrom, m.mountPoint])
        : must('mount', ['-t', m.fsType, '-o', options, m.source, m.mountPoint]),
    unused: (device) => {
      // O_EXCL on a block device: refused (EBUSY) while a filesystem on it is mounted, in any
      // mount namespace.
      try {
        closeSync(openSync(device, constants.O_RDONLY | constants.O_EXCL));
        return true;
      } catch (e) {
        return (e as NodeJS.ErrnoException).code !== 'EBUSY';
      }
    },
  };
}
