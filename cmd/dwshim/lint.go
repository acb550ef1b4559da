package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/taskcluster/taskcluster/v44/clients/client-go/tcauth"

	"github.com/dwshim/dwshim/internal/buildinfo"
	"github.com/dwshim/dwshim/lint"
)

func init() { subcommands = append(subcommands, newLintCmd) }

type lintOptions struct {
	format  string
	config  string
	strict  bool
	rootURL string
	events  []string
	context string
	verbose bool
	quiet   bool
}

func newLintCmd() *cobra.Command {
	var o lintOptions
	cmd := &cobra.Command{
		Use:   "lint [flags] PATH...|-",
		Short: "Check docker-worker tasks, task graphs, payloads, .taskcluster.yml and hooks before they run",
		Long: `Lint docker-worker tasks: bare payloads, task definitions, taskgraph task
graphs (taskgraph full -J, decision task artifacts), JSON lines, YAML,
rendered {tasks: [...]} files, .taskcluster.yml templates (version 1,
rendered for each event, and version 0), hook definitions, or directories
of them ("-" reads stdin).
Generic-worker tasks are skipped. Rules: docs/lint.md.

The text format prints each distinct problem once, at its file:line:col,
and again at the end with how many tasks had it (-v prints every one, -q no
warnings), then errors and warnings per rule and a summary line; on a
terminal, a run longer than a second shows its progress on stderr. The other
formats list every problem, for CI tools.

Exit status: 0 no errors, 1 errors (with --strict, warnings too), 2 usage
error or unreadable input.`,
		Example: `  dwshim lint taskcluster/payloads/
  dwshim lint --config pool-config.json --strict full-task-graph.json
  dwshim lint -q --config pool-config.json full-task-graph.json
  dwshim lint -v full-task-graph.json | grep -F '[missing-scopes]'
  dwshim lint --format treeherder full-task-graph.json
  dwshim lint --event pull_request --context ctx.yml .taskcluster.yml
  taskgraph full -J | dwshim lint -`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runLint(cmd.Context(), o, args, cmd.InOrStdin(), cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.format, "format", "text", "output format: "+strings.Join(lint.Formats, "|"))
	f.StringVar(&o.config, "config", "", "generic-worker config JSON of the target pool (d2gConfig, maxTaskRunTime); default: the offline d2g config")
	f.BoolVar(&o.strict, "strict", false, "warnings fail the run too")
	f.StringVar(&o.rootURL, "root-url", "", "Taskcluster root URL whose auth service expands assume: scopes")
	f.StringSliceVar(&o.events, "event", nil, "render .taskcluster.yml/hooks only for these contexts (push, tag, pull_request[.opened|.synchronize], release, issue_comment, cron, action, pr-action, hg-push, triggerHook, schedule, pulseMessage); default: all that apply")
	f.StringVar(&o.context, "context", "", "JSON or YAML file merged over each template context (with tasks_for / firedBy / event.type: the only context)")
	f.BoolVarP(&o.verbose, "verbose", "v", false, "text format: print every problem of every task, not each distinct one once")
	f.BoolVarP(&o.quiet, "quiet", "q", false, "text format: print no warnings (errors, the counts per rule and the summary still)")
	cmd.MarkFlagsMutuallyExclusive("verbose", "quiet")
	return cmd
}

func runLint(ctx context.Context, o lintOptions, paths []string, stdin io.Reader, stdout, stderr io.Writer) error {
	defer streamingGC()()
	if ctx == nil {
		ctx = context.Background()
	}
	if !slices.Contains(lint.Formats, o.format) {
		return usageError{fmt.Sprintf("unknown --format %q: expected one of %s", o.format, strings.Join(lint.Formats, ", "))}
	}
	opts, cfgWarns, err := lintConfig(o.config)
	if err != nil {
		return withCode(2, fmt.Errorf("--config: %w", err))
	}
	for _, w := range cfgWarns {
		fmt.Fprintln(os.Stderr, "dwshim: warning:", w)
	}
	opts.Template.Events = o.events
	if o.context != "" {
		c, err := lint.ReadContext(o.context)
		if err != nil {
			return withCode(2, fmt.Errorf("--context: %w", err))
		}
		opts.Template.Context = c
	}
	if o.rootURL != "" {
		opts.Template.RootURL = o.rootURL
		auth := tcauth.New(nil, o.rootURL)
		auth.HTTPBackoffClient = cliRetry.HTTPBackoff()
		opts.Expander = authExpander{auth}
		defer quietRetries()()
	}
	wo := lint.WriterOptions{Version: buildinfo.Version(), Verbose: o.verbose, Quiet: o.quiet}
	if o.format == "text" {
		wo.Progress = terminalProgress(stderr, "linting")
	}
	if wd, err := os.Getwd(); err == nil {
		wo.Root = wd
	}
	w, err := lint.NewWriterOptions(o.format, stdout, wo)
	if err != nil {
		return usageError{err.Error()}
	}
	sum, runErr := lint.New(opts).Run(ctx, paths, stdin, w)
	if err := w.Finish(sum); err != nil && runErr == nil {
		runErr = fmt.Errorf("write output: %w", err)
	}
	if runErr != nil {
		// Unreadable or malformed input (a *taskfile.SyntaxError names
		// file:line:column).
		return withCode(2, runErr)
	}
	if sum.Errors > 0 || (o.strict && sum.Warnings > 0) {
		return withCode(1, nil)
	}
	return nil
}

// lintConfig is the lint options of a --config file (poolConfig), or the
// offline d2g config's.
func lintConfig(file string) (lint.Options, []string, error) {
	if file == "" {
		return lint.DefaultOptions(), nil, nil
	}
	gw, warns, err := poolConfig(file)
	if err != nil {
		return lint.Options{}, nil, err
	}
	return lint.OptionsFor(&gw), warns, nil
}

// authExpander expands scopes with the auth service (auth.expandScopes).
type authExpander struct{ auth *tcauth.Auth }

func (a authExpander) ExpandScopes(ctx context.Context, scopes []string) ([]string, error) {
	res, err := a.auth.ExpandScopes(&tcauth.SetOfScopes{Scopes: scopes})
	if err != nil {
		return nil, fmt.Errorf("auth.expandScopes: %w", shortAPIError(err))
	}
	return res.Scopes, nil
}
