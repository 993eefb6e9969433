#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Make (once) the build root of a Debian suite and print its path:
#   scripts/build-root.sh SUITE        (bullseye, sid, experimental, ...)
# A kernel of another suite than the host's is built with that suite's
# compiler and kbuild: a root made with mmdebstrap under .cache/roots/SUITE/,
# holding the toolchain (make, gcc, libc6-dev, sparse) and apt configured
# for the suite, so that scripts/fetch-kernel.sh can install the kernel's
# headers into it. "experimental" is sid plus experimental (experimental is
# not a whole suite).
# The archive's bullseye, sid and experimental Release files are past their
# Valid-Until date: apt in the root is told not to check it.
# Cached: nothing is done while .cache/roots/SUITE/.kvmc-root holds the same
# key (this script's KEY_REV and the package list). One build at a time per
# suite (flock). Log: .cache/roots/SUITE.log.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/lib.sh"

# Bump when the way a root is made changes.
KEY_REV=1

[ $# -eq 1 ] || kvmc_die "usage: $0 SUITE"
suite=$1
root="$KVMC_CACHE/roots/$suite"
log="$KVMC_CACHE/roots/$suite.log"
mirror=${KVMC_MIRROR:-http://deb.debian.org/debian}

case $suite in
experimental)
	dist=sid
	extra_src="deb $mirror experimental main"
	;;
*)
	dist=$suite
	extra_src=
	;;
esac
# What every module build, lint (W=1, C=2) and "make upstream-check" need.
# The kernel headers (and the suite's gcc they depend on) are added by
# scripts/fetch-kernel.sh.
pkgs="make gcc libc6-dev sparse kmod xz-utils zstd bc flex bison libelf-dev"

"$top/scripts/deps.sh" root
mkdir -p "$KVMC_CACHE/roots"
exec 9>"$KVMC_CACHE/roots/.lock-$suite"
flock 9

key=$(printf 'rev=%s dist=%s extra=%s pkgs=%s\n' "$KEY_REV" "$dist" "$extra_src" "$pkgs" |
	sha256sum | cut -c1-16)
if [ -f "$root/.kvmc-root" ] && [ "$(cat "$root/.kvmc-root")" = "$key" ]; then
	echo "$root"
	exit 0
fi

kvmc_log "build root $suite: mmdebstrap $dist (log: $log; a few minutes, once)"
t0=$(kvmc_now)
rm -rf "$root"
set -- --variant=apt --mode=root --format=directory \
	--aptopt='Acquire::Check-Valid-Until "false"' \
	--aptopt='Acquire::Languages "none"' \
	--aptopt='APT::Sandbox::User "root"' \
	--include="$(echo "$pkgs" | tr ' ' ,)" \
	"$dist" "$root" "deb $mirror $dist main"
[ -z "$extra_src" ] || set -- "$@" "$extra_src"
if ! mmdebstrap "$@" >"$log" 2>&1; then
	tail -n 30 "$log" >&2
	rm -rf "$root"
	kvmc_die "build root $suite: mmdebstrap failed (log: $log)"
fi
echo "$key" >"$root/.kvmc-root"
kvmc_log "build root $suite: made in $(($(kvmc_now) - t0))s"
echo "$root"
