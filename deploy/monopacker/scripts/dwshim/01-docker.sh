#!/usr/bin/env bash
# Docker Engine from Debian's docker.io, enabled at boot. Idempotent.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
if ! dpkg -s docker.io >/dev/null 2>&1 && ! command -v dockerd >/dev/null; then
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends docker.io ca-certificates
fi
systemctl enable docker.service
echo "01-docker: $(dpkg-query -W -f '${Package} ${Version}' docker.io 2>/dev/null || dockerd --version)"
