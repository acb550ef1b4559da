package buildinfo

import "runtime/debug"

// Stamped with -ldflags -X; empty when not.
var (
	version string
	commit  string
)

// Version is the release version ("dev" when not stamped).
func Version() string {
	if version == "" {
		return "dev"
	}
	return version
}

// Commit is the source commit the binary was built from, "" when unknown.
// A build from a modified tree that was not stamped ends in "-dirty".
func Commit() string {
	if commit != "" {
		return commit
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	var rev, dirty string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "-dirty"
			}
		}
	}
	if rev == "" {
		return ""
	}
	return rev + dirty
}

// String is the one-line identification used by `dwshim version`,
// `--version` and the task log's "Worker Version": "dwshim V (commit C)".
func String() string {
	s := "dwshim " + Version()
	if c := Commit(); c != "" {
		s += " (commit " + c + ")"
	}
	return s
}
