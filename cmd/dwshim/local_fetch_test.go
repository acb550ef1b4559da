package main

import (
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dwshim/dwshim/worker"
)

// quickRetry keeps these tests short; localFetchRetry is the same kind.
var quickRetry = worker.RetryPolicy{Initial: 5 * time.Millisecond, Max: 20 * time.Millisecond, MaxElapsed: 200 * time.Millisecond}

// TestFetchTaskUnreachableQueue: a root URL nothing answers on ends with
// one line naming the cause, after the policy's retries (client-go's own
// default would retry for 15 minutes).
func TestFetchTaskUnreachableQueue(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	root := "http://" + l.Addr().String()
	l.Close() // nothing listens there now
	_, err = fetchTask(root, nil, "fGwJ5P2zQ4y0iUXwX3Yzsg", quickRetry)
	if err == nil {
		t.Fatal("fetch from a closed port succeeded")
	}
	msg := err.Error()
	for _, want := range []string{"fGwJ5P2zQ4y0iUXwX3Yzsg", root, "connection refused", "attempts)"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not say %q", msg, want)
		}
	}
	if strings.Contains(msg, "CALL SUMMARY") || strings.Contains(msg, "\n") {
		t.Errorf("error is client-go's multi-line call summary, not one line: %q", msg)
	}
}

// TestFetchTaskServerErrorRetried: a queue answering 500 is retried as the
// policy says, then reported with its status and message.
func TestFetchTaskServerErrorRetried(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusInternalServerError)
		w.Write([]byte(`{"code":"InternalServerError","message":"the queue is unwell"}`))
	}))
	defer srv.Close()
	_, err := fetchTask(srv.URL, nil, "fGwJ5P2zQ4y0iUXwX3Yzsg", quickRetry)
	if err == nil || !strings.Contains(err.Error(), "HTTP 500: InternalServerError: the queue is unwell") {
		t.Fatalf("err = %v, want the queue's 500 and message", err)
	}
	if calls.Load() < 2 {
		t.Errorf("%d calls: a 500 is retried", calls.Load())
	}
}
