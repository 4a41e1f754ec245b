package dockerstorage

import (
	"testing"

	"github.com/directlvm/docker/internal/ansible/ansibletest"
	"github.com/directlvm/docker/internal/runner"
)

// RETURN in plugins/modules/docker_storage.py documents every key the
// first switch to the pool returns (in diff mode, so that diff is there
// too), and no key it does not.
func TestReturnDocumentsWhatARunReturns(t *testing.T) {
	doc := ansibletest.Docs(t, Name)[Name]
	d := newDocker(t)
	f := runner.NewFake(t)
	expectPool(f)
	res := execute(t, d.host(f), d.args(map[string]any{"_ansible_diff": true}))
	ansibletest.CheckReturnDocs(t, Name, doc, res)
}
