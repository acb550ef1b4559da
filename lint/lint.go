package lint

import (
	"context"

	"github.com/dwshim/dwshim/gwconfig"
	"github.com/dwshim/dwshim/tctemplate"
	"github.com/dwshim/dwshim/translate"
)

// Severity is how bad a problem is.
type Severity string

// Severities.
const (
	Error   Severity = "error"
	Warning Severity = "warning"
)

// Problem is one finding about one task.
type Problem struct {
	// File is the input file ("-" for stdin).
	File string `json:"file"`
	// Task names the task: its label, taskId or metadata.name.
	Task string `json:"task"`
	// Pointer is a JSON pointer relative to the task definition, or to the
	// payload for a bare payload file ("" is the whole document).
	Pointer  string   `json:"pointer"`
	Rule     string   `json:"rule"`
	Severity Severity `json:"severity"`
	Message  string   `json:"message"`
	// Line and Column locate Pointer in File (1-based; 0 when unknown).
	Line   int `json:"line,omitempty"`
	Column int `json:"column,omitempty"`
}

// Summary counts what a run saw.
type Summary struct {
	Problems int `json:"problems"`
	Errors   int `json:"errors"`
	Warnings int `json:"warnings"`
	// Tasks is the number of tasks read, skipped ones included.
	Tasks int `json:"tasks"`
	// TasksWithProblems counts tasks with at least one problem.
	TasksWithProblems int `json:"tasksWithProblems"`
	// Skipped counts tasks that are not docker-worker tasks.
	Skipped int `json:"skipped"`
	Files   int `json:"files"`
}

// ScopeExpander expands assume: scopes through the auth service
// (auth.expandScopes). Implementations must be safe for sequential use; the
// linter calls it at most once per distinct scope set.
type ScopeExpander interface {
	ExpandScopes(ctx context.Context, scopes []string) ([]string, error)
}

// Options configure a Linter.
type Options struct {
	// Config is the worker pool's d2gConfig (enableD2G is ignored).
	Config translate.Config
	// MaxTaskRunTime is the pool's maxTaskRunTime in seconds (0: 86400).
	MaxTaskRunTime int64
	// Expander expands assume: scopes; nil leaves them unexpanded, and
	// answers that depend on them become scopes-unverifiable warnings.
	Expander ScopeExpander
	// DisabledFeatures are the generic-worker config's enable* keys set to
	// false (enableTaskclusterProxy …): d2g output needing one fails.
	DisabledFeatures map[string]bool
	// Template chooses how .taskcluster.yml files and hooks are rendered
	// (events, an extra context, the clock).
	Template tctemplate.Options
}

// DefaultMaxTaskRunTime is generic-worker's default maxTaskRunTime.
const DefaultMaxTaskRunTime = gwconfig.DefaultMaxTaskRunTime

// DefaultOptions lints for the offline d2g config (every allow-flag but
// GPUs on) and the default maxTaskRunTime.
func DefaultOptions() Options {
	return Options{Config: translate.OfflineConfig(), MaxTaskRunTime: DefaultMaxTaskRunTime}
}
