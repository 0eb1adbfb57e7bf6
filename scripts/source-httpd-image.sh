#!/usr/bin/env bash
# Builds the image of Apache httpd 2.4 built from Apache's own source
# (docker/source-httpd/Dockerfile) on the Debian 12 debootstrap base image
# (scripts/docker-base.sh bookworm): Apache's layout under
# /usr/local/apache2, its own apxs, Debian's APR and APR-util. The suite
# tests/source_httpd loads our modules into it.
# Cached: the tag hashes the Dockerfile, the tarball's pinned sha256 and
# the base image's tag, and an existing image is reused. Prints the tag as
# its last line.
#   HTTPD_VERSION, HTTPD_SHA256   another 2.4 release (both, or neither)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
[ $# -eq 0 ] || { echo "source-httpd-image.sh: no arguments" >&2; exit 2; }

# The upstream tarball as Debian's apache2 source package ships it
# (apache2_2.4.66.orig.tar.gz is Apache's httpd-2.4.66.tar.gz).
version=${HTTPD_VERSION:-2.4.66}
sha256=${HTTPD_SHA256:-442184763b60936471b88a91275f79d2407733b7aac27e345f270e8bc31c3d49}
if [ -n "${HTTPD_VERSION:-}" ] && [ -z "${HTTPD_SHA256:-}" ]; then
    echo "source-httpd-image.sh: HTTPD_VERSION needs HTTPD_SHA256" >&2
    exit 2
fi

base=$(scripts/docker-base.sh bookworm | tail -n1)
dockerfile=docker/source-httpd/Dockerfile
hash=$( { cat "$dockerfile"; printf '%s %s %s v1' "$version" "$sha256" "$base"; } | sha256sum | cut -c1-12)
tag=mod-session-cookie-rs-source-httpd:$version-$hash

if docker image inspect "$tag" >/dev/null 2>&1; then
    echo "$tag"
    exit 0
fi
echo "building httpd $version from source on $base" >&2
docker build --build-arg BASE="$base" --build-arg HTTPD_VERSION="$version" \
    --build-arg HTTPD_SHA256="$sha256" -t "$tag" -f "$dockerfile" docker/source-httpd >&2
echo "$tag"
