package translate

import (
	"slices"
	"strconv"
	"unicode/utf8"
)

// ExitStatusFault is an onExitStatus value that docker-worker accepted
// but generic-worker's schema rejects: below its list's minimum (retry at
// least 1, purgeCaches at least 0), or a repeat (items must be unique).
// It is the one statement of that fact: the d2g target's refusal, the
// translation's warning and lint's on-exit-status rule word it each their
// way.
type ExitStatusFault struct {
	// List is "retry" or "purgeCaches"; Index the value's position in it.
	List  string
	Index int
	Value int64
	// Minimum is the list's minimum; the value is below it when Below.
	Minimum int64
	Below   bool
	// RepeatOf is the index of the value's first occurrence when it is a
	// repeat, otherwise -1.
	RepeatOf int
}

// Pointer locates the value in the payload.
func (f ExitStatusFault) Pointer() string {
	return "/onExitStatus/" + f.List + "/" + strconv.Itoa(f.Index)
}

// ExitStatusFaults lists p's onExitStatus faults, retry's then
// purgeCaches', in order; a value may be both below the minimum and a
// repeat. Long lists take linear time.
func ExitStatusFaults(p *DockerWorkerPayload) []ExitStatusFault {
	var out []ExitStatusFault
	out = appendExitStatusFaults(out, "retry", p.OnExitStatus.Retry, 1)
	return appendExitStatusFaults(out, "purgeCaches", p.OnExitStatus.PurgeCaches, 0)
}

func appendExitStatusFaults(out []ExitStatusFault, list string, codes []int64, minimum int64) []ExitStatusFault {
	var first map[int64]int // only for long lists: short ones are scanned
	if len(codes) > 16 {
		first = make(map[int64]int, len(codes))
	}
	for i, c := range codes {
		repeat := -1
		if first != nil {
			if j, ok := first[c]; ok {
				repeat = j
			} else {
				first[c] = i
			}
		} else {
			repeat = slices.Index(codes[:i], c)
		}
		if c < minimum || repeat >= 0 {
			out = append(out, ExitStatusFault{List: list, Index: i, Value: c, Minimum: minimum, Below: c < minimum, RepeatOf: repeat})
		}
	}
	return out
}

// imageFault is an image member that neither generic-worker's mount
// content schema (spec §9.14) nor the queue and index that serve the image
// accept, which docker-worker's schema allowed: empty, or longer than the
// limit (in characters, as JSON Schema's maxLength counts).
type imageFault struct {
	// Pointer locates the member in the payload; What names it.
	Pointer, What string
	Length, Max   int
}

// imageFaults lists p's image faults: the artifact path of a task-image
// or indexed-image (at most 1024 characters), an index namespace (at most
// 255).
func imageFaults(p *DockerWorkerPayload) []imageFault {
	im := p.Image
	var out []imageFault
	if im.Kind == ImageTask || im.Kind == ImageIndexed {
		if n := utf8.RuneCountInString(im.Path); n == 0 || n > 1024 {
			out = append(out, imageFault{Pointer: "/image/path", What: "image artifact path", Length: n, Max: 1024})
		}
	}
	if im.Kind == ImageIndexed {
		if n := utf8.RuneCountInString(im.Namespace); n == 0 || n > 255 {
			out = append(out, imageFault{Pointer: "/image/namespace", What: "index namespace", Length: n, Max: 255})
		}
	}
	return out
}
