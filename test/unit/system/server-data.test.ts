// locateServerData over a directory laid out like /proc: a server's root is a symlink to a
// directory of the test's, its mountinfo a file; st_dev is the real one of that directory.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { devString } from '../../../src/system/blockdev.js';
import { parseMountinfo } from '../../../src/system/mountinfo.js';
import { locateServerData, processesNamed } from '../../../src/system/server-data.js';

let dir: string;
let proc: string;
let dev: string;

/** A process: its comm, a root directory holding `has`, its mount namespace and mountinfo. */
function proc_(
  pid: number,
  comm: string,
  opts: { has?: string; ns?: string; mountinfo?: string; open?: string[]; root?: string },
) {
  const root = opts.root ?? join(dir, `root-${pid}`);
  mkdirSync(join(root, opts.has ?? 'nothing'), { recursive: true });
  mkdirSync(join(proc, String(pid), 'fd'), { recursive: true });
  (opts.open ?? []).forEach((f, i) => symlinkSync(f, join(proc, String(pid), 'fd', String(i + 3))));
  mkdirSync(join(proc, String(pid), 'ns'), { recursive: true });
  writeFileSync(join(proc, String(pid), 'comm'), `${comm}\n`);
  symlinkSync(root, join(proc, String(pid), 'root'));
  symlinkSync(opts.ns ?? 'mnt:[4026531841]', join(proc, String(pid), 'ns', 'mnt'));
  writeFileSync(join(proc, String(pid), 'mountinfo'), opts.mountinfo ?? '');
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'server-data-'));
  proc = join(dir, 'proc');
  mkdirSync(join(proc, 'self', 'ns'), { recursive: true });
  symlinkSync('mnt:[4026531840]', join(proc, 'self', 'ns', 'mnt'));
  dev = devString(statSync(dir).dev);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const ours = () =>
  parseMountinfo(
    [
      '26 1 252:1 / / rw - ext4 /dev/vda rw',
      `40 26 ${dev} / /data rw - xfs /dev/vdb rw`,
      `41 26 ${dev} /srv /srv rw - xfs /dev/vdb rw`,
    ].join('\n'),
  );

describe('locateServerData', () => {
  it('a containerised server: its data directory is placed through its own root and mountinfo, as the bind source on the host', () => {
    proc_(812, 'mariadbd', {
      has: 'var/lib/mysql',
      mountinfo: `600 500 ${dev} /ctr-bind /var/lib/mysql rw - xfs /dev/vdb rw\n700 500 0:90 / / rw - overlay overlay rw`,
    });
    proc_(900, 'bash', { has: 'var/lib/mysql' }); // has the path, is not the server
    const d = locateServerData('/var/lib/mysql', ['mariadbd', 'mysqld'], ours(), proc);
    expect(d).toMatchObject({ pid: 812, container: true, dev, hostPath: '/data/ctr-bind' });
    expect(d.mount?.mountPoint).toBe('/data');
    expect(d.note).toBeUndefined();
  });
  it('a directory below a bind mount of a subdirectory is shown through the mount that shows it', () => {
    proc_(812, 'postgres', {
      has: 'var/lib/postgresql/data',
      mountinfo: `600 500 ${dev} /srv/pg /var/lib/postgresql rw - xfs /dev/vdb rw`,
    });
    const d = locateServerData('/var/lib/postgresql/data', ['postgres'], ours(), proc);
    // The root mount (/data) shows it too, and comes first.
    expect(d.hostPath).toBe('/data/srv/pg/data');
  });
  it('a server in our own mount namespace is not a container', () => {
    proc_(77, 'mysqld', {
      has: 'data/mysql',
      ns: 'mnt:[4026531840]',
      mountinfo: `40 26 ${dev} / /data rw - xfs /dev/vdb rw`,
    });
    const d = locateServerData('/data/mysql', ['mariadbd', 'mysqld'], ours(), proc);
    expect(d).toMatchObject({ pid: 77, container: false, hostPath: '/data/mysql' });
  });
  it('two servers with the directory: the first is used and both are named', () => {
    proc_(5, 'mariadbd', { has: 'var/lib/mysql' });
    proc_(6, 'mariadbd', { has: 'var/lib/mysql' });
    const d = locateServerData('/var/lib/mysql', ['mariadbd'], ours(), proc);
    expect(d.pid).toBe(5);
    expect(d.note).toBe('several processes have /var/lib/mysql (pids 5, 6): pid 5 used');
  });
  it("two containers of one image: the server's host name (the container's /etc/hostname) picks its process", () => {
    proc_(5, 'mariadbd', { has: 'var/lib/mysql' });
    proc_(6, 'mariadbd', { has: 'var/lib/mysql' });
    mkdirSync(join(dir, 'root-5', 'etc'));
    mkdirSync(join(dir, 'root-6', 'etc'));
    writeFileSync(join(dir, 'root-5', 'etc', 'hostname'), 'a1b2c3\n');
    writeFileSync(join(dir, 'root-6', 'etc', 'hostname'), 'd4e5f6\n');
    const d = locateServerData('/var/lib/mysql', ['mariadbd'], ours(), proc, 'd4e5f6');
    expect(d.pid).toBe(6);
    expect(d.note).toBeUndefined();
    // A name neither has: both named, as without one.
    expect(locateServerData('/var/lib/mysql', ['mariadbd'], ours(), proc, 'zz').note).toMatch(
      /pids 5, 6/,
    );
  });
  it('the process holding files open in the directory is the server, not another one that merely sees it', () => {
    proc_(5, 'mariadbd', { has: 'var/lib/mysql' });
    proc_(6, 'mariadbd', { has: 'var/lib/mysql', open: ['/var/lib/mysql/ibdata1', '/dev/null'] });
    const d = locateServerData('/var/lib/mysql', ['mariadbd'], ours(), proc);
    expect(d.pid).toBe(6);
    expect(d.note).toBeUndefined();
  });
  it('processes that all see one directory (host servers, one server of several processes) are not ambiguous', () => {
    const shared = join(dir, 'host-root');
    proc_(8, 'postgres', { has: 'srv/pg', root: shared });
    proc_(9, 'postgres', { has: 'srv/pg', root: shared });
    const d = locateServerData('/srv/pg', ['postgres'], ours(), proc);
    expect(d.pid).toBe(8);
    expect(d.note).toBeUndefined();
  });
  it('no local server process: the path as it is on this host, and says so', () => {
    proc_(5, 'mariadbd', { has: 'elsewhere' });
    const d = locateServerData('/data/mysql', ['mariadbd'], ours(), proc);
    expect(d).toMatchObject({ container: false, dev, hostPath: '/data/mysql' });
    expect(d.pid).toBeUndefined();
    expect(d.note).toMatch(/no local mariadbd process has \/data\/mysql/);
  });
  it('processesNamed matches comm exactly', () => {
    proc_(3, 'mariadbd', {});
    proc_(4, 'mariadbd-safe', {});
    expect(processesNamed(proc, ['mariadbd'])).toEqual([3]);
    expect(processesNamed(join(dir, 'missing'), ['mariadbd'])).toEqual([]);
  });
});
