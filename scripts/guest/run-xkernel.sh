#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Migration across kernels, the guest's half (busybox sh, /bin/kvmc-xkernel
# in the initramfs; the host's half is in scripts/check.sh):
#
#   kvmc-xkernel save
#       after the tests of a boot whose command line has kvmc.xk=save:
#       migrate_test_64 --kvmc-save saves a running guest at each of its
#       points on /dev/kvm_compat and /dev/kvm (NO_KVM when there is none),
#       and the blobs go to the host over the console, a gzipped tar in
#       base64 between "### kvmc-xk-begin" and "### kvmc-xk-end".
#   kvmc-xkernel restore
#       kvmc.cmd=xkernel: /xk (a second cpio appended to the initramfs)
#       holds the blobs other kernels saved, /xk/<series>/, and their list,
#       /xk/EXPECT; migrate_test_64 --kvmc-xkernel restores each on both
#       devices and prints one KTAP case per series, source device and
#       point, between the markers of scripts/guest/run-tests.sh.
# shellcheck source=/dev/null
. /etc/kvmc.conf

bin=/tests/migrate_test_64
devices=/dev/kvm_compat
[ -c /dev/kvm ] && devices="$devices /dev/kvm"

save() {
	dir=/tmp/xk
	mkdir -p "$dir"
	[ -c /dev/kvm ] || : >"$dir/NO_KVM"
	for dev in $devices; do
		# "# kvmc-migrate: save ..." lines, outside any test block
		kvmc-exec 120 "$bin" --kvmc-save "$dir" "$dev" 2>&1 ||
			echo "### kvmc-xk-fail save on $dev"
	done
	echo "### kvmc-xk-begin"
	tar -C "$dir" -cf - . | gzip -c | base64
	echo "### kvmc-xk-end"
}

restore() {
	for dev in $devices; do
		echo "### kvmc-begin migrate_test_64 $dev compat=n"
		kvmc-exec 180 "$bin" --kvmc-xkernel /xk "$dev" 2>&1
		echo "### kvmc-end migrate_test_64 $dev rc=$?"
	done
}

if [ ! -x "$bin" ]; then
	echo "### kvmc-missing migrate_test_64"
	exit 0
fi
case ${1:-} in
save) save ;;
restore) restore ;;
*) echo "### kvmc-setup-fail kvmc-xkernel: save or restore, not '${1:-}'" ;;
esac
