package main

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// dwshimCommands lists dwshim and every command under it, but cobra's own
// help and completion.
func dwshimCommands(root *cobra.Command) []*cobra.Command {
	out := []*cobra.Command{root}
	for _, c := range root.Commands() {
		if c.Name() == "help" || c.Name() == "completion" {
			continue
		}
		out = append(out, dwshimCommands(c)...)
	}
	return out
}

// TestHelpHasExamples: the --help of every command has an Examples
// section, and every example is a dwshim command line its command accepts:
// the command exists, its flags parse, its arguments are as many as it
// takes.
func TestHelpHasExamples(t *testing.T) {
	cmds := dwshimCommands(newRootCmd())
	if len(cmds) < 9 {
		t.Fatalf("found %d commands", len(cmds))
	}
	for _, c := range cmds {
		path := c.CommandPath()
		t.Run(path, func(t *testing.T) {
			args := append(strings.Fields(path)[1:], "--help")
			code, out, errs := convertCLI(t, "", args...)
			if code != 0 || !strings.Contains(out, "\nExamples:\n") {
				t.Fatalf("%s --help: exit %d, no Examples section:\n%s%s", path, code, out, errs)
			}
			lines := strings.Split(strings.TrimSpace(c.Example), "\n")
			for _, line := range lines {
				if !strings.Contains(out, line) {
					t.Errorf("--help does not show %q", line)
				}
				argv, err := exampleArgs(line)
				if err != nil {
					t.Errorf("%q: %v", line, err)
					continue
				}
				checkExample(t, line, path, argv)
			}
		})
	}
}

// checkExample parses argv (without "dwshim") as dwshim would, with a
// fresh command tree, without running it.
func checkExample(t *testing.T, line, path string, argv []string) {
	t.Helper()
	root := newRootCmd()
	cmd, rest, err := root.Find(argv)
	if err != nil {
		t.Errorf("%q: %v", line, err)
		return
	}
	if path != "dwshim" && cmd.CommandPath() != path {
		t.Errorf("%q runs %s, not %s", line, cmd.CommandPath(), path)
	}
	cmd.InitDefaultHelpFlag()
	cmd.InitDefaultVersionFlag()
	if err := cmd.ParseFlags(rest); err != nil {
		t.Errorf("%q: %v", line, err)
		return
	}
	if err := cmd.ValidateArgs(cmd.Flags().Args()); err != nil {
		t.Errorf("%q: %v", line, err)
	}
	if err := cmd.ValidateFlagGroups(); err != nil {
		t.Errorf("%q: %v", line, err)
	}
}

// exampleArgs returns the arguments after "dwshim" in a shell command line
// (the first dwshim of a pipeline), up to a redirection, pipe or comment.
// Single and double quotes are understood; nothing else of the shell.
func exampleArgs(line string) ([]string, error) {
	words, err := shellWords(line)
	if err != nil {
		return nil, err
	}
	for i, w := range words {
		if w != "dwshim" || (i > 0 && words[i-1] != "|") {
			continue
		}
		var argv []string
		for _, a := range words[i+1:] {
			if a == "|" || a == "#" || a == ";" || a == "&&" || a == "||" ||
				strings.HasPrefix(a, ">") || strings.HasPrefix(a, "2>") || strings.HasPrefix(a, "<") {
				break
			}
			argv = append(argv, a)
		}
		return argv, nil
	}
	return nil, errNoDwshim
}

var errNoDwshim = errors.New("no dwshim command (first word, or after a pipe)")

// shellWords splits line into words as a POSIX shell would for plain
// words and quoted strings.
func shellWords(line string) ([]string, error) {
	var words []string
	var cur strings.Builder
	in, quote := false, byte(0)
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			} else {
				cur.WriteByte(c)
			}
		case c == '\'' || c == '"':
			quote, in = c, true
		case c == ' ' || c == '\t':
			if in {
				words = append(words, cur.String())
				cur.Reset()
				in = false
			}
		default:
			cur.WriteByte(c)
			in = true
		}
	}
	if quote != 0 {
		return nil, errors.New("unterminated quote")
	}
	if in {
		words = append(words, cur.String())
	}
	return words, nil
}

func TestShellWords(t *testing.T) {
	for line, want := range map[string][]string{
		`dwshim lint -v g.json | grep -F '[missing-scopes]'`: {"lint", "-v", "g.json"},
		`taskgraph full -J | dwshim lint -`:                  {"lint", "-"},
		`dwshim convert --graph "a b.json" 2> w.txt`:         {"convert", "--graph", "a b.json"},
		`dwshim run --config c.json   # standalone`:          {"run", "--config", "c.json"},
	} {
		if argv, err := exampleArgs(line); err != nil || !slices.Equal(argv, want) {
			t.Errorf("exampleArgs(%q) = %q, %v; want %q", line, argv, err, want)
		}
	}
	if _, err := exampleArgs("echo dwshim lint"); err == nil {
		t.Error("dwshim as an argument of another command counted as an example")
	}
}
