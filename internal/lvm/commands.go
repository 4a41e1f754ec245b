package lvm

import (
	"strconv"
)

// The argv builders below are the only way this project spells LVM's
// mutating commands. -y answers LVM's own questions: every destructive
// decision is taken (and refused when unsafe) before a command is built.

// PVCreate initialises devices as physical volumes.
func PVCreate(devs ...string) []string { return append([]string{"pvcreate"}, devs...) }

// VGCreate creates a volume group on devices that are PVs already.
func VGCreate(vg string, devs ...string) []string {
	return append([]string{"vgcreate", vg}, devs...)
}

// PVResize makes a PV use all of its device, once the device grew.
func PVResize(dev string) []string { return []string{"pvresize", dev} }

// VGExtend adds PVs to a volume group.
func VGExtend(vg string, devs ...string) []string {
	return append([]string{"vgextend", vg}, devs...)
}

// LVCreate creates a plain LV named name in vg, tagged with tag.
func LVCreate(vg, name string, size Size, wipeSignatures bool, tag string) []string {
	a := []string{"lvcreate", "-y", "--wipesignatures", yn(wipeSignatures), "-n", name}
	a = append(a, size.Arg()...)
	if tag != "" {
		a = append(a, "--addtag", tag)
	}
	return append(a, vg)
}

// ConvertToThinPool turns vg/data and vg/meta into a thin pool named data.
func ConvertToThinPool(vg, data, meta string, chunkBytes int64, zero bool) []string {
	return []string{"lvconvert", "-y", "--zero", yn(zero), "-c", FormatBytes(chunkBytes),
		"--thinpool", vg + "/" + data, "--poolmetadata", vg + "/" + meta}
}

// ExtendToExtents grows vg/lv to exactly extents extents.
func ExtendToExtents(vg, lv string, extents int64) []string {
	return []string{"lvextend", "-l", strconv.FormatInt(extents, 10), vg + "/" + lv}
}

// ExtendPoolMetadata grows the metadata of thin pool vg/pool to bytes.
func ExtendPoolMetadata(vg, pool string, bytes int64) []string {
	return []string{"lvextend", "--poolmetadatasize", strconv.FormatInt(bytes, 10) + "b", vg + "/" + pool}
}

// LVRemove removes vg/lv (for a thin pool: with every thin volume in it).
func LVRemove(vg, lv string) []string { return []string{"lvremove", "-y", vg + "/" + lv} }

// VGRemove removes an empty volume group.
func VGRemove(vg string) []string { return []string{"vgremove", "-y", vg} }

// PVRemove removes the PV labels from devices.
func PVRemove(devs ...string) []string { return append([]string{"pvremove", "-y"}, devs...) }

func yn(b bool) string {
	if b {
		return "y"
	}
	return "n"
}

// Profiles and monitoring (lvm_profile).

// ValidateConfig makes LVM check a profile's text before it is written:
// --config puts the text in front of LVM's configuration cascade and
// --validate checks exactly that front tree (unknown settings, wrong
// types, bad syntax) and exits non-zero when it is invalid (lvmconfig(8)).
// lvmconfig's --file names an output file, so it cannot be used to feed it
// one.
func ValidateConfig(content []byte) []string {
	return []string{"lvmconfig", "--validate", "--config", string(content)}
}

// AttachProfile attaches metadata profile name to vg/lv; LVM keeps the name in
// the VG metadata and reads NAME.profile whenever it acts on the LV.
func AttachProfile(name, vg, lv string) []string {
	return []string{"lvchange", "--metadataprofile", name, vg + "/" + lv}
}

// DetachProfile detaches whatever profile vg/lv has.
func DetachProfile(vg, lv string) []string {
	return []string{"lvchange", "--detachprofile", vg + "/" + lv}
}

// Monitor registers vg/lv with dmeventd, which extends a thin pool
// past its threshold (seg_monitor becomes "monitored").
func Monitor(vg, lv string) []string {
	return []string{"lvchange", "--monitor", "y", vg + "/" + lv}
}
