package docker

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// The Engine API is HTTP/1.1 over a unix socket, and the client only ever
// sends one GET per connection. It speaks that much HTTP itself (RFC 9112)
// instead of using net/http, which would bring TLS, X.509, HTTP/2 and
// about 3 MB into a binary that is copied to every host for every task:
// a request line and its header fields; then a status line, header fields
// and a body framed by Content-Length, by the chunked transfer coding, or
// by the end of the connection.

const (
	// maxHeadBytes bounds the status line and header fields of an answer
	// together; the engine sends a few hundred bytes.
	maxHeadBytes = 64 << 10
	// maxLineBytes bounds one chunk-size line or trailer field.
	maxLineBytes = 4 << 10
	// maxBodyBytes bounds an answer's body; GET /info is a few KiB.
	maxBodyBytes = 16 << 20
)

// response is one answer of the engine.
type response struct {
	StatusCode int
	Body       []byte
}

// errLineTooLong is a status line, header field or chunk-size line over
// its bound.
var errLineTooLong = errors.New("line too long")

// writeGet writes a GET request for path (absolute, e.g. "/info").
func writeGet(w io.Writer, path string) error {
	_, err := io.WriteString(w, "GET "+path+" HTTP/1.1\r\n"+
		// Required by HTTP/1.1; the engine does not look at it.
		"Host: docker\r\n"+
		"User-Agent: directlvm.docker\r\n"+
		"Accept: application/json\r\n"+
		// One request per connection: a restarting engine closes them
		// all anyway.
		"Connection: close\r\n"+
		"\r\n")
	return err
}

// readResponse reads the answer to one GET.
func readResponse(r *bufio.Reader) (response, error) {
	for {
		status, h, err := readHead(r)
		if err != nil {
			return response{}, err
		}
		if status < 200 {
			// An interim answer (100 Continue): the real one follows.
			continue
		}
		body, err := readBody(r, status, h)
		if err != nil {
			return response{}, err
		}
		return response{StatusCode: status, Body: body}, nil
	}
}

// framing is what the header fields say about the body.
type framing struct {
	contentLength int64 // -1 when the field is absent
	chunked       bool  // Transfer-Encoding: chunked; Content-Length is then ignored
}

// readHead reads a status line and the header fields up to the empty line.
func readHead(r *bufio.Reader) (status int, f framing, err error) {
	f.contentLength = -1
	budget := maxHeadBytes
	line, err := readLine(r, budget)
	if err != nil {
		if errors.Is(err, io.EOF) {
			return 0, f, fmt.Errorf("the connection closed without an answer: %w", io.ErrUnexpectedEOF)
		}
		return 0, f, fmt.Errorf("reading the status line: %w", err)
	}
	budget -= len(line)
	if status, err = parseStatusLine(line); err != nil {
		return 0, f, err
	}
	for {
		line, err := readLine(r, budget)
		if err != nil {
			return 0, f, fmt.Errorf("reading the header fields: %w", err)
		}
		budget -= len(line)
		if line == "" {
			return status, f, nil
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok || name == "" || strings.TrimSpace(name) != name {
			return 0, f, fmt.Errorf("malformed header field %q", line)
		}
		value = strings.TrimSpace(value)
		switch {
		case strings.EqualFold(name, "Content-Length"):
			n, err := strconv.ParseInt(value, 10, 64)
			if err != nil || n < 0 {
				return 0, f, fmt.Errorf("bad Content-Length %q", value)
			}
			if f.contentLength >= 0 && f.contentLength != n {
				return 0, f, fmt.Errorf("conflicting Content-Length fields (%d and %d)", f.contentLength, n)
			}
			f.contentLength = n
		case strings.EqualFold(name, "Transfer-Encoding"):
			// Only chunked is understood: a compressed body could not be
			// read, and the client never asks for one.
			if !strings.EqualFold(value, "chunked") {
				return 0, f, fmt.Errorf("unsupported Transfer-Encoding %q", value)
			}
			f.chunked = true
		}
	}
}

// parseStatusLine reads "HTTP/1.1 200 OK" (the reason phrase may be
// empty or absent).
func parseStatusLine(line string) (int, error) {
	proto, rest, _ := strings.Cut(line, " ")
	if !strings.HasPrefix(proto, "HTTP/1.") || len(rest) < 3 || (len(rest) > 3 && rest[3] != ' ') {
		return 0, fmt.Errorf("not an HTTP/1.x status line: %q", line)
	}
	code, err := strconv.Atoi(rest[:3])
	if err != nil || code < 100 { // a sign leaves at most two digits
		return 0, fmt.Errorf("bad status code in %q", line)
	}
	return code, nil
}

// readBody reads the body that f frames.
func readBody(r *bufio.Reader, status int, f framing) ([]byte, error) {
	switch {
	case status == 204 || status == 304:
		// No body, whatever the header fields say.
		return nil, nil
	case f.chunked:
		return readChunked(r)
	case f.contentLength >= 0:
		if f.contentLength > maxBodyBytes {
			return nil, fmt.Errorf("the body is %d bytes (Content-Length), more than the %d bytes accepted", f.contentLength, maxBodyBytes)
		}
		body := make([]byte, f.contentLength)
		if n, err := io.ReadFull(r, body); err != nil {
			return nil, truncated(fmt.Sprintf("after %d of %d bytes (Content-Length)", n, len(body)), err)
		}
		return body, nil
	default:
		// Neither: the body ends with the connection.
		body, err := io.ReadAll(io.LimitReader(r, maxBodyBytes+1))
		if err != nil {
			return nil, fmt.Errorf("reading the body: %w", err)
		}
		if len(body) > maxBodyBytes {
			return nil, fmt.Errorf("the body is more than the %d bytes accepted", maxBodyBytes)
		}
		return body, nil
	}
}

// readChunked reads a body in the chunked transfer coding: chunks of
// "SIZE[;extensions]\r\nDATA\r\n", a last chunk of size 0, then trailer
// fields (ignored) up to an empty line.
func readChunked(r *bufio.Reader) ([]byte, error) {
	var body []byte
	for {
		line, err := readLine(r, maxLineBytes)
		if err != nil {
			return nil, truncated("before a chunk size", err)
		}
		sizeText, _, _ := strings.Cut(line, ";")
		size, err := strconv.ParseUint(strings.TrimSpace(sizeText), 16, 64)
		if err != nil {
			return nil, fmt.Errorf("bad chunk size line %q", line)
		}
		if size == 0 {
			break
		}
		if size > uint64(maxBodyBytes-len(body)) {
			return nil, fmt.Errorf("the chunked body is more than the %d bytes accepted", maxBodyBytes)
		}
		start := len(body)
		body = append(body, make([]byte, size)...)
		if n, err := io.ReadFull(r, body[start:]); err != nil {
			return nil, truncated(fmt.Sprintf("in a chunk, after %d of %d bytes", n, size), err)
		}
		switch end, err := readLine(r, maxLineBytes); {
		case err != nil:
			return nil, truncated("after a chunk", err)
		case end != "":
			return nil, fmt.Errorf("a chunk is longer than its size (%d bytes)", size)
		}
	}
	for {
		line, err := readLine(r, maxLineBytes)
		if err != nil {
			return nil, truncated("in the trailer fields", err)
		}
		if line == "" {
			return body, nil
		}
	}
}

// truncated says where the body ended early, or passes on any other read
// error (a deadline, a reset connection).
func truncated(where string, err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("the body ended %s: %w", where, io.ErrUnexpectedEOF)
	}
	return fmt.Errorf("reading the body %s: %w", where, err)
}

// readLine reads one line of at most limit bytes and returns it without
// its CRLF (or bare LF). A line the connection ends before its LF is an
// io.ErrUnexpectedEOF; no line at all is an io.EOF.
func readLine(r *bufio.Reader, limit int) (string, error) {
	var line []byte
	for {
		frag, err := r.ReadSlice('\n')
		if len(line)+len(frag) > limit {
			return "", errLineTooLong
		}
		line = append(line, frag...)
		switch {
		case err == nil:
			line = line[:len(line)-1]
			if n := len(line); n > 0 && line[n-1] == '\r' {
				line = line[:n-1]
			}
			return string(line), nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF) && len(line) > 0:
			return "", io.ErrUnexpectedEOF
		default:
			return "", err
		}
	}
}
