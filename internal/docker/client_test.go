package docker

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The answers in testdata/engine follow the Engine API 1.41 (docker
// 20.10) field for field; the DriverStatus labels and their order are
// those of moby's devmapper driver Status().

// engine serves handler on a unix socket in a temporary directory, as
// dockerd serves /var/run/docker.sock, and returns the socket's path.
func engine(t *testing.T, handler http.HandlerFunc) string {
	t.Helper()
	socket := filepath.Join(t.TempDir(), "docker.sock")
	l, err := net.Listen("unix", socket)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(handler)
	srv.Listener.Close()
	srv.Listener = l
	srv.Start()
	t.Cleanup(srv.Close)
	return socket
}

func serveFile(t *testing.T, path string) http.HandlerFunc {
	body, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	}
}

func TestClientReadsVersionAndInfo(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /version", serveFile(t, "testdata/engine/version.json"))
	mux.HandleFunc("GET /info", serveFile(t, "testdata/engine/info-devicemapper.json"))
	c := NewClient(ClientConfig{Socket: engine(t, mux.ServeHTTP)})
	ctx := context.Background()

	v, err := c.Version(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if v.Version != "20.10.24+dfsg1" || v.APIVersion != "1.41" {
		t.Errorf("version: %+v", v)
	}
	info, err := c.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.Driver != "devicemapper" || info.DockerRootDir != "/var/lib/docker" || len(info.Warnings) != 1 {
		t.Errorf("info: %+v", info)
	}
	if len(info.DriverStatus) != 18 || info.DriverStatus[0] != [2]string{"Pool Name", "docker-thinpool"} {
		t.Errorf("driver status in order: %q", info.DriverStatus)
	}
	m := info.DriverStatusMap()
	if m["Data file"] != "" || m["Udev Sync Supported"] != "true" || m["Deferred Deletion Enabled"] != "true" {
		t.Errorf("driver status map: %v", m)
	}
	if _, ok := info.Status("Data loop file"); ok {
		t.Error("a direct-lvm pool has no loop file")
	}
}

func TestClientSaysWhatTheEngineAnswered(t *testing.T) {
	c := NewClient(ClientConfig{Socket: engine(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write([]byte(`{"message":"devmapper: Error running DeviceCreate"}`))
	})})
	_, err := c.Info(context.Background())
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 500 || !strings.Contains(err.Error(), "devmapper: Error running DeviceCreate") {
		t.Fatalf("want the engine's message, got %v", err)
	}
}

func TestClientWithoutAnEngineIsUnreachable(t *testing.T) {
	socket := filepath.Join(t.TempDir(), "docker.sock")
	c := NewClient(ClientConfig{Socket: socket, RequestTimeout: time.Second})
	_, err := c.Version(context.Background())
	if !errors.Is(err, ErrUnreachable) || !strings.Contains(err.Error(), socket) {
		t.Fatalf("want ErrUnreachable naming the socket, got %v", err)
	}
}

func TestWaitReadyWaitsForAnEngineThatStartsLate(t *testing.T) {
	socket := filepath.Join(t.TempDir(), "docker.sock")
	c := NewClient(ClientConfig{Socket: socket, PollInterval: 20 * time.Millisecond})
	started := make(chan struct{})
	go func() {
		time.Sleep(150 * time.Millisecond)
		l, err := net.Listen("unix", socket)
		if err != nil {
			t.Error(err)
			close(started)
			return
		}
		srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/_ping" {
				_, _ = w.Write([]byte("OK"))
			}
		})}
		t.Cleanup(func() { srv.Close() })
		close(started)
		_ = srv.Serve(l)
	}()
	if err := c.WaitReady(context.Background(), 10*time.Second); err != nil {
		t.Fatal(err)
	}
	<-started
}

func TestWaitReadyGivesUpAfterItsTimeout(t *testing.T) {
	c := NewClient(ClientConfig{Socket: filepath.Join(t.TempDir(), "docker.sock"), PollInterval: 10 * time.Millisecond})
	start := time.Now()
	err := c.WaitReady(context.Background(), 100*time.Millisecond)
	if err == nil || !errors.Is(err, ErrUnreachable) || !strings.Contains(err.Error(), "did not answer within 100ms") {
		t.Fatalf("got %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("waited %s", d)
	}
}
