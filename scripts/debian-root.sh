#!/usr/bin/env bash
# Builds, once, a Debian bookworm root filesystem from Debian's packages
# (debootstrap, minbase + systemd) and imports it into the local Docker
# daemon as dwshim-test/debian:bookworm. No registry is involved. The release
# and image-recipe tests install the .deb and run deploy/'s scripts in it.
#
# Idempotent: the root is cached under $DWSHIM_DEBIAN_ROOT (default
# /var/tmp/dwshim-debian-root) and only rebuilt when missing or incomplete;
# the image is only imported when the daemon lacks it. About 40 s on a fresh
# machine. Prints the image name.
set -euo pipefail

cache=${DWSHIM_DEBIAN_ROOT:-/var/tmp/dwshim-debian-root}
suite=bookworm
mirror=${DWSHIM_DEBIAN_MIRROR:-http://deb.debian.org/debian}
image=dwshim-test/debian:$suite
root=$cache/$suite

# Tests in several packages may ask at once: one builds, the others wait.
mkdir -p "$cache"
exec 9>"$cache.lock"
flock 9

if ! command -v debootstrap >/dev/null; then
  echo "debian-root: installing debootstrap" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq --no-install-recommends debootstrap >/dev/null
fi

if [ ! -e "$root/.dwshim-complete" ]; then
  echo "debian-root: debootstrap $suite into $root (log: $cache/debootstrap.log)" >&2
  mkdir -p "$cache"
  rm -rf "$root"
  debootstrap --variant=minbase --include=systemd,ca-certificates "$suite" "$root" "$mirror" \
    >"$cache/debootstrap.log" 2>&1 || { tail -20 "$cache/debootstrap.log" >&2; exit 1; }
  # The scripts under test run apt-get: give the root the same sources.
  echo "deb $mirror $suite main" >"$root/etc/apt/sources.list"
  rm -rf "$root"/var/cache/apt/archives/*.deb
  touch "$root/.dwshim-complete"
fi

if ! docker image inspect "$image" >/dev/null 2>&1; then
  echo "debian-root: importing $root as $image" >&2
  tar -C "$root" --exclude=./.dwshim-complete -c . |
    docker import --change 'LABEL dwshim.test-image=debian' --change 'CMD ["/bin/bash"]' - "$image" >/dev/null
fi
echo "$image"
