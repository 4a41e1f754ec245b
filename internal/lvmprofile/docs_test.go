package lvmprofile

import (
	"strings"
	"testing"

	"github.com/directlvm/docker/internal/ansible/ansibletest"
	"github.com/directlvm/docker/internal/lvm"
	"github.com/directlvm/docker/internal/lvm/lvmtest"
	"github.com/directlvm/docker/internal/runner"
	"github.com/directlvm/docker/internal/systemd"
)

// RETURN in plugins/modules/lvm_profile.py documents every key a run that
// writes, attaches and monitors returns (in diff mode, so that diff is
// there too), and no key it does not.
func TestReturnDocumentsWhatARunReturns(t *testing.T) {
	doc := ansibletest.Docs(t, Name)[Name]
	dir, path := profileDirIn(t)
	writeProfile(t, path, []byte("activation { thin_pool_autoextend_threshold=70 }\n"))
	f := runner.NewFake(t)
	lvmconfigSays(f, dir)
	fullreport(f, unmonitored(raw(t, lvmtest.Pool)))
	f.Expect(lvm.ValidateConfig(golden(t))...).Stdout("LVM configuration valid.\n")
	f.Expect(strings.Fields(attach)...)
	f.Expect(strings.Fields(monitor)...)
	fullreport(f, attached(raw(t, lvmtest.Pool)))
	sd := servicesUp().with("dm-event.socket", func(u *systemd.UnitState) { u.UnitFileState = "disabled" })
	res := execute(t, host(f, sd), map[string]any{"lv": "docker/thinpool", "_ansible_diff": true})
	ansibletest.CheckReturnDocs(t, Name, doc, res)
}
