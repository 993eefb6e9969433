#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Guest benchmark runner (busybox sh, /bin/kvmc-run-bench in the initramfs;
# kvmc.cmd=bench). Runs /tests/compat_bench_<abi> against /dev/kvm_compat
# and, when present, /dev/kvm, for every ABI, ROUNDS times (the ABI order
# reversed every other round, so that a slow spell of the host does not
# always hit the same ABI); scripts/bench.sh takes, per figure, the lower
# quartile of the rounds. Kernel command line knobs (set by scripts/bench.sh):
#   kvmc.bench_rounds=N   (default 12)
#   kvmc.bench_ms=MS      time per figure per round (default 25)
#   kvmc.bench_batches=B  batches per figure per round (default 25)
#   kvmc.bench_filter=S   only figures whose name contains S
# Output, between "### kvmc-bench-begin ..." and "### kvmc-bench-end":
#   ### kvmc-bench-run round=R abi=A dev=D
#   <compat_bench's lines: bench ..., bench-skip ..., bench-info ...>
#   ### kvmc-bench-run-end round=R abi=A dev=D rc=N
# shellcheck source=/dev/null
. /etc/kvmc.conf

rounds=12 ms=25 batches=25 filter=
for w in $(cat /proc/cmdline); do
	case $w in
	kvmc.bench_rounds=*) rounds=${w#*=} ;;
	kvmc.bench_ms=*) ms=${w#*=} ;;
	kvmc.bench_batches=*) batches=${w#*=} ;;
	kvmc.bench_filter=*) filter=${w#*=} ;;
	esac
done

devices=/dev/kvm_compat
[ -c /dev/kvm ] && devices="$devices /dev/kvm"
reversed=
for abi in $KVMC_ABIS; do reversed="$abi $reversed"; done

echo "### kvmc-bench-begin rounds=$rounds ms=$ms batches=$batches" \
	"cpus=$(grep -c ^processor /proc/cpuinfo)" \
	"clocksource=$(cat /sys/devices/system/clocksource/clocksource0/current_clocksource 2>/dev/null)"
# 27 figures of ms each per binary (7 of them paired with the null
# ioctl: 2 x ms), with room to spare.
limit=$((ms * 70 / 1000 + 60))
r=1
while [ "$r" -le "$rounds" ]; do
	abis=$KVMC_ABIS
	[ $((r % 2)) -eq 0 ] && abis=$reversed
	for dev in $devices; do
		for abi in $abis; do
			bin=/tests/compat_bench_$abi
			echo "### kvmc-bench-run round=$r abi=$abi dev=$dev"
			if [ -f "$bin" ]; then
				if [ -n "$filter" ]; then
					kvmc-exec "$limit" "$bin" "$dev" -t "$ms" -b "$batches" -f "$filter" 2>&1
				else
					kvmc-exec "$limit" "$bin" "$dev" -t "$ms" -b "$batches" 2>&1
				fi
				rc=$?
			else
				echo "bench-skip all $abi ${dev##*/} no $bin in this initramfs"
				rc=127
			fi
			echo "### kvmc-bench-run-end round=$r abi=$abi dev=$dev rc=$rc"
		done
	done
	r=$((r + 1))
done
echo "### kvmc-bench-end"
