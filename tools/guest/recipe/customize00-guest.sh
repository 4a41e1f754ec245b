#!/bin/sh
# mmdebstrap customize hook: runs on the host, $1 is the guest's root.
# Makes the root filesystem boot as a throwaway QEMU guest reached over SSH
# on user-mode networking.
set -eu
root="$1"

echo directlvm-guest > "$root/etc/hostname"
printf '127.0.1.1\tdirectlvm-guest\n' >> "$root/etc/hosts"
printf 'LABEL=root\t/\text4\tdefaults,errors=remount-ro\t0\t1\n' > "$root/etc/fstab"

# DHCP on the one virtio NIC.
mkdir -p "$root/etc/systemd/network"
cat > "$root/etc/systemd/network/20-wired.network" <<'UNIT'
[Match]
Name=en* eth*

[Network]
DHCP=ipv4
UNIT
chroot "$root" systemctl enable systemd-networkd.service ssh.service

# sshd: key-only root login, no reverse DNS (the guest has no resolver).
mkdir -p "$root/etc/ssh/sshd_config.d"
printf 'UseDNS no\nPermitRootLogin prohibit-password\nPasswordAuthentication no\n' \
  > "$root/etc/ssh/sshd_config.d/directlvm-guest.conf"

# Nothing in the background that competes for the emulated CPUs.
for unit in apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer \
            e2scrub_reap.service fstrim.timer man-db.timer; do
  ln -sf /dev/null "$root/etc/systemd/system/$unit"
done

# The per-run SSH key arrives through QEMU's fw_cfg, so the cached image
# holds no key at all.
cat > "$root/usr/local/sbin/directlvm-authorized-key" <<'SCRIPT'
#!/bin/sh
set -eu
modprobe qemu_fw_cfg
key=/sys/firmware/qemu_fw_cfg/by_name/opt/directlvm/authorized_keys/raw
install -d -m 0700 /root/.ssh
install -m 0600 "$key" /root/.ssh/authorized_keys
SCRIPT
chmod 0755 "$root/usr/local/sbin/directlvm-authorized-key"
cat > "$root/etc/systemd/system/directlvm-authorized-key.service" <<'UNIT'
[Unit]
Description=Install the per-run SSH key handed over by QEMU fw_cfg
Before=ssh.service

[Service]
Type=oneshot
ExecStart=/usr/local/sbin/directlvm-authorized-key
RemainAfterExit=yes

[Install]
WantedBy=multi-user.target
UNIT
chroot "$root" systemctl enable directlvm-authorized-key.service

# A tiny container image for tests, without a registry: dash and the C
# library. directlvm-tiny-image imports it into whatever storage driver
# docker runs on at the moment.
# Paths are resolved inside the guest's root: bullseye's /usr is not merged
# and its loader link is absolute.
inroot() { echo "$root$(chroot "$root" readlink -f "$1")"; }
tiny=$(mktemp -d)
mkdir -p "$tiny/bin" "$tiny/lib/x86_64-linux-gnu" "$tiny/lib64" "$tiny/tmp"
cp "$(inroot /bin/dash)" "$tiny/bin/sh"
cp "$(inroot /lib/x86_64-linux-gnu/libc.so.6)" "$tiny/lib/x86_64-linux-gnu/libc.so.6"
cp "$(inroot /lib64/ld-linux-x86-64.so.2)" "$tiny/lib64/ld-linux-x86-64.so.2"
mkdir -p "$root/usr/local/share/directlvm"
tar -C "$tiny" --owner=0 --group=0 -cf "$root/usr/local/share/directlvm/tiny.tar" .
rm -rf "$tiny"
cat > "$root/usr/local/sbin/directlvm-tiny-image" <<'SCRIPT'
#!/bin/sh
# Make sure the image tiny:1 exists in the running docker; print its name.
set -eu
docker image inspect tiny:1 >/dev/null 2>&1 ||
  docker import /usr/local/share/directlvm/tiny.tar tiny:1 >/dev/null
echo tiny:1
SCRIPT
chmod 0755 "$root/usr/local/sbin/directlvm-tiny-image"

# Trim what the image does not need.
rm -rf "$root/var/cache/apt/archives/"*.deb "$root/var/lib/apt/lists/"*
