#!/usr/bin/env bash
# worker-runner (start-worker) into /usr/local/bin, where dwshim's unit
# starts it. START_WORKER is the binary uploaded with the image's files
# (built from the taskcluster module, e.g. `make tools` → .tools/bin).
set -euo pipefail
: "${START_WORKER:?set START_WORKER to the uploaded start-worker binary}"
install -m 0755 -o root -g root "$START_WORKER" /usr/local/bin/start-worker
echo "02-worker-runner: /usr/local/bin/start-worker installed"
