package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
)

// subcommands is filled by each command file's init.
var subcommands []func() *cobra.Command

// rootSetup is filled by command files that add root-level flags
// (generic-worker's --version, --short-version).
var rootSetup []func(root *cobra.Command)

// exitError carries a process exit code out of a command's RunE.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// withCode wraps err so that main exits with code. A nil err with a code
// exits silently with that code.
func withCode(code int, err error) error { return &exitError{code: code, err: err} }

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "dwshim",
		Short: "Run, convert and lint Taskcluster docker-worker tasks",
		Example: `  dwshim local task.yml
  dwshim convert --graph full-task-graph.json > gw-graph.json
  dwshim lint --config pool-config.json full-task-graph.json
  dwshim run --config /etc/generic-worker.json --with-worker-runner`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	for _, mk := range subcommands {
		root.AddCommand(mk())
	}
	for _, setup := range rootSetup {
		setup(root)
	}
	return root
}

func main() {
	os.Exit(execute(os.Args[1:]))
}

// execute runs the CLI with args on the process's standard streams and
// returns the exit code: 0 success, what a command asked for via withCode,
// 2 for usage errors, 1 otherwise.
func execute(args []string) int {
	return executeIO(args, os.Stdin, os.Stdout, os.Stderr)
}

// executeIO is execute with explicit standard streams (tests use it).
func executeIO(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	root := newRootCmd()
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.Execute()
	if err == nil {
		return 0
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			fmt.Fprintln(stderr, "dwshim:", ee.err)
		}
		return ee.code
	}
	fmt.Fprintln(stderr, "dwshim:", err)
	if isUsageError(err) {
		return 2
	}
	return 1
}
