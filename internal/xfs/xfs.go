// Package xfs spells the XFS tools this project runs (mkfs.xfs, xfs_info,
// xfs_growfs) and reads what they print. overlay2 needs d_type, which XFS
// has with ftype=1 (mkfs.xfs's default since xfsprogs 3.2.3); prjquota,
// a mount option, lets docker enforce overlay2.size.
package xfs

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/directlvm/docker/internal/runner"
)

// MinGrowBytes is the smallest gap between a block device and the XFS on it
// that growing closes: XFS makes no allocation group smaller than 16 MiB,
// so mkfs.xfs and xfs_growfs may leave up to that much of a device unused.
const MinGrowBytes = 16 << 20

// MkfsArgv makes an XFS filesystem on dev with d_type (ftype=1), which
// overlay2 requires. -q keeps its geometry table out of the output.
func MkfsArgv(dev string) []string {
	return []string{"mkfs.xfs", "-q", "-n", "ftype=1", dev}
}

// GrowfsArgv grows the XFS mounted at mountpoint to fill its device; XFS
// grows only while mounted.
func GrowfsArgv(mountpoint string) []string { return []string{"xfs_growfs", mountpoint} }

// infoArgv reads the filesystem's geometry: where it is mounted through
// the kernel (XFS_IOC_FSGEOMETRY), so that a filesystem just grown online
// shows its new size, which the on-disk superblock may not show yet;
// where it is not, from the device (xfs_info runs xfs_db read-only).
func infoArgv(devOrMountpoint string) []string { return []string{"xfs_info", devOrMountpoint} }

// Superblock is what the project reads of an XFS filesystem.
type Superblock struct {
	SizeBytes int64 // the data section: blocks × bsize
	// FType says directory entries carry the file type (d_type), which
	// overlay2 requires.
	FType bool
}

// Read reads the geometry of the XFS on dev, through mountpoint when it is
// mounted ("" when not).
func Read(ctx context.Context, r runner.Runner, dev, mountpoint string) (Superblock, error) {
	target := dev
	if mountpoint != "" {
		target = mountpoint
	}
	res, err := r.Run(ctx, runner.Command(infoArgv(target)...))
	if err != nil {
		return Superblock{}, fmt.Errorf("reading the XFS geometry of %s: %w", dev, err)
	}
	return parseInfo(string(res.Stdout))
}

// parseInfo reads xfs_info's "data = bsize=4096 blocks=2097152, ..." and
// "naming = version 2 bsize=4096 ascii-ci=0, ftype=1" lines.
func parseInfo(out string) (Superblock, error) {
	var sb Superblock
	var blocks, size int64
	for _, line := range strings.Split(out, "\n") {
		section, rest, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		section = strings.TrimSpace(section)
		fields := strings.FieldsFunc(rest, func(r rune) bool { return r == ' ' || r == ',' || r == '\t' })
		for _, f := range fields {
			k, v, ok := strings.Cut(f, "=")
			if !ok {
				continue
			}
			switch {
			case section == "data" && k == "bsize":
				size, _ = strconv.ParseInt(v, 10, 64)
			case section == "data" && k == "blocks":
				blocks, _ = strconv.ParseInt(v, 10, 64)
			case section == "naming" && k == "ftype":
				sb.FType = v == "1"
			}
		}
	}
	if blocks <= 0 || size <= 0 {
		return Superblock{}, fmt.Errorf("xfs_info printed no data section size: %q", strings.TrimSpace(out))
	}
	sb.SizeBytes = blocks * size
	return sb, nil
}
