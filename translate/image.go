package translate

import (
	"encoding/json"
	"fmt"

	"github.com/distribution/reference"
)

// DWImageKind is the form of payload.image.
type DWImageKind string

// Image forms (spec §1, §2.4).
const (
	// ImageString is a plain string reference ("ubuntu:22.04").
	ImageString DWImageKind = "string"
	// ImageDockerImage is {type: docker-image, name}.
	ImageDockerImage DWImageKind = "docker-image"
	// ImageIndexed is {type: indexed-image, namespace, path}.
	ImageIndexed DWImageKind = "indexed-image"
	// ImageTask is {type: task-image, taskId, path}.
	ImageTask DWImageKind = "task-image"
)

// DWImage is the payload.image union. Exactly the fields of Kind are set.
type DWImage struct {
	Kind DWImageKind
	// Name is the reference (ImageString, ImageDockerImage).
	Name string
	// Namespace is the index namespace (ImageIndexed).
	Namespace string
	// TaskID is the producing task (ImageTask).
	TaskID string
	// Path is the artifact name (ImageIndexed, ImageTask).
	Path string
}

// image decodes payload.image: a string, or an object of one of the three
// typed forms with exactly its properties.
func (w *walker) image() DWImage {
	if w.fatal {
		return DWImage{}
	}
	if w.dec.PeekKind() == '"' {
		name, _ := w.str()
		return DWImage{Kind: ImageString, Name: name}
	}
	if w.dec.PeekKind() != '{' {
		w.typeError("a string or an object")
		return DWImage{}
	}
	var f [5]*string // type, name, namespace, path, taskId
	names := [5]string{"type", "name", "namespace", "path", "taskId"}
	var ptrs [5]string
	var seen [5]bool
	ok := w.object(func(name string) {
		for i, n := range names {
			if n == name {
				seen[i] = true
				if s, ok := w.str(); ok {
					f[i], ptrs[i] = &s, w.here()
				}
				return
			}
		}
		w.unknown(name)
	})
	if !ok {
		return DWImage{}
	}
	at := w.here()
	if !seen[0] {
		w.problem(at, `required property "type" is missing: an image object has a type (docker-image, indexed-image or task-image)`)
		return DWImage{}
	}
	if f[0] == nil {
		return DWImage{}
	}
	var want [5]bool
	switch *f[0] {
	case "docker-image":
		want[1] = true
	case "indexed-image":
		want[2], want[3] = true, true
	case "task-image":
		want[3], want[4] = true, true
	default:
		w.problem(ptrs[0], fmt.Sprintf(`must be one of "docker-image", "indexed-image", "task-image", got %s`, quoteShort(*f[0])))
		return DWImage{}
	}
	bad := false
	for i := 1; i < 5; i++ {
		switch {
		case want[i] && !seen[i]:
			bad = true
			w.problem(at, fmt.Sprintf("required property %q is missing (an image of type %s has it)", names[i], *f[0]))
		case !want[i] && seen[i]:
			bad = true
			w.problem(ptrs[i], fmt.Sprintf("additional property %q is not allowed in an image of type %s", names[i], *f[0]))
		}
	}
	if bad || want[1] && f[1] == nil || want[2] && f[2] == nil || want[3] && f[3] == nil || want[4] && f[4] == nil {
		return DWImage{}
	}
	im := DWImage{Kind: DWImageKind(*f[0])}
	switch im.Kind {
	case ImageDockerImage:
		im.Name = *f[1]
	case ImageIndexed:
		im.Namespace, im.Path = *f[2], *f[3]
	case ImageTask:
		im.TaskID, im.Path = *f[4], *f[3]
	}
	return im
}

// MarshalJSON writes the image back in its payload form.
func (im DWImage) MarshalJSON() ([]byte, error) {
	switch im.Kind {
	case ImageString:
		return json.Marshal(im.Name)
	case ImageDockerImage:
		return json.Marshal(struct {
			Type string `json:"type"`
			Name string `json:"name"`
		}{string(im.Kind), im.Name})
	case ImageIndexed:
		return json.Marshal(struct {
			Type      string `json:"type"`
			Namespace string `json:"namespace"`
			Path      string `json:"path"`
		}{string(im.Kind), im.Namespace, im.Path})
	case ImageTask:
		return json.Marshal(struct {
			Type   string `json:"type"`
			TaskID string `json:"taskId"`
			Path   string `json:"path"`
		}{string(im.Kind), im.TaskID, im.Path})
	}
	return []byte("null"), nil
}

// ValidateImageReference checks ref with docker/distribution's
// ParseNormalizedNamed (the one image-reference parser, as docker-worker
// and d2g use) and returns the reason it is invalid, or nil. The error text
// is `invalid image name "<ref>": <reason>`.
func ValidateImageReference(ref string) error {
	if _, err := reference.ParseNormalizedNamed(ref); err != nil {
		return fmt.Errorf("invalid image name %q: %s", ref, err.Error())
	}
	return nil
}
