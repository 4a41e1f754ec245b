package docker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
)

// DefaultSocket is where dockerd serves the Engine API unless told
// otherwise (-H).
const DefaultSocket = "/var/run/docker.sock"

// ClientConfig configures a Client. The zero value is usable.
type ClientConfig struct {
	// Socket is the Engine API's unix socket; empty means DefaultSocket.
	Socket string
	// RequestTimeout bounds each request; zero means 30 seconds.
	RequestTimeout time.Duration
	// PollInterval is how often WaitReady asks; zero means half a second.
	PollInterval time.Duration
}

// Client talks to the Docker Engine API over its unix socket: it reads
// GET /version, GET /info, GET /_ping and GET /images/json, and moves
// images between storage drivers (GET /images/get, POST /images/load).
type Client struct {
	cfg  ClientConfig
	http *http.Client
}

// NewClient returns a client for the engine at cfg.Socket.
func NewClient(cfg ClientConfig) *Client {
	if cfg.Socket == "" {
		cfg.Socket = DefaultSocket
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = 30 * time.Second
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = 500 * time.Millisecond
	}
	socket := cfg.Socket
	var d net.Dialer
	transport := &http.Transport{
		// Every request goes to the socket, whatever the URL's host.
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return d.DialContext(ctx, "unix", socket)
		},
		// One GET per connection: nothing is left open between runs.
		DisableKeepAlives: true,
	}
	return &Client{cfg: cfg, http: &http.Client{Transport: transport}}
}

// Socket returns the socket the client talks to.
func (c *Client) Socket() string { return c.cfg.Socket }

// ErrUnreachable says that nothing answered on the socket: the engine is
// not running, is starting, or listens elsewhere.
var ErrUnreachable = errors.New("the Docker Engine API does not answer")

// APIError is an answer of the engine other than success.
type APIError struct {
	Method     string // GET when empty
	Path       string
	StatusCode int
	Message    string // the engine's {"message": ...}, or the body
}

func (e *APIError) Error() string {
	method := e.Method
	if method == "" {
		method = "GET"
	}
	return fmt.Sprintf("docker engine: %s %s: HTTP %d: %s", method, e.Path, e.StatusCode, e.Message)
}

// VersionInfo is the part of GET /version this project reads.
type VersionInfo struct {
	Version       string `json:"Version"`       // engine version, e.g. "20.10.24+dfsg1"
	APIVersion    string `json:"ApiVersion"`    // newest API version served, e.g. "1.41"
	MinAPIVersion string `json:"MinAPIVersion"` // oldest API version served
	Os            string `json:"Os"`
	Arch          string `json:"Arch"`
	KernelVersion string `json:"KernelVersion"`
}

// Info is the part of GET /info this project reads.
type Info struct {
	ServerVersion string `json:"ServerVersion"`
	// Driver is the storage driver in use, e.g. "overlay2" or "devicemapper".
	Driver string `json:"Driver"`
	// DriverStatus is the driver's own report as label/value pairs, in the
	// driver's order; for devicemapper "Pool Name", "Data file",
	// "Udev Sync Supported", "Deferred Removal Enabled", ... (moby
	// daemon/graphdriver/devmapper/driver.go Status).
	DriverStatus [][2]string `json:"DriverStatus"`
	// DockerRootDir is the data root, e.g. /var/lib/docker.
	DockerRootDir string   `json:"DockerRootDir"`
	Warnings      []string `json:"Warnings"`
	Containers    int      `json:"Containers"`
	Images        int      `json:"Images"`
	// ContainersRunning counts the running containers; LiveRestoreEnabled
	// says they keep running when dockerd stops (daemon.json live-restore).
	ContainersRunning  int  `json:"ContainersRunning"`
	LiveRestoreEnabled bool `json:"LiveRestoreEnabled"`
}

// DriverStatusMap returns DriverStatus as a map from label to value.
func (i Info) DriverStatusMap() map[string]string {
	m := make(map[string]string, len(i.DriverStatus))
	for _, kv := range i.DriverStatus {
		m[kv[0]] = kv[1]
	}
	return m
}

// Status returns the value of one DriverStatus label.
func (i Info) Status(label string) (string, bool) {
	for _, kv := range i.DriverStatus {
		if kv[0] == label {
			return kv[1], true
		}
	}
	return "", false
}

// Version asks the engine for its version (GET /version).
func (c *Client) Version(ctx context.Context) (VersionInfo, error) {
	var v VersionInfo
	err := c.get(ctx, "/version", &v)
	return v, err
}

// Info asks the engine for its state, storage driver included (GET /info).
func (c *Client) Info(ctx context.Context) (Info, error) {
	var i Info
	err := c.get(ctx, "/info", &i)
	return i, err
}

// Ping asks whether the engine serves requests (GET /_ping answers "OK").
func (c *Client) Ping(ctx context.Context) error {
	return c.get(ctx, "/_ping", nil)
}

// WaitReady polls GET /_ping until the engine answers or timeout passes.
// The error carries the last reason it did not answer.
func (c *Client) WaitReady(ctx context.Context, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tick := time.NewTicker(c.cfg.PollInterval)
	defer tick.Stop()
	for {
		err := c.Ping(ctx)
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("the Docker Engine API on unix://%s did not answer within %s: %w", c.cfg.Socket, timeout, err)
		case <-tick.C:
		}
	}
}

// get sends one GET and decodes a JSON answer into out (nil: any 2xx
// answer will do).
func (c *Client) get(ctx context.Context, path string, out any) error {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.RequestTimeout)
	defer cancel()
	resp, err := c.roundTrip(ctx, path)
	if err != nil {
		return fmt.Errorf("docker engine on unix://%s: GET %s: %w: %w", c.cfg.Socket, path, ErrUnreachable, err)
	}
	if resp.StatusCode/100 != 2 {
		return &APIError{Path: path, StatusCode: resp.StatusCode, Message: apiMessage(resp.Body)}
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(resp.Body, out); err != nil {
		return fmt.Errorf("docker engine: GET %s: the answer is not the expected JSON: %w", path, err)
	}
	return nil
}

// apiMessage is the engine's {"message": ...} in an error's body, or the
// body itself.
func apiMessage(body []byte) string {
	var e struct {
		Message string `json:"message"`
	}
	if json.Unmarshal(body, &e) == nil && e.Message != "" {
		return e.Message
	}
	return strings.TrimSpace(string(body))
}

// maxBodyBytes bounds an answer's body; GET /info is a few KiB.
const maxBodyBytes = 16 << 20

// response is one answer of the engine.
type response struct {
	StatusCode int
	Body       []byte
}

// roundTrip sends one GET on a new connection to the socket and reads the
// answer; ctx bounds the whole exchange.
func (c *Client) roundTrip(ctx context.Context, path string) (response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://docker"+path, nil)
	if err != nil {
		return response{}, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		// The message names the socket and the path already: drop the
		// URL, whose host is a placeholder.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return response{}, withCause(ctx, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBodyBytes+1))
	switch {
	case err != nil && resp.ContentLength >= 0:
		return response{}, withCause(ctx, fmt.Errorf("reading the answer: after %d of %d bytes: %w", len(body), resp.ContentLength, err))
	case err != nil:
		return response{}, withCause(ctx, fmt.Errorf("reading the answer: after %d bytes: %w", len(body), err))
	case len(body) > maxBodyBytes:
		return response{}, fmt.Errorf("reading the answer: the body is over %d bytes", maxBodyBytes)
	}
	return response{StatusCode: resp.StatusCode, Body: body}, nil
}

// withCause adds ctx's reason to an I/O error when the end of ctx caused
// it, so that errors.Is(err, context.DeadlineExceeded) holds.
func withCause(ctx context.Context, err error) error {
	cause := ctx.Err()
	if cause == nil && errors.Is(err, os.ErrDeadlineExceeded) {
		// The connection's deadline is ctx's, and may pass a moment
		// before ctx notices.
		cause = context.DeadlineExceeded
	}
	if cause != nil && !errors.Is(err, cause) {
		return fmt.Errorf("%w (%w)", err, cause)
	}
	return err
}
