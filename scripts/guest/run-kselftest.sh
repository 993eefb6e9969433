#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Guest runner of the selftests as a kselftest install (make
# upstream-check; /bin/kvmc-run-kselftest in the initramfs, run by the init
# for kvmc.cmd=kselftest after the usual tests): the kernel's own
# /kselftest/run_kselftest.sh runs every entry of its kselftest-list.txt,
# each binary given the device KVMC_KSELFTEST_DEV (default /dev/kvm, the
# kernel's own KVM) through the runner's KSELFTEST_<NAME>_ARGS variables,
# between
#   ### kvmc-kselftest-begin <device>
#   <the runner's KTAP>
#   ### kvmc-kselftest-end rc=<N>
# for the host to hand to the kernel's KTAP parser (tools/testing/kunit).
# shellcheck source=/dev/null
. /etc/kvmc.conf

dev=${KVMC_KSELFTEST_DEV:-/dev/kvm}
dir=/kselftest
if [ ! -x "$dir/run_kselftest.sh" ]; then
	echo "### kvmc-setup-fail no $dir/run_kselftest.sh in the initramfs"
	exit 0
fi
[ -c "$dev" ] || dev=/dev/kvm_compat

# kvm_compat:memslot_test_64 -> KSELFTEST_MEMSLOT_TEST_64_ARGS=<device>,
# as kselftest/runner.sh names the variable.
while IFS=: read -r _ name; do
	[ -n "$name" ] || continue
	var=$(echo "$name" | tr -c '[:alnum:]_\n' '_' | tr '[:lower:]' '[:upper:]')
	export "KSELFTEST_${var}_ARGS=$dev"
done <"$dir/kselftest-list.txt"

echo "### kvmc-kselftest-begin $dev"
KVMC_COMPAT=$ORACLE_COMPAT "$dir/run_kselftest.sh" 2>&1
rc=$?
echo "### kvmc-kselftest-end rc=$rc"
