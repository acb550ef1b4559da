package taskfile

import (
	"io"
	"reflect"
	"strings"
	"testing"
)

// TestDeferClassifyMatchesNext: an entry classified by Item.Classify (on
// any goroutine) equals the one Next returns without DeferClassify.
func TestDeferClassifyMatchesNext(t *testing.T) {
	in := `{
  "a": {"label": "a", "task": {"payload": {"image": "ubuntu", "maxRunTime": 5}}},
  "b": {"task_id": "T1", "task": {"taskId": "T2", "metadata": {"name": "m"}, "payload": {"command": [["dir"]], "mounts": []}}},
  "T3": {"label": "c", "task": {"payload": "x"}},
  "d": {"task": {"task": 1, "payload": {}}},
  "e": {"label": "e", "task": [1, 2]},
  "f": 7
}`
	read := func(lazy bool) []*Item {
		r, err := Open("g.json", strings.NewReader(in))
		if err != nil {
			t.Fatal(err)
		}
		if lazy {
			r.DeferClassify()
		}
		var items []*Item
		for {
			it, err := r.Next()
			if err == io.EOF {
				return items
			} else if err != nil {
				t.Fatal(err)
			}
			items = append(items, it)
		}
	}
	want, got, raw := read(false), read(true), read(true)
	if len(got) != len(want) || len(got) != 6 {
		t.Fatalf("%d items, want %d", len(got), len(want))
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for _, it := range got {
			it.Classify()
		}
	}()
	<-done
	for i := range want {
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Errorf("item %d: deferred %+v, want %+v", i, *got[i], *want[i])
		}
		if i > 0 && reflect.DeepEqual(raw[i], want[i]) {
			t.Errorf("item %d: unclassified item already equals the classified one", i)
		}
	}
}
