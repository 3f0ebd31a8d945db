// FIFREEZE/FITHAW by ioctl over a fake libc that behaves as the kernel does (EBUSY on a second
// freeze, EINVAL on thawing what is not frozen, ENOENT for a path that does not exist), and
// the watchdog's choice between the ioctl and util-linux's fsfreeze.
import { describe, expect, it } from 'vitest';
import {
  FIFREEZE,
  FITHAW,
  freezeIoctl,
  loadFreezeIoctl,
  rehearseFreezeIoctl,
} from '../../../src/freeze/ioctl.js';
import type { Libc } from '../../../src/system/libc.js';
import { freezeCall } from '../../../src/freeze/watchdog.js';

const STRERROR: Record<number, string> = {
  2: 'No such file or directory',
  16: 'Device or resource busy',
  22: 'Invalid argument',
  25: 'Inappropriate ioctl for device',
  38: 'Function not implemented',
};

/**
 * A kernel with these mount points (and `/plain`, a directory that is no filesystem root);
 * `noIoctl`: ioctl is not implemented at all (ENOSYS), as under qemu-user for FIFREEZE.
 */
function fakeKernel(mounts: string[], noIoctl = false) {
  const frozen = new Set<string>();
  const open = new Map<number, string>();
  const calls: string[] = [];
  let errno = 0;
  let nextFd = 3;
  const libc: Libc = {
    open(path, flags) {
      calls.push(`open ${path} ${flags.toString(8)}`);
      if (!mounts.includes(path) && path !== '/plain') return ((errno = 2), -1);
      open.set(nextFd, path);
      return nextFd++;
    },
    ioctl(fd, request) {
      const path = open.get(fd);
      calls.push(`ioctl ${path} ${request.toString(16)}`);
      if (noIoctl) return ((errno = 38), -1);
      if (!path || !mounts.includes(path)) return ((errno = 25), -1);
      if (request === FIFREEZE) {
        if (frozen.has(path)) return ((errno = 16), -1);
        frozen.add(path);
        return 0;
      }
      if (request === FITHAW) {
        if (!frozen.delete(path)) return ((errno = 22), -1);
        return 0;
      }
      return ((errno = 25), -1);
    },
    close(fd) {
      calls.push(`close ${open.get(fd)}`);
      open.delete(fd);
      return 0;
    },
    errno: () => errno,
    strerror: (e) => STRERROR[e] ?? `errno ${e}`,
  };
  return { libc, frozen, open, calls };
}

describe('FIFREEZE/FITHAW by ioctl', () => {
  it('freezes and thaws the mount it is given, opening it read-only and closing it each time', () => {
    const k = fakeKernel(['/a', '/b']);
    const call = freezeIoctl(k.libc);
    expect(call('freeze', '/a')).toEqual({
      ok: true,
      notFrozen: false,
      alreadyFrozen: false,
      error: '',
    });
    expect([...k.frozen]).toEqual(['/a']);
    expect(call('thaw', '/a').ok).toBe(true);
    expect(k.frozen.size).toBe(0);
    // O_RDONLY | O_CLOEXEC, as fsfreeze opens it (plus close-on-exec: no child inherits it).
    expect(k.calls).toEqual([
      'open /a 2000000',
      'ioctl /a c0045877',
      'close /a',
      'open /a 2000000',
      'ioctl /a c0045878',
      'close /a',
    ]);
    expect(k.open.size).toBe(0);
  });

  it("reports someone else's freeze (EBUSY) and a thaw of what is not frozen (EINVAL) as fsfreeze's are", () => {
    const k = fakeKernel(['/a']);
    const call = freezeIoctl(k.libc);
    call('freeze', '/a');
    expect(call('freeze', '/a')).toEqual({
      ok: false,
      notFrozen: false,
      alreadyFrozen: true,
      error: '/a: freeze failed: Device or resource busy',
    });
    call('thaw', '/a');
    expect(call('thaw', '/a')).toEqual({
      ok: false,
      notFrozen: true,
      alreadyFrozen: false,
      error: '/a: thaw failed: Invalid argument',
    });
    expect(k.open.size).toBe(0);
  });

  it('a path that cannot be opened or is no filesystem root fails with its errno, nothing left open', () => {
    const k = fakeKernel(['/a']);
    const call = freezeIoctl(k.libc);
    expect(call('freeze', '/gone')).toMatchObject({
      ok: false,
      alreadyFrozen: false,
      error: '/gone: cannot open: No such file or directory',
    });
    expect(call('thaw', '/gone')).toMatchObject({ ok: false, notFrozen: false });
    expect(call('freeze', '/plain').error).toBe(
      '/plain: freeze failed: Inappropriate ioctl for device',
    );
    expect(k.calls.filter((c) => c.startsWith('close'))).toEqual(['close /plain']);
    expect(k.open.size).toBe(0);
  });

  it('the watchdog uses the ioctl where there is one, in the shape of fsfreeze, and the tool otherwise', async () => {
    const k = fakeKernel(['/a']);
    const tool = async () => ({
      ok: false,
      notFrozen: false,
      alreadyFrozen: false,
      error: 'the tool ran',
      timedOut: false,
    });
    const withIoctl = freezeCall(freezeIoctl(k.libc), tool);
    expect(withIoctl.freezeWith()).toBe('ioctl');
    expect(await withIoctl.fsfreeze('/sbin/fsfreeze', 'freeze', '/a', 1000)).toEqual({
      ok: true,
      notFrozen: false,
      alreadyFrozen: false,
      error: '',
      timedOut: false,
    });
    expect([...k.frozen]).toEqual(['/a']);
    const without = freezeCall(undefined, tool);
    expect(without.freezeWith()).toBe('fsfreeze');
    expect((await without.fsfreeze('/sbin/fsfreeze', 'thaw', '/a', 1000)).error).toBe(
      'the tool ran',
    );
  });

  it('a system without the ioctl (ENOSYS, qemu-user) falls back to fsfreeze from then on, and says so', async () => {
    const k = fakeKernel(['/a'], true);
    expect(freezeIoctl(k.libc)('freeze', '/a')).toMatchObject({ ok: false, unsupported: true });
    k.calls.length = 0;
    const toolCalls: string[] = [];
    const tool = async (bin: string, action: 'freeze' | 'thaw', mount: string) => {
      toolCalls.push(`${bin} ${action} ${mount}`);
      return { ok: true, notFrozen: false, alreadyFrozen: false, error: '', timedOut: false };
    };
    const call = freezeCall(freezeIoctl(k.libc), tool);
    expect(call.freezeWith()).toBe('ioctl');
    expect((await call.fsfreeze('/sbin/fsfreeze', 'freeze', '/a', 1000)).ok).toBe(true);
    expect(await call.fsfreeze('/sbin/fsfreeze', 'thaw', '/a', 1000)).not.toHaveProperty(
      'unsupported',
    );
    expect(call.freezeWith()).toBe('fsfreeze');
    expect(toolCalls).toEqual(['/sbin/fsfreeze freeze /a', '/sbin/fsfreeze thaw /a']);
    // The ioctl was tried once, not again after the fallback.
    expect(k.calls.filter((c) => c.startsWith('ioctl'))).toHaveLength(1);
  });

  it('the rehearsal calls open, ioctl and close once each and freezes or thaws nothing, even with / frozen by someone else', () => {
    const k = fakeKernel(['/']);
    k.frozen.add('/');
    rehearseFreezeIoctl(k.libc);
    expect([...k.frozen]).toEqual(['/']);
    expect(k.calls).toEqual([
      'open  2000000', // "" fails: the error path
      `ioctl undefined ${FITHAW.toString(16)}`, // no descriptor
      'open / 2000000',
      'close /',
    ]);
    expect(k.open.size).toBe(0);
  });

  it('is not loaded under Node, nor when APP_SNAPSHOT_FREEZE_WITH=fsfreeze asks for the tool', () => {
    expect(process.versions.bun).toBeUndefined();
    expect(loadFreezeIoctl({})).toBeUndefined();
    expect(loadFreezeIoctl({ APP_SNAPSHOT_FREEZE_WITH: 'fsfreeze' })).toBeUndefined();
  });
});
