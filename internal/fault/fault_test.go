package fault

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
)

func TestAFaultPointIsReadFromItsText(t *testing.T) {
	p, err := Parse("docker_storage:4:powercut")
	if err != nil {
		t.Fatal(err)
	}
	if *p != (Point{Module: "docker_storage", Step: 4, Kind: PowerCut}) {
		t.Errorf("%+v", *p)
	}
	if !p.Matches("docker_storage", 4) || p.Matches("docker_storage", 3) || p.Matches("lvm_thinpool", 4) {
		t.Error("a point matches its module's step alone")
	}
}

func TestNoFaultPointNeverFires(t *testing.T) {
	p, err := Parse("")
	if p != nil || err != nil {
		t.Fatalf("%v %v", p, err)
	}
	if p.Matches("docker_storage", 1) {
		t.Error("a nil point matched")
	}
	p.After("docker_storage", 1) // returns: nothing fires
}

func TestAMalformedFaultPointIsRefusedNamingTheVariable(t *testing.T) {
	for text, says := range map[string]string{
		"docker_storage:4":        "MODULE:STEP:KIND",
		"docker_storage:0:kill":   "is not a number from 1",
		"docker_storage:x:kill":   "is not a number from 1",
		"docker_storage:2:reboot": `"reboot" is neither kill nor powercut`,
	} {
		_, err := Parse(text)
		if err == nil || !strings.Contains(err.Error(), EnvVar) || !strings.Contains(err.Error(), says) {
			t.Errorf("%q: %v; want it to name %s and say %q", text, err, EnvVar, says)
		}
	}
}

// The test binary itself is the process that a kill fault ends.
func TestAKillFaultEndsTheProcessWithSIGKILL(t *testing.T) {
	if os.Getenv("FAULT_TEST_CHILD") == "1" {
		p, _ := Parse("m:2:kill")
		p.After("m", 1)
		fmt.Println("after step 1")
		p.After("m", 2)
		fmt.Println("after step 2")
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestAKillFaultEndsTheProcessWithSIGKILL$")
	cmd.Env = append(os.Environ(), "FAULT_TEST_CHILD=1")
	out, err := cmd.Output()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("want the child killed by SIGKILL: %v", err)
	}
	if got := string(out); !strings.Contains(got, "after step 1") || strings.Contains(got, "after step 2") {
		t.Errorf("the child printed %q: want it to die right after step 2", got)
	}
}
