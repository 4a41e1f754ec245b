package lvm

// Attr is lv_attr, ten characters whose positions are documented in lvs(8):
//
//	1 volume type: t thin pool, V thin volume, T thin pool data, e pool
//	  metadata or spare, - plain (linear), m mirrored, r raid, ...
//	2 permissions, 3 allocation policy, 4 fixed minor,
//	5 state: a active, - inactive, ...
//	6 device open: o open
//	7 target type: t thin, ...
//	8 newly allocated blocks are overwritten with zeroes: z (thin pools)
//	9 volume health, 10 skip activation
type Attr string

func (a Attr) at(i int) byte {
	if i < len(a) {
		return a[i]
	}
	return 0
}

// ThinPool tells whether the LV is a thin pool.
func (a Attr) ThinPool() bool { return a.at(0) == 't' }

// Plain tells whether the LV is a plain (linear or striped) volume.
func (a Attr) Plain() bool { return a.at(0) == '-' }

// Zeroing tells whether a thin pool zeroes newly provisioned blocks.
func (a Attr) Zeroing() bool { return a.at(7) == 'z' }
