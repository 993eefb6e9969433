#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Install the Debian packages a step needs; idempotent (a warm machine only
# pays a few dpkg-query calls; "apt-get update" runs only when something is
# missing).
#   scripts/deps.sh [build|source|root|qemu|lint|debug|audit|upstream|all]...
#   (default: all)
# Architecture: KVMC_ARCH (default x86_64, see scripts/arch/).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/lib.sh"

# Packages of step $1 on stdout.
step_packages() {
	case $1 in
	build)
		# libc6-dev: gcc only recommends it; the selftests and the
		# guest's kvmc-exec are static programs.
		echo make gcc libc6-dev bc flex bison libelf-dev kmod cpio \
			xz-utils zstd "$DEPS_BUILD_ARCH"
		# Headers of the host's own suite's kernels; the others go
		# into their build roots (scripts/fetch-kernel.sh).
		for s in $KVMC_SERIES_ALL; do
			[ "$(kvmc_suite "$s")" != "$KVMC_HOST_SUITE" ] ||
				echo "linux-headers-$(kvmc_kver "$s")"
		done
		;;
	source)
		echo linux-source-6.12 xz-utils
		;;
	root)
		# scripts/build-root.sh: the build roots of other suites'
		# kernels (bullseye, sid, experimental).
		echo mmdebstrap debian-archive-keyring util-linux
		;;
	qemu)
		echo "$DEPS_QEMU_ARCH" busybox-static cpio gzip
		;;
	lint)
		# ocaml-nox: spatch compiles the OCaml rules of some semantic
		# patches. kconfig's "conf" comes with the linux-kbuild package
		# that the 6.12 headers depend on.
		echo sparse coccinelle ocaml-nox python3 perl shellcheck \
			"linux-headers-$(kvmc_kver 6.12)"
		;;
	debug)
		# "make check-debug": building the debug kernel from Debian's
		# linux-source-6.12 (scripts/build-debug-kernel.sh; no BTF, so
		# no dwarves) and turning the module's gcov data into line
		# coverage (lcov, with gcc's gcov). libc6-dev: the kernel's
		# host programs.
		echo linux-source-6.12 xz-utils make gcc libc6-dev bc bison \
			flex libelf-dev libssl-dev python3 lcov
		;;
	audit)
		# "make abi-audit": clang lays the uapi structures out for any
		# target; unifdef stands in for the kernel's scripts/unifdef in
		# headers_install.sh; the linux-source tarballs of the series
		# built on this host give the headers and upstream's handlers
		# (other suites' come from their build roots).
		echo clang unifdef xz-utils
		for s in $KVMC_SERIES_ALL; do
			_v=$(printf '%s' "$s" | tr . _)
			eval "_suite=\${kvmc_suite_$_v:-}"
			# shellcheck disable=SC2154 # set by eval
			if [ -z "$_suite" ] || [ "$_suite" = "${KVMC_HOST_SUITE:-bookworm}" ]; then
				echo "linux-source-$s"
			fi
		done
		;;
	upstream)
		# "make upstream-check": git holds the Debian sources the series
		# is applied to; the kselftest install of lib.mk copies with
		# rsync; kunit.py (python3) reads the KTAP the guest printed;
		# sparse checks the patched KVM; linux-source-6.12 is the second
		# tree the series must apply to (7.3's is in its build root).
		echo git rsync python3 perl sparse linux-source-6.12 xz-utils \
			"linux-headers-$(kvmc_kver 6.12)"
		;;
	*)
		kvmc_die "unknown step '$1' (build|source|root|qemu|lint|debug|audit|upstream|all)"
		;;
	esac
}

[ $# -gt 0 ] || set -- all
steps=
for s in "$@"; do
	if [ "$s" = all ]; then
		steps="$steps build source root qemu lint debug audit upstream"
	else
		steps="$steps $s"
	fi
done

missing=
for s in $steps; do
	for p in $(step_packages "$s"); do
		kvmc_pkg_installed "$p" || missing="$missing $p"
	done
done

if [ -z "$missing" ]; then
	exit 0
fi
kvmc_log "installing:$missing"
kvmc_apt_update_once
# shellcheck disable=SC2086
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >&2
