#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Guest step of a debug-kernel boot (busybox sh, /bin/kvmc-run-debug in the
# initramfs; scripts/guest/init runs it after the tests when booted with
# kvmc.cmd=debug, see scripts/check-debug.sh). In this order:
#  1. a kmemleak scan with the module still loaded, so that the backtraces
#     of its suspects name its functions (an object is reported once it is
#     older than 5 s and unchanged between two scans: sleep, scan twice):
#       ### kvmc-debug-kmemleak-loaded-begin / -end
#  2. unloads kvm_compat (its exit path runs and is profiled), reported as
#     one KTAP case:
#       ### kvmc-begin kvmc_unload - compat=-  ...  ### kvmc-end ... rc=N
#  3. scans again: what the module's own memory still pointed to is now
#     unreferenced too. This report lists every suspect of the boot (the
#     host counts these):
#       ### kvmc-debug-kmemleak-begin / ### kvmc-debug-kmemleak-end
#  4. copies the module's gcov data (/sys/kernel/debug/gcov/.../*.gcda,
#     kept after the unload: gcov_persist=1) and prints it as a base64
#     tar.gz:
#       ### kvmc-debug-gcov-begin / ### kvmc-debug-gcov-end files=N
#  5. prints the whole kernel log (KASAN, lockdep, UBSAN reports; the
#     host counts what follows the "kvmc-mark-modules" line):
#       ### kvmc-debug-dmesg-begin / ### kvmc-debug-dmesg-end
dbg=/sys/kernel/debug

# $1: the section's name.
kmemleak_report() {
	echo "### kvmc-debug-$1-begin"
	if [ -w $dbg/kmemleak ]; then
		sleep 5
		echo scan >$dbg/kmemleak
		echo scan >$dbg/kmemleak
		cat $dbg/kmemleak
	else
		echo "kvmc: no $dbg/kmemleak (CONFIG_DEBUG_KMEMLEAK off or disabled)"
	fi
	echo "### kvmc-debug-$1-end"
}

kmemleak_report kmemleak-loaded

echo "### kvmc-begin kvmc_unload - compat=-"
echo "1..1"
if rmmod kvm_compat 2>&1; then
	echo "ok 1 rmmod_kvm_compat"
	rc=0
else
	echo "not ok 1 rmmod_kvm_compat # the module could not be unloaded"
	rc=1
fi
echo "### kvmc-end kvmc_unload - rc=$rc"

kmemleak_report kmemleak

# debugfs reports a size of 0 for the .gcda files: copy them with cat
# before tar sees them.
out=/tmp/kvmc-gcov
mkdir -p $out
: >/tmp/kvmc-gcda.list
[ -d $dbg/gcov ] && find $dbg/gcov -name '*.gcda' >/tmp/kvmc-gcda.list
n=0
while IFS= read -r f; do
	rel=${f#"$dbg/gcov"}
	mkdir -p "$out${rel%/*}"
	cat "$f" >"$out$rel"
	n=$((n + 1))
done </tmp/kvmc-gcda.list
echo "### kvmc-debug-gcov-begin"
tar czf - -C $out . | base64
echo "### kvmc-debug-gcov-end files=$n"

echo "### kvmc-debug-dmesg-begin"
dmesg
echo "### kvmc-debug-dmesg-end"
