package docker

import (
	"bufio"
	"errors"
	"io"
	"strings"
	"testing"
)

// The framings an engine (or anything else listening on its socket) may
// use for an answer, read by readResponse from the raw bytes.
func TestReadResponseFramings(t *testing.T) {
	tests := []struct {
		desc   string
		raw    string
		status int
		body   string
	}{
		{
			desc:   "Content-Length, as dockerd frames a short answer",
			raw:    "HTTP/1.1 200 OK\r\nApi-Version: 1.41\r\nContent-Type: application/json\r\nContent-Length: 17\r\n\r\n{\"Version\":\"1.0\"}",
			status: 200, body: `{"Version":"1.0"}`,
		},
		{
			desc:   "chunked, as dockerd frames GET /info, with a chunk extension and a trailer field",
			raw:    "HTTP/1.1 200 OK\r\ntransfer-encoding: Chunked\r\n\r\n5\r\n{\"a\":\r\n4;ext=1\r\n\"b\"}\r\n0\r\nX-Trailer: t\r\n\r\n",
			status: 200, body: `{"a":"b"}`,
		},
		{
			desc:   "chunked wins over Content-Length",
			raw:    "HTTP/1.1 200 OK\r\nContent-Length: 99\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nOK\r\n0\r\n\r\n",
			status: 200, body: "OK",
		},
		{
			desc:   "neither: the body ends with the connection",
			raw:    "HTTP/1.0 200 OK\r\n\r\n{}\n",
			status: 200, body: "{}\n",
		},
		{
			desc:   "bare LF line ends",
			raw:    "HTTP/1.1 200 OK\nContent-Length: 2\n\nOK",
			status: 200, body: "OK",
		},
		{
			desc:   "an interim 100 Continue before the answer",
			raw:    "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK",
			status: 200, body: "OK",
		},
		{
			desc:   "no reason phrase",
			raw:    "HTTP/1.1 404\r\nContent-Length: 0\r\n\r\n",
			status: 404, body: "",
		},
		{
			desc:   "204 has no body whatever the fields say",
			raw:    "HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n",
			status: 204, body: "",
		},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			resp, err := readResponse(bufio.NewReader(strings.NewReader(tt.raw)))
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tt.status || string(resp.Body) != tt.body {
				t.Errorf("got %d %q, want %d %q", resp.StatusCode, resp.Body, tt.status, tt.body)
			}
		})
	}
}

// Answers that end early are io.ErrUnexpectedEOF and say where they ended.
func TestReadResponseTruncated(t *testing.T) {
	tests := []struct {
		desc string
		raw  string
		want string
	}{
		{"nothing at all", "", "closed without an answer"},
		{"in the status line", "HTTP/1.1 20", "status line"},
		{"in the header fields", "HTTP/1.1 200 OK\r\nContent-Len", "header fields"},
		{"Content-Length larger than the body", "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"Version\"", "after 10 of 100 bytes"},
		{"Content-Length and no body", "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n", "after 0 of 100 bytes"},
		{"in a chunk", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\na\r\n{\"V", "after 3 of 10 bytes"},
		{"before the last chunk", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nOK\r\n", "chunk size"},
		{"before the end of the trailer", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n", "trailer"},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			_, err := readResponse(bufio.NewReader(strings.NewReader(tt.raw)))
			if !errors.Is(err, io.ErrUnexpectedEOF) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("want io.ErrUnexpectedEOF saying %q, got %v", tt.want, err)
			}
		})
	}
}

func TestReadResponseRefusesWhatItCannotRead(t *testing.T) {
	tests := []struct {
		desc string
		raw  string
		want string
	}{
		{"not HTTP", "SSH-2.0-OpenSSH_9.2\r\n\r\n", "not an HTTP/1.x status line"},
		{"HTTP/2", "HTTP/2 200\r\n\r\n", "not an HTTP/1.x status line"},
		{"a status code that is not three digits", "HTTP/1.1 2000 OK\r\n\r\n", "not an HTTP/1.x status line"},
		{"a signed status code", "HTTP/1.1 +20 OK\r\n\r\n", "bad status code"},
		{"a header field without a colon", "HTTP/1.1 200 OK\r\nContent-Length 2\r\n\r\nOK", "malformed header field"},
		{"white space before the colon", "HTTP/1.1 200 OK\r\nContent-Length : 2\r\n\r\nOK", "malformed header field"},
		{"a negative Content-Length", "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", "bad Content-Length"},
		{"conflicting Content-Length fields", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nOK", "conflicting Content-Length"},
		{"a compressed transfer coding", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", "unsupported Transfer-Encoding"},
		{"a chunk size that is not hex", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "bad chunk size"},
		{"a chunk longer than its size", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nOK\r\n0\r\n\r\n", "longer than its size"},
		{"a Content-Length over the bound", "HTTP/1.1 200 OK\r\nContent-Length: 1073741824\r\n\r\n", "more than the 16777216 bytes accepted"},
		{"a chunk over the bound", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n40000000\r\n", "more than the 16777216 bytes accepted"},
		{"header fields over the bound", "HTTP/1.1 200 OK\r\nX: " + strings.Repeat("x", maxHeadBytes) + "\r\n\r\n", "line too long"},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			_, err := readResponse(bufio.NewReader(strings.NewReader(tt.raw)))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("want an error saying %q, got %v", tt.want, err)
			}
		})
	}
}

// zeros is an endless body.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

func TestReadResponseBoundsABodyThatEndsWithTheConnection(t *testing.T) {
	r := io.MultiReader(strings.NewReader("HTTP/1.0 200 OK\r\n\r\n"), io.LimitReader(zeros{}, maxBodyBytes+1))
	_, err := readResponse(bufio.NewReader(r))
	if err == nil || !strings.Contains(err.Error(), "more than the 16777216 bytes accepted") {
		t.Fatalf("got %v", err)
	}
	r = io.MultiReader(strings.NewReader("HTTP/1.0 200 OK\r\n\r\n"), io.LimitReader(zeros{}, maxBodyBytes))
	if resp, err := readResponse(bufio.NewReader(r)); err != nil || len(resp.Body) != maxBodyBytes {
		t.Fatalf("a body of exactly the bound: %d bytes, %v", len(resp.Body), err)
	}
}
