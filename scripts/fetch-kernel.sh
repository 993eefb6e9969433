#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Make a Debian test kernel available, print its release (uname -r).
#   scripts/fetch-kernel.sh SERIES        (6.1, 6.12; see scripts/kernels.conf)
# - linux-image-<kver>: "apt-get download" into .cache/kernels/ and unpacked
#   to .cache/kernels/<kver>/ (boot/vmlinuz-<kver>, lib/modules/<kver>/);
# - linux-headers-<kver>: installed with apt-get (builds use
#   /usr/src/linux-headers-<kver>).
# A no-op (no apt call) when both are already there.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/lib.sh"

[ $# -eq 1 ] || kvmc_die "usage: $0 SERIES"
kver=$(kvmc_kver "$1")
dir="$KVMC_CACHE/kernels"
dest="$dir/$kver"

if ! kvmc_pkg_installed "linux-headers-$kver"; then
	kvmc_log "installing linux-headers-$kver"
	kvmc_pkg_available "linux-headers-$kver" || kvmc_apt_update_once
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		"linux-headers-$kver" >&2
fi

if [ ! -f "$dest/.kvmc-extracted" ]; then
	mkdir -p "$dir"
	deb=$(find "$dir" -maxdepth 1 -name "linux-image-${kver}_*.deb" | head -n1)
	if [ -z "$deb" ]; then
		kvmc_log "downloading linux-image-$kver"
		kvmc_pkg_available "linux-image-$kver" || kvmc_apt_update_once
		(cd "$dir" && apt-get download -qq -o APT::Sandbox::User=root \
			"linux-image-$kver" >&2)
		deb=$(find "$dir" -maxdepth 1 -name "linux-image-${kver}_*.deb" | head -n1)
		[ -n "$deb" ] || kvmc_die "apt-get download linux-image-$kver gave no .deb"
	fi
	rm -rf "$dest"
	dpkg-deb -x "$deb" "$dest"
	[ -f "$dest/boot/vmlinuz-$kver" ] || kvmc_die "no boot/vmlinuz-$kver in $deb"
	# The package leaves modules.dep to depmod at install time.
	depmod -b "$dest" "$kver"
	[ -f "$dest/lib/modules/$kver/modules.dep" ] || kvmc_die "depmod gave no modules.dep"
	touch "$dest/.kvmc-extracted"
fi
echo "$kver"
