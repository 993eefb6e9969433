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

# True when a Debian package is installed.
kvmc_pkg_installed() {
	dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

# Run "apt-get update" at most once per top-level invocation.
kvmc_apt_update_once() {
	if [ "${KVMC_APT_UPDATED:-}" != 1 ]; then
		kvmc_log "apt-get update"
		apt-get update -qq >&2
		KVMC_APT_UPDATED=1
		export KVMC_APT_UPDATED
	fi
}

# True when apt can install package $1 (it has a candidate version).
kvmc_pkg_available() {
	apt-cache policy "$1" 2>/dev/null | grep -q 'Candidate: [0-9]'
}

# Print the kernel release (uname -r) to test for series $1 (6.1, 6.12):
# the environment override, else the pin, else the newest package of the
# series in the archive.
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
	if [ -f "$KVMC_CACHE/kernels/$_kver/.kvmc-extracted" ] ||
	   kvmc_pkg_installed "linux-headers-$_kver" ||
	   kvmc_pkg_available "linux-image-$_kver"; then
		echo "$_kver"
		return
	fi
	kvmc_apt_update_once
	if kvmc_pkg_available "linux-image-$_kver"; then
		echo "$_kver"
		return
	fi
	_new=$(apt-cache search --names-only "^linux-image-$_re-$KERNEL_FLAVOUR\$" |
		sed -n "s/^linux-image-\\([^ ]*\\)-$KERNEL_FLAVOUR .*/\\1/p" | sort -V | tail -n1)
	[ -n "$_new" ] || kvmc_die "no linux-image-$_kver and no other $1 kernel in apt"
	kvmc_log "WARNING: pinned linux-image-$_kver is gone from apt;" \
		"falling back to newest $1 kernel: $_new-$KERNEL_FLAVOUR (update scripts/kernels.conf)"
	echo "$_new-$KERNEL_FLAVOUR"
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

# kvmc_results DIR LINT LOG...: count and compare the boots' serial logs
# (scripts/results.awk; LINT is pass|fail|off), cases in DIR/cases.tsv;
# last line "N passed, N failed, N skipped", status 1 on any failure.
kvmc_results() {
	_dir=$1 _lint=$2
	shift 2
	awk -v cases="$_dir/cases.tsv" -v lint="$_lint" -v oracle_compat="$ORACLE_COMPAT" \
		-v divergences="$top/Documentation/divergences.rst" \
		-f "$top/scripts/results.awk" "$@"
}
