package lvm

import "strings"

// ValidName reports whether s is a name LVM accepts for a VG, an LV or a
// profile (lvm(8)): letters, digits and + _ . -, not starting with -,
// neither "." nor "..", at most 127 bytes. Reserved prefixes and
// suffixes (snapshot, _tmeta, ...) are the caller's to refuse.
func ValidName(s string) bool {
	if s == "" || s[0] == '-' || s == "." || s == ".." || len(s) > 127 {
		return false
	}
	for _, r := range s {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("+_.-", r)
		if !ok {
			return false
		}
	}
	return true
}

// DMName is device-mapper's name for vg/lv, which LVM gives the LV's
// device (/dev/mapper/NAME) and docker reports as its Pool Name: each "-"
// inside a name doubled, the two joined by "-".
func DMName(vg, lv string) string {
	return strings.ReplaceAll(vg, "-", "--") + "-" + strings.ReplaceAll(lv, "-", "--")
}
