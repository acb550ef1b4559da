package taskfile

import "encoding/json"

// LocateFunc maps a JSON pointer relative to an Item's Raw to a position in
// its file; ok is false when only an ancestor (or nothing) was found.
type LocateFunc func(pointer string) (line, col int, ok bool)

func (f LocateFunc) locate(ptr string) (int, int, bool) { return f(ptr) }

// NewItem makes the Item for a task definition or payload that was not read
// from a file as it is, such as a task rendered from a template: raw is its
// JSON, index its position among its siblings, and locate (which may be
// nil) maps pointers into raw to positions in file (for a rendered task:
// the template's lines).
func NewItem(file string, index int, raw json.RawMessage, locate LocateFunc) *Item {
	it := &Item{File: file, Index: index, Raw: raw}
	m, _ := pick(raw, "payload", "image", "command", "maxRunTime", "taskId", "metadata")
	describe(it, m, false)
	if locate != nil {
		it.loc = locate
		it.Line, it.Column, _ = locate("")
	}
	return it
}

// DeferClassify makes Next return the task graph's entries unclassified:
// only File, Index, Key, Entry, Line and Column are set until the caller
// calls Classify on the item, which it may do on another goroutine, so that
// the reader's goroutine only splits the input. Entries already read (the
// first, read by Open) are classified as before.
func (r *Reader) DeferClassify() { r.lazy = true }

// Classify fills in an item read after DeferClassify (Raw, Label, TaskID,
// Kind, Format, …), exactly as Next would have; it is a no-op for any
// other item. It must be called once before the item is used, and not
// concurrently with other uses of the item.
func (it *Item) Classify() {
	if !it.unclassified {
		return
	}
	file, index := it.File, it.Index
	*it = *graphItem(it.Key, it.Entry, filePos{it.Line, it.Column})
	it.File, it.Index = file, index
}
