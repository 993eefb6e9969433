#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Make a kernel tree you built yourself bootable by the test harness, as
# scripts/fetch-kernel.sh does for Debian's, and print its release:
#   scripts/own-kernel.sh KDIR
# KDIR is the build tree (where "make" wrote .config, the bzImage and the
# modules; with O=, the O= directory). Made in .cache/kernels/<release>/:
# boot/vmlinuz-<release>, a link to the tree's bzImage, and
# lib/modules/<release>/ with the upstream KVM modules the tests use as the
# oracle (scripts/arch/*.conf ORACLE_MODULES) and everything they depend
# on, copied from the tree, with a modules.dep. The file .kvmc-oracle
# there says how the tree has KVM:
#   modules   KVM and the vendor module are modules (copied)
#   builtin   built in: /dev/kvm is there without loading anything
#   none      no KVM, or not the vendor module the guest needs: the tests
#             run against /dev/kvm_compat alone
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/lib.sh"

[ $# -eq 1 ] || kvmc_die "usage: $0 KDIR"
kdir=$(cd "$1" && pwd) || kvmc_die "no directory $1"
[ -f "$kdir/.config" ] || kvmc_die "$kdir has no .config: not a kernel build tree"
[ -f "$kdir/include/config/kernel.release" ] || kvmc_die "$kdir is not built (no include/config/kernel.release)"
[ -f "$kdir/$KERNEL_IMAGE" ] || kvmc_die "$kdir has no $KERNEL_IMAGE: build the kernel first"
[ -f "$kdir/Module.symvers" ] || kvmc_die "$kdir has no Module.symvers: out-of-tree modules cannot be built against it"
rel=$(cat "$kdir/include/config/kernel.release")
dest="$KVMC_CACHE/kernels/$rel"
if [ -f "$dest/.kvmc-extracted" ] && [ ! -f "$dest/.kvmc-own" ]; then
	kvmc_die "$dest holds a Debian kernel of the same release $rel"
fi

config() {
	sed -n "s/^$1=\\(.*\\)/\\1/p" "$kdir/.config"
}

rm -rf "$dest"
mkdir -p "$dest/boot" "$dest/lib/modules/$rel/kernel"
ln -s "$kdir/$KERNEL_IMAGE" "$dest/boot/vmlinuz-$rel"
echo "$kdir" >"$dest/.kvmc-own"

kvm=$(config CONFIG_KVM) vendor=$(config "$ORACLE_VENDOR_CONFIG")
if [ "$kvm" = m ] && [ "$vendor" = m ]; then
	oracle=modules
elif [ -n "$kvm" ] && [ -n "$vendor" ] && [ "$kvm" != m ] && [ "$vendor" != m ]; then
	oracle=builtin
else
	oracle=none
fi

# The oracle modules and their dependency closure ("modinfo -F depends").
todo=
[ "$oracle" != modules ] || todo=$ORACLE_MODULES
done_list=' '
while [ -n "$todo" ]; do
	# shellcheck disable=SC2086 # a list of words
	set -- $todo
	m=$1
	shift
	todo=$*
	u=$(echo "$m" | tr - _)
	case $done_list in *" $u "*) continue ;; esac
	done_list="$done_list$u "
	ko=$(find "$kdir" -name "$u.ko" -o -name "$(echo "$m" | tr _ -).ko" | head -n1)
	if [ -z "$ko" ]; then
		kvmc_log "own kernel: no $m.ko in $kdir (built in?)"
		continue
	fi
	rp=${ko#"$kdir"/}
	mkdir -p "$dest/lib/modules/$rel/kernel/$(dirname "$rp")"
	cp "$ko" "$dest/lib/modules/$rel/kernel/$rp"
	todo="$todo $(modinfo -F depends "$ko" | tr , ' ')"
done
for f in modules.order modules.builtin modules.builtin.modinfo; do
	: >"$dest/lib/modules/$rel/$f"
done
depmod -b "$dest" "$rel"
echo "$oracle" >"$dest/.kvmc-oracle"
touch "$dest/.kvmc-extracted"
kvmc_log "own kernel $rel from $kdir: upstream KVM $oracle"
echo "$rel"
