// Who holds a filesystem open (src/system/openers.ts), over a /proc of our own whose links point
// at real files, so that stat follows them as it does under the real /proc.
import { mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { devString } from '../../../src/system/blockdev.js';
import { openersOf } from '../../../src/system/openers.js';

describe('devString', () => {
  it("decodes Linux's dev_t as mountinfo writes it, large minors included", () => {
    expect(devString(8 * 256 + 17)).toBe('8:17');
    // makedev(259, 300): minor's high bits above bit 20
    expect(devString(44 | (259 << 8) | (256 << 12))).toBe('259:300');
    expect(devString(0x33)).toBe('0:51');
  });
});

describe('openersOf', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('finds cwd, open files and mappings on the devices asked about; skips itself, others and non-processes', () => {
    dir = mkdtempSync(join(tmpdir(), 'asp-openers-'));
    const data = join(dir, 'data');
    mkdirSync(data);
    writeFileSync(join(data, 'ibdata1'), 'x');
    const dev = devString(statSync(data).dev);
    const [major, minor] = dev.split(':').map(Number);
    const proc = join(dir, 'proc');
    const pid = (
      n: number,
      o: { cwd: string; fds?: Record<string, string>; comm: string; maps?: string },
    ) => {
      const p = join(proc, String(n));
      mkdirSync(join(p, 'fd'), { recursive: true });
      symlinkSync(o.cwd, join(p, 'cwd'));
      for (const [fd, target] of Object.entries(o.fds ?? {}))
        symlinkSync(target, join(p, 'fd', fd));
      writeFileSync(join(p, 'comm'), `${o.comm}\n`);
      writeFileSync(join(p, 'maps'), o.maps ?? '');
    };
    const hex = (n: number) => n.toString(16).padStart(2, '0');
    pid(100, {
      cwd: data,
      fds: { '0': '/dev/null', '7': join(data, 'ibdata1'), '9': 'socket:[123]' },
      comm: 'mariadbd',
      maps: `7f00-7f01 r--p 00000000 ${hex(major!)}:${hex(minor!)} 42 ${join(data, 'plugin.so')}\n7f01-7f02 rw-p 00000000 00:00 0\n`,
    });
    pid(101, { cwd: '/proc', comm: 'bash' }); // elsewhere
    pid(102, { cwd: data, comm: 'self' }); // the one asking
    mkdirSync(join(proc, 'sys'));
    const found = openersOf(new Set([dev]), 102, proc);
    expect(found).toEqual([
      {
        pid: 100,
        command: 'mariadbd',
        uses: [`cwd ${data}`, `fd 7 ${join(data, 'ibdata1')}`, `mmap ${join(data, 'plugin.so')}`],
      },
    ]);
    expect(openersOf(new Set(['1:2']), 102, proc)).toEqual([]);
  });
});
