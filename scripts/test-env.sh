#!/usr/bin/env bash
# Installs and starts what the tests need, idempotently. Usage:
#   scripts/test-env.sh          everything (packages, images, registry)
#   scripts/test-env.sh images   packages and test images only
#
# Images: dwshim-test/busybox:latest is built by the project (Debian's
# busybox-static in a one-layer image, runner/docker/internal/testimages) and
# loaded through the Engine API. Registry: Debian's docker-registry on
# 127.0.0.1:5000 (dockerd treats 127.0.0.0/8 as insecure by default), holding
# 127.0.0.1:5000/dwshim-test/busybox:latest.
set -euo pipefail
cd "$(dirname "$0")/.."

need_pkgs=()
for p in busybox-static docker-registry zstd lz4 xz-utils bzip2 curl tmux; do
  dpkg -s "$p" >/dev/null 2>&1 || need_pkgs+=("$p")
done
if [ ${#need_pkgs[@]} -gt 0 ]; then
  echo "test-env: installing ${need_pkgs[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >/dev/null
fi

testimages=(go run ./runner/docker/internal/testimages/cmd/testimages)
base=dwshim-test/busybox:latest
reg=127.0.0.1:5000

"${testimages[@]}" --tag "$base" --load --if-missing >/dev/null
echo "test-env: image $base ready"

[ "${1:-}" = images ] && exit 0

regdir=${DWSHIM_REGISTRY_DIR:-/var/tmp/dwshim-registry}
if ! curl -sf "http://$reg/v2/" >/dev/null 2>&1; then
  # Debian's own docker-registry service (started by the package on
  # systemd hosts) listens on :5000 with htpasswd auth: stop it for ours.
  if command -v systemctl >/dev/null && systemctl is-active --quiet docker-registry 2>/dev/null; then
    echo "test-env: stopping the docker-registry system service (it requires auth)"
    systemctl stop docker-registry
  fi
  if (exec 3<>/dev/tcp/127.0.0.1/5000) 2>/dev/null; then
    echo "test-env: something other than a registry listens on $reg" >&2
    exit 1
  fi
  mkdir -p "$regdir/storage"
  cat >"$regdir/config.yml" <<YAML
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $regdir/storage
  delete:
    enabled: true
http:
  addr: $reg
YAML
  echo "test-env: starting docker-registry on $reg (log: $regdir/registry.log)"
  setsid nohup docker-registry serve "$regdir/config.yml" >"$regdir/registry.log" 2>&1 </dev/null &
  for _ in $(seq 1 50); do
    curl -sf "http://$reg/v2/" >/dev/null 2>&1 && break
    sleep 0.2
  done
  curl -sf "http://$reg/v2/" >/dev/null || { echo "test-env: registry did not start" >&2; cat "$regdir/registry.log" >&2; exit 1; }
fi
if ! curl -sf "http://$reg/v2/dwshim-test/busybox/manifests/latest" \
  -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' >/dev/null; then
  "${testimages[@]}" --tag "$base" --load --if-missing --push "$reg/$base" >/dev/null
fi
echo "test-env: registry image $reg/$base ready"
