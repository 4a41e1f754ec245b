// Package xfs spells the XFS tools this project runs (mkfs.xfs, xfs_db,
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

// dbArgv reads the superblock read-only: the data section's size in
// blocks, the block size, and the feature names (`version` prints FTYPE
// when directory entries carry the file type).
func dbArgv(dev string) []string {
	return []string{"xfs_db", "-r", "-c", "sb 0", "-c", "p dblocks blocksize", "-c", "version", dev}
}

// Superblock is what the project reads of an XFS filesystem.
type Superblock struct {
	SizeBytes int64 // the data section: dblocks × blocksize
	// FType says directory entries carry the file type (d_type), which
	// overlay2 requires.
	FType bool
}

// Read reads the superblock of the XFS on dev (mounted or not).
func Read(ctx context.Context, r runner.Runner, dev string) (Superblock, error) {
	res, err := r.Run(ctx, runner.Command(dbArgv(dev)...))
	if err != nil {
		return Superblock{}, fmt.Errorf("reading the XFS superblock of %s: %w", dev, err)
	}
	return parseDB(string(res.Stdout))
}

// parseDB reads xfs_db's "dblocks = N", "blocksize = N" and
// "versionnum [0x...] = V5,NLINK,...,FTYPE,..." lines.
func parseDB(out string) (Superblock, error) {
	var blocks, size int64
	var sb Superblock
	for _, line := range strings.Split(out, "\n") {
		key, val, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		key, val = strings.TrimSpace(key), strings.TrimSpace(val)
		switch {
		case key == "dblocks":
			blocks, _ = strconv.ParseInt(val, 10, 64)
		case key == "blocksize":
			size, _ = strconv.ParseInt(val, 10, 64)
		case strings.HasPrefix(key, "versionnum"):
			for _, f := range strings.Split(val, ",") {
				sb.FType = sb.FType || f == "FTYPE"
			}
		}
	}
	if blocks <= 0 || size <= 0 {
		return Superblock{}, fmt.Errorf("xfs_db printed no dblocks and blocksize: %q", strings.TrimSpace(out))
	}
	sb.SizeBytes = blocks * size
	return sb, nil
}
