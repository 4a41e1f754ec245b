package lvmthinpool

import (
	"testing"

	"github.com/directlvm/docker/internal/ansible/ansibletest"
)

// RETURN in plugins/modules/lvm_thinpool.py documents every key a run
// that creates the pool returns (in diff mode, so that diff is there too),
// and no key it does not.
func TestReturnDocumentsWhatARunReturns(t *testing.T) {
	doc := ansibletest.Docs(t, Name)[Name]
	res := createThePool(t, map[string]any{"devices": []string{"/dev/vdb"}, "_ansible_diff": true})
	ansibletest.CheckReturnDocs(t, Name, doc, res)
}
