package xfs

import (
	"strings"
	"testing"
)

// xfs_info as xfsprogs 6.1 (bookworm) prints it for an 8 GiB volume made by
// mkfs.xfs -n ftype=1, and for an old filesystem without ftype.
const (
	infoV5 = `meta-data=/dev/mapper/docker-data isize=512    agcount=4, agsize=524288 blks
         =                       sectsz=512   attr=2, projid32bit=1
         =                       crc=1        finobt=1, sparse=1, rmapbt=0
         =                       reflink=1    bigtime=1 inobtcount=1
data     =                       bsize=4096   blocks=2097152, imaxpct=25
         =                       sunit=0      swidth=0 blks
naming   =version 2              bsize=4096   ascii-ci=0, ftype=1
log      =internal log           bsize=4096   blocks=16384, version=2
         =                       sectsz=512   sunit=0 blks, lazy-count=1
realtime =none                   extsz=4096   blocks=0, rtextents=0
`
	infoNoFtype = `meta-data=/dev/vdc               isize=256    agcount=4, agsize=65536 blks
data     =                       bsize=4096   blocks=262144, imaxpct=25
naming   =version 2              bsize=4096   ascii-ci=0, ftype=0
log      =internal log           bsize=4096   blocks=2560, version=2
`
)

func TestTheGeometrySaysTheSizeAndWhetherDirectoriesCarryTheFileType(t *testing.T) {
	for _, tc := range []struct {
		name, out string
		size      int64
		ftype     bool
		err       string
	}{
		{"as mkfs.xfs -n ftype=1 makes it", infoV5, 2097152 * 4096, true, ""},
		{"without ftype", infoNoFtype, 262144 * 4096, false, ""},
		{"not XFS", "/dev/vdb: is not a valid XFS filesystem (unexpected SB magic number 0x00000000)\n", 0, false, "printed no data section size"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sb, err := parseInfo(tc.out)
			switch {
			case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
				t.Fatalf("err = %v, want %q", err, tc.err)
			case tc.err == "" && err != nil:
				t.Fatal(err)
			case sb.SizeBytes != tc.size || sb.FType != tc.ftype:
				t.Fatalf("read %+v, want size %d ftype %v", sb, tc.size, tc.ftype)
			}
		})
	}
}
