package docker

import (
	"errors"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
)

// TestBufferedWaitFreesTheSender: the client's wait goroutine sends on an
// unbuffered channel; once the exit is known from the die event nobody
// reads it, and without buffered it would block forever.
func TestBufferedWaitFreesTheSender(t *testing.T) {
	for _, tc := range []struct {
		name string
		send func(chan container.WaitResponse, chan error)
		want func(t *testing.T, w client.ContainerWaitResult)
	}{
		{"answer", func(r chan container.WaitResponse, _ chan error) { r <- container.WaitResponse{StatusCode: 3} },
			func(t *testing.T, w client.ContainerWaitResult) {
				if got := <-w.Result; got.StatusCode != 3 {
					t.Errorf("status %d, want 3", got.StatusCode)
				}
			}},
		{"error", func(_ chan container.WaitResponse, e chan error) { e <- errors.New("cancelled") },
			func(t *testing.T, w client.ContainerWaitResult) {
				if err := <-w.Error; err == nil || err.Error() != "cancelled" {
					t.Errorf("error %v, want cancelled", err)
				}
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, errs := make(chan container.WaitResponse), make(chan error)
			sent := make(chan struct{})
			go func() { tc.send(res, errs); close(sent) }()
			w := buffered(client.ContainerWaitResult{Result: res, Error: errs})
			select {
			case <-sent: // nobody read w, and the sender is free
			case <-time.After(30 * time.Second):
				t.Fatal("the wait's sender is still blocked: its answer must be taken even when nobody reads it")
			}
			tc.want(t, w)
		})
	}
}
