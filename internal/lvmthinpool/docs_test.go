package lvmthinpool

import (
	"strings"
	"testing"

	"github.com/directlvm/docker/internal/ansible/ansibletest"
	"github.com/directlvm/docker/internal/lvm"
	"github.com/directlvm/docker/internal/lvm/lvmtest"
	"github.com/directlvm/docker/internal/runner"
)

// RETURN in plugins/modules/lvm_thinpool.py documents every key a run
// that creates the pool returns (in diff mode, so that diff is there too),
// and no key it does not.
func TestReturnDocumentsWhatARunReturns(t *testing.T) {
	doc := ansibletest.Docs(t, Name)[Name]
	f := runner.NewFake(t)
	f.Expect(lvm.ReportArgv()...).Stdout(string(lvmtest.Raw(t, lvmtest.VGOnly)))
	f.Expect(strings.Fields(createData)...)
	f.Expect(strings.Fields(createMeta)...)
	f.Expect(strings.Fields(convert)...)
	f.Expect(lvm.ReportArgv()...).Stdout(string(lvmtest.Raw(t, lvmtest.Pool)))
	res := execute(t, f, map[string]any{"devices": []string{"/dev/vdb"}, "_ansible_diff": true})
	ansibletest.CheckReturnDocs(t, Name, doc, res)
}
