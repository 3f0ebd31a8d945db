// The shell the guest VM suite sends with RunCommand (run by the guest's `sh -c`, i.e. dash;
// bash where a script says so). Every file a script keeps while filesystems may be frozen is
// on /dev/shm (tmpfs, never frozen), so the script itself never waits on a freeze.

/** The pre- and post-scripts as the vendor documents them: bash, in /tmp, root-owned 0700. */
export const SCRIPTS = `
cat > /tmp/prescript.sh <<'S'
#!/bin/bash
echo "pre-script ran at $EPOCHREALTIME" >> /dev/shm/scripts.log
S
cat > /tmp/postscript.sh <<'S'
#!/bin/bash
echo "post-script ran at $EPOCHREALTIME" >> /dev/shm/scripts.log
S
chmod 0700 /tmp/prescript.sh /tmp/postscript.sh
rm -f /dev/shm/scripts.log
`;

/** The guest clock's epoch (seconds) of a vendor log line's time, for `grep`ped lines. */
export const LOG_EPOCH = `log_epoch() { date -d "$(sed -n 's/.*\\[time="\\([^"]*\\)"\\].*/\\1/p' | head -1)" +%s.%N; }`;

/** MariaDB on the data disk, a table, and the built-in quiescer's apps.json (0600). */
export const MARIADB_UP = `
set -e
[ -d /data/mysql/mysql ] || cp -a /var/lib/mysql /data/
systemctl start mariadb
mariadb -e "CREATE DATABASE IF NOT EXISTS bank; CREATE TABLE IF NOT EXISTS bank.t (id INT PRIMARY KEY, at VARCHAR(32)) ENGINE=InnoDB"
install -d -m 0700 /etc/app-snapshot-plugin
umask 077
printf '{"apps":{"db":{"type":"mysql","socketPath":"/run/mysqld/mysqld.sock","user":"root"}}}' > /etc/app-snapshot-plugin/apps.json
echo MARIADB-UP
`;

/**
 * One client session inserting a row every 20 ms (autocommit, innodb_flush_log_at_trx_commit=1:
 * an answer is a durable commit); each answer is logged with the guest's clock as "id epoch",
 * in /dev/shm/acks<tag>. `client`: the mariadb command line that reaches the server.
 */
export function writerStart(tag = '', client = 'mariadb'): string {
  return `
cat > /dev/shm/writer${tag}.sh <<'S'
#!/bin/bash
i=0
while [ ! -e /dev/shm/writer.stop ]; do
  i=$((i+1)); echo "INSERT INTO t VALUES ($i, '$EPOCHREALTIME'); SELECT $i;"; sleep 0.02
done | ${client} --unbuffered -N -B bank | while read -r id; do echo "$id $EPOCHREALTIME"; done > /dev/shm/acks${tag}
S
chmod 0700 /dev/shm/writer${tag}.sh
rm -f /dev/shm/writer.stop /dev/shm/acks${tag}
setsid /dev/shm/writer${tag}.sh < /dev/null > /dev/null 2>&1 &
sleep 2
echo "WRITER${tag} acks so far: $(wc -l < /dev/shm/acks${tag})"
`;
}
export const WRITER_START = writerStart();

/**
 * Stops the writers; prints, for each, the last id acknowledged before the freeze and the first
 * after the thaw ("ACKS<tag> n LAST_BEFORE_FREEZE a FIRST_AFTER_THAW b").
 */
export function writerStop(tags: readonly string[] = ['']): string {
  return `
${LOG_EPOCH}
sleep 2; touch /dev/shm/writer.stop; sleep 1
freeze=$(grep 'Freeze filesystems' /dev/shm/run.log | log_epoch)
thaw=$(grep 'Thaw filesystems done' /dev/shm/run.log | log_epoch)
for tag in ${tags.map((t) => `'${t}'`).join(' ')}; do
awk -v f="$freeze" -v t="$thaw" -v tag="$tag" '
  $2 < f { before = $1 } $2 > t && !after { after = $1 } { n++ }
  END { printf "ACKS%s %d LAST_BEFORE_FREEZE %d FIRST_AFTER_THAW %d\\n", tag, n, before, after }' /dev/shm/acks$tag
done
`;
}
export const WRITER_STOP = writerStop();

/** The MariaDB image, imported from the tar the guest image carries (no registry is reached). */
export const CTR_IMAGE = `podman image exists localhost/asp-mariadb \\
  || podman import --change 'CMD=["/usr/sbin/mariadbd"]' /usr/local/lib/asp/mariadb-image.tar localhost/asp-mariadb > /dev/null`;

/**
 * mariadbd in a podman container, its data at /var/lib/mysql (whatever \`opts\` mounts there),
 * its socket beside the data (so the host reaches it through the bind source or the volume);
 * small buffers: the guest has 1 GiB for several servers.
 */
export function ctrRun(name: string, opts: string): string {
  return `podman run -d --name ${name} --user mysql ${opts} localhost/asp-mariadb /usr/sbin/mariadbd --no-defaults \\
  --datadir=/var/lib/mysql --socket=/var/lib/mysql/mysql.sock --port=3306 --bind-address=0.0.0.0 \\
  --skip-name-resolve --innodb-buffer-pool-size=16M > /dev/null`;
}

/** Waits (bounded) until the server behind socket \`sock\` answers; says which did not. */
export function waitSocket(sock: string, limitS: number): string {
  return `for i in $(seq ${limitS}); do mariadb -S ${sock} -e 'SELECT 1' > /dev/null 2>&1 && break; sleep 1; done
mariadb -S ${sock} -e 'SELECT 1' > /dev/null 2>&1 || { echo "NO-SERVER at ${sock} after ${limitS} s"; exit 1; }`;
}

/** A run of the agent through the plugin manager, in the background, its log on tmpfs. */
export function backgroundRun(params: string): string {
  return `acs-plugin-manager --exec --plugin app-snapshot-plugin --params=${params} > /dev/shm/run.log 2>&1 &`;
}

/**
 * Waits, inside the guest, for each event a test relies on after a boot, bounded by `limitS`
 * each, and names the one that never came ("MISSING ..."): the boot's jobs have ended, udev has
 * made the data disk's label link, /data is mounted. A TCG guest on a loaded two-core host can
 * take minutes for what takes a second under KVM; no step assumes a fixed short time.
 */
export function bootSettled(limitS: number): string {
  return `
timeout ${limitS} systemctl is-system-running --wait > /dev/null
[ $? = 124 ] && echo "MISSING the end of the boot's jobs (systemctl is-system-running --wait, ${limitS} s)"
udevadm wait --timeout=${limitS} /dev/disk/by-label/data 2>/dev/null \\
  || echo "MISSING the data disk's device /dev/disk/by-label/data (udev, ${limitS} s)"
findmnt /data > /dev/null || mount /data || echo "MISSING /data mounted (fstab: LABEL=data)"
echo "DATA-FS $(findmnt -no FSTYPE /data)"
systemctl --failed --no-legend --plain | sed 's/^/FAILED-UNIT /'
true`;
}
