#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Unpack the parts of Debian's linux-source-6.12 that kvm_compat uses at
# build and lint time (kselftest headers, checkpatch, coccinelle scripts,
# kconfig helpers) into .cache/linux-source-6.12/ and print that path.
# Nothing from it is ever committed to this repository.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
dest="$top/.cache/linux-source-6.12"
tarball=/usr/src/linux-source-6.12.tar.xz
stamp="$dest/.kvmc-extracted-v1"

if [ -f "$stamp" ]; then
	echo "$dest"
	exit 0
fi

if [ ! -f "$tarball" ]; then
	"$top/scripts/deps.sh" source >&2
fi

mkdir -p "$dest"
tar xf "$tarball" -C "$dest" --strip-components=1 --wildcards \
	'linux-source-6.12/scripts/checkpatch.pl' \
	'linux-source-6.12/scripts/spelling.txt' \
	'linux-source-6.12/scripts/const_structs.checkpatch' \
	'linux-source-6.12/scripts/kernel-doc' \
	'linux-source-6.12/scripts/config' \
	'linux-source-6.12/scripts/kconfig/merge_config.sh' \
	'linux-source-6.12/scripts/coccinelle/*' \
	'linux-source-6.12/tools/testing/selftests/kselftest.h' \
	'linux-source-6.12/tools/testing/selftests/kselftest_harness.h'
touch "$stamp"
echo "$dest"
