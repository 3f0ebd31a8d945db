#!/bin/bash
# In the guest: runs the script the host passed through fw_cfg (opt/asp/run), its output on
# the console between markers the host looks for, then powers the guest off.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
f=/sys/firmware/qemu_fw_cfg/by_name/opt/asp/run/raw
for _ in $(seq 50); do [ -r "$f" ] && break; modprobe qemu_fw_cfg 2>/dev/null; sleep 0.2; done
echo "ASP-GUEST-BEGIN"
if [ -r "$f" ]; then bash "$f"; echo "ASP-GUEST-EXIT $?"; else echo "ASP-GUEST-EXIT 127 (no fw_cfg script)"; fi
echo "ASP-GUEST-END"
systemctl poweroff --no-block
