#!/usr/bin/env bash
# Installs and starts what the tests need, idempotently. Usage:
#   scripts/test-env.sh          everything (packages, images, registry)
#   scripts/test-env.sh images   packages and test images only
set -euo pipefail
cd "$(dirname "$0")/.."

need_pkgs=()
for p in busybox-static docker-registry zstd lz4; do
  dpkg -s "$p" >/dev/null 2>&1 || need_pkgs+=("$p")
done
if [ ${#need_pkgs[@]} -gt 0 ]; then
  echo "test-env: installing ${need_pkgs[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >/dev/null
fi
