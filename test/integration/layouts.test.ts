// The distribution layouts users actually run, each reproduced in a private mount namespace
// around a real snapshot run on lab disks (docs/020_install.md, "Where it runs"). Every case checks the exit code, the
// tags, that the scripts really ran (their own markers) and that nothing stays frozen.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AT_ONCE_MS, expectThawedWithin, requireRoot, TestLab, withJson } from '../support/lab.js';
import { assertNoexec, noexecDir, runInNamespace } from '../support/namespace.js';

/** The environment a systemd service gives the agent: no HOME, short PATH, no TTY. */
const SERVICE_ENV = { PATH: '/usr/bin:/bin' };

function haveLocale(name: string): boolean {
  const r = spawnSync('locale', ['-a'], { encoding: 'utf8' });
  return r.stdout.split('\n').some((l) => l.toLowerCase() === name.toLowerCase());
}

describe.skipIf(!requireRoot())('distribution layouts (private mount namespaces)', () => {
  let lab: TestLab;
  let scripts: { pre: string; post: string; evidence: string };
  beforeAll(async () => {
    lab = await new TestLab().up(3, 'ext4,xfs,btrfs');
  });
  afterAll(async () => {
    await lab?.down();
  });

  /** The vendor's documented scripts: "#!/bin/bash", root, 0700, leaving evidence in `dir`. */
  const vendorScripts = (dir: string, preBody = '') => {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const evidence = join(dir, 'evidence');
    const write = (name: string, role: string) => {
      const path = join(dir, name);
      writeFileSync(
        path,
        `#!/bin/bash\necho "[INFO]: ${role} on $(uname -s)"\necho ${role} >> ${evidence}\n${role === 'pre' ? preBody : ''}`,
      );
      chmodSync(path, 0o700);
      return path;
    };
    return { pre: write('prescript.sh', 'pre'), post: write('postscript.sh', 'post'), evidence };
  };
  const evidence = () =>
    existsSync(scripts.evidence) ? readFileSync(scripts.evidence, 'utf8').trim().split('\n') : [];
  const snapshot = (name: string, o: Parameters<typeof runInNamespace>[1], withScripts = true) =>
    runInNamespace(
      [
        `-Name=${name}`,
        `-Pool=${lab.pool}`,
        '-Engine=local',
        ...(withScripts
          ? [`-PreScriptPath=${scripts.pre}`, `-PostScriptPath=${scripts.post}`]
          : []),
        '--output',
        'json',
      ],
      o,
    ).then(withJson);
  const nothingFrozen = async () => {
    for (const d of lab.state.disks) await expectThawedWithin(d.mountPoint, AT_ONCE_MS);
  };
  const tags = (json: any) =>
    Object.fromEntries(json.Snapshots.map((s: any) => [s.DiskId, s.Tags]));

  it('Debian/Ubuntu: /run noexec, default state directory, #!/bin/bash scripts: AppConsistent', async () => {
    scripts = vendorScripts(join(lab.root, 'scripts'));
    const r = await snapshot('debian1', {
      setup: ['mount -t tmpfs -o nodev,noexec,nosuid,mode=755 tmpfs /run', ...assertNoexec('/run')],
      env: {
        ...SERVICE_ENV,
        APP_SNAPSHOT_LOG_DIR: lab.logDir,
        APP_SNAPSHOT_DATA_DIR: lab.env.APP_SNAPSHOT_DATA_DIR,
      },
    });
    expect(r.stderr).not.toMatch(/EACCES/);
    expect(r.json?.ExitCode, r.stderr).toBe(0);
    expect(r.json.Consistency).toBe('AppConsistent');
    expect(Object.values(tags(r.json))).toEqual(Array(3).fill({ AppConsistent: 'True' }));
    expect(evidence()).toEqual(['pre', 'post']);
    await nothingFrozen();
  });

  it('CIS-hardened: /tmp, /var/tmp and /run noexec, scripts in /tmp, state directory on /tmp: AppConsistent', async () => {
    expect(lab.root.startsWith('/tmp/')).toBe(true); // the vendor's documented place
    scripts = vendorScripts(join(lab.root, 'scripts'));
    const r = await snapshot('cis1', {
      setup: [
        ...noexecDir('/tmp'),
        'mkdir -p /var/tmp',
        ...noexecDir('/var/tmp'),
        'mount -t tmpfs -o nodev,noexec,nosuid tmpfs /run',
      ],
      env: { ...SERVICE_ENV, ...lab.env },
    });
    expect(r.json?.ExitCode, r.stderr).toBe(0);
    expect(r.json.Consistency).toBe('AppConsistent');
    expect(evidence()).toEqual(['pre', 'post']);
    await nothingFrozen();
  });

  it('Fedora/openSUSE: a btrfs disk mounted only by subvolume is frozen and tagged', async () => {
    scripts = vendorScripts(join(lab.root, 'scripts'));
    const btrfs = lab.state.disks[2]!;
    expect(btrfs.fsType).toBe('btrfs');
    if (!existsSync(join(btrfs.mountPoint, 'root'))) {
      expect(
        spawnSync('btrfs', ['-q', 'subvolume', 'create', join(btrfs.mountPoint, 'root')]).status,
      ).toBe(0);
    }
    const r = await snapshot('fedora1', {
      setup: [
        `umount ${btrfs.mountPoint}`,
        `mount -o subvol=root ${btrfs.device} ${btrfs.mountPoint}`,
      ],
      env: { ...SERVICE_ENV, ...lab.env },
    });
    expect(r.json?.ExitCode, r.stderr).toBe(0);
    expect(r.json.Frozen).toContain(btrfs.mountPoint);
    expect(tags(r.json)[btrfs.id]).toEqual({ AppConsistent: 'True' });
    expect(evidence()).toEqual(['pre', 'post']);
    await nothingFrozen();
  });

  it('container host: a filesystem reachable only through a bind mount of a subdirectory is frozen and tagged', async () => {
    scripts = vendorScripts(join(lab.root, 'scripts'));
    const ext4 = lab.state.disks[0]!;
    mkdirSync(join(ext4.mountPoint, 'volumes/pg'), { recursive: true });
    const via = join(lab.root, 'pod-volume');
    mkdirSync(via, { recursive: true });
    const r = await snapshot('container1', {
      setup: [`mount --bind ${ext4.mountPoint}/volumes/pg ${via}`, `umount ${ext4.mountPoint}`],
      env: { ...SERVICE_ENV, ...lab.env },
    });
    expect(r.json?.ExitCode, r.stderr).toBe(0);
    expect(r.json.Frozen).toContain(via);
    expect(tags(r.json)[ext4.id]).toEqual({ AppConsistent: 'True' });
    await nothingFrozen();
  });

  it('a writable filesystem hidden under another mount cannot be frozen: its snapshot gets no tag, the others do', async () => {
    scripts = vendorScripts(join(lab.root, 'scripts'));
    const [ext4, xfs, btrfs] = lab.state.disks;
    const r = await snapshot('hidden1', {
      setup: [`mount -t tmpfs tmpfs ${xfs!.mountPoint}`],
      env: { ...SERVICE_ENV, ...lab.env },
    });
    expect(r.json?.ExitCode, r.stderr).toBe(0);
    expect(r.json.Frozen).not.toContain(xfs!.mountPoint);
    const t = tags(r.json);
    expect(t[xfs!.id]).toEqual({});
    expect(t[ext4!.id]).toEqual({ AppConsistent: 'True' });
    expect(t[btrfs!.id]).toEqual({ AppConsistent: 'True' });
    expect(r.json.Warnings.join('\n')).toMatch(
      new RegExp(
        `disk ${xfs!.id} has a writable filesystem that cannot be frozen.*hidden under another mount`,
      ),
    );
    await nothingFrozen();
  });

  it('a systemd service environment: env -i, PATH=/usr/bin:/bin, LANG=zh_CN.UTF-8, umask 077: AppConsistent', async () => {
    expect(haveLocale('zh_CN.utf8'), 'CI generates zh_CN.UTF-8 (.ci/run)').toBe(true);
    // A script calling a tool from /usr/sbin (as the vendor's MySQL scripts call mysqladmin
    // from wherever it is) must find it even when the service's PATH lacks it.
    scripts = vendorScripts(join(lab.root, 'scripts'), 'command -v losetup >&2 || exit 41\n');
    const r = await snapshot('service1', {
      setup: [],
      env: { ...SERVICE_ENV, LANG: 'zh_CN.UTF-8', ...lab.env },
      umask: '077',
    });
    expect(r.json?.ExitCode, r.stderr).toBe(0);
    expect(r.json.Consistency).toBe('AppConsistent');
    expect(evidence()).toEqual(['pre', 'post']);
    await nothingFrozen();
  });

  it('LANG=zh_CN.UTF-8: thawing what is not frozen is harmless, `thaw` exits 0', async () => {
    expect(haveLocale('zh_CN.utf8'), 'CI generates zh_CN.UTF-8 (.ci/run)').toBe(true);
    // A marker left by a dead run, listing a filesystem that is not frozen.
    const dead = spawnSync('true').pid!;
    writeFileSync(
      join(lab.stateDir, 'frozen.json'),
      JSON.stringify({
        agentPid: dead,
        agentStart: '1',
        watchdogPid: undefined,
        mounts: [lab.mount(0)],
        fsfreeze: '/usr/sbin/fsfreeze',
        createdAt: new Date().toISOString(),
      }),
    );
    const r = await runInNamespace(['thaw'], {
      setup: [],
      env: { ...SERVICE_ENV, LANG: 'zh_CN.UTF-8', LANGUAGE: 'zh_CN', ...lab.env },
    });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/already thawed/);
    expect(existsSync(join(lab.stateDir, 'frozen.json'))).toBe(false);
  });
});
