#!/usr/bin/env bash
# The chain-of-trust key, made at image build as generic-worker images do:
# every worker of the image signs with it. The public key is printed for the
# build log; register it with your chain-of-trust verifier (scriptworker)
# before the image takes tasks. Kept if it exists (rebuilds of a layer).
set -euo pipefail
config=/etc/dwshim/worker-runner.yaml
key=$(sed -n 's/^ *ed25519SigningKeyLocation: *//p' "$config" | head -1)
: "${key:?no ed25519SigningKeyLocation in $config}"
if [ ! -s "$key" ]; then
  mkdir -p "$(dirname "$key")"
  pub=$(dwshim new-ed25519-keypair --file "$key")
  echo "04-ed25519-key: ed25519 public key: $pub"
else
  echo "04-ed25519-key: keeping the existing $key"
fi
chmod 0600 "$key"
