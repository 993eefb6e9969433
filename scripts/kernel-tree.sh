#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Unpack what "make abi-audit" reads from a kernel source tarball (the uapi
# headers, scripts/headers_install.sh, KVM's generic and per-architecture
# sources and virt/kvm/Kconfig) into .cache/audit/tree/<name>/ and print
# that directory:
#   scripts/kernel-tree.sh /usr/src/linux-source-6.12.tar.xz
# A directory (an unpacked source tree, or a linux-headers-*-common
# directory, which has the headers but no KVM sources) is printed as it is.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)

[ $# -eq 1 ] || { echo "usage: $0 TARBALL|DIR" >&2; exit 2; }
src=$1
if [ -d "$src" ]; then
	(cd "$src" && pwd)
	exit 0
fi
[ -f "$src" ] || { echo "kernel-tree: no $src" >&2; exit 1; }

name=$(basename "$src")
name=${name%.tar.*}
dest="$top/.cache/audit/tree/$name"
stamp="$dest/.kvmc-extracted-v2"
if [ -f "$stamp" ] && [ -z "$(find "$src" -newer "$stamp")" ]; then
	echo "$dest"
	exit 0
fi
rm -rf "$dest"
mkdir -p "$dest"
# The tarball's top directory is stripped: <dest>/include/uapi/...
tar xf "$src" -C "$dest" --strip-components=1 --wildcards \
	--exclude='*/tools/*' \
	'*/include/uapi/*' \
	'*/scripts/headers_install.sh' \
	'*/virt/kvm/*' \
	'*/include/linux/kvm_host.h' \
	'*/arch/x86/kvm/*.c' \
	'*/arch/arm64/kvm/*.c'
touch "$stamp"
echo "$dest"
