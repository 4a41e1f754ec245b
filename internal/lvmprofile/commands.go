package lvmprofile

// The LVM commands this module runs, built as argv. -y is not needed: none
// of them asks a question.

// ValidateArgv makes LVM check a profile's text before it is written:
// --config puts the text in front of LVM's configuration cascade and
// --validate checks exactly that front tree (unknown settings, wrong
// types, bad syntax) and exits non-zero when it is invalid (lvmconfig(8)).
// lvmconfig's --file names an output file, so it cannot be used to feed it
// one.
func ValidateArgv(content []byte) []string {
	return []string{"lvmconfig", "--validate", "--config", string(content)}
}

// AttachArgv attaches metadata profile name to vg/lv; LVM keeps the name in
// the VG metadata and reads NAME.profile whenever it acts on the LV.
func AttachArgv(name, vg, lv string) []string {
	return []string{"lvchange", "--metadataprofile", name, vg + "/" + lv}
}

// DetachArgv detaches whatever profile vg/lv has.
func DetachArgv(vg, lv string) []string {
	return []string{"lvchange", "--detachprofile", vg + "/" + lv}
}

// MonitorArgv registers vg/lv with dmeventd, which extends a thin pool
// past its threshold (seg_monitor becomes "monitored").
func MonitorArgv(vg, lv string) []string {
	return []string{"lvchange", "--monitor", "y", vg + "/" + lv}
}
