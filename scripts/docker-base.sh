#!/usr/bin/env bash
# Builds the Docker base image from Debian packages (no registry needed):
# debootstrap of bookworm with apache2, curl and redis-server (the cluster
# test's shared revocation store runs the same image), then `docker import`.
# Cached: the tag names a hash of what goes in, and an existing image is
# reused. Prints the tag as its last line, for
#   docker build --build-arg BASE=<tag> -f docker/Dockerfile .
set -euo pipefail
suite=bookworm
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
debootstrap --variant=minbase --include="$packages" "$suite" "$rootfs" "$mirror" >&2
# Package lists and caches are not needed in the image.
rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb
tar -C "$rootfs" -c . | docker import - "$tag" >&2
echo "$tag"
