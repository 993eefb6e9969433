#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Guest test runner (busybox sh, /bin/kvmc-run-tests in the initramfs).
# Runs every selftest binary in /tests (names from /tests/TESTS, one binary
# per ABI: <name>_64, <name>_32, <name>_x32) against /dev/kvm_compat and,
# when present, /dev/kvm (the upstream oracle), each between markers:
#   ### kvmc-begin <bin> <device> compat=<y|n>
#   <KTAP output>
#   ### kvmc-end <bin> <device> rc=<N>
# kvmc.tests=a,b on the kernel command line runs only those selftests.
# Where the module's mode is not the oracle's (x86: a translate=n boot)
# /dev/kvm is run from 64-bit binaries only: the kernel's own KVM serves
# 32-bit callers there exactly as in the boot of the same kernel whose mode
# is the oracle's, which runs them (and only there are they compared).
# In a boot with ia32_emulation=0 a <name>_32 binary must fail to exec
# (ENOEXEC, rc 126): the runner turns that into the KTAP result
# "ok 1 exec_refused" (and "not ok ... exec_refused" if it ran). Binaries
# run under kvmc-exec (scripts/guest/kvmc-exec.c): a time limit, and no
# shell-script fallback on ENOEXEC.
# shellcheck source=/dev/null
. /etc/kvmc.conf

refuse_ia32=n
grep -qw 'ia32_emulation=0' /proc/cmdline && refuse_ia32=y
only=
for w in $(cat /proc/cmdline); do
	case $w in
	kvmc.tests=*) only=$(echo "${w#kvmc.tests=}" | tr , ' ') ;;
	esac
done
per_test_timeout=${KVMC_TEST_TIMEOUT:-90}

devices=/dev/kvm_compat
[ -c /dev/kvm ] && devices="$devices /dev/kvm"

run_one() {
	bin=$1 dev=$2
	if [ "$dev" = /dev/kvm ]; then
		compat=$ORACLE_COMPAT
	else
		compat=$KVMC_MODE
	fi
	echo "### kvmc-begin $bin $dev compat=$compat"
	KVMC_COMPAT=$compat kvmc-exec "$per_test_timeout" "/tests/$bin" "$dev" 2>&1
	rc=$?
	case $bin in *_32) expect_refused=$refuse_ia32 ;; *) expect_refused=n ;; esac
	if [ "$expect_refused" = y ]; then
		if [ $rc -eq 126 ]; then
			echo "1..1"
			echo "ok 1 exec_refused"
			echo "### kvmc-end $bin $dev rc=0 exec_rc=$rc"
		else
			echo "not ok 99 exec_refused # ran with ia32_emulation=0, rc=$rc"
			echo "### kvmc-end $bin $dev rc=1 exec_rc=$rc"
		fi
		return
	fi
	[ $rc -eq 137 ] && echo "# kvmc: killed after ${per_test_timeout}s"
	echo "### kvmc-end $bin $dev rc=$rc"
}

while read -r name; do
	[ -n "$name" ] || continue
	if [ -n "$only" ]; then
		case " $only " in *" $name "*) ;; *) continue ;; esac
	fi
	for abi in $KVMC_ABIS; do
		bin=${name}_$abi
		if [ ! -f "/tests/$bin" ]; then
			echo "### kvmc-missing $bin"
			continue
		fi
		for dev in $devices; do
			[ "$dev" = /dev/kvm ] && [ "$KVMC_MODE" != "$ORACLE_COMPAT" ] &&
				[ "$abi" != 64 ] && continue
			run_one "$bin" "$dev"
		done
	done
done </tests/TESTS
