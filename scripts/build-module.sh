#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Build kvm_compat.ko for one (kernel, mode) in its own copy of the sources,
# .cache/build/<kver>-<mode>/, so parallel builds never clobber each other:
#   scripts/build-module.sh KVER MODE [extra kbuild args, e.g. W=1 C=2]
# MODE is y|n (CONFIG_KVM_COMPAT_REF_TRANSLATE). Prints the .ko path; the
# build output goes to .cache/build/<kver>-<mode>.log (shown on failure).
# The kernel build tree is /usr/src/linux-headers-KVER on the host, or in
# the build root of the kernel's suite (scripts/build-root.sh), where the
# build then runs (chrooted: that suite's compiler and kbuild).
# KVMC_BUILD_DIR overrides the build directory, KVMC_KDIR the kernel build
# tree (a host path: the debug kernel of scripts/check-debug.sh, a tree of
# your own).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/lib.sh"

[ $# -ge 2 ] || kvmc_die "usage: $0 KVER y|n [kbuild args]"
kver=$1 mode=$2
shift 2
case $mode in y|n) ;; *) kvmc_die "MODE must be y or n, not '$mode'" ;; esac
kdir=${KVMC_KDIR:-$(kvmc_kdir "$kver")}
[ -d "$kdir" ] || kvmc_die "no kernel headers for $kver: run scripts/fetch-kernel.sh"
root=
case $kdir in
"$KVMC_CACHE"/roots/*/usr/src/*)
	root=${kdir%%/usr/src/*}
	kdir=${kdir#"$root"}
	;;
esac
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
run=
[ -z "$root" ] || run="kvmc_chroot $root -b $bdir"
# shellcheck disable=SC2086
if ! $run make -C "$kdir" M="$bdir" $cross CONFIG_KVM_COMPAT_REF=m \
	CONFIG_KVM_COMPAT_REF_TRANSLATE="$mode" "$@" modules >"$log" 2>&1; then
	tail -n 40 "$log" >&2
	kvmc_die "module build failed for $kver mode=$mode (log: $log)"
fi
ko="$bdir/kvm_compat/kvm_compat.ko"
[ -f "$ko" ] || kvmc_die "build produced no $ko"
echo "$ko"
