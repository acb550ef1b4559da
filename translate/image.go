package translate

import (
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

// refProblem implements ParseNormalizedNamed's rules by hand (no regexps:
// it runs once per task on the hot path).
func refProblem(s string) string {
	if len(s) == 64 && isLowerHex(s) {
		return fmt.Sprintf("invalid repository name (%s), cannot specify 64-byte hexadecimal strings", s)
	}
	domain, remainder := splitDomain(s)
	remote := remainder
	if i := strings.IndexByte(remainder, ':'); i >= 0 {
		remote = remainder[:i]
	}
	if strings.ToLower(remote) != remote {
		return fmt.Sprintf("invalid reference format: repository name (%s) must be lowercase", remote)
	}
	full := domain + "/" + remainder
	path, digest, ok := refGrammar(full)
	if !ok {
		if _, _, lowerOK := refGrammar(strings.ToLower(full)); lowerOK {
			return "repository name must be lowercase"
		}
		return reasonFormat
	}
	if len(path) > 255 {
		return "repository name must not be more than 255 characters"
	}
	if digest != "" {
		return digestProblem(digest)
	}
	return ""
}

// splitDomain is docker's splitDockerDomain: familiar names get
// docker.io and the library/ prefix.
func splitDomain(name string) (domain, remainder string) {
	first, rest, ok := strings.Cut(name, "/")
	switch {
	case !ok:
		return "docker.io", "library/" + name
	case first == "index.docker.io": // the legacy name of docker.io
		domain, remainder = "docker.io", rest
	case first == "localhost", strings.ContainsAny(first, ".:"), strings.ToLower(first) != first:
		domain, remainder = first, rest
	default:
		domain, remainder = "docker.io", name
	}
	if domain == "docker.io" && !strings.Contains(remainder, "/") {
		remainder = "library/" + remainder
	}
	return domain, remainder
}

// refGrammar matches domain/path[:tag][@digest] and returns the path
// (without the domain) and the digest.
func refGrammar(full string) (path, digest string, ok bool) {
	name := full
	if i := strings.IndexByte(full, '@'); i >= 0 {
		name, digest = full[:i], full[i+1:]
		if !validDigestSyntax(digest) {
			return "", "", false
		}
	}
	if i := strings.LastIndexByte(name, ':'); i >= 0 && !strings.Contains(name[i:], "/") {
		if !validTag(name[i+1:]) {
			return "", "", false
		}
		name = name[:i]
	}
	comps := strings.Split(name, "/")
	allPath := true
	for _, c := range comps[1:] {
		allPath = allPath && validPathComponent(c)
	}
	if !allPath {
		return "", "", false
	}
	switch {
	case validDomain(comps[0]):
		return name[len(comps[0])+1:], digest, true
	case validPathComponent(comps[0]):
		return name, digest, true // docker's pattern reads it as a path
	}
	return "", "", false
}

// validDigestSyntax: algorithm components [A-Za-z][A-Za-z0-9]* joined by
// [-_+.], ':', at least 32 hex digits.
func validDigestSyntax(d string) bool {
	algo, hex, ok := strings.Cut(d, ":")
	if !ok || len(hex) < 32 || algo == "" {
		return false
	}
	for j := 0; j < len(hex); j++ {
		c := hex[j]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	startComp := true
	for j := 0; j < len(algo); j++ {
		c := algo[j]
		letter := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
		switch {
		case startComp && !letter:
			return false
		case startComp:
			startComp = false
		case c == '-' || c == '_' || c == '+' || c == '.':
			startComp = true
		case !letter && !(c >= '0' && c <= '9'):
			return false
		}
	}
	return !startComp
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
	orig, host := d, d
	if strings.HasPrefix(d, "[") {
		end := strings.IndexByte(d, ']')
		if end < 0 {
			return false
		}
		if end == 1 {
			return false
		}
		for _, c := range d[1:end] {
			if !(c == ':' || c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
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
		return strings.HasPrefix(orig, "[")
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

// digestProblem validates a syntactically valid digest as go-digest does
// for the registered algorithms (sha256, sha384, sha512).
func digestProblem(d string) string {
	algo, hex, _ := strings.Cut(d, ":")
	size := 0
	switch algo {
	case "sha256":
		size = 64
	case "sha384":
		size = 96
	case "sha512":
		size = 128
	default:
		if strings.ToLower(algo) != algo {
			return "invalid checksum digest format"
		}
		return "unsupported digest algorithm"
	}
	switch {
	case len(hex) != size:
		return "invalid checksum digest length"
	case !isLowerHex(hex):
		return "invalid checksum digest format"
	}
	return ""
}
