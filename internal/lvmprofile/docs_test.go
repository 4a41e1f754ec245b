package lvmprofile

import (
	"testing"

	"github.com/directlvm/docker/internal/ansible/ansibletest"
)

// RETURN in plugins/modules/lvm_profile.py documents every key a run that
// writes, attaches and monitors returns (in diff mode, so that diff is
// there too), and no key it does not.
func TestReturnDocumentsWhatARunReturns(t *testing.T) {
	doc := ansibletest.Docs(t, Name)[Name]
	res, _, _, _ := applyOnThePool(t)
	ansibletest.CheckReturnDocs(t, Name, doc, res)
}
