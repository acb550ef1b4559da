#!/usr/bin/env bash
# Runs the builder scripts in order, as monopacker does, on the machine the
# image is made from (or on a host by hand). Same environment as the
# builders' env_vars: DWSHIM_DEB, START_WORKER, WORKER_PROVIDER.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
for s in "$here"/scripts/dwshim/[0-9]*.sh; do
  echo "== $(basename "$s")"
  bash "$s"
done
