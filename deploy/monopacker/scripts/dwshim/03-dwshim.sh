#!/usr/bin/env bash
# dwshim from its .deb (binary, systemd unit, worker-runner config), the
# provider set for the cloud the image is for, the unit enabled. Idempotent.
# DWSHIM_DEB: the uploaded dwshim_*.deb of `make dist`.
# WORKER_PROVIDER: aws | google | azure (default google); static and
#   standalone hosts keep the template's provider block to fill in by hand.
set -euo pipefail
: "${DWSHIM_DEB:?set DWSHIM_DEB to the uploaded dwshim .deb}"
provider=${WORKER_PROVIDER:-google}
export DEBIAN_FRONTEND=noninteractive
case $DWSHIM_DEB in /*) ;; *) DWSHIM_DEB=./$DWSHIM_DEB ;; esac
apt-get install -y -qq "$DWSHIM_DEB" >/dev/null

config=/etc/dwshim/worker-runner.yaml
test -f "$config" || { echo "03-dwshim: the package did not install $config" >&2; exit 1; }
case $provider in
  aws|google|azure)
    # Cloud providers need only their type: replace the template's block.
    awk -v p="$provider" '
      /^provider:/ { print "provider:"; print "  providerType: " p; skip = 1; next }
      skip && /^[^ #]/ { skip = 0 }
      !skip { print }' "$config" >"$config.new"
    mv "$config.new" "$config"
    ;;
  static|standalone) ;;
  *) echo "03-dwshim: WORKER_PROVIDER=$provider: want aws, google, azure, static or standalone" >&2; exit 1 ;;
esac

unit=$(dpkg -L dwshim | sed -n 's|^/lib/systemd/system/\([^/]*\.service\)$|\1|p')
systemctl enable "$unit"
echo "03-dwshim: $(dwshim --version); $unit enabled; provider $provider"
