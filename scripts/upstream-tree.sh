#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# A git tree of Debian's linux-source of one kernel series, for the patch
# series of upstream/ (make upstream-check):
#   scripts/upstream-tree.sh [-a] SERIES       prints the tree's path
# The tarball (linux-source-SERIES.tar.xz, on the host or in the series'
# build root) is unpacked once into .cache/upstream/linux-SERIES/ and the
# parts a KVM patch or the kselftest build touch are committed there as
# the branch "base". Every call puts the tree back at base (tracked files
# reset, untracked and ignored ones under those paths removed); with -a
# the series of upstream/series is then applied with git am, one commit
# per patch. Without -a: edit, commit and remake the series with git
# format-patch (upstream/README, "Remaking the series").
# Only the path goes to stdout; "version V" (e.g. 7.3.0-rc7) to stderr.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/lib.sh"

apply=n
if [ "${1:-}" = -a ]; then
	apply=y
	shift
fi
[ $# -eq 1 ] || kvmc_die "usage: $0 [-a] SERIES"
series=$1
# What a base commit holds: KVM, its headers and documentation, and the
# kselftest tree (tools/testing/selftests/kvm_compat is copied there).
paths="virt arch/x86 include Documentation/virt tools/testing/selftests"

tarball=/usr/src/linux-source-$series.tar.xz
root=$(kvmc_root "$series")
[ -z "$root" ] || tarball=$root$tarball
[ -f "$tarball" ] || kvmc_die "no $tarball (apt-get install linux-source-$series${root:+ in $root})"

tree="$KVMC_CACHE/upstream/linux-$series"
stamp="$tree/.git/kvmc-base-v1"
if [ ! -f "$stamp" ] || [ -n "$(find "$tarball" -newer "$stamp")" ]; then
	kvmc_log "upstream-tree: unpacking $(basename "$tarball") into $tree"
	rm -rf "$tree"
	mkdir -p "$tree"
	tar xf "$tarball" -C "$tree" --strip-components=1
	(
		cd "$tree"
		git init -q -b base
		git config user.name "kvm_compat upstream-check"
		git config user.email "kvm-compat@invalid"
		git config advice.addIgnoredFile false
		# Debian's top-level .gitignore ignores everything: -f.
		# shellcheck disable=SC2086
		git add -f $paths
		git commit -q -m "$(basename "$tarball" .tar.xz) as Debian ships it"
	)
	touch "$stamp"
fi

cd "$tree"
git am --abort >/dev/null 2>&1 || :
git checkout -q -f base
git reset -q --hard base
# shellcheck disable=SC2086
git clean -q -f -d -x -- $paths
v=$(awk '/^VERSION =/ { v = $3 } /^PATCHLEVEL =/ { p = $3 }
	/^SUBLEVEL =/ { s = $3 } /^EXTRAVERSION =/ { e = $3 }
	END { printf "%s.%s.%s%s", v, p, s, e }' Makefile)
echo "version $v" >&2

if [ "$apply" = y ]; then
	git checkout -q -B series base
	for p in $(grep -v '^[[:space:]]*\(#\|$\)' "$top/upstream/series"); do
		if ! git am -q "$top/upstream/$p" >&2; then
			git am --abort >/dev/null 2>&1 || :
			kvmc_die "upstream-tree: $p does not apply to linux-source-$series ($v)"
		fi
	done
fi
echo "$tree"
