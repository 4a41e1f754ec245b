package dmsetup

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/directlvm/docker/internal/runner"
)

func TestAThinPoolsStatusIsRead(t *testing.T) {
	f := runner.NewFake(t)
	f.Expect("dmsetup", "status", "docker-thinpool").Stdout("0 8331264 thin-pool 3 141/10240 17/16272 - rw no_discard_passdown queue_if_no_space - 1024\n")
	s, err := ReadStatus(context.Background(), f, "docker-thinpool")
	if err != nil {
		t.Fatal(err)
	}
	p, err := ParseThinPool(s)
	if err != nil {
		t.Fatal(err)
	}
	if want := (ThinPool{3, 141, 10240, 17, 16272}); p != want {
		t.Errorf("got %+v, want %+v", p, want)
	}
}

func TestAMissingDeviceIsErrNotFound(t *testing.T) {
	f := runner.NewFake(t)
	f.Expect("dmsetup", "status", "nosuch").Stderr("Device does not exist.\nCommand failed.\n").Exit(1)
	if _, err := ReadStatus(context.Background(), f, "nosuch"); !errors.Is(err, ErrNotFound) {
		t.Errorf("want ErrNotFound, got %v", err)
	}
}

func TestAFailedPoolIsErrPoolFailed(t *testing.T) {
	for _, out := range []string{"0 8331264 thin-pool Fail\n", "0 8331264 thin-pool Error\n"} {
		s, err := ParseStatus([]byte(out))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ParseThinPool(s); !errors.Is(err, ErrPoolFailed) {
			t.Errorf("%q: want ErrPoolFailed, got %v", out, err)
		}
	}
}

func TestUnparsableOutputIsAnErrorNotAnEmptyPool(t *testing.T) {
	for _, out := range []string{"", "0 8331264\n", "0 8331264 thin-pool x 141/10240 0/16272\n", "0 8331264 thin-pool 0 141/10240 used\n", "0 8331264 thin-pool 0\n"} {
		s, err := ParseStatus([]byte(out))
		if err == nil {
			_, err = ParseThinPool(s)
		}
		if err == nil {
			t.Errorf("%q: want an error", out)
		} else if !strings.Contains(err.Error(), "status") {
			t.Errorf("%q: the error should say what it read: %v", out, err)
		}
	}
}

func TestThinDevicesAreMatchedToTheirPoolByDeviceNumber(t *testing.T) {
	out := []byte("docker-254:1-1310-base: 0 20971520 thin 254:3 1\n" +
		"other-thin: 0 131072 thin 254:9 4\n" +
		"docker-254:1-1310-0f1e: 0 20971520 thin 254:3 7\n")
	got := ParseThinTables(out, "254:3")
	if want := []string{"docker-254:1-1310-base", "docker-254:1-1310-0f1e"}; !slices.Equal(got, want) {
		t.Errorf("thin devices of 254:3: %q, want %q", got, want)
	}
	if got := ParseThinTables([]byte("No devices found\n"), "254:3"); len(got) != 0 {
		t.Errorf("no devices: %q", got)
	}
}
