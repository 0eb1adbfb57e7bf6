#!/usr/bin/env bash
# Builds the Debian package from debian/ (dh + dh_apache2) and prints its
# path as the last line:
#   scripts/package.sh       -> target/package/libapache2-mod-session-cookie-rs_<version>_<arch>.deb
#   scripts/package.sh rpm   -> target/rpm/RPMS/<arch>/mod_session_cookie_rs-<version>-1.<arch>.rpm
#                               (packaging/rpm/mod_session_cookie_rs.spec; needs rpmbuild)
#   scripts/package.sh rpm apache-layout
#                            -> the same for httpd built from Apache's source
#                               (/usr/local/apache2), under target/rpm-apache-layout
#
# Both first build the two modules with scripts/build.sh in this shell's
# environment (cargo from rustup), then package the built target/module/*.so.
# The .deb is made by dpkg-buildpackage -us -uc -b in a staging copy under
# target/package/build/ (debian/, conf/, README.md, docs/, target/module/*.so):
# dpkg-buildpackage writes to the parent directory of the tree it builds,
# which must not be the parent of this repository.
#
# The version is Cargo.toml's; debian/changelog's latest entry must carry it
# (0.1.0 -> 0.1.0-1).
# Environment:
#   PACKAGE_VERSION_SUFFIX  appended to the Debian version through an extra
#                           changelog entry in the staging copy only (e.g.
#                           +rebuild1: 0.1.0-1+rebuild1), to make a newer
#                           package from the same tree (upgrade tests)
#   PACKAGE_OUTDIR          where the .deb and its .buildinfo/.changes go
#                           (default target/package)
#   PACKAGE_NO_BUILD=1      package target/module/*.so as they are, without
#                           running scripts/build.sh (built already, e.g. by
#                           scripts/test.sh)
# Needs dpkg-dev, debhelper and apache2-dev (dh_apache2); rpm for `rpm`.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
pkg=libapache2-mod-session-cookie-rs

die() { echo "package.sh: $*" >&2; exit 1; }

# cargo: on PATH, or rustup's default places (sudo and some shells drop ~/.cargo/bin).
if ! command -v cargo >/dev/null; then
    for dir in "${CARGO_HOME:-$HOME/.cargo}/bin" "$HOME/.cargo/bin" /usr/local/cargo/bin; do
        if [ -x "$dir/cargo" ]; then PATH="$PATH:$dir"; break; fi
    done
    command -v cargo >/dev/null || die "cargo not found: install the Rust toolchain with rustup (https://rustup.rs)"
    export PATH
fi

version=$(awk -F'"' '/^\[/ { section = $0 } section == "[package]" && /^version *=/ { print $2; exit }' Cargo.toml)
[ -n "$version" ] || die "no version in Cargo.toml"

if [ "${PACKAGE_NO_BUILD:-}" = 1 ]; then
    for m in cookie crypto; do
        [ -f "target/module/mod_session_${m}_rs.so" ] || die "target/module/mod_session_${m}_rs.so missing: run scripts/build.sh"
    done
    [ -f target/release/session-crypto-rs ] || die "target/release/session-crypto-rs missing: run scripts/build.sh"
else
    scripts/build.sh >&2
fi

if [ "${1:-}" = rpm ]; then
    command -v rpmbuild >/dev/null || die "rpmbuild not found (Debian: apt-get install rpm)"
    top=$repo/target/rpm
    layout=()
    case "${2:-}" in
        "") ;;
        # httpd built from Apache's source with its own layout
        # (./configure --prefix=/usr/local/apache2): the modules where its
        # apxs -q LIBEXECDIR says, the .conf beside its conf/extra ones.
        apache-layout)
            top=$repo/target/rpm-apache-layout
            layout=(--define "_httpd_moddir /usr/local/apache2/modules"
                    --define "_httpd_modconfdir /usr/local/apache2/conf/extra") ;;
        *) die "unknown rpm layout '$2' (none for RHEL's, or apache-layout)" ;;
    esac
    rm -rf "$top"
    mkdir -p "$top"
    spec_version=$(awk '$1 == "Version:" { print $2; exit }' packaging/rpm/mod_session_cookie_rs.spec)
    [ "$spec_version" = "$version" ] || die "packaging/rpm/mod_session_cookie_rs.spec has Version $spec_version, Cargo.toml $version"
    # --nodeps: the BuildRequires name RHEL packages; on Debian the rpm
    # database is empty, and the prebuilt tree needs none of them.
    rpmbuild -bb --nodeps --define "_topdir $top" --define "prebuilt_tree $repo" "${layout[@]}" \
        packaging/rpm/mod_session_cookie_rs.spec >&2
    rpm_file=$(find "$top/RPMS" -name "mod_session_cookie_rs-$version-*.rpm" ! -name '*debug*' | head -n1)
    [ -n "$rpm_file" ] || die "rpmbuild made no package"
    echo "$rpm_file"
    exit 0
fi
[ -z "${1:-}" ] || die "unknown argument '$1' (none for the .deb, or rpm)"

for tool in dpkg-buildpackage dh dh_apache2; do
    command -v "$tool" >/dev/null || die "$tool not found (apt-get install dpkg-dev debhelper apache2-dev)"
done
debversion=$(dpkg-parsechangelog -S Version)
[ "${debversion%-*}" = "$version" ] ||
    die "debian/changelog is at $debversion, Cargo.toml at $version: add a changelog entry ($version-1)"
suffix=${PACKAGE_VERSION_SUFFIX:-}
[[ "$suffix" =~ ^[A-Za-z0-9.+~]*$ ]] || die "PACKAGE_VERSION_SUFFIX may hold only A-Z a-z 0-9 . + ~"
full_version=$debversion$suffix
arch=$(dpkg --print-architecture)

out=${PACKAGE_OUTDIR:-target/package}
mkdir -p "$out"
out=$(cd "$out" && pwd)
build=$out/build
stage=$build/$pkg-$full_version
rm -rf "$stage"
mkdir -p "$stage/target/module" "$stage/target/release" "$stage/conf"
cp -a debian "$stage/"
cp -p conf/session_cookie_rs.load conf/session_cookie_rs.conf conf/session_crypto_rs.load "$stage/conf/"
cp -p README.md "$stage/"
cp -rp docs "$stage/"
cp -p target/module/mod_session_cookie_rs.so target/module/mod_session_crypto_rs.so "$stage/target/module/"
cp -p target/release/session-crypto-rs "$stage/target/release/"
if [ -n "$suffix" ]; then
    {
        printf '%s (%s) unstable; urgency=medium\n\n' "$pkg" "$full_version"
        printf '  * Rebuild of %s (PACKAGE_VERSION_SUFFIX=%s).\n\n' "$debversion" "$suffix"
        printf ' -- %s  %s\n\n' "$(dpkg-parsechangelog -S Maintainer)" "$(date -R)"
        cat debian/changelog
    } >"$stage/debian/changelog"
fi

(cd "$stage" && dpkg-buildpackage -us -uc -b) >&2

deb=${pkg}_${full_version}_${arch}.deb
[ -f "$build/$deb" ] || die "dpkg-buildpackage made no $deb"
for f in "$build"/*_"${full_version}"_*; do
    mv -f "$f" "$out/"
done
rm -rf "$stage"
rmdir "$build" 2>/dev/null || true
echo "$out/$deb"
