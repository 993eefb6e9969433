#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Guest demo runner (busybox sh, /bin/kvmc-run-demo in the initramfs):
# runs /tests/kvm_compat_demo_<abi> /dev/kvm_compat for every ABI, then
# "kvm_compat_demo_64 --inherit" (a 64-bit process hands its KVM fds to
# the 32-bit demos), each between markers that scripts/demo.sh reads:
#   ### kvmc-demo-begin <abi|inherit>
#   <the demo's lines>
#   ### kvmc-demo-end <abi|inherit> rc=<N>
# kvmc-exec reports a refused exec (ia32_emulation=0) as
# "Exec format error", exit status 126.
# shellcheck source=/dev/null
. /etc/kvmc.conf

demo() {
	what=$1
	shift
	echo "### kvmc-demo-begin $what"
	if [ -f "$1" ]; then
		KVMC_COMPAT=$KVMC_MODE kvmc-exec 60 "$@" 2>&1
		rc=$?
	else
		echo "(no $1 in this initramfs)"
		rc=127
	fi
	echo "### kvmc-demo-end $what rc=$rc"
}

for abi in $KVMC_ABIS; do
	demo "$abi" "/tests/kvm_compat_demo_$abi" /dev/kvm_compat
done
demo inherit /tests/kvm_compat_demo_64 --inherit /dev/kvm_compat
