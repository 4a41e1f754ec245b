package docker

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
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

func TestClientSaysWhatTheEngineAnsweredOnNotFound(t *testing.T) {
	tests := []struct {
		desc, contentType, body, want string
	}{
		{"the engine's JSON message", "application/json", `{"message":"page not found"}` + "\n", "page not found"},
		{"a body that is not JSON", "text/plain", "404 page not found\n", "404 page not found"},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			c := NewClient(ClientConfig{Socket: engine(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", tt.contentType)
				w.WriteHeader(http.StatusNotFound)
				_, _ = w.Write([]byte(tt.body))
			})})
			_, err := c.Version(context.Background())
			var apiErr *APIError
			if !errors.As(err, &apiErr) || apiErr.StatusCode != 404 || apiErr.Message != tt.want || errors.Is(err, ErrUnreachable) {
				t.Fatalf("want HTTP 404 saying %q, got %v", tt.want, err)
			}
		})
	}
}

// dockerd answers GET /info, a few KiB written as it is encoded, in the
// chunked transfer coding.
func TestClientReadsAChunkedAnswer(t *testing.T) {
	body, err := os.ReadFile("testdata/engine/info-devicemapper.json")
	if err != nil {
		t.Fatal(err)
	}
	c := NewClient(ClientConfig{Socket: engine(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		half := len(body) / 2
		_, _ = w.Write(body[:half])
		w.(http.Flusher).Flush() // the header goes out without a Content-Length
		_, _ = w.Write(body[half:])
	})})
	info, err := c.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if info.Driver != "devicemapper" || len(info.DriverStatus) != 18 {
		t.Errorf("info: %+v", info)
	}
}

// rawEngine plays the engine byte by byte: for each connection it reads
// the request's head and hands it to answer; the connection closes when
// answer returns.
func rawEngine(t *testing.T, answer func(conn net.Conn, request string)) string {
	t.Helper()
	socket := filepath.Join(t.TempDir(), "docker.sock")
	l, err := net.Listen("unix", socket)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() {
		l.Close()
		wg.Wait()
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer conn.Close()
				var head strings.Builder
				r := bufio.NewReader(conn)
				for {
					line, err := r.ReadString('\n')
					if err != nil {
						return
					}
					head.WriteString(line)
					if line == "\r\n" {
						break
					}
				}
				answer(conn, head.String())
			}()
		}
	}()
	return socket
}

// hang returns an answer that sends first, then nothing until the test
// ends.
func hang(t *testing.T, first string) func(net.Conn, string) {
	return func(conn net.Conn, _ string) {
		_, _ = io.WriteString(conn, first)
		<-t.Context().Done() // done before any cleanup runs
	}
}

func TestClientSendsOneGETPerConnection(t *testing.T) {
	requests := make(chan string, 1)
	socket := rawEngine(t, func(conn net.Conn, request string) {
		requests <- request
		_, _ = io.WriteString(conn, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 20\r\n\r\n{\"Version\":\"24.0.7\"}")
	})
	v, err := NewClient(ClientConfig{Socket: socket}).Version(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if v.Version != "24.0.7" {
		t.Errorf("version: %+v", v)
	}
	got := <-requests
	if !strings.HasPrefix(got, "GET /version HTTP/1.1\r\n") {
		t.Errorf("the request %q is not a GET of /version", got)
	}
	for _, want := range []string{"\r\nHost: docker\r\n", "\r\nConnection: close\r\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("the request %q lacks %q", got, want)
		}
	}
}

func TestClientStopsWaitingForAnEngineThatDoesNotAnswer(t *testing.T) {
	tests := []struct {
		desc  string
		first string // what the engine sends before it hangs
	}{
		{"nothing", ""},
		{"the header fields only", "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n"},
		{"part of the body", "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"Version\""},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			c := NewClient(ClientConfig{Socket: rawEngine(t, hang(t, tt.first)), RequestTimeout: 200 * time.Millisecond})
			start := time.Now()
			_, err := c.Version(context.Background())
			if !errors.Is(err, ErrUnreachable) || !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("want ErrUnreachable after the request timeout, got %v", err)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("waited %s", d)
			}
		})
	}
}

func TestClientStopsWhenTheCallerCancels(t *testing.T) {
	c := NewClient(ClientConfig{Socket: rawEngine(t, hang(t, ""))})
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	start := time.Now()
	_, err := c.Info(ctx)
	if !errors.Is(err, ErrUnreachable) || !errors.Is(err, context.Canceled) {
		t.Fatalf("want ErrUnreachable because of the cancel, got %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("waited %s", d)
	}
}

func TestClientReportsATruncatedAnswer(t *testing.T) {
	c := NewClient(ClientConfig{Socket: rawEngine(t, func(conn net.Conn, _ string) {
		_, _ = io.WriteString(conn, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"Version\"")
	})})
	_, err := c.Version(context.Background())
	if !errors.Is(err, ErrUnreachable) || !errors.Is(err, io.ErrUnexpectedEOF) || !strings.Contains(err.Error(), "after 10 of 100 bytes") {
		t.Fatalf("want a truncated answer, got %v", err)
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

func TestAnUnreachableEngineIsNamedBySocketNotByAPlaceholderURL(t *testing.T) {
	socket := filepath.Join(t.TempDir(), "docker.sock")
	_, err := NewClient(ClientConfig{Socket: socket, RequestTimeout: time.Second}).Info(context.Background())
	if err == nil || strings.Contains(err.Error(), "http://docker") || !strings.Contains(err.Error(), "unix://"+socket+": GET /info") {
		t.Errorf("got %v", err)
	}
}
