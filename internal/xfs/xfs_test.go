package xfs

import (
	"strings"
	"testing"
)

func TestTheSuperblockSaysTheSizeAndWhetherDirectoriesCarryTheFileType(t *testing.T) {
	for _, tc := range []struct {
		name, out string
		size      int64
		ftype     bool
		err       string
	}{
		{"V5, as mkfs.xfs makes it", "dblocks = 994304\nblocksize = 4096\nversionnum [0xb4b5+0x18a] = V5,NLINK,DIRV2,ATTR,ALIGN,LOGV2,EXTFLG,MOREBITS,ATTR2,LAZYSBCOUNT,PROJID32BIT,CRC,FTYPE,FINOBT,SPARSE_INODES,REFLINK\n",
			994304 * 4096, true, ""},
		{"V4 with ftype=0", "dblocks = 262144\nblocksize = 4096\nversionnum [0xb4a4+0x8] = V4,NLINK,DIRV2,ALIGN,LOGV2,EXTFLG,MOREBITS,ATTR2\n",
			262144 * 4096, false, ""},
		{"not XFS", "xfs_db: /dev/vdb is not a valid XFS filesystem (unexpected SB magic number 0x00000000)\n", 0, false, "printed no dblocks"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sb, err := parseDB(tc.out)
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
