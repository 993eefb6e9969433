#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Install a kernel tree's uapi headers for one architecture the way
# "make headers_install" does, and print the include directory:
#   scripts/uapi-headers.sh TREE ARCH OUT
# TREE: a source tree (scripts/kernel-tree.sh) or a linux-headers-*-common
# directory; ARCH: the kernel's name for the architecture (x86, arm64).
# <linux/kvm.h>, <asm/kvm.h> and every header they include go through the
# tree's own scripts/headers_install.sh (Debian's unifdef stands in for
# scripts/unifdef, which kbuild builds); the asm/ headers the architecture
# takes from asm-generic get the one-line wrappers kbuild generates. OUT is reused while it is newer than TREE's kvm.h.
set -eu

[ $# -eq 3 ] || { echo "usage: $0 TREE ARCH OUT" >&2; exit 2; }
tree=$(cd "$1" && pwd) arch=$2 out=$3
inst="$tree/scripts/headers_install.sh"
[ -f "$tree/include/uapi/linux/kvm.h" ] || { echo "uapi-headers: no include/uapi/linux/kvm.h in $tree" >&2; exit 1; }
[ -d "$tree/arch/$arch/include/uapi/asm" ] || { echo "uapi-headers: no arch/$arch uapi headers in $tree" >&2; exit 1; }
[ -f "$inst" ] || { echo "uapi-headers: no scripts/headers_install.sh in $tree" >&2; exit 1; }
command -v unifdef >/dev/null || { echo "uapi-headers: no unifdef (scripts/deps.sh audit)" >&2; exit 1; }

stamp="$out/.kvmc-installed"
if [ -f "$stamp" ] && [ -z "$(find "$tree/include/uapi/linux/kvm.h" -newer "$stamp")" ]; then
	echo "$out"
	exit 0
fi
rm -rf "$out"
mkdir -p "$out"
work=$(mktemp -d "${TMPDIR:-/tmp}/kvmc-uapi.XXXXXX")
trap 'rm -rf "$work"' EXIT

# headers_install.sh runs "scripts/unifdef" from the current directory and
# names files by their path in the tree (its CONFIG_ leak exceptions do).
mkdir -p "$work/scripts"
ln -s "$(command -v unifdef)" "$work/scripts/unifdef"
ln -s "$tree/include" "$work/include"
ln -s "$tree/arch" "$work/arch"

# The headers <linux/kvm.h> includes, directly or not: each is installed
# from the arch's uapi directory, else the generic one; an asm/ header the
# arch does not have is the wrapper kbuild generates (generic-y).
todo="linux/kvm.h asm/kvm.h"
done_list=" "
while [ -n "$todo" ]; do
	# shellcheck disable=SC2086
	set -- $todo
	[ $# -gt 0 ] || break
	h=$1
	shift
	todo=$*
	case $done_list in *" $h "*) continue ;; esac
	done_list="$done_list$h "
	mkdir -p "$out/$(dirname "$h")"
	if [ -f "$work/arch/$arch/include/uapi/$h" ]; then
		f="arch/$arch/include/uapi/$h"
	elif [ -f "$work/include/uapi/$h" ]; then
		f="include/uapi/$h"
	elif [ "${h#asm/}" != "$h" ] && [ -f "$work/include/uapi/asm-generic/${h#asm/}" ]; then
		printf '#include <asm-generic/%s>\n' "${h#asm/}" >"$out/$h"
		todo="$todo asm-generic/${h#asm/}"
		continue
	else
		echo "uapi-headers: $h not found in $tree (arch $arch)" >&2
		exit 1
	fi
	(cd "$work" && sh "$inst" "$f" "$out/$h") ||
		{ echo "uapi-headers: headers_install.sh failed on $f" >&2; exit 1; }
	todo="$todo $(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*<\([^>]*\)>.*/\1/p' "$out/$h" | tr '\n' ' ')"
done
touch "$stamp"
echo "$out"
