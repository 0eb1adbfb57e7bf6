#!/usr/bin/env bash
# Builds the Docker base image from Debian packages (no registry needed):
# debootstrap of a Debian release with apache2, curl and redis-server (the
# cluster test's shared revocation store runs the same image), then
# `docker import`.
#   scripts/docker-base.sh           Debian 12, bookworm
#   scripts/docker-base.sh trixie    Debian 13 (the package and system tests
#                                    run on both)
# Cached: the tag names the suite and a hash of what goes in, and an
# existing image is reused. Prints the tag as its last line, for
#   docker build --build-arg BASE=<tag> -f docker/Dockerfile .
# Debootstrap checks the release's signature against the host's
# /usr/share/keyrings/debian-archive-keyring.gpg: bookworm's
# debian-archive-keyring (2023.3+deb12u2) already holds trixie's keys.
set -euo pipefail
suite=${1:-bookworm}
case "$suite" in
    bookworm | trixie) ;;
    *) echo "docker-base.sh: unknown suite '$suite' (bookworm or trixie)" >&2; exit 2 ;;
esac
[ $# -le 1 ] || { echo "docker-base.sh: one argument at most, the suite" >&2; exit 2; }
packages=apache2,curl,ca-certificates,redis-server
hash=$(printf '%s %s v1' "$suite" "$packages" | sha256sum | cut -c1-12)
tag=mod-session-cookie-rs-base:$suite-$hash

if docker image inspect "$tag" >/dev/null 2>&1; then
    echo "$tag"
    exit 0
fi
if ! command -v debootstrap >/dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >&2
fi
# The Debian mirror this machine's apt already uses.
mirror=$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
[ -n "$mirror" ] || mirror=$(awk '$1 == "deb" { print $2; exit }' /etc/apt/sources.list)

rootfs=$(mktemp -d)
trap 'rm -rf "$rootfs"' EXIT
echo "debootstrap $suite ($packages) from $mirror" >&2
if ! debootstrap --variant=minbase --include="$packages" "$suite" "$rootfs" "$mirror" >&2; then
    # The usual cause on an older host: its debian-archive-keyring does not
    # know the release, and the Release signature cannot be checked.
    echo "docker-base.sh: debootstrap of $suite failed; if the Release signature was the problem," \
         "upgrade this machine's debian-archive-keyring (bookworm's 2023.3+deb12u2 has trixie's keys)" >&2
    exit 1
fi
# Package lists and caches are not needed in the image.
rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb
tar -C "$rootfs" -c . | docker import - "$tag" >&2
echo "$tag"
