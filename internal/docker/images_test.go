package docker

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
)

func TestImagesAreExportedAndLoadedAsStreams(t *testing.T) {
	archive := bytes.Repeat([]byte("layer-bytes "), 50000) // 600 KB: more than one read
	var loadedBody []byte
	mux := http.NewServeMux()
	mux.HandleFunc("GET /images/json", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `[{"Id":"sha256:aaa","RepoTags":["tiny:1","tiny:latest"],"Size":5734400},{"Id":"sha256:bbb","RepoTags":["<none>:<none>"],"Size":10}]`)
	})
	mux.HandleFunc("GET /images/get", func(w http.ResponseWriter, r *http.Request) {
		if got := r.URL.Query()["names"]; !slices.Equal(got, []string{"tiny:1", "web:2.4"}) {
			http.Error(w, `{"message":"wrong names"}`, http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/x-tar")
		_, _ = w.Write(archive)
	})
	mux.HandleFunc("POST /images/load", func(w http.ResponseWriter, r *http.Request) {
		loadedBody, _ = io.ReadAll(r.Body)
		if r.Header.Get("Content-Type") != "application/x-tar" || r.URL.Query().Get("quiet") != "1" {
			http.Error(w, `{"message":"bad request"}`, http.StatusBadRequest)
			return
		}
		_, _ = io.WriteString(w, "{\"stream\":\"Loaded image: tiny:1\\n\"}\r\n{\"stream\":\"Loaded image: web:2.4\\n\"}\r\n")
	})
	c := NewClient(ClientConfig{Socket: engine(t, mux.ServeHTTP)})
	ctx := context.Background()

	images, err := c.Images(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(images) != 2 || !slices.Equal(images[0].Tags(), []string{"tiny:1", "tiny:latest"}) || len(images[1].Tags()) != 0 || images[0].Size != 5734400 {
		t.Errorf("images: %+v", images)
	}

	var out bytes.Buffer
	n, err := c.ExportImages(ctx, []string{"tiny:1", "web:2.4"}, &out)
	if err != nil || n != int64(len(archive)) || !bytes.Equal(out.Bytes(), archive) {
		t.Fatalf("export: %d bytes, %v", n, err)
	}
	loaded, err := c.LoadImages(ctx, bytes.NewReader(archive))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(loaded, []string{"Loaded image: tiny:1", "Loaded image: web:2.4"}) || !bytes.Equal(loadedBody, archive) {
		t.Errorf("loaded %q, body of %d bytes", loaded, len(loadedBody))
	}
}

func TestALoadErrorInTheStreamIsAnError(t *testing.T) {
	// The engine answers 200 and reports the failure inside the stream.
	c := NewClient(ClientConfig{Socket: engine(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		_, _ = io.WriteString(w, `{"errorDetail":{"message":"no space left on device"},"error":"no space left on device"}`+"\n")
	})})
	_, err := c.LoadImages(context.Background(), strings.NewReader("tar"))
	var api *APIError
	if !errors.As(err, &api) || !strings.Contains(err.Error(), "POST /images/load") || !strings.Contains(err.Error(), "no space left on device") {
		t.Errorf("error: %v", err)
	}
}

func TestAnExportOfAMissingImageNamesIt(t *testing.T) {
	c := NewClient(ClientConfig{Socket: engine(t, func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, `{"message":"reference does not exist"}`, http.StatusNotFound)
	})})
	_, err := c.ExportImages(context.Background(), []string{"gone:1"}, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "GET /images/get?names=gone%3A1: HTTP 404: reference does not exist") {
		t.Errorf("error: %v", err)
	}
}
