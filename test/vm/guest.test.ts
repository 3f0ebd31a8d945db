// End to end in a real Debian guest: the agent, installed from our deb, freezes the guest's own
// root filesystem and its XFS data disk while the emulated cloud clones the guest's disk images
// from outside (test/support/vm.ts). Commands reach the guest only as RunCommand does.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeSync, mkdtempSync, openSync, rmSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { Region, type Instance } from '../../tools/emulator/region.js';
import { requireRoot } from '../support/lab.js';
import { operatorCli } from '../support/operator.js';
import {
  DiskStore,
  ext4NeedsRecovery,
  Guest,
  guestImage,
  online,
  Operator,
  listGroups,
  readGroup,
  type CloudDisk,
  type GuestImage,
} from '../support/vm.js';
import { backgroundRun, MARIADB_UP, SCRIPTS, WRITER_START, WRITER_STOP } from './guest-scripts.js';

const VENDOR_COMMAND =
  'acs-plugin-manager --exec --plugin app-snapshot-plugin --params=-RamRoleName="AppSnapshotRoleName",-InstantAccess=true,-EnableFsFreeze=true,-TimeoutInSeconds=30,-PreScriptPath="/tmp/prescript.sh",-PostScriptPath="/tmp/postscript.sh",-InstantAccessRetentionDays=1,-ExcludeDiskId="",-Name="LinuxApp1"';

const SYS = 'd-vmsys000000000001';
const DATA = 'd-vmdata00000000002';
const BTRFS = 'd-vmbtrfs0000000003';

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** The guest-clock freeze window of a vendor log: "Freeze filesystems" to "Thaw filesystems done". */
function freezeWindowMs(log: string): number {
  const at = (what: string) => {
    const m = new RegExp(`\\[time="([^"]+)"\\]\\[message="${what}`).exec(log);
    if (!m) throw new Error(`no "${what}" line in:\n${log}`);
    return Date.parse(`${m[1]!.slice(0, 23).replace(' ', 'T')}Z`) + Number(`0.${m[1]!.slice(23)}`);
  };
  return at('Thaw filesystems done') - at('Freeze filesystems');
}

describe.runIf(requireRoot())('a Debian guest VM whose cloud is the emulator', () => {
  let image: GuestImage;
  let store: DiskStore;
  let region: Region;
  let logs: string;
  let op: Operator;
  const guests: Guest[] = [];

  /** A new instance whose disks are copies of `from`, booted, its Cloud Assistant online. */
  async function boot(
    name: string,
    from: { sys: string; data: string },
    cache: 'writeback' | 'none' = 'writeback',
    more: { id: string; from: string }[] = [],
  ): Promise<{ vm: Instance; guest: Guest; pool: string; disks: CloudDisk[] }> {
    const { pool, disks } = store.pool(name, [
      { id: SYS, from: from.sys },
      { id: DATA, from: from.data },
      ...more,
    ]);
    const vm = await region.addInstance({
      pool,
      byIdDir: join(logs, name, 'by-id'),
      stateDir: logs,
      logDir: logs,
      guest: true,
    });
    const port = await region.guestListener(vm);
    const guest = new Guest({ image, disks, port, cache, console: join(logs, `${name}.console`) });
    guests.push(guest);
    const ms = await online(vm, guest);
    // Boot finished (the data disk is mounted by then: nofail mounts do not hold up the boot).
    const ready = await op.run(vm, 'systemctl is-system-running --wait; findmnt -no FSTYPE /data');
    expect(ready.text, guest.consoleText().slice(-3000)).toMatch(/^xfs$/m);
    console.log(
      `[vm] ${name} (cache=${cache}): Cloud Assistant online ${seconds(ms)}, boot finished ${seconds(Date.now() - guest.startedAt)} after QEMU started`,
    );
    return { vm, guest, pool, disks };
  }

  beforeAll(async () => {
    image = guestImage();
    store = new DiskStore();
    logs = mkdtempSync('/tmp/asp-vmlogs-');
    region = new Region({
      agent: [],
      pluginManager: join(
        import.meta.dirname,
        '../../dist-tools/tools/emulator/acs-plugin-manager.js',
      ),
      instances: [],
    });
    await region.start();
    op = new Operator(region);
  });

  afterAll(async () => {
    for (const g of guests) await g.kill();
    await region?.stop();
    store?.destroy();
    if (logs) rmSync(logs, { recursive: true, force: true });
  });

  // vm-1 serves the first four scenarios, in order (the fleet run finds the MariaDB the third
  // one started); the kill scenario has a guest of its own.
  let first: { vm: Instance; guest: Guest; pool: string; disks: CloudDisk[] };

  it('the vendor-documented RunCommand on noexec /run: one group of the system and data disks, both filesystems frozen, AppConsistent', async () => {
    first = await boot('vm-1', { sys: image.root, data: image.data });
    const t0 = Date.now();
    const r = await op.run(
      first.vm,
      `${SCRIPTS}
findmnt -no OPTIONS /run | grep -q noexec && echo "RUN-IS-NOEXEC"
# Written, not synced: only the freeze puts these into the disk images.
echo before-freeze > /data/marker; echo before-freeze > /root/marker
${VENDOR_COMMAND} > /dev/shm/run.log 2>&1; code=$?
echo after-thaw > /data/marker; echo after-thaw > /root/marker; sync
cat /dev/shm/scripts.log /dev/shm/run.log
exit $code`,
    );
    const runMs = Date.now() - t0;
    expect(r.InvocationStatus, r.text).toBe('Success');
    expect(r.text).toContain('RUN-IS-NOEXEC');
    expect(r.text).not.toMatch(/Warning|level="(warn|error)"/); // a clean vendor log
    expect(r.text).toMatch(/pre-script ran at [\d.]+\npost-script ran at/);
    expect(r.text).toContain('Freeze filesystems (2): /data | /');
    expect(r.text).toContain('Thaw filesystems done (on request)');
    const last = r.text.trim().split('\n').pop()!;
    const groupId = /snapshotgroup="(ssg-[a-z0-9]+)"/.exec(last)?.[1];
    expect(groupId, last).toBeDefined();
    const group = readGroup(first.pool, groupId!);
    expect(group.snapshots.map((s) => s.diskId).sort()).toEqual([DATA, SYS].sort());
    for (const s of group.snapshots) {
      expect(s.tags.AppConsistent).toBe('True');
      expect(s.tags.FsConsistent).toBeUndefined();
    }
    // The clones, from outside the guest: the frozen state, and nothing to repair.
    const snap = (disk: string) =>
      store.snapshotFile(first.pool, groupId!, group.snapshots.find((s) => s.diskId === disk)!.id);
    expect(ext4NeedsRecovery(snap(SYS))).toBe(false);
    expect(store.inspect(snap(SYS), 'ext4', 'root/marker').content).toBe('before-freeze\n');
    expect(store.inspect(snap(DATA), 'xfs', 'marker').content).toBe('before-freeze\n');
    console.log(
      `[vm] vendor RunCommand: ${seconds(runMs)} end to end; freeze window ${freezeWindowMs(r.text).toFixed(0)} ms (guest clock)`,
    );
  });

  it('negative control: without the freeze the clone misses what the guest had not written back, and no snapshot claims consistency', async () => {
    const mark = `unflushed-${Date.now()}`;
    const r = await op.run(
      first.vm,
      `echo ${mark} > /data/marker; echo ${mark} > /root/marker
acs-plugin-manager --exec --plugin app-snapshot-plugin --params=-RamRoleName="AppSnapshotRoleName",-EnableFsFreeze=false,-Name="nofreeze"`,
    );
    expect(r.InvocationStatus, r.text).toBe('Success');
    const groupId = /snapshotgroup="(ssg-[a-z0-9]+)"/.exec(r.text.trim().split('\n').pop()!)![1]!;
    const group = readGroup(first.pool, groupId);
    for (const sn of group.snapshots) {
      expect(sn.tags.AppConsistent).toBeUndefined();
      expect(sn.tags.FsConsistent).toBeUndefined();
    }
    const snap = (disk: string) =>
      store.snapshotFile(first.pool, groupId, group.snapshots.find((sn) => sn.diskId === disk)!.id);
    // The same check that finds the marker after a freeze does not find it here.
    expect(store.inspect(snap(SYS), 'ext4', 'root/marker').content).not.toContain(mark);
    expect(store.inspect(snap(DATA), 'xfs', 'marker').content).not.toContain(mark);
  });

  it('MariaDB on the data disk under a writer, the built-in quiescer; restored by booting a second guest from the group', async () => {
    const t0 = Date.now();
    const up = await op.run(first.vm, MARIADB_UP);
    expect(up.text, up.text).toContain('MARIADB-UP');
    const r = await op.run(
      first.vm,
      `${WRITER_START}
acs-plugin-manager --exec --plugin app-snapshot-plugin --params=-RamRoleName="AppSnapshotRoleName",-Apps=db,-Name="mariadb-vm" > /dev/shm/run.log 2>&1; code=$?
${WRITER_STOP}
cat /dev/shm/run.log
exit $code`,
    );
    const runMs = Date.now() - t0;
    expect(r.InvocationStatus, r.text).toBe('Success');
    const acks = /ACKS (\d+) LAST_BEFORE_FREEZE (\d+) FIRST_AFTER_THAW (\d+)/.exec(r.text);
    expect(acks, r.text).not.toBeNull();
    const [lastBefore, firstAfter] = [Number(acks![2]), Number(acks![3])];
    expect(lastBefore).toBeGreaterThan(10); // the writer was writing before the freeze
    expect(firstAfter).toBeGreaterThan(lastBefore); // and after the thaw
    const groupId = /snapshotgroup="(ssg-[a-z0-9]+)"/.exec(r.text.trim().split('\n').pop()!)![1]!;
    const group = readGroup(first.pool, groupId);
    for (const s of group.snapshots) expect(s.tags.AppConsistent).toBe('True');

    // Restore: new disks from the group's snapshots, a new instance booted from them.
    const t1 = Date.now();
    const snap = (disk: string) =>
      store.snapshotFile(first.pool, groupId, group.snapshots.find((s) => s.diskId === disk)!.id);
    // Mountable without repair (ext4 keeps an orphan list of open, deleted files: a mount
    // processes it; e2fsck -n alone would call those errors).
    expect(ext4NeedsRecovery(snap(SYS))).toBe(false);
    store.inspect(snap(SYS), 'ext4', 'etc/hostname');
    store.inspect(snap(DATA), 'xfs', 'mysql/ibdata1');
    const restored = await boot('vm-restored', { sys: snap(SYS), data: snap(DATA) });
    const check = await op.run(
      restored.vm,
      `findmnt -no FSTYPE,OPTIONS /data
systemctl start mariadb && mariadb -N -B -e "SELECT COUNT(*), COALESCE(MIN(id),0), COALESCE(MAX(id),0) FROM bank.t" | sed 's/^/ROWS /'
systemctl stop mariadb; umount /data && xfs_repair -n /dev/disk/by-id/virtio-${DATA.slice(2)} > /dev/null 2>&1; echo "XFS-REPAIR-N $?"`,
    );
    expect(check.InvocationStatus, check.text).toBe('Success');
    const rows = /ROWS\s+(\d+)\s+(\d+)\s+(\d+)/.exec(check.text);
    expect(rows, check.text).not.toBeNull();
    const [count, min, max] = rows!.slice(1).map(Number);
    expect(count).toBe(max! - min! + 1); // no gap: one session's commits, in order
    expect(min).toBe(1);
    expect(max).toBeGreaterThanOrEqual(lastBefore); // every row acknowledged before the freeze
    expect(max).toBeLessThan(firstAfter); // and none acknowledged after the thaw
    expect(check.text).toContain('XFS-REPAIR-N 0');
    expect(check.text).toMatch(/^xfs\s+rw/m);
    await restored.guest.kill();
    console.log(
      `[vm] MariaDB: ${seconds(runMs)} (server start, writer, run); freeze window ${freezeWindowMs(r.text).toFixed(0)} ms (guest clock); ` +
        `restore: ${seconds(Date.now() - t1)}; rows ${count} (acknowledged before the freeze: ${lastBefore}, first after the thaw: ${firstAfter})`,
    );
  });

  it('fleet run from the host: the guest snapshots its MariaDB through Cloud Assistant, AppConsistent', async () => {
    const home = mkdtempSync(join(logs, 'home-'));
    const t0 = Date.now();
    const r = await operatorCli(
      region,
      region.sts.issueAccessKey(),
      [
        'fleet',
        'run',
        `-Instances=${first.vm.id}`,
        `-Region=${region.regionId}`,
        '-Name=fleet-vm',
        '-RamRoleName=AppSnapshotRoleName',
        '-Apps=db',
        '--output',
        'json',
      ],
      { home },
    );
    expect(r.code, `${r.stdout}${r.stderr}`).toBe(0);
    const row = JSON.parse(r.stdout).Instances[0];
    expect(row).toMatchObject({
      InstanceId: first.vm.id,
      ExitCode: 0,
      Consistency: 'AppConsistent',
    });
    const group = readGroup(first.pool, row.SnapshotGroupId);
    expect(group.snapshots.map((sn) => sn.diskId).sort()).toEqual([DATA, SYS].sort());
    for (const sn of group.snapshots)
      expect(sn.tags).toMatchObject({ AppConsistent: 'True', 'db.LockTime': expect.any(String) });
    console.log(`[vm] fleet run of the guest: ${seconds(Date.now() - t0)}`);
    await first.guest.kill(); // done with it: an idle guest still costs CPU under emulation
  });

  it('kill -9 of the agent inside the guest while frozen: /, /data and a btrfs subvolume writable again within 1 s; the next run succeeds and covers all three', async () => {
    const blank = join(logs, 'blank.img');
    closeSync(openSync(blank, 'w'));
    truncateSync(blank, 2 ** 30);
    const second = await boot('vm-2', { sys: image.root, data: image.data }, 'none', [
      { id: BTRFS, from: blank },
    ]);
    // A third disk, btrfs, mounted by subvolume as Fedora and openSUSE mount theirs.
    const dev = `/dev/disk/by-id/virtio-${BTRFS.slice(2)}`;
    const made = await op.run(
      second.vm,
      `set -e; mkfs.btrfs -q ${dev}; mkdir -p /mnt/top /srv/app; mount ${dev} /mnt/top
btrfs subvolume create /mnt/top/@app > /dev/null; umount /mnt/top; mount -o subvol=@app ${dev} /srv/app
findmnt -no FSTYPE,OPTIONS /srv/app`,
    );
    expect(made.text, made.text).toMatch(/^btrfs\s.*subvol=\/@app/m);
    second.vm.emulator.faults['slow-create'] = 6000; // the group call holds the freeze
    // The agent holds its log while frozen, so the guest cannot tell; the cloud can.
    const started = await op.run(
      second.vm,
      backgroundRun('-RamRoleName=AppSnapshotRoleName,-Name=killed'),
    );
    expect(started.InvocationStatus, started.text).toBe('Success');
    for (let i = 0; second.vm.emulator.createGroupArrivals === 0; i++) {
      expect(i, 'the run never called CreateSnapshotGroup').toBeLessThan(600);
      await new Promise((res) => setTimeout(res, 100));
    }
    const r = await op.run(
      second.vm,
      `cat > /dev/shm/kill.sh <<'S'
pid=$(cut -d' ' -f1 /run/app-snapshot-plugin/lock)
t0=$EPOCHREALTIME; kill -9 "$pid"
touch /data/after-kill; t1=$EPOCHREALTIME; touch /var/tmp/after-kill; t2=$EPOCHREALTIME
touch /srv/app/after-kill; t3=$EPOCHREALTIME
awk -v a="$t0" -v b="$t1" -v c="$t2" -v d="$t3" 'BEGIN { printf "WRITABLE-MS data %.1f root %.1f btrfs %.1f\\n", (b-a)*1000, (c-a)*1000, (d-a)*1000 }'
S
bash /dev/shm/kill.sh; sleep 1; cat /dev/shm/run.log`,
    );
    expect(r.InvocationStatus, r.text).toBe('Success');
    const w = /WRITABLE-MS data ([\d.]+) root ([\d.]+) btrfs ([\d.]+)/.exec(r.text);
    expect(w, r.text).not.toBeNull();
    for (const ms of w!.slice(1)) expect(Number(ms)).toBeLessThan(1000);
    await new Promise((res) => setTimeout(res, 6500)); // the held group call ends
    second.vm.emulator.faults['slow-create'] = 0;
    const next = await op.run(
      second.vm,
      `${SCRIPTS}for f in /data /root /srv/app; do echo cache-none > $f/marker; done\n${VENDOR_COMMAND}`,
    );
    expect(next.InvocationStatus, next.text).toBe('Success');
    expect(next.text).toContain('AppConsistent');
    expect(next.text).toContain('Freeze filesystems (3): ');
    // cache=none (O_DIRECT on the host): what the freeze flushed is in the clone as well.
    const groupId = /snapshotgroup="(ssg-[a-z0-9]+)"/.exec(
      next.text.trim().split('\n').pop()!,
    )![1]!;
    const group = readGroup(second.pool, groupId);
    const snap = (disk: string) =>
      store.snapshotFile(
        second.pool,
        groupId,
        group.snapshots.find((sn) => sn.diskId === disk)!.id,
      );
    expect(store.inspect(snap(SYS), 'ext4', 'root/marker').content).toBe('cache-none\n');
    expect(store.inspect(snap(DATA), 'xfs', 'marker').content).toBe('cache-none\n');
    expect(store.inspect(snap(BTRFS), 'btrfs', '@app/marker').content).toBe('cache-none\n');
    expect(group.snapshots).toHaveLength(3);
    for (const sn of group.snapshots) expect(sn.tags.AppConsistent).toBe('True');
    // The killed run's group, made after the thaw by the held call, carries no consistency claim.
    const killed = listGroups(second.pool).filter((g) => g.name === 'killed');
    expect(killed.length).toBeLessThanOrEqual(1);
    for (const g of killed)
      for (const sn of g.snapshots) {
        expect(sn.tags.AppConsistent).toBeUndefined();
        expect(sn.tags.FsConsistent).toBeUndefined();
      }
    console.log(
      `[vm] kill -9 while frozen: writable again after ${w!
        .slice(1)
        .map((ms, k) => `${['/data', '/', '/srv/app (btrfs)'][k]} ${Number(ms).toFixed(0)} ms`)
        .join(
          ', ',
        )} (guest clock); the next run's freeze window ${freezeWindowMs(next.text).toFixed(0)} ms`,
    );
  });
});
