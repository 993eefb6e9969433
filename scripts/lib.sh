# shellcheck shell=sh
# SPDX-License-Identifier: GPL-2.0
#
# Common helpers for the host-side scripts. Source it after setting $top
# (the repository root):
#   top=$(cd "$(dirname "$0")/.." && pwd); . "$top/scripts/lib.sh"
# It loads scripts/arch/$KVMC_ARCH.conf and scripts/kernels.conf.

KVMC_ARCH=${KVMC_ARCH:-x86_64}
KVMC_CACHE=${KVMC_CACHE:-$top/.cache}

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
