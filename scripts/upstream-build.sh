#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Build upstream KVM's kvm.ko and kvm-amd.ko from a kernel source tree
# against a Debian kernel's headers, so that they load into that kernel,
# with W=1 and sparse on every file it compiles:
#   scripts/upstream-build.sh [-t] KVER TREE BUILDDIR [FILE...]
# arch/x86/kvm and virt/kvm of TREE are copied into BUILDDIR (one folder,
# so that arch/x86/kvm's ../../../virt/kvm resolves) and kbuild runs with
# M=BUILDDIR/arch/x86/kvm and CONFIG_KVM_INTEL=n, chrooted in the build
# root that holds KVER's headers (scripts/build-module.sh does the same).
# FILE... are the files a patch series changes (paths in TREE): those
# outside the two folders (a uapi header) are copied to BUILDDIR/overlay/
# and searched before the headers' own include directories, which is only
# right for a change that leaves the kernel's own structures as they are
# (the series' README says which). Files keep their time stamps, so a
# second call with the series applied to TREE recompiles only what it
# changed; -t touches FILE... first, to recompile them unpatched (the
# baseline of their warnings). Output: BUILDDIR.log (appended to, one
# "### build" line per call); prints BUILDDIR/arch/x86/kvm, where the .ko
# files are. A non-zero exit means the build failed.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/lib.sh"

touch_files=n
if [ "${1:-}" = -t ]; then
	touch_files=y
	shift
fi
[ $# -ge 3 ] || kvmc_die "usage: $0 [-t] KVER TREE BUILDDIR [FILE...]"
kver=$1 tree=$2
mkdir -p "$3"
bdir=$(cd "$3" && pwd)
shift 3
kdir=$(kvmc_kdir "$kver")
[ -d "$kdir" ] || kvmc_die "no kernel headers for $kver: run scripts/fetch-kernel.sh"
root=
case $kdir in
"$KVMC_CACHE"/roots/*/usr/src/*)
	root=${kdir%%/usr/src/*}
	kdir=${kdir#"$root"}
	;;
esac

mkdir -p "$bdir/arch/x86" "$bdir/virt" "$bdir/overlay"
for d in arch/x86/kvm virt/kvm; do
	# Copies every file, keeping time stamps: only changed ones rebuild.
	cp -a "$tree/$d" "$(dirname "$bdir/$d")/"
done
# arch/x86/kvm/Makefile finds virt/kvm/Makefile.kvm, its own headers and
# the sources its export check greps under $(srctree), which for an
# external module is the headers package, which has none of them: point
# it at the copy (a change to the copy, not to the series).
sed -i "s#\$(srctree)/\(virt/kvm\|arch/x86/kvm\)#$bdir/\1#g" \
	"$bdir/arch/x86/kvm/Makefile"

# The overlay: include/uapi/X -> overlay/uapi/X, include/X -> overlay/include/X,
# arch/x86/include/uapi/X -> overlay/arch-uapi/X, arch/x86/include/X ->
# overlay/arch/X, first on the include path in that order.
inc=
for f in "$@"; do
	case $f in
	arch/x86/kvm/*|virt/kvm/*) continue ;;
	include/uapi/*) o=uapi/${f#include/uapi/} ;;
	include/*) o=include/${f#include/} ;;
	arch/x86/include/uapi/*) o=arch-uapi/${f#arch/x86/include/uapi/} ;;
	arch/x86/include/*) o=arch/${f#arch/x86/include/} ;;
	Documentation/*|tools/*) continue ;;
	*) kvmc_die "upstream-build: cannot build with a changed $f (not KVM's, not a header)" ;;
	esac
	mkdir -p "$(dirname "$bdir/overlay/$o")"
	cp -a "$tree/$f" "$bdir/overlay/$o"
done
# KVM's own kernel headers, where the tree is another release of the
# series than the headers (linux-source-6.12 is 6.12.118 when the pinned
# kernel is 6.12.117): the tree's, so that its KVM compiles. They change
# KVM's internal structures only, which kvm.ko and kvm-amd.ko share
# with no other module; said in the log, and only sound for a build
# that is not loaded (make upstream-check boots the newest series, whose
# tree and headers are the same release: nothing is copied there).
common=$root/usr/src/linux-headers-${kver%-*}-common
for f in $(cd "$tree" && ls arch/x86/include/asm/kvm*.h include/linux/kvm*.h \
	include/kvm/*.h 2>/dev/null); do
	[ -f "$common/$f" ] || continue
	cmp -s "$tree/$f" "$common/$f" && continue
	case $f in
	include/*) o=include/${f#include/} ;;
	*) o=arch/${f#arch/x86/include/} ;;
	esac
	[ -f "$bdir/overlay/$o" ] && continue
	mkdir -p "$(dirname "$bdir/overlay/$o")"
	cp -a "$tree/$f" "$bdir/overlay/$o"
	echo "### skew: $f of the tree differs from linux-headers-${kver%-*}: the tree's used" >>"$bdir.log"
done
for d in arch-uapi arch uapi include; do
	[ -d "$bdir/overlay/$d" ] && inc="-I$bdir/overlay/$d $inc"
done
# arch/x86/kvm/trace.h sets TRACE_INCLUDE_PATH ../../arch/x86/kvm, which
# <trace/define_trace.h> includes relative to its own folder: in a tree
# that is arch/x86/kvm/trace.h, in a headers package nothing.  Any folder
# two levels below BUILDDIR finds the copy (the overlay's did, by luck,
# only when the series changed a header).
mkdir -p "$bdir/overlay/trace"
inc="$inc -I$bdir/overlay/trace"

if [ "$touch_files" = y ]; then
	for f in "$@"; do
		case $f in
		arch/x86/kvm/*|virt/kvm/*) touch "$bdir/$f" ;;
		include/*|arch/x86/include/*)
			find "$bdir/overlay" -type f -exec touch {} + ;;
		esac
	done
fi

run=
[ -z "$root" ] || run="kvmc_chroot $root -b $bdir"
log=$bdir.log
echo "### build $(date +%H:%M:%S) touch=$touch_files $tree" >>"$log"
# KBUILD_CHECKSRC=1 (C=1: sparse on what is recompiled) on the command
# line: Debian's 7.x headers lack scripts/checker-valid.sh and would turn
# C=1 off (scripts/lint.sh); their Makefile still says so.
# shellcheck disable=SC2086
if ! $run make -C "$kdir" M="$bdir/arch/x86/kvm" CONFIG_KVM_INTEL=n \
	W=1 KBUILD_CHECKSRC=1 CHECK=sparse \
	NOSTDINC_FLAGS="-nostdinc $inc" -j"$(nproc)" modules >>"$log" 2>&1; then
	tail -n 40 "$log" >&2
	kvmc_die "upstream KVM build failed for $kver (log: $log)"
fi
for m in kvm kvm-amd; do
	[ -f "$bdir/arch/x86/kvm/$m.ko" ] || kvmc_die "build produced no $m.ko"
done
echo "$bdir/arch/x86/kvm"
