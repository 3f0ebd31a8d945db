// The local engine's clone by ioctl, over a fake libc that keeps the kernel's contract on real
// files: open honours its flags (O_CREAT|O_EXCL creates, or EEXIST), FICLONE copies the source
// descriptor's file into the destination descriptor's, or fails with the errno it is given.
import { closeSync, existsSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bestClone, FICLONE, ioctlClone } from '../../../../src/engines/local/clone.js';
import { O_CREAT, O_EXCL, type Libc } from '../../../../src/system/libc.js';
import { tmp } from '../../../support/tmp.js';

const STRERROR: Record<number, string> = {
  2: 'No such file or directory',
  17: 'File exists',
  38: 'Function not implemented',
  95: 'Operation not supported',
};

/** `cloneErrno`: what FICLONE fails with (0: it clones). */
function fakeKernel(cloneErrno = 0) {
  const paths = new Map<number, string>();
  const calls: string[] = [];
  let errno = 0;
  const libc: Libc = {
    open(path, flags, mode) {
      calls.push(`open ${path}${flags & O_CREAT ? ` create ${mode?.toString(8)}` : ''}`);
      try {
        const create = (flags & O_CREAT) !== 0;
        const fd = openSync(path, create ? ((flags & O_EXCL) !== 0 ? 'wx' : 'w') : 'r', mode);
        paths.set(fd, path);
        return fd;
      } catch (e) {
        errno = (e as { code?: string }).code === 'EEXIST' ? 17 : 2;
        return -1;
      }
    },
    ioctl(fd, request, arg) {
      calls.push(`ioctl ${request.toString(16)}`);
      if (request !== FICLONE || arg === undefined) return ((errno = 25), -1);
      if (cloneErrno) return ((errno = cloneErrno), -1);
      writeFileSync(paths.get(fd)!, readFileSync(paths.get(arg)!));
      return 0;
    },
    close(fd) {
      calls.push('close');
      closeSync(fd);
      paths.delete(fd);
      return 0;
    },
    errno: () => errno,
    strerror: (n) => STRERROR[n] ?? `errno ${n}`,
  };
  return { libc, calls, open: () => paths.size };
}

describe('clone by ioctl (FICLONE)', () => {
  it('creates the clone (0600, never over an existing file), with the source as its argument; closes both', async () => {
    const dir = tmp();
    const [src, dst] = [join(dir, 'disk.img'), join(dir, 'clone.img')];
    writeFileSync(src, 'the disk');
    const k = fakeKernel();
    await ioctlClone(k.libc)(src, dst);
    expect(readFileSync(dst, 'utf8')).toBe('the disk');
    expect(k.calls).toEqual([
      `open ${src}`,
      `open ${dst} create 600`,
      'ioctl 40049409',
      'close',
      'close',
    ]);
    expect(k.open()).toBe(0);
    await expect(ioctlClone(k.libc)(src, dst)).rejects.toThrow(`cannot create ${dst}: File exists`);
    expect(readFileSync(dst, 'utf8')).toBe('the disk');
  });

  it('a filesystem that cannot clone: the error names the image, carries errno, and no clone is left', async () => {
    const dir = tmp();
    const [src, dst] = [join(dir, 'disk.img'), join(dir, 'clone.img')];
    writeFileSync(src, 'the disk');
    const k = fakeKernel(95);
    const e = await ioctlClone(k.libc)(src, dst).catch((x: unknown) => x);
    expect(e).toMatchObject({ message: `FICLONE ${src}: Operation not supported`, errno: 95 });
    expect(existsSync(dst)).toBe(false);
    expect(k.open()).toBe(0);
  });

  it('a missing image: said, nothing created', async () => {
    const dir = tmp();
    const k = fakeKernel();
    await expect(ioctlClone(k.libc)(join(dir, 'none'), join(dir, 'c'))).rejects.toThrow(
      /cannot open .*none: No such file or directory/,
    );
    expect(existsSync(join(dir, 'c'))).toBe(false);
  });
});

describe('bestClone', () => {
  const recording = () => {
    const used: string[] = [];
    return { used, clone: async (src: string, dst: string) => void used.push(`${src}>${dst}`) };
  };

  it('without libc (Node): the fallback', async () => {
    const f = recording();
    await bestClone(undefined, f.clone)('a', 'b');
    expect(f.used).toEqual(['a>b']);
  });

  it('the ioctl where it works; where the system call is not there (ENOSYS, qemu-user), the fallback from then on', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'disk.img'), 'x');
    const f = recording();
    const works = fakeKernel();
    await bestClone(works.libc, f.clone)(join(dir, 'disk.img'), join(dir, 'c1'));
    expect([f.used, existsSync(join(dir, 'c1'))]).toEqual([[], true]);
    const absent = fakeKernel(38);
    const clone = bestClone(absent.libc, f.clone);
    await clone(join(dir, 'disk.img'), join(dir, 'c2'));
    await clone(join(dir, 'disk.img'), join(dir, 'c3'));
    expect(f.used).toEqual([
      `${join(dir, 'disk.img')}>${join(dir, 'c2')}`,
      `${join(dir, 'disk.img')}>${join(dir, 'c3')}`,
    ]);
    // The ioctl was tried once only.
    expect(absent.calls.filter((c) => c.startsWith('ioctl'))).toHaveLength(1);
  });

  it('a filesystem that cannot clone is an error, not a reason to copy', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'disk.img'), 'x');
    const f = recording();
    await expect(
      bestClone(fakeKernel(95).libc, f.clone)(join(dir, 'disk.img'), join(dir, 'c')),
    ).rejects.toThrow(/Operation not supported/);
    expect(f.used).toEqual([]);
  });
});
