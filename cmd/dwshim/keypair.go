package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/dwshim/dwshim/worker"
)

// exitCantCreateKeypair is generic-worker's CANT_CREATE_ED25519_KEYPAIR.
const exitCantCreateKeypair = 75

func init() {
	subcommands = append(subcommands, func() *cobra.Command {
		var file string
		cmd := &cobra.Command{
			Use:   "new-ed25519-keypair --file FILE",
			Short: "Write a new ed25519 chain-of-trust key to FILE and print its public key",
			Long: "As generic-worker's new-ed25519-keypair: the private key (base64 of its 32-byte seed) is\n" +
				"written to FILE, the base64 public key to stdout. Point ed25519SigningKeyLocation at FILE.\n" +
				"The parent directory must exist; an existing FILE is overwritten. Exit 75 on failure.",
			Example: "  dwshim new-ed25519-keypair --file /etc/generic-worker/ed25519_key > ed25519_key.pub",
			Args:    cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				if file == "" {
					return usageError{"new-ed25519-keypair: --file FILE is required"}
				}
				pub, err := worker.NewSigningKey(file)
				if err != nil {
					return withCode(exitCantCreateKeypair, fmt.Errorf("new-ed25519-keypair: %w", err))
				}
				_, err = fmt.Fprint(cmd.OutOrStdout(), pub)
				return err
			},
		}
		cmd.Flags().StringVar(&file, "file", "", "where to write the private key")
		return cmd
	})
}
