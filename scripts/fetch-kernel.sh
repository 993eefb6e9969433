#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Make a Debian test kernel available, print its release (uname -r).
#   scripts/fetch-kernel.sh SERIES     (5.10 ... 7.3; see scripts/kernels.conf)
# - the image: linux-image-<kver>, or from 7.x the linux-binary-<kver> and
#   linux-modules-<kver> that this metapackage depends on, downloaded into
#   .cache/kernels/ and unpacked to .cache/kernels/<kver>/, with
#   boot/vmlinuz-<kver> and lib/modules/<kver>/ (modules.dep made here);
# - linux-headers-<kver>: installed with apt-get on the host for the host's
#   own suite, else into the build root of the kernel's suite
#   (scripts/build-root.sh), with the compiler it depends on.
# A no-op (no apt call) when both are already there.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/lib.sh"

[ $# -eq 1 ] || kvmc_die "usage: $0 SERIES"
kver=$(kvmc_kver "$1")
root=$(kvmc_root "$1")
dir="$KVMC_CACHE/kernels"
dest="$dir/$kver"

if ! kvmc_pkg_installed "linux-headers-$kver" "$root"; then
	kvmc_log "installing linux-headers-$kver${root:+ in $root}"
	kvmc_pkg_available "linux-headers-$kver" "$root" || kvmc_apt_update_once "$root"
	kvmc_apt "$root" apt-get install -y -qq --no-install-recommends \
		"linux-headers-$kver" >&2
fi

# Download package $1 into $dir unless a .deb of it is there; print its path.
download() {
	_deb=$(find "$dir" -maxdepth 1 -name "$1_*.deb" | head -n1)
	if [ -z "$_deb" ]; then
		kvmc_log "downloading $1"
		kvmc_pkg_available "$1" "$root" || kvmc_apt_update_once "$root"
		if [ -z "$root" ]; then
			(cd "$dir" && apt-get download -qq -o APT::Sandbox::User=root "$1" >&2)
		else
			# shellcheck disable=SC2016 # expanded by the chroot's shell
			kvmc_chroot "$root" -b "$dir" sh -c 'cd "$1" && apt-get download -qq "$2"' \
				sh "$dir" "$1" >&2
		fi
		_deb=$(find "$dir" -maxdepth 1 -name "$1_*.deb" | head -n1)
		[ -n "$_deb" ] || kvmc_die "apt-get download $1 gave no .deb"
	fi
	echo "$_deb"
}

if [ ! -f "$dest/.kvmc-extracted" ]; then
	mkdir -p "$dir"
	pkgs="linux-image-$kver"
	# From 7.x, Debian splits the image: the kernel in linux-binary-*,
	# the modules in linux-modules-*, linux-image-* depends on both.
	if kvmc_apt "$root" apt-cache show "linux-image-$kver" 2>/dev/null |
	   grep -q "^Depends:.*linux-binary-$kver"; then
		pkgs="linux-binary-$kver linux-modules-$kver"
	fi
	debs=
	for p in $pkgs; do
		debs="$debs $(download "$p")"
	done
	rm -rf "$dest"
	for deb in $debs; do
		dpkg-deb -x "$deb" "$dest"
	done
	# Newer packages install into /usr/lib (merged /usr) and put vmlinuz
	# beside the modules: give both the classic paths.
	if [ ! -d "$dest/lib/modules/$kver" ] && [ -d "$dest/usr/lib/modules/$kver" ]; then
		[ -e "$dest/lib" ] || ln -s usr/lib "$dest/lib"
	fi
	if [ ! -f "$dest/boot/vmlinuz-$kver" ] && [ -f "$dest/lib/modules/$kver/vmlinuz" ]; then
		mkdir -p "$dest/boot"
		ln -s "../lib/modules/$kver/vmlinuz" "$dest/boot/vmlinuz-$kver"
	fi
	[ -f "$dest/boot/vmlinuz-$kver" ] || kvmc_die "no vmlinuz for $kver in$debs"
	# The package leaves modules.dep to depmod at install time (and from
	# 7.x ships no modules.order or modules.builtin*, which it warns of).
	for f in modules.order modules.builtin modules.builtin.modinfo; do
		[ -e "$dest/lib/modules/$kver/$f" ] || : >"$dest/lib/modules/$kver/$f"
	done
	depmod -b "$dest" "$kver"
	[ -f "$dest/lib/modules/$kver/modules.dep" ] || kvmc_die "depmod gave no modules.dep"
	touch "$dest/.kvmc-extracted"
fi
echo "$kver"
