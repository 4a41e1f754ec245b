package lvmthinpool

import (
	"os"
	"testing"

	"github.com/directlvm/docker/internal/ansible/ansibletest"
)

// TestMain lets the fault tests start this test binary as the module
// (ansibletest.RunFaulted).
func TestMain(m *testing.M) {
	ansibletest.ServeChild(Module(RealHost()))
	os.Exit(m.Run())
}
