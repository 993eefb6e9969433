#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Cross-check clang's layouts (scripts/abi-layout.sh) with gcc, the
# compiler Debian's userspace is built with, for an ABI gcc can target:
#   scripts/abi-gcc-check.sh LAYOUT.tsv INCDIR GCCFLAG    (e.g. -m32)
# Every ioctl value, and the size, alignment and member offsets of every
# named record, become _Static_assert()s that gcc -fsyntax-only must
# accept. Prints "N facts agree" or gcc's first disagreements; exit 1 on
# any.
set -eu
[ $# -eq 3 ] || { echo "usage: $0 LAYOUT.tsv INCDIR GCCFLAG" >&2; exit 2; }
layout=$1 inc=$2 flag=$3
work=$(mktemp -d "${TMPDIR:-/tmp}/kvmc-gcc.XXXXXX")
trap 'rm -rf "$work"' EXIT

{
	printf '#include <stddef.h>\n#include <linux/kvm.h>\n'
	awk -F'\t' '
	$1 == "ioctl" && $3 != "-" {
		printf "_Static_assert((unsigned int)%s == %su, \"%s\");\n", $2, $3, $2
	}
	$1 == "rec" && $2 ~ /^(struct|union) [a-z_0-9]+$/ {
		printf "_Static_assert(sizeof(%s) == %s && _Alignof(%s) == %s, \"%s\");\n",
			$2, $3, $2, $4, $2
	}
	$1 == "mem" && $2 ~ /^(struct|union) [a-z_0-9]+$/ && $5 != "-" && $4 !~ /:/ {
		printf "_Static_assert(offsetof(%s, %s) == %s, \"%s.%s\");\n", $2, $5, $4, $2, $5
	}' "$layout"
} >"$work/check.c"
n=$(grep -c _Static_assert "$work/check.c")
if gcc "$flag" -std=gnu11 -fsyntax-only -w -nostdinc -isystem "$(gcc -print-file-name=include)" \
	-I "$inc" "$work/check.c" 2>"$work/err"; then
	echo "$n facts agree"
else
	grep 'error' "$work/err" | head -n 5
	exit 1
fi
