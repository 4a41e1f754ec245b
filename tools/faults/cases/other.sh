#!/bin/bash
# The disk beside the role's ($1): a filesystem holding a file, never
# mounted again, so that any write to it shows in its checksum (printed).
set -euo pipefail
mkfs.ext4 -q -L other "$1"
mount "$1" /mnt
echo precious > /mnt/precious.txt
umount /mnt
sync
sha256sum < "$1" | cut -d' ' -f1
