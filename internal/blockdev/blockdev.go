// Package blockdev tells whether a block device is safe to turn into an LVM
// physical volume: that it exists, is a block device, is not mounted, has
// no partitions or holders, and carries no signature (filesystem, RAID,
// partition table, LVM) that says it holds data.
package blockdev

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/goccy/go-json"

	"github.com/directlvm/docker/internal/runner"
)

// Device is what the host says about one block device.
type Device struct {
	Path        string      // canonical path, symlinks resolved: /dev/vdb
	Given       string      // the path as the user gave it
	SizeBytes   int64       //
	Type        string      // lsblk TYPE: disk, part, lvm, loop, ...
	Mountpoints []string    // where the device itself is mounted
	Children    []Child     // partitions and holders (dm devices on top)
	Signatures  []Signature // what wipefs finds on the device itself
}

// Child is a device stacked on this one: a partition, or a device-mapper
// device (LVM, crypt, multipath) that holds it.
type Child struct {
	Path        string
	Type        string
	FSType      string   // what udev says the child carries: ext4, LVM2_member, linux_raid_member, ...
	Mountpoints []string // mounts of this child and of anything on top of it
	Holders     []string // devices stacked on this child (dm devices on a partition)
}

// Signature is one wipefs finding.
type Signature struct {
	Type   string // ext4, xfs, gpt, dos, PMBR, linux_raid_member, LVM2_member, ...
	Offset string // hex byte offset, as wipefs prints it
}

// Resolve turns a user's path (symlinks such as /dev/disk/by-id/... are
// fine) into the canonical device path, and checks that it is a block
// device.
func Resolve(path string) (string, error) {
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return "", fmt.Errorf("device %s does not exist: check the path (ls -l /dev/disk/by-id/ lists the disks)", path)
		}
		return "", fmt.Errorf("device %s: %w", path, err)
	}
	fi, err := os.Stat(real)
	if err != nil {
		return "", fmt.Errorf("device %s: %w", path, err)
	}
	if fi.Mode()&os.ModeDevice == 0 || fi.Mode()&os.ModeCharDevice != 0 {
		what := "a regular file"
		if fi.IsDir() {
			what = "a directory"
		} else if fi.Mode()&os.ModeCharDevice != 0 {
			what = "a character device"
		}
		if real != path {
			return "", fmt.Errorf("device %s (%s) is %s, not a block device: give the disk's device path (ls -l /dev/disk/by-id/ lists the disks)", path, real, what)
		}
		return "", fmt.Errorf("device %s is %s, not a block device: give the disk's device path (ls -l /dev/disk/by-id/ lists the disks)", path, what)
	}
	return real, nil
}

// lsblkArgv and wipefsArgv are the commands Inspect runs. MOUNTPOINTS
// lists every mount of a device (util-linux 2.37 and later); older lsblk
// (Debian bullseye's 2.36) has only MOUNTPOINT, one mount per line, and
// refuses the column: lsblkOldArgv is then asked instead.
func lsblkArgv(dev string) []string {
	return []string{"lsblk", "--json", "--bytes", "--paths", "--output", "NAME,TYPE,SIZE,FSTYPE,MOUNTPOINTS,PKNAME", dev}
}

func lsblkOldArgv(dev string) []string {
	return []string{"lsblk", "--json", "--bytes", "--paths", "--output", "NAME,TYPE,SIZE,FSTYPE,MOUNTPOINT,PKNAME", dev}
}

// unknownColumn tells lsblk's refusal of a column it does not have.
func unknownColumn(err error) bool {
	var xe *runner.ExitError
	return errors.As(err, &xe) && strings.Contains(xe.Stderr, "unknown column")
}

func wipefsArgv(dev string) []string { return []string{"wipefs", "--no-act", "--json", dev} }

// Inspect reads what stands on a device (dev must be canonical, see
// Resolve): its partitions and holders and their mounts (lsblk), and its
// signatures (wipefs, which reads the device itself rather than udev's
// possibly stale database).
func Inspect(ctx context.Context, r runner.Runner, given, dev string) (*Device, error) {
	res, err := r.Run(ctx, runner.Command(lsblkArgv(dev)...))
	if unknownColumn(err) {
		res, err = r.Run(ctx, runner.Command(lsblkOldArgv(dev)...))
	}
	if err != nil {
		return nil, fmt.Errorf("inspecting %s: %w", given, err)
	}
	d, err := parseLsblk(res.Stdout)
	if err != nil {
		return nil, fmt.Errorf("inspecting %s: %w", given, err)
	}
	d.Given = given
	res, err = r.Run(ctx, runner.Command(wipefsArgv(dev)...))
	if err != nil {
		return nil, fmt.Errorf("reading signatures on %s: %w", given, err)
	}
	if d.Signatures, err = parseWipefs(res.Stdout); err != nil {
		return nil, fmt.Errorf("reading signatures on %s: %w", given, err)
	}
	return d, nil
}

type lsblkNode struct {
	Name        string      `json:"name"`
	Type        string      `json:"type"`
	FSType      *string     `json:"fstype"`
	Size        lsblkSize   `json:"size"`
	Mountpoints []*string   `json:"mountpoints"`
	Mountpoint  *string     `json:"mountpoint"` // util-linux before 2.37
	Children    []lsblkNode `json:"children"`
}

// lsblkSize is SIZE in bytes, a JSON number from util-linux 2.33 on and a
// string before.
type lsblkSize int64

func (s *lsblkSize) UnmarshalJSON(b []byte) error {
	text := strings.Trim(string(b), `"`)
	if text == "null" || text == "" {
		*s = 0
		return nil
	}
	var n int64
	if _, err := fmt.Sscan(text, &n); err != nil {
		return fmt.Errorf("lsblk size %s is not a number of bytes", b)
	}
	*s = lsblkSize(n)
	return nil
}

func mounts(n lsblkNode) []string {
	var m []string
	for _, p := range append(n.Mountpoints, n.Mountpoint) {
		if p != nil && *p != "" {
			m = append(m, *p)
		}
	}
	return m
}

func parseLsblk(b []byte) (*Device, error) {
	var out struct {
		Blockdevices []lsblkNode `json:"blockdevices"`
	}
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, fmt.Errorf("decoding lsblk JSON: %w", err)
	}
	if len(out.Blockdevices) != 1 {
		return nil, fmt.Errorf("lsblk reported %d devices, want 1", len(out.Blockdevices))
	}
	n := out.Blockdevices[0]
	d := &Device{Path: n.Name, SizeBytes: int64(n.Size), Type: n.Type, Mountpoints: mounts(n)}
	for _, c := range n.Children {
		child := Child{Path: c.Name, Type: c.Type, Mountpoints: treeMounts(c)}
		if c.FSType != nil {
			child.FSType = *c.FSType
		}
		for _, h := range c.Children {
			child.Holders = append(child.Holders, h.Name)
		}
		d.Children = append(d.Children, child)
	}
	return d, nil
}

func treeMounts(n lsblkNode) []string {
	m := mounts(n)
	for _, c := range n.Children {
		m = append(m, treeMounts(c)...)
	}
	return m
}

func parseWipefs(b []byte) ([]Signature, error) {
	if len(strings.TrimSpace(string(b))) == 0 {
		return nil, nil // wipefs prints nothing at all on some versions when it finds nothing
	}
	var out struct {
		Signatures []struct {
			Type   string `json:"type"`
			Offset string `json:"offset"`
		} `json:"signatures"`
	}
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, fmt.Errorf("decoding wipefs JSON: %w", err)
	}
	var sigs []Signature
	for _, s := range out.Signatures {
		sigs = append(sigs, Signature{Type: s.Type, Offset: s.Offset})
	}
	return sigs, nil
}

// Partitions lists the device's partitions.
func (d *Device) Partitions() []string {
	var p []string
	for _, c := range d.Children {
		if c.Type == "part" {
			p = append(p, c.Path)
		}
	}
	return p
}

// AllMounts lists every mountpoint on the device or anything stacked on it.
func (d *Device) AllMounts() []string {
	m := append([]string(nil), d.Mountpoints...)
	for _, c := range d.Children {
		m = append(m, c.Mountpoints...)
	}
	return m
}

// SignatureTypes lists the distinct signature types found, e.g. [ext4].
func (d *Device) SignatureTypes() []string {
	var t []string
	for _, s := range d.Signatures {
		if !contains(t, s.Type) {
			t = append(t, s.Type)
		}
	}
	return t
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// WipeArgv erases every signature on dev (used only with force).
func WipeArgv(dev string) []string { return []string{"wipefs", "--all", dev} }

// volatileKinds are device names whose content does not survive a reboot
// (or a disconnect): a pool on one is gone, or worse, half gone, after it.
var volatileKinds = []string{"loop", "ram", "zram", "nbd"}

// ownedSignatures are signatures that say another storage stack owns the
// device: never wiped, even with force.
var ownedSignatures = []string{"LVM2_member", "linux_raid_member", "isw_raid_member", "ddf_raid_member", "crypto_LUKS", "zfs_member", "bcache"}

// CheckSafe refuses a device that holds data or is in use. Always refused:
// a device whose content does not survive a reboot; mounts; devices
// stacked on it; a partition that carries anything (an LVM PV, a
// filesystem, RAID) or has something stacked on it; an LVM, RAID, LUKS or
// ZFS signature on the device itself (a PV LVM's report does not show under
// this name: hidden by a filter or devices file, or of a foreign VG).
// Empty partitions and other signatures (a filesystem, a partition table)
// are refused only without force (force means: the operator has looked and
// wants the disk wiped).
func (d *Device) CheckSafe(force bool) error {
	name := d.Given
	if name != d.Path {
		name = fmt.Sprintf("%s (%s)", d.Given, d.Path)
	}
	base := filepath.Base(d.Path)
	for _, kind := range volatileKinds {
		if strings.HasPrefix(base, kind) && strings.Trim(strings.TrimPrefix(base, kind), "0123456789") == "" {
			return fmt.Errorf("device %s is a %s device, whose content does not survive a reboot: a thin pool on it would be lost; give a disk", name, kind)
		}
	}
	if m := d.AllMounts(); len(m) > 0 {
		return fmt.Errorf("device %s is mounted at %s: unmount it and remove it from /etc/fstab first; it is never taken while mounted, even with force", name, strings.Join(m, ", "))
	}
	for _, c := range d.Children {
		switch {
		case c.Type != "part":
			return fmt.Errorf("device %s is in use: %s (%s) is stacked on it; remove that first (dmsetup ls --tree shows the stack)", name, c.Path, c.Type)
		case len(c.Holders) > 0:
			return fmt.Errorf("device %s is in use: its partition %s holds %s; remove that first (dmsetup ls --tree shows the stack); it is never wiped, even with force", name, c.Path, strings.Join(c.Holders, ", "))
		case c.FSType != "":
			return fmt.Errorf("device %s has a partition %s that carries %s: it holds data (or, for LVM2_member, a volume group's disk; pvs %s shows which); it is never wiped, even with force: move or remove it yourself first", name, c.Path, c.FSType, c.Path)
		}
	}
	for _, t := range d.SignatureTypes() {
		if contains(ownedSignatures, t) {
			return fmt.Errorf("device %s carries a %s signature that LVM does not show as a physical volume of this host under this name (a filter or devices file hides it, or its volume group is foreign): another storage stack owns it, so it is never wiped, even with force; check it (blkid -p %s, pvs -a) and remove it yourself if it is not needed", name, t, d.Path)
		}
	}
	if force {
		return nil
	}
	if p := d.Partitions(); len(p) > 0 {
		return fmt.Errorf("device %s has partitions (%s): it may hold data; check it, then set force=true to wipe it", name, strings.Join(p, ", "))
	}
	if t := d.SignatureTypes(); len(t) > 0 {
		return fmt.Errorf("device %s carries a %s signature: it may hold data; check it (blkid -p %s), then set force=true to wipe it", name, strings.Join(t, ", "), d.Path)
	}
	return nil
}
