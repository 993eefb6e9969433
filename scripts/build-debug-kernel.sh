#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Build the debug kernel of "make check-debug" once and print its build
# directory (the KDIR for "make -C KDIR M=... modules"; the image is
# KDIR/arch/x86/boot/bzImage):
#   scripts/build-debug-kernel.sh
# From Debian's linux-source-6.12 (unpacked to .cache/debug-kernel/src/),
# built out of tree in .cache/debug-kernel/build/: "make tinyconfig", then
# scripts/debug-kernel.config merged with the kernel's own
# scripts/kconfig/merge_config.sh (allnoconfig semantics, as tinyconfig),
# then "make -j$KVMC_DEBUG_JOBS" (default 2). Every line of the fragment
# must come out of Kconfig as written, else the build stops.
# Cached: nothing is done while the stamp .cache/debug-kernel/build/
# .kvmc-built holds the same key (fragment, this script's KEY_REV, the
# linux-source package version). Log: .cache/debug-kernel/build.log.
# KVMC_DEBUG_KERNEL_DIR moves the whole cache (e.g. to keep it outside a
# fresh clone).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/lib.sh"

# Bump when the way the kernel is built changes (not the fragment: its
# contents are part of the key already).
KEY_REV=1
frag="$top/scripts/debug-kernel.config"
base=${KVMC_DEBUG_KERNEL_DIR:-$KVMC_CACHE/debug-kernel}
src="$base/src"
build="$base/build"
log="$base/build.log"
tarball=/usr/src/linux-source-6.12.tar.xz
jobs=${KVMC_DEBUG_JOBS:-2}

"$top/scripts/deps.sh" debug
[ -f "$frag" ] || kvmc_die "no $frag"
mkdir -p "$base"

# One build at a time per cache (two check-debug runs share it).
exec 9>"$base/.lock"
flock 9

srcver=$(dpkg-query -W -f='${Version}' linux-source-6.12)
key=$( { echo "rev=$KEY_REV srcver=$srcver"; cat "$frag"; } | sha256sum | cut -c1-16)
if [ -f "$build/.kvmc-built" ] && [ "$(cat "$build/.kvmc-built")" = "$key" ] &&
   [ -f "$build/arch/x86/boot/bzImage" ] && [ -f "$build/Module.symvers" ]; then
	echo "$build"
	exit 0
fi

t0=$(kvmc_now)
if [ "$(cat "$src/.kvmc-srcver" 2>/dev/null)" != "$srcver" ]; then
	kvmc_log "debug kernel: unpacking linux-source $srcver"
	rm -rf "$src" "$build"
	mkdir -p "$src"
	tar xf "$tarball" -C "$src" --strip-components=1
	echo "$srcver" >"$src/.kvmc-srcver"
fi

kvmc_log "debug kernel: configuring (tinyconfig + scripts/debug-kernel.config)"
mkdir -p "$build"
rm -f "$build/.kvmc-built"
kmake() {
	make -C "$src" O="$build" ARCH=x86_64 "$@"
}
# merge_config.sh runs make (and writes temporary files) in the current
# directory: the unpacked source.
if ! (kmake tinyconfig && cd "$src" &&
      ARCH=x86_64 "$src/scripts/kconfig/merge_config.sh" -n -O "$build" \
	      "$build/.config" "$frag") >"$log" 2>&1; then
	tail -n 30 "$log" >&2
	kvmc_die "debug kernel: configuration failed (log: $log)"
fi
bad=0
# (a pipe would run the loop in a subshell: "bad" goes through a file)
grep -E '^(# )?CONFIG_' "$frag" |
	sed 's/^# \(CONFIG_[A-Za-z0-9_]*\) is not set$/\1=n/' >"$build/.kvmc-fragment"
while IFS= read -r line; do
	sym=${line%%=*} want=${line#*=}
	got=$(sed -n "s/^$sym=\\(.*\\)/\\1/p; s/^# $sym is not set\$/n/p" "$build/.config")
	[ -n "$got" ] || got=n
	if [ "$got" != "$want" ]; then
		kvmc_log "debug kernel: $sym=$want asked, Kconfig gave $got"
		bad=1
	fi
done <"$build/.kvmc-fragment"
[ "$bad" = 0 ] || kvmc_die "debug kernel: scripts/debug-kernel.config does not apply (log: $log)"

kvmc_log "debug kernel: building with make -j$jobs (about 8 minutes on 2 cores; log: $log)"
if ! kmake -j"$jobs" all >>"$log" 2>&1; then
	tail -n 40 "$log" >&2
	kvmc_die "debug kernel: build failed (log: $log)"
fi
[ -f "$build/arch/x86/boot/bzImage" ] || kvmc_die "debug kernel: no bzImage (log: $log)"
echo "$key" >"$build/.kvmc-built"
kvmc_log "debug kernel: built in $(($(kvmc_now) - t0))s"
echo "$build"
