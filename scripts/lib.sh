# shellcheck shell=sh
# SPDX-License-Identifier: GPL-2.0
#
# Common helpers for the host-side scripts. Source it after setting $top
# (the repository root):
#   top=$(cd "$(dirname "$0")/.." && pwd); . "$top/scripts/lib.sh"
# It loads scripts/arch/$KVMC_ARCH.conf and scripts/kernels.conf.

KVMC_ARCH=${KVMC_ARCH:-x86_64}
KVMC_CACHE=${top:?}/.cache

if [ ! -f "$top/scripts/arch/$KVMC_ARCH.conf" ]; then
	echo "kvmc: no scripts/arch/$KVMC_ARCH.conf" >&2
	exit 2
fi
# shellcheck source=scripts/arch/x86_64.conf
. "$top/scripts/arch/$KVMC_ARCH.conf"
# shellcheck source=scripts/kernels.conf
. "$top/scripts/kernels.conf"

kvmc_log() {
	printf '[kvmc] %s\n' "$*" >&2
}

kvmc_die() {
	printf '[kvmc] ERROR: %s\n' "$*" >&2
	exit 1
}

# Debian suite of kernel series $1 (scripts/kernels.conf).
# shellcheck disable=SC2154 # _suite is set by eval
kvmc_suite() {
	_s=$(printf '%s' "$1" | tr . _)
	eval "_suite=\${kvmc_suite_$_s:-$KVMC_HOST_SUITE}"
	echo "$_suite"
}

# Build root of series $1: nothing for the host's own suite, else the path
# of its suite's root (made once by scripts/build-root.sh).
kvmc_root() {
	_suite=$(kvmc_suite "$1")
	[ "$_suite" = "$KVMC_HOST_SUITE" ] || "$top/scripts/build-root.sh" "$_suite"
}

# kvmc_chroot ROOT [-b DIR]... CMD...: run CMD chrooted into ROOT, in a
# mount namespace of its own (nothing stays mounted afterwards) with /proc
# mounted (objtool of 7.x kbuild reads it) and each DIR bind-mounted at the
# same path inside, so that paths mean the same in and out of the root.
kvmc_chroot() {
	_root=$1
	shift
	_binds=
	while [ "${1:-}" = -b ]; do
		mkdir -p "$_root$2"
		_binds="$_binds $2"
		shift 2
	done
	# shellcheck disable=SC2016 # expanded by the inner shell
	unshare --mount --propagation private -- sh -c '
		r=$1 binds=$2
		shift 2
		mount -t proc proc "$r/proc" || exit 125
		for b in $binds; do
			mount --bind "$b" "$r$b" || exit 125
		done
		exec chroot "$r" "$@"' kvmc-chroot "$_root" "$_binds" "$@"
}

# kvmc_apt ROOT CMD...: a packaging command (apt-get, apt-cache, dpkg-query,
# ...) on the host when ROOT is empty, else inside that build root.
kvmc_apt() {
	_r=$1
	shift
	if [ -z "$_r" ]; then
		"$@"
	else
		kvmc_chroot "$_r" env DEBIAN_FRONTEND=noninteractive "$@"
	fi
}

# True when a Debian package is installed (on the host, or in root $2).
kvmc_pkg_installed() {
	kvmc_apt "${2:-}" dpkg-query -W -f='${Status}' "$1" 2>/dev/null |
		grep -q 'install ok installed'
}

# Run "apt-get update" on the host (no argument) or in build root $1,
# unless it ran there in the last hour (a stamp in .cache/).
kvmc_apt_update_once() {
	_stamp="$KVMC_CACHE/apt-updated-$(printf '%s' "${1:-host}" | cksum | cut -d' ' -f1)"
	if [ -z "$(find "$_stamp" -mmin -60 2>/dev/null)" ]; then
		kvmc_log "apt-get update${1:+ in $1}"
		kvmc_apt "${1:-}" apt-get update -qq >&2
		mkdir -p "$KVMC_CACHE"
		touch "$_stamp"
	fi
}

# True when apt can install package $1 (it has a candidate version), on
# the host or in root $2.
kvmc_pkg_available() {
	kvmc_apt "${2:-}" apt-cache policy "$1" 2>/dev/null | grep -q 'Candidate: [0-9]'
}

# Print the kernel release (uname -r) to test for series $1 (see
# scripts/kernels.conf): the environment override, else the pin, else the
# newest package of the series in its suite.
# shellcheck disable=SC2154 # _override _pin _re are set by eval
kvmc_kver() {
	_s=$(printf '%s' "$1" | tr . _)
	eval "_override=\${KVMC_KVER_$_s:-}"
	eval "_pin=\${kvmc_pin_$_s:-}"
	eval "_re=\${kvmc_series_re_$_s:-}"
	[ -n "$_pin" ] || kvmc_die "unknown kernel series '$1' (see scripts/kernels.conf)"
	if [ -n "$_override" ]; then
		echo "$_override"
		return
	fi
	_kver="$_pin-$KERNEL_FLAVOUR"
	if [ -f "$KVMC_CACHE/kernels/$_kver/.kvmc-extracted" ]; then
		echo "$_kver"
		return
	fi
	_root=$(kvmc_root "$1")
	if kvmc_pkg_installed "linux-headers-$_kver" "$_root" ||
	   kvmc_pkg_available "linux-image-$_kver" "$_root"; then
		echo "$_kver"
		return
	fi
	kvmc_apt_update_once "$_root"
	if kvmc_pkg_available "linux-image-$_kver" "$_root"; then
		echo "$_kver"
		return
	fi
	_new=$(kvmc_apt "$_root" apt-cache search --names-only "^linux-image-$_re-$KERNEL_FLAVOUR\$" |
		sed -n "s/^linux-image-\\([^ ]*\\)-$KERNEL_FLAVOUR .*/\\1/p" | sort -V | tail -n1)
	[ -n "$_new" ] || kvmc_die "no linux-image-$_kver and no other $1 kernel in apt"
	kvmc_log "WARNING: pinned linux-image-$_kver is gone from apt;" \
		"falling back to newest $1 kernel: $_new-$KERNEL_FLAVOUR (update scripts/kernels.conf)"
	echo "$_new-$KERNEL_FLAVOUR"
}

# Kernel build tree (headers) of release $1: the host's
# /usr/src/linux-headers-$1, or the one inside a build root; empty if none.
kvmc_kdir() {
	for _d in /usr/src/linux-headers-"$1" "$KVMC_CACHE"/roots/*/usr/src/linux-headers-"$1"; do
		if [ -d "$_d" ]; then
			echo "$_d"
			return
		fi
	done
}

# Seconds since the epoch (for timings).
kvmc_now() {
	date +%s
}

# Make a new results directory .cache/results/<prefix><time>/, point
# .cache/results/<prefix>latest at it and print its path.
kvmc_new_results() {
	_dir="$KVMC_CACHE/results/$1$(date +%Y%m%d-%H%M%S)"
	mkdir -p "$_dir"
	ln -sfn "$(basename "$_dir")" "$KVMC_CACHE/results/${1}latest"
	echo "$_dir"
}

# kvmc_initramfs PID KOFILE TESTDIR OUT [mkinitramfs.sh options]
# Once the module build PID (a child of the caller, printing the .ko's path
# into KOFILE) has ended, build the initramfs OUT of that module and the
# selftests in TESTDIR (empty: their build failed), in the background (the
# caller waits). No OUT when any of these builds failed.
kvmc_initramfs() {
	_pid=$1 _ko=$2 _tests=$3 _out=$4
	shift 4
	rm -f "$_out"
	if wait "$_pid" && [ -n "$_tests" ]; then
		{ "$top/scripts/mkinitramfs.sh" "$@" -K "$(cat "$_ko")" -t "$_tests" \
			-o "$_out" || rm -f "$_out"; } &
	fi
}

# Write the serial log $1 of a boot that could not happen (no initramfs):
# a setup failure for scripts/results.awk.
kvmc_no_boot_log() {
	{
		echo "### kvmc-setup-fail build failed (module or selftests), no boot; see output above"
		echo "### kvmc-done"
	} >"$1"
}

# kvmc_results DIR LINT TABLE LOG...: count and compare the boots' serial
# logs (scripts/results.awk; LINT and TABLE, the by-version table check,
# are pass|fail|off), cases in DIR/cases.tsv; last line "N passed, N
# failed, N skipped", status 1 on any failure.
kvmc_results() {
	_dir=$1 _lint=$2 _table=$3
	shift 3
	awk -v cases="$_dir/cases.tsv" -v lint="$_lint" -v table="$_table" \
		-v oracle_compat="$ORACLE_COMPAT" \
		-v divergences="$top/Documentation/divergences.rst" \
		-v byversion="$top/Documentation/by-version.rst" \
		-f "$top/scripts/results.awk" "$@"
}
