package convert

import (
	"io"
	"runtime"

	"github.com/dwshim/dwshim/taskfile"
)

// convertJob is a batch of consecutive items in flight; done receives
// their conversions, in order.
type convertJob struct {
	items []*taskfile.Item
	done  chan []converted
}

// A batch holds up to batchItems items and ends after batchBytes of input,
// so that handing work to the workers costs little per task and memory
// stays bounded by a few tasks (a batch of huge tasks is one task).
const (
	batchItems = 16
	batchBytes = 256 << 10
)

// convertAll reads r and converts its items on every CPU, yielding them in
// input order: the reading goroutine only splits the input into entries;
// classifying and converting them is the workers' job. At most a few
// batches per CPU are in flight, so memory stays flat however large the
// input. After the channel closes, *readErr holds the read error that
// ended the input, if any.
func convertAll(r *taskfile.Reader, c *converter) (<-chan convertJob, *error) {
	workers := convertWorkers()
	jobs := make(chan convertJob)
	ordered := make(chan convertJob, 2*workers)
	readErr := new(error)
	r.DeferClassify() // graph entries are classified by the workers
	for range workers {
		go func() {
			for j := range jobs {
				res := make([]converted, len(j.items))
				for k, it := range j.items {
					it.Classify()
					res[k] = c.convert(it)
				}
				j.done <- res
			}
		}()
	}
	go func() {
		defer close(ordered)
		defer close(jobs)
		var batch []*taskfile.Item
		size := 0
		send := func() {
			j := convertJob{items: batch, done: make(chan []converted, 1)}
			ordered <- j
			jobs <- j
			batch, size = nil, 0
		}
		for {
			it, err := r.Next()
			if err != nil {
				if len(batch) > 0 {
					send()
				}
				if err != io.EOF {
					*readErr = err
				}
				return
			}
			batch = append(batch, it)
			if size += len(it.Raw) + len(it.Entry); len(batch) == batchItems || size >= batchBytes {
				send()
			}
		}
	}()
	return ordered, readErr
}

// convertWorkers is how many items are converted at once (tests vary it).
var convertWorkers = func() int { return runtime.GOMAXPROCS(0) }
