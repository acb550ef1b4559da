package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/dwshim/dwshim/internal/buildinfo"
)

func init() {
	subcommands = append(subcommands, func() *cobra.Command {
		return &cobra.Command{
			Use:     "version",
			Short:   "Print dwshim's version and source commit",
			Example: "  dwshim version",
			Args:    cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				_, err := fmt.Fprintln(cmd.OutOrStdout(), buildinfo.String())
				return err
			},
		}
	})
	// generic-worker's --version (the full line) and --short-version (the
	// bare version, which image-building scripts compare).
	rootSetup = append(rootSetup, func(root *cobra.Command) {
		root.Version = buildinfo.String()
		root.SetVersionTemplate("{{.Version}}\n")
		var short bool
		root.Flags().BoolVar(&short, "short-version", false, "print the bare release version and exit")
		root.Args = cobra.NoArgs
		root.RunE = func(cmd *cobra.Command, _ []string) error {
			if short {
				_, err := fmt.Fprintln(cmd.OutOrStdout(), buildinfo.Version())
				return err
			}
			return cmd.Help()
		}
	})
}
