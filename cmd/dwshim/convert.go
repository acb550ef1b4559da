package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/dwshim/dwshim/convert"
	"github.com/dwshim/dwshim/report"
	"github.com/dwshim/dwshim/translate"
)

func init() { subcommands = append(subcommands, newConvertCmd) }

// streamingGC lets the heap grow to 5× the live data while convert or lint
// stream a large input: the live heap is a few tasks (bounded by the
// per-task limit), and collecting at 2× spent a fifth of the CPU. It
// returns the function that restores the setting. An explicit GOGC wins.
func streamingGC() func() {
	if os.Getenv("GOGC") != "" {
		return func() {}
	}
	old := debug.SetGCPercent(400)
	return func() { debug.SetGCPercent(old) }
}

// runConvert turns dwshim convert's flags into convert.Options and its
// result into an exit status.
func runConvert(o convertOptions, name string, stdin io.Reader, stdout, stderr io.Writer) error {
	defer streamingGC()()
	cfg, cfgWarns, err := loadConfig(o.config)
	if err != nil {
		return withCode(1, err)
	}
	for _, w := range cfgWarns {
		fmt.Fprintln(stderr, "warning:", w)
	}
	if name == "-" && report.IsTerminal(stdin) {
		return usageError{"no input: give a FILE, or pipe the task into dwshim convert"}
	}
	err = convert.Run(convert.Options{TaskDef: o.taskDef, Graph: o.graph, Target: o.target, Output: o.output,
		Config: cfg, Verbose: o.verbose, Quiet: o.quiet, Progress: terminalProgress(stderr, "converting")}, name, stdin, stdout, stderr)
	var ue *convert.UsageError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ue):
		return usageError{ue.Msg}
	case errors.Is(err, convert.ErrProblems):
		return withCode(1, nil)
	}
	return withCode(1, err)
}

// convertOptions are dwshim convert's flags.
type convertOptions struct {
	taskDef bool
	config  string
	target  string
	graph   bool
	output  string
	verbose bool
	quiet   bool
}

func newConvertCmd() *cobra.Command {
	var o convertOptions
	cmd := &cobra.Command{
		Use:   "convert [flags] [FILE|-]",
		Short: "Convert docker-worker payloads, task definitions or task graphs to generic-worker payloads, offline",
		Long: `Convert reads a docker-worker payload, a task definition (-t), JSON lines of
them, a rendered .taskcluster.yml ({"tasks": [...]}) or, with --graph, a whole
taskgraph task graph (label → {"task": …}), as JSON or YAML, and writes the
generic-worker equivalent in the same format (or -o).

Targets:
  d2g     what upstream d2g produces (byte-identical payload JSON); generic-worker
          must run it with d2gConfig.enableD2G (it holds d2g's placeholders)
  native  a self-contained payload a stock generic-worker runs as is, with the
          docker CLI (osGroups: docker), no placeholders and no env.list

Problems (they fail a task) and warnings are listed on stderr with the task
and its JSON pointer. One that many tasks repeat is printed once, with the
first task that had it, and again at the end with how many tasks had it; then
one summary line. -v prints every one, -q no warnings. On a terminal, a run
longer than a second shows its progress on stderr.

Exit status: 0 converted, 1 a task has problems, 2 usage error.`,
		Example: `  dwshim convert payload.json > gw-payload.json
  dwshim convert -t task.yml
  dwshim convert --graph -q full-task-graph.json > gw-graph.json
  dwshim convert --graph -v full-task-graph.json > gw-graph.json 2> warnings.txt
  dwshim convert --target native --config worker.json -t task.json`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := "-"
			if len(args) == 1 {
				name = args[0]
			}
			return runConvert(o, name, cmd.InOrStdin(), cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&o.taskDef, "task-definition", "t", false, "the input holds task definitions (with a payload), not bare payloads")
	f.StringVar(&o.config, "config", "", "generic-worker config JSON whose d2gConfig to use (default: every allow* on but GPUs)")
	f.StringVar(&o.target, "target", "d2g", "output target: d2g or native")
	f.BoolVar(&o.graph, "graph", false, "the input is a taskgraph task graph; convert every task, streaming")
	f.StringVarP(&o.output, "output", "o", "", "output format: json or yaml (default: the input's)")
	f.BoolVarP(&o.verbose, "verbose", "v", false, "print every warning and problem of every task, not each distinct one once")
	f.BoolVarP(&o.quiet, "quiet", "q", false, "print no warnings (problems and the summary still)")
	cmd.MarkFlagsMutuallyExclusive("verbose", "quiet")
	return cmd
}

// loadConfig is poolD2GConfig for convert, which warns that a pool with
// d2g off refuses what it converts.
func loadConfig(file string) (translate.Config, []string, error) {
	cfg, warns, err := poolD2GConfig(file)
	if err == nil && !cfg.EnableD2G {
		warns = append(warns, fmt.Sprintf("%s: d2gConfig.enableD2G is false: a worker with this config refuses docker-worker payloads", file))
	}
	return cfg, warns, err
}
