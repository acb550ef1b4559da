package imagefetch

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	tcclient "github.com/taskcluster/taskcluster/v44/clients/client-go"

	"github.com/dwshim/dwshim/plan"
	"github.com/dwshim/dwshim/runner"
)

// server is a queue and index double whose artifact blob can break the
// connection part way and can ignore Range.
type server struct {
	*httptest.Server
	data []byte

	mu          sync.Mutex
	breakFirst  int  // break the first N blob answers after half the bytes
	ignoreRange bool // answer 200 with everything to a Range request
	fail5xx     int  // answer the first N queue requests 503
	ranges      []string
	authOnBlob  []string
}

func newServer(t *testing.T, data []byte) *server {
	s := &server{data: data}
	mux := http.NewServeMux()
	mux.HandleFunc("/api/index/v1/task/{ns}", func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("ns") != "project.images.x" {
			http.Error(w, `{"message":"no such namespace"}`, http.StatusNotFound)
			return
		}
		fmt.Fprint(w, `{"taskId":"IMGTASK"}`)
	})
	mux.HandleFunc("/api/queue/v1/task/{task}/artifacts/{name...}", func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		fail := s.fail5xx > 0
		if fail {
			s.fail5xx--
		}
		s.mu.Unlock()
		switch {
		case fail:
			http.Error(w, "unwell", http.StatusServiceUnavailable)
		case r.PathValue("task") != "IMGTASK" || r.PathValue("name") != "public/image.tar":
			http.Error(w, `{"message":"no such artifact"}`, http.StatusNotFound)
		default:
			http.Redirect(w, r, "/blob", http.StatusSeeOther)
		}
	})
	mux.HandleFunc("/blob", func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.ranges = append(s.ranges, r.Header.Get("Range"))
		s.authOnBlob = append(s.authOnBlob, r.Header.Get("Authorization"))
		brk := s.breakFirst > 0
		if brk {
			s.breakFirst--
		}
		ignore := s.ignoreRange
		s.mu.Unlock()
		if ignore {
			r.Header.Del("Range")
		}
		if !brk {
			http.ServeContent(w, r, "image.tar", time.Time{}, bytes.NewReader(s.data))
			return
		}
		start := int64(0)
		if rg := r.Header.Get("Range"); rg != "" {
			fmt.Sscanf(rg, "bytes=%d-", &start)
			w.Header().Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", start, len(s.data)-1, len(s.data)))
			w.Header().Set("Content-Length", fmt.Sprint(int64(len(s.data))-start))
			w.WriteHeader(http.StatusPartialContent)
		} else {
			w.Header().Set("Content-Length", fmt.Sprint(len(s.data)))
		}
		rest := s.data[start:]
		w.Write(rest[:len(rest)/2])
		w.(http.Flusher).Flush()
		conn, _, err := http.NewResponseController(w).Hijack()
		if err == nil {
			conn.Close()
		}
	})
	s.Server = httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

func payload(n int) []byte {
	b := make([]byte, n)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func fetcher(s *server, logs *[]string) *Fetcher {
	return &Fetcher{
		RootURL:     s.URL,
		Credentials: func() *tcclient.Credentials { return &tcclient.Credentials{ClientID: "c", AccessToken: "secret-token"} },
		Sleep:       func(context.Context, time.Duration) error { return nil },
		Logf:        func(format string, args ...any) { *logs = append(*logs, fmt.Sprintf(format, args...)) },
	}
}

func fetchAll(t *testing.T, f *Fetcher, img plan.Image) ([]byte, string, error) {
	t.Helper()
	r, id, err := f.Fetch(context.Background(), img)
	if err != nil {
		return nil, "", err
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	return b, id, err
}

var taskImage = plan.Image{Kind: plan.ImageTaskArtifact, TaskID: "IMGTASK", Path: "public/image.tar"}

// TestResumeWithRange: a download that breaks part way (twice) goes on
// from where it stopped with a Range request; the reader sees the whole
// artifact once. Authorization is never sent past the queue's redirect.
func TestResumeWithRange(t *testing.T) {
	data := payload(1 << 20)
	s := newServer(t, data)
	s.breakFirst = 2
	var logs []string
	got, id, err := fetchAll(t, fetcher(s, &logs), taskImage)
	if err != nil || !bytes.Equal(got, data) || id != "task/IMGTASK/public/image.tar" {
		t.Fatalf("got %d bytes (want %d), id %q, err %v", len(got), len(data), id, err)
	}
	if len(s.ranges) != 3 || s.ranges[0] != "" || s.ranges[1] != "bytes=524288-" || s.ranges[2] != "bytes=786432-" {
		t.Errorf("Range headers %q", s.ranges)
	}
	for _, a := range s.authOnBlob {
		if a != "" {
			t.Errorf("Authorization %q sent to the blob store", a)
		}
	}
	if len(logs) != 2 || !strings.Contains(logs[0], "broke after 524288 bytes") {
		t.Errorf("logs %q", logs)
	}
	if strings.Contains(strings.Join(logs, "\n"), "secret-token") {
		t.Error("a log line holds the access token")
	}
}

// TestResumeWithoutRange: a server that ignores Range is read again from
// the start, skipping what was delivered.
func TestResumeWithoutRange(t *testing.T) {
	data := payload(300_000)
	s := newServer(t, data)
	s.breakFirst, s.ignoreRange = 1, true
	var logs []string
	got, _, err := fetchAll(t, fetcher(s, &logs), taskImage)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("got %d bytes (want %d), err %v", len(got), len(data), err)
	}
}

// TestRetries: 5xx answers are retried with docker-worker's backoff; a
// 404 is final and is runner.ErrImageNotFound; a stream broken on every
// attempt gives up after 5.
func TestRetries(t *testing.T) {
	data := payload(1000)
	s := newServer(t, data)
	s.fail5xx = 2
	var logs []string
	f := fetcher(s, &logs)
	var slept []time.Duration
	f.Base = time.Second
	f.Sleep = func(_ context.Context, d time.Duration) error { slept = append(slept, d); return nil }
	if got, _, err := fetchAll(t, f, taskImage); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("after 503s: %d bytes, %v", len(got), err)
	}
	if len(slept) != 2 || slept[0] < 750*time.Millisecond || slept[0] > 1250*time.Millisecond || slept[1] < 1500*time.Millisecond || slept[1] > 2500*time.Millisecond {
		t.Errorf("waits %v, want ~1s then ~2s", slept)
	}
	slept = nil
	_, _, err := fetchAll(t, f, plan.Image{Kind: plan.ImageTaskArtifact, TaskID: "IMGTASK", Path: "public/missing.tar"})
	if !errors.Is(err, runner.ErrImageNotFound) || len(slept) != 0 {
		t.Errorf("404: err %v after %d waits", err, len(slept))
	}
	s.breakFirst = 100
	if _, _, err := fetchAll(t, f, taskImage); err == nil || !strings.Contains(err.Error(), "unexpected EOF") {
		t.Errorf("always broken: err %v", err)
	}
}

func TestIndexedImage(t *testing.T) {
	data := payload(100)
	s := newServer(t, data)
	var logs []string
	f := fetcher(s, &logs)
	f.Credentials = nil // anonymous
	got, id, err := fetchAll(t, f, plan.Image{Kind: plan.ImageIndexed, Namespace: "project.images.x", Path: "public/image.tar"})
	if err != nil || !bytes.Equal(got, data) || id != "task/IMGTASK/public/image.tar" {
		t.Errorf("got %d bytes, id %q, err %v", len(got), id, err)
	}
	if id, err := f.Identity(context.Background(), plan.Image{Kind: plan.ImageIndexed, Namespace: "project.images.none", Path: "p"}); !errors.Is(err, runner.ErrImageNotFound) {
		t.Errorf("unknown namespace: %q, %v", id, err)
	}
}
