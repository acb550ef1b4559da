package main

import (
	"github.com/spf13/cobra"

	"github.com/dwshim/dwshim/schemas"
)

func init() {
	subcommands = append(subcommands, func() *cobra.Command {
		return &cobra.Command{
			Use:   "show-payload-schema",
			Short: "Print the JSON Schema of the task payloads this worker accepts",
			Long: "As generic-worker's show-payload-schema: the schema `dwshim run` validates task payloads\n" +
				"against, here docker-worker's v1 payload (draft-07 JSON Schema).",
			Example: "  dwshim show-payload-schema > docker-worker-payload.schema.json",
			Args:    cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				out := cmd.OutOrStdout()
				b := schemas.DockerWorkerPayloadSchema()
				if _, err := out.Write(b); err != nil {
					return err
				}
				if len(b) > 0 && b[len(b)-1] != '\n' {
					_, err := out.Write([]byte{'\n'})
					return err
				}
				return nil
			},
		}
	})
}
