package docker

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// Image is one entry of GET /images/json.
type Image struct {
	ID       string   `json:"Id"`
	RepoTags []string `json:"RepoTags"`
	// Size is the image's size with all its layers, shared ones included.
	Size int64 `json:"Size"`
}

// Tags are the image's repository tags, without the "<none>:<none>" that
// old engines report for an untagged image.
func (i Image) Tags() []string {
	var tags []string
	for _, t := range i.RepoTags {
		if t != "" && t != "<none>:<none>" {
			tags = append(tags, t)
		}
	}
	return tags
}

// Images lists the engine's images (GET /images/json).
func (c *Client) Images(ctx context.Context) ([]Image, error) {
	var images []Image
	err := c.get(ctx, "/images/json", &images)
	return images, err
}

// ExportImages streams the images named (tags or IDs) as one tar archive,
// what docker save writes, into w (GET /images/get). Only ctx bounds it:
// an export takes as long as the images are large.
func (c *Client) ExportImages(ctx context.Context, names []string, w io.Writer) (int64, error) {
	q := url.Values{}
	for _, n := range names {
		q.Add("names", n)
	}
	path := "/images/get?" + q.Encode()
	resp, err := c.send(ctx, http.MethodGet, path, nil)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	n, err := io.Copy(w, resp.Body)
	if err != nil {
		return n, withCause(ctx, fmt.Errorf("docker engine: GET /images/get: after %d bytes: %w", n, err))
	}
	return n, nil
}

// LoadImages sends a tar archive as docker save writes it to the engine
// (POST /images/load), streamed from r, and returns what the engine
// reports loading ("Loaded image: tiny:1"). Only ctx bounds it.
func (c *Client) LoadImages(ctx context.Context, r io.Reader) ([]string, error) {
	resp, err := c.send(ctx, http.MethodPost, "/images/load?quiet=1", r)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	// The answer is a stream of JSON messages; an error arrives as one of
	// them, with the status already 200.
	var loaded []string
	dec := json.NewDecoder(bufio.NewReader(resp.Body))
	for {
		var m struct {
			Stream string `json:"stream"`
			Error  string `json:"error"`
		}
		if err := dec.Decode(&m); errors.Is(err, io.EOF) {
			return loaded, nil
		} else if err != nil {
			return loaded, withCause(ctx, fmt.Errorf("docker engine: POST /images/load: reading the answer: %w", err))
		}
		if m.Error != "" {
			return loaded, &APIError{Method: http.MethodPost, Path: "/images/load", StatusCode: resp.StatusCode, Message: m.Error}
		}
		if s := strings.TrimSpace(m.Stream); s != "" {
			loaded = append(loaded, s)
		}
	}
}

// send sends one request whose answer is read by the caller: a stream,
// bounded only by ctx. An answer other than success is an *APIError.
func (c *Client) send(ctx context.Context, method, path string, body io.Reader) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, "http://docker"+path, body)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/x-tar")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("docker engine on unix://%s: %s %s: %w", c.cfg.Socket, method, path, withCause(ctx, err))
	}
	if resp.StatusCode/100 != 2 {
		defer resp.Body.Close()
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		return nil, &APIError{Method: method, Path: path, StatusCode: resp.StatusCode, Message: apiMessage(b)}
	}
	return resp, nil
}
