#!/bin/bash
# The guest image for the end-to-end tests (called by image.mjs, which keys the cache): a Debian
# bookworm guest from Debian's archive only (debootstrap, the cloud kernel, mariadb-server), with
# our deb installed and the emulator's Cloud Assistant service. Writes, into OUT:
#   vmlinuz, initrd.img   the guest kernel (booted with -kernel/-initrd)
#   root.img              the system disk: ext4, 6 GiB sparse (mkfs.ext4 -d: no loop, no mount;
#                         room for a lab, a database and its dump in the guest)
#   data.img              the data disk: XFS, 1 GiB sparse, empty, mounted at /data by fstab
#   ready                 written last: the image is complete
# In the guest, asp-assistant.service polls the metadata address for commands (RunCommand);
# /usr/local/bin/acs-plugin-manager is the stand-in that runs our installed agent. No password,
# no login, no network but QEMU's user-mode one (DHCP by systemd-networkd). Root only.
# Usage: image.sh DEB TOOL OUT   (TOOL: the compiled tools/vm/guest-tool.ts)
set -euo pipefail
DEB=${1:?usage: image.sh DEB TOOL OUT}; TOOL=${2:?usage: image.sh DEB TOOL OUT}; OUT=${3:?usage: image.sh DEB TOOL OUT}
# The host's own Debian mirror (a proxy or a local mirror works for debootstrap too).
[ -n "${MIRROR:-}" ] || MIRROR=$(grep -hoE '^(URIs:|deb)( \[[^]]*\])? +https?://[^ ]+' /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null \
  | grep -v -- '-security' | grep -oE 'https?://[^ ]+' | head -1 || true)
MIRROR=${MIRROR:-http://deb.debian.org/debian}
# Built next to OUT, not in /tmp: a hardened host's /tmp is noexec, and the chroot execs.
mkdir -p "$(dirname "$OUT")"
W=$(mktemp -d "$OUT.build-XXXXXX"); R=$W/rootfs
t0=$(date +%s)
step() { echo "[vm:image +$(( $(date +%s) - t0 ))s] $*" >&2; }
# Never rm through a mount: with the host's /dev bound into the chroot, that deletes its nodes.
cleanup() {
  for m in $R/dev $R/sys $R/proc; do mountpoint -q $m 2>/dev/null && { umount $m || umount -l $m; } || true; done
  rm -rf --one-file-system "$W" || true
}
trap cleanup EXIT

step "debootstrap bookworm (minbase) from $MIRROR"
debootstrap --variant=minbase \
  --include=systemd-sysv,udev,initramfs-tools,util-linux,e2fsprogs,xfsprogs,kmod,iproute2,procps,btrfs-progs,mariadb-server,dbus,podman,crun,conmon,netavark,aardvark-dns,iptables \
  bookworm "$R" "$MIRROR" > "$W/debootstrap.log" 2>&1 || { tail -20 "$W/debootstrap.log" >&2; exit 1; }

step "the cloud kernel (initramfs-tools builds the initrd in the chroot)"
kpkg=$(apt-cache depends linux-image-cloud-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/{print $2; exit}')
[ -n "$kpkg" ] || { echo "apt knows no linux-image-cloud-amd64: a Debian host with its package lists is needed (apt-get update)" >&2; exit 1; }
(cd "$W" && apt-get download -q -o APT::Sandbox::User=root "$kpkg" > /dev/null)
cp "$W"/"$kpkg"_*.deb "$R/tmp/kernel.deb"
cp "$DEB" "$R/tmp/agent.deb"
mount -t proc proc "$R/proc"; mount -t sysfs sys "$R/sys"; mount --bind /dev "$R/dev"
chroot "$R" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends /tmp/kernel.deb > "$W/kernel.log" 2>&1 \
  || { tail -20 "$W/kernel.log" >&2; exit 1; }
step "our package"
chroot "$R" dpkg -i /tmp/agent.deb > "$W/agent.log" 2>&1 || { cat "$W/agent.log" >&2; exit 1; }
[ -d "$R/var/lib/mysql/mysql" ] || { echo "mariadb-server left no system tables in /var/lib/mysql" >&2; exit 1; }
umount "$R/dev" "$R/sys" "$R/proc"
rm -f "$R"/tmp/*.deb "$R"/var/cache/apt/archives/*.deb

step "a MariaDB container image (mariadbd, its libraries and share files: podman import in the guest)"
# Merged /usr as in the guest; every library ldd names, copied to the path the loader asks for.
C=$W/ctr
mkdir -p "$C"/usr/{bin,sbin,lib,lib64} "$C"/{etc,tmp,var/lib/mysql,run/mysqld}
for d in bin sbin lib lib64; do ln -s usr/$d "$C/$d"; done
chmod 1777 "$C/tmp"
cp -a "$R/usr/sbin/mariadbd" "$C/usr/sbin/"
for lib in $(chroot "$R" ldd /usr/sbin/mariadbd | grep -oE '/[^ ]+'); do
  mkdir -p "$C$(dirname "$lib")"; cp -L "$R$lib" "$C$lib"
done
# Of the share files, only what the server reads: character sets and the English messages.
for d in usr/share/mysql usr/share/mariadb; do
  for sub in charsets english; do [ -d "$R/$d/$sub" ] && mkdir -p "$C/$d" && cp -a "$R/$d/$sub" "$C/$d/"; done
done
cp -a "$R/etc/passwd" "$R/etc/group" "$R/etc/nsswitch.conf" "$C/etc/"
chown "$(stat -c %u:%g "$R/var/lib/mysql")" "$C/var/lib/mysql" "$C/run/mysqld"
tar -C "$C" -cf "$W/mariadb-image.tar" .
install -D -m 0644 "$W/mariadb-image.tar" "$R/usr/local/lib/asp/mariadb-image.tar"

step "configure"
echo asp-guest > "$R/etc/hostname"
printf '127.0.0.1 localhost\n127.0.1.1 asp-guest\n' > "$R/etc/hosts"
# The data disk is found by its label, wherever it is attached; nofail: a guest without it boots.
# No short device timeout: two TCG guests on two cores took more than 10 s to see the label (a
# slow boot is not a missing disk). The suite waits for the device itself and names what never
# came (test/vm/guest-scripts.ts BOOT_SETTLED).
printf '/dev/vda / ext4 rw,relatime 0 1\nLABEL=data /data xfs rw,relatime,nofail,x-systemd.device-timeout=10min 0 2\n' > "$R/etc/fstab"
mkdir -p "$R/data"
mkdir -p "$R/etc/systemd/network"
printf '[Match]\nName=en* eth*\n\n[Network]\nDHCP=ipv4\n' > "$R/etc/systemd/network/10-slirp.network"
ln -sf /lib/systemd/system/systemd-networkd.service "$R/etc/systemd/system/multi-user.target.wants/"
# MariaDB keeps its data on the data disk; the tests seed /data/mysql from /var/lib/mysql and
# start the server themselves (it is not started at boot: the data disk starts empty).
printf '[mysqld]\ndatadir = /data/mysql\n' > "$R/etc/mysql/mariadb.conf.d/99-asp-data-disk.cnf"
rm -f "$R/etc/systemd/system/multi-user.target.wants/mariadb.service"
install -D -m 0755 "$TOOL" "$R/usr/local/lib/asp/asp-guest"
printf '#!/bin/sh\nexec /usr/local/lib/asp/asp-guest acs-plugin-manager "$@"\n' > "$R/usr/local/bin/acs-plugin-manager"
chmod 0755 "$R/usr/local/bin/acs-plugin-manager"
cat > "$R/etc/systemd/system/asp-assistant.service" <<'U'
[Unit]
Description=Cloud Assistant stand-in (app-snapshot-plugin end-to-end tests)
After=systemd-networkd.service
[Service]
ExecStart=/usr/local/lib/asp/asp-guest assistant
Restart=always
RestartSec=1
StandardOutput=journal+console
StandardError=journal+console
U
ln -sf /etc/systemd/system/asp-assistant.service "$R/etc/systemd/system/multi-user.target.wants/"
for u in apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer e2scrub_reap.service fstrim.timer \
  man-db.timer getty@tty1.service serial-getty@ttyS0.service; do ln -sf /dev/null "$R/etc/systemd/system/$u"; done

step "disk image (mkfs.ext4 -d: no loop device, no mount)"
mkdir -p "$OUT"
cp "$R"/boot/vmlinuz-* "$OUT/vmlinuz.part"; cp "$R"/boot/initrd.img-* "$OUT/initrd.img"
truncate -s 6G "$OUT/root.img.part" && mkfs.ext4 -q -F -L root -d "$R" "$OUT/root.img.part"
truncate -s 1G "$OUT/data.img" && mkfs.xfs -q -f -L data "$OUT/data.img"
mv "$OUT/root.img.part" "$OUT/root.img"; mv "$OUT/vmlinuz.part" "$OUT/vmlinuz"
touch "$OUT/ready"
step "done: $OUT"
