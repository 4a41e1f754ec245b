#!/bin/sh
# mmdebstrap essential hook: runs on the host, $1 is the guest's root.
# Before linux-image is installed, make the initrd small (MODULES=list) and
# make it force-load what a QEMU guest needs to find its root disk: built in
# a chroot, MODULES=dep misses virtio_blk and the guest stops at
# "/dev/vda does not exist".
set -eu
root="$1"
mkdir -p "$root/etc/initramfs-tools/conf.d" "$root/etc/initramfs-tools/hooks"
echo 'MODULES=list' > "$root/etc/initramfs-tools/conf.d/directlvm-guest.conf"
cat > "$root/etc/initramfs-tools/hooks/directlvm-virtio" <<'HOOK'
#!/bin/sh
[ "$1" = prereqs ] && exit 0
. /usr/share/initramfs-tools/hook-functions
for m in virtio_pci virtio_blk crc32c_generic ext4; do force_load "$m"; done
HOOK
chmod 0755 "$root/etc/initramfs-tools/hooks/directlvm-virtio"
