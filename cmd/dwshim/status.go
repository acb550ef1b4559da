package main

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/dwshim/dwshim/worker"
)

func init() {
	subcommands = append(subcommands, func() *cobra.Command {
		var file string
		cmd := &cobra.Command{
			Use:   "status",
			Short: "Print the ids of the tasks the worker on this machine is running",
			Long: "As generic-worker's status: prints {\"currentTaskIds\": [...]} from the status file\n" +
				"`dwshim run` keeps (worker-status.json in the temporary directory); an empty list when\n" +
				"the worker is idle or not running.",
			Example: "  dwshim status\n" +
				"  dwshim status --file /tmp/worker-status.json",
			Args: cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				st, err := worker.ReadStatus(file)
				if err != nil {
					return withCode(int(worker.ExitInternalError), err)
				}
				b, err := json.MarshalIndent(st, "", "  ")
				if err != nil {
					return err
				}
				_, err = fmt.Fprintln(cmd.OutOrStdout(), string(b))
				return err
			},
		}
		cmd.Flags().StringVar(&file, "file", worker.DefaultStatusPath(), "the status file")
		return cmd
	})
}
