package journal

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/directlvm/docker/internal/runner"
)

func TestTheLogSinceAMomentIsReadAsLines(t *testing.T) {
	f := runner.NewFake(t)
	at := time.Date(2024, 5, 6, 10, 11, 12, 0, time.UTC)
	f.Expect("journalctl", "-u", "docker.service", "--no-pager", "-o", "cat", "--since", "2024-05-06 10:11:12").
		Stdout("Starting Docker Application Container Engine...\nfailed to start daemon\n")
	got, err := Since(context.Background(), f, "docker.service", at)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"Starting Docker Application Container Engine...", "failed to start daemon"}; !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestAnEmptyLogHasNoLines(t *testing.T) {
	if got := Lines([]byte("\n")); got != nil {
		t.Errorf("got %q", got)
	}
}
