package translate

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
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

type rawImage struct {
	Type      *string `json:"type"`
	Name      *string `json:"name"`
	Namespace *string `json:"namespace"`
	TaskID    *string `json:"taskId"`
	Path      *string `json:"path"`
}

// UnmarshalJSON decodes the string form or one of the three object forms,
// strictly (no extra or missing properties).
func (im *DWImage) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return &fieldError{"/image", "image must be a string or an object"}
		}
		*im = DWImage{Kind: ImageString, Name: s}
		return nil
	}
	if len(b) == 0 || b[0] != '{' {
		return &fieldError{"/image", "image must be a string or an object with a type"}
	}
	var r rawImage
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return &fieldError{"/image", fmt.Sprintf("invalid image object: %v", strings.TrimPrefix(err.Error(), "json: "))}
	}
	if r.Type == nil {
		return &fieldError{"/image/type", "image object requires a type (docker-image, indexed-image or task-image)"}
	}
	want := map[string][]string{
		"docker-image":  {"name"},
		"indexed-image": {"namespace", "path"},
		"task-image":    {"taskId", "path"},
	}[*r.Type]
	if want == nil {
		return &fieldError{"/image/type", fmt.Sprintf("parsed docker image %q is not of a supported type (docker-image, indexed-image, task-image)", *r.Type)}
	}
	fields := map[string]*string{"name": r.Name, "namespace": r.Namespace, "taskId": r.TaskID, "path": r.Path}
	for _, k := range []string{"name", "namespace", "path", "taskId"} {
		needed := false
		for _, w := range want {
			needed = needed || w == k
		}
		switch {
		case needed && fields[k] == nil:
			return &fieldError{"/image", fmt.Sprintf("image of type %s requires property %s", *r.Type, k)}
		case !needed && fields[k] != nil:
			return &fieldError{"/image/" + k, fmt.Sprintf("image of type %s does not allow property %s", *r.Type, k)}
		}
	}
	*im = DWImage{Kind: DWImageKind(*r.Type)}
	switch im.Kind {
	case ImageDockerImage:
		im.Name = *r.Name
	case ImageIndexed:
		im.Namespace, im.Path = *r.Namespace, *r.Path
	case ImageTask:
		im.TaskID, im.Path = *r.TaskID, *r.Path
	}
	return nil
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

// ValidateImageReference checks ref the way docker/distribution's
// ParseNormalizedNamed does and returns the reason it is invalid, or nil.
// The error text is `invalid image name "<ref>": <reason>`.
func ValidateImageReference(ref string) error {
	if reason := refProblem(ref); reason != "" {
		return fmt.Errorf("invalid image name %q: %s", ref, reason)
	}
	return nil
}

const (
	reasonFormat = "invalid reference format"
)

// refProblem implements the reference grammar by hand (no regexps: it runs
// once per task on the hot path).
func refProblem(s string) string {
	if s == "" {
		return "repository name must have at least one component"
	}
	if len(s) == 64 && isLowerHex(s) {
		return fmt.Sprintf("invalid repository name (%s), cannot specify 64-byte hexadecimal strings", s)
	}
	name, digest := s, ""
	if i := strings.IndexByte(s, '@'); i >= 0 {
		name, digest = s[:i], s[i+1:]
	}
	tag := ""
	if i := strings.LastIndexByte(name, ':'); i >= 0 && !strings.Contains(name[i:], "/") {
		name, tag = name[:i], name[i+1:]
		if !validTag(tag) {
			return reasonFormat
		}
	}
	domain, remainder := "", name
	if i := strings.IndexByte(name, '/'); i >= 0 {
		first := name[:i]
		if strings.ContainsAny(first, ".:") || first == "localhost" || strings.ToLower(first) != first {
			domain, remainder = first, name[i+1:]
			if !validDomain(domain) {
				return reasonFormat
			}
		}
	}
	if remainder == "" {
		return reasonFormat
	}
	if strings.ToLower(remainder) != remainder {
		return fmt.Sprintf("invalid reference format: repository name (%s) must be lowercase", remainder)
	}
	for _, comp := range strings.Split(remainder, "/") {
		if !validPathComponent(comp) {
			return reasonFormat
		}
	}
	full := len(remainder)
	if domain == "" {
		full += len("docker.io/")
		if !strings.Contains(remainder, "/") {
			full += len("library/")
		}
	} else {
		full += len(domain) + 1
	}
	if full > 255 {
		return "repository name must not be more than 255 characters"
	}
	if digest != "" || strings.HasSuffix(s, "@") {
		return digestProblem(digest)
	}
	return ""
}

func isLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

func isAlnumLower(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }

func isWord(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
}

// validTag: [\w][\w.-]{0,127}.
func validTag(t string) bool {
	if t == "" || len(t) > 128 || !isWord(t[0]) {
		return false
	}
	for i := 1; i < len(t); i++ {
		if !isWord(t[i]) && t[i] != '.' && t[i] != '-' {
			return false
		}
	}
	return true
}

// validPathComponent: [a-z0-9]+ ((\.|_|__|-+) [a-z0-9]+)*.
func validPathComponent(c string) bool {
	if c == "" || !isAlnumLower(c[0]) || !isAlnumLower(c[len(c)-1]) {
		return false
	}
	for i := 0; i < len(c); {
		if isAlnumLower(c[i]) {
			i++
			continue
		}
		j := i
		for j < len(c) && !isAlnumLower(c[j]) {
			j++
		}
		sep := c[i:j]
		if sep != "." && sep != "_" && sep != "__" && strings.Trim(sep, "-") != "" {
			return false
		}
		i = j
	}
	return true
}

// validDomain: host[:port], host = dns labels or [ipv6].
func validDomain(d string) bool {
	host := d
	if strings.HasPrefix(d, "[") {
		end := strings.IndexByte(d, ']')
		if end < 0 {
			return false
		}
		for _, c := range d[1:end] {
			if !(c == ':' || c == '.' || c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
				return false
			}
		}
		host, d = "", d[end+1:]
		if d != "" && d[0] != ':' {
			return false
		}
	} else if i := strings.IndexByte(d, ':'); i >= 0 {
		host, d = d[:i], d[i:]
	} else {
		d = ""
	}
	if d != "" {
		port := d[1:]
		if port == "" {
			return false
		}
		for i := 0; i < len(port); i++ {
			if port[i] < '0' || port[i] > '9' {
				return false
			}
		}
	}
	if host == "" {
		return true // bracketed IPv6, checked above
	}
	for _, label := range strings.Split(host, ".") {
		if label == "" || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

// digestProblem validates algo:hex as go-digest does for the registered
// algorithms (sha256, sha384, sha512).
func digestProblem(d string) string {
	i := strings.IndexByte(d, ':')
	if i <= 0 || i == len(d)-1 {
		return reasonFormat
	}
	algo, hex := d[:i], d[i+1:]
	if len(hex) < 32 {
		return reasonFormat
	}
	for j := 0; j < len(hex); j++ {
		c := hex[j]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return reasonFormat
		}
	}
	for j := 0; j < len(algo); j++ {
		c := algo[j]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '+' || c == '.' || c == '-' || c == '_') {
			return reasonFormat
		}
	}
	size := map[string]int{"sha256": 64, "sha384": 96, "sha512": 128}[algo]
	switch {
	case size == 0:
		return "unsupported digest algorithm"
	case len(hex) != size:
		return "invalid checksum digest length"
	case !isLowerHex(hex):
		return "invalid checksum digest format"
	}
	return ""
}
