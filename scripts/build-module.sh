#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Build kvm_compat.ko for one (kernel, mode) in its own copy of the sources,
# .cache/build/<kver>-<mode>/, so parallel builds never clobber each other:
#   scripts/build-module.sh KVER MODE [extra kbuild args, e.g. W=1 C=2]
# MODE is y|n (CONFIG_KVM_COMPAT_REF_TRANSLATE). Prints the .ko path; the
# build output goes to .cache/build/<kver>-<mode>.log (shown on failure).
# KVMC_BUILD_DIR overrides the build directory, KVMC_KDIR the kernel build
# tree (default /usr/src/linux-headers-KVER; the debug kernel of
# scripts/check-debug.sh is one).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/lib.sh"

[ $# -ge 2 ] || kvmc_die "usage: $0 KVER y|n [kbuild args]"
kver=$1 mode=$2
shift 2
case $mode in y|n) ;; *) kvmc_die "MODE must be y or n, not '$mode'" ;; esac
kdir=${KVMC_KDIR:-/usr/src/linux-headers-$kver}
[ -d "$kdir" ] || kvmc_die "no $kdir: run scripts/fetch-kernel.sh"
bdir=${KVMC_BUILD_DIR:-$KVMC_CACHE/build/$kver-$mode}
log=$bdir.log
# KVMC_MODULE_SRC: build another tree (testing the harness itself).
msrc=${KVMC_MODULE_SRC:-$top}

mkdir -p "$bdir"
for src in Kbuild Kconfig kvm_compat include; do
	[ -e "$msrc/$src" ] || kvmc_die "missing module source $msrc/$src"
	# -a keeps mtimes: unchanged files are not rebuilt.
	cp -a "$msrc/$src" "$bdir/"
done

cross=
[ -n "${CROSS_COMPILE:-}" ] && cross="CROSS_COMPILE=$CROSS_COMPILE"
# shellcheck disable=SC2086
if ! make -C "$kdir" M="$bdir" $cross CONFIG_KVM_COMPAT_REF=m \
	CONFIG_KVM_COMPAT_REF_TRANSLATE="$mode" "$@" modules >"$log" 2>&1; then
	tail -n 40 "$log" >&2
	kvmc_die "module build failed for $kver mode=$mode (log: $log)"
fi
ko="$bdir/kvm_compat/kvm_compat.ko"
[ -f "$ko" ] || kvmc_die "build produced no $ko"
echo "$ko"
