#!/bin/bash
# npm run vm:image: a Debian bookworm guest for the end-to-end tests, from Debian's archive only
# (debootstrap, the cloud kernel), with our own deb installed. Writes, into OUT (default
# ~/.cache/app-snapshot-plugin/vm/<key>, the key hashing this script and the deb):
#   vmlinuz, initrd.img   the guest kernel (booted with -kernel/-initrd)
#   root.img              the system disk (ext4, 2 GiB sparse; made with mkfs.ext4 -d: no loop)
# The guest runs, when its kernel command line has asp.run, the script the host passes through
# QEMU's fw_cfg (opt/asp/run), with its output on the serial console, then powers off. No
# password, no network but QEMU's user-mode one. Root only (debootstrap, chroot).
set -euo pipefail
DEB=${1:?usage: image.sh dist/packages/app-snapshot-plugin_<v>_amd64.deb [OUT]}
here=$(cd "$(dirname "$0")" && pwd)
key=$(cat "$0" "$DEB" | sha256sum | cut -c1-16)
OUT=${2:-${APP_SNAPSHOT_CACHE:-$HOME/.cache/app-snapshot-plugin}/vm/$key}
MIRROR=${MIRROR:-http://deb.debian.org/debian}
if [ -s "$OUT/root.img" ] && [ -s "$OUT/vmlinuz" ]; then echo "$OUT"; exit 0; fi
W=$(mktemp -d /tmp/asp-vmbuild-XXXXXX); R=$W/rootfs
t0=$(date +%s)
step() { echo "[vm:image +$(( $(date +%s) - t0 ))s] $*" >&2; }
cleanup() {
  for m in $R/dev $R/sys $R/proc; do mountpoint -q $m 2>/dev/null && umount $m || true; done
  rm -rf "$W"
}
trap cleanup EXIT

step "debootstrap bookworm (minbase)"
debootstrap --variant=minbase \
  --include=systemd-sysv,udev,initramfs-tools,util-linux,e2fsprogs,xfsprogs,kmod,iproute2,procps \
  bookworm "$R" "$MIRROR" > "$W/debootstrap.log" 2>&1 || { tail -20 "$W/debootstrap.log" >&2; exit 1; }

step "the cloud kernel (initramfs-tools builds the initrd in the chroot)"
kpkg=$(apt-cache depends linux-image-cloud-amd64 | awk '/Depends: linux-image-[0-9]/{print $2; exit}')
(cd "$W" && apt-get download -q -o APT::Sandbox::User=root "$kpkg" > /dev/null)
cp "$W"/"$kpkg"_*.deb "$R/tmp/kernel.deb"
cp "$DEB" "$R/tmp/agent.deb"
mount -t proc proc "$R/proc"; mount -t sysfs sys "$R/sys"; mount --bind /dev "$R/dev"
chroot "$R" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends /tmp/kernel.deb > "$W/kernel.log" 2>&1 \
  || { tail -20 "$W/kernel.log" >&2; exit 1; }
step "our package"
chroot "$R" dpkg -i /tmp/agent.deb > "$W/agent.log" 2>&1 || { cat "$W/agent.log" >&2; exit 1; }
umount "$R/dev" "$R/sys" "$R/proc"
rm -f "$R"/tmp/*.deb "$R"/var/cache/apt/archives/*.deb

step "configure"
echo asp-guest > "$R/etc/hostname"
printf '127.0.0.1 localhost\n127.0.1.1 asp-guest\n' > "$R/etc/hosts"
printf '/dev/vda / ext4 rw,relatime 0 1\n' > "$R/etc/fstab"
echo qemu_fw_cfg >> "$R/etc/modules"
install -m 0755 "$here/guest-run.sh" "$R/usr/local/sbin/asp-guest-run"
cat > "$R/etc/systemd/system/asp-guest.service" <<'U'
[Unit]
Description=app-snapshot-plugin end-to-end test hook (kernel command line: asp.run)
ConditionKernelCommandLine=asp.run
After=systemd-modules-load.service systemd-udev-settle.service
Wants=systemd-udev-settle.service
[Service]
Type=oneshot
ExecStart=/usr/local/sbin/asp-guest-run
StandardOutput=journal+console
StandardError=journal+console
U
ln -sf /etc/systemd/system/asp-guest.service "$R/etc/systemd/system/multi-user.target.wants/"
for u in apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer e2scrub_reap.service fstrim.timer \
  getty@tty1.service serial-getty@ttyS0.service; do ln -sf /dev/null "$R/etc/systemd/system/$u"; done

step "disk image (mkfs.ext4 -d: no loop device, no mount)"
mkdir -p "$OUT"
cp "$R"/boot/vmlinuz-* "$OUT/vmlinuz.part"; cp "$R"/boot/initrd.img-* "$OUT/initrd.img"
truncate -s 2G "$OUT/root.img.part" && mkfs.ext4 -q -F -L root -d "$R" "$OUT/root.img.part"
mv "$OUT/root.img.part" "$OUT/root.img"; mv "$OUT/vmlinuz.part" "$OUT/vmlinuz"
step "done: $OUT"
echo "$OUT"
