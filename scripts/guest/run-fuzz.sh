#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Guest fuzz runner (busybox sh, /bin/kvmc-run-fuzz in the initramfs;
# kvmc.cmd=fuzz, booted by scripts/fuzz.sh for "make fuzz"). Random
# exploration, never part of the gate: runs ioctl_fuzz_test's
# fuzz_seed.env.random_calls with seeds drawn from /dev/urandom, each seed
# from every ABI of the initramfs against every device, until the time is
# spent; or replays one seed. Kernel command line knobs (scripts/fuzz.sh):
#   kvmc.fuzz_seconds=S   draw no new seed after S seconds (default 60)
#   kvmc.fuzz_iters=N     calls per run (default 2500, 10 batches)
#   kvmc.fuzz_devices=D   devices, comma-separated (default
#                         /dev/kvm_compat,/dev/kvm)
#   kvmc.fuzz_seed=0x...  run this seed once instead of drawing seeds
#   kvmc.fuzz_batch=B     with it: only batch B, every call printed
# A run is one seed, one ABI, one device, between markers:
#   ### kvmc-fuzz-begin seed=0x... abi=x32 dev=/dev/kvm
#   <the binary's KTAP output>
#   ### kvmc-fuzz-end seed=0x... abi=x32 dev=/dev/kvm rc=N ms=T
# with "### kvmc-fuzz-splat" before the end marker when the kernel log has
# new WARNING/BUG/Oops lines after the run. A device that is not there:
# "### kvmc-fuzz-missing dev=D". Last:
#   ### kvmc-fuzz-done runs=N seeds=M seconds=S
# shellcheck source=/dev/null
. /etc/kvmc.conf

seconds=60 iters=2500 devices=/dev/kvm_compat,/dev/kvm seed='' batch=''
for w in $(cat /proc/cmdline); do
	case $w in
	kvmc.fuzz_seconds=*) seconds=${w#*=} ;;
	kvmc.fuzz_iters=*) iters=${w#*=} ;;
	kvmc.fuzz_devices=*) devices=${w#*=} ;;
	kvmc.fuzz_seed=*) seed=${w#*=} ;;
	kvmc.fuzz_batch=*) batch=${w#*=} ;;
	esac
done
devices=$(echo "$devices" | tr , ' ')
per_run_timeout=${KVMC_TEST_TIMEOUT:-90}

present=
for dev in $devices; do
	if [ -c "$dev" ]; then
		present="$present $dev"
	else
		echo "### kvmc-fuzz-missing dev=$dev"
	fi
done

# Lines of the kernel log since the modules were loaded that /init would
# call a splat.
splats() {
	dmesg | sed -n '/kvmc-mark-modules/,$p' |
		grep -cE 'BUG:|WARNING:|Oops|general protection|Call Trace|UBSAN|KASAN|kernel BUG|refcount_t:|list_(add|del) corruption'
}

# One seed from every ABI against every device.
run_seed() {
	s=$1
	for abi in $KVMC_ABIS; do
		bin=/tests/ioctl_fuzz_test_$abi
		for dev in $present; do
			if [ "$dev" = /dev/kvm ]; then
				compat=$ORACLE_COMPAT
			else
				compat=$KVMC_MODE
			fi
			echo "### kvmc-fuzz-begin seed=$s abi=$abi dev=$dev"
			t0=$(cut -d' ' -f1 /proc/uptime)
			if [ ! -f "$bin" ]; then
				echo "# no $bin in this initramfs"
				rc=127
			elif [ -n "$batch" ]; then
				KVMC_COMPAT=$compat KVMC_FUZZ_SEED=$s KVMC_FUZZ_BATCH=$batch \
					KVMC_FUZZ_VERBOSE=1 kvmc-exec "$per_run_timeout" "$bin" "$dev" \
					-r fuzz_seed.env.random_calls 2>&1
				rc=$?
			else
				KVMC_COMPAT=$compat KVMC_FUZZ_SEED=$s KVMC_FUZZ_ITERS=$iters \
					kvmc-exec "$per_run_timeout" "$bin" "$dev" \
					-r fuzz_seed.env.random_calls 2>&1
				rc=$?
			fi
			[ $rc -eq 137 ] && echo "# kvmc: killed after ${per_run_timeout}s"
			ms=$(awk -v a="$t0" -v b="$(cut -d' ' -f1 /proc/uptime)" \
				'BEGIN { printf "%d", (b - a) * 1000 }')
			n=$(splats)
			if [ "$n" -gt "$nsplats" ]; then
				echo "### kvmc-fuzz-splat lines=$((n - nsplats))"
				nsplats=$n
			fi
			echo "### kvmc-fuzz-end seed=$s abi=$abi dev=$dev rc=$rc ms=$ms"
			runs=$((runs + 1))
		done
	done
	seeds=$((seeds + 1))
}

start=$(date +%s)
runs=0 seeds=0 nsplats=$(splats)
if [ -n "$seed" ]; then
	run_seed "$seed"
else
	while [ $(($(date +%s) - start)) -lt "$seconds" ]; do
		run_seed "0x$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')"
	done
fi
echo "### kvmc-fuzz-done runs=$runs seeds=$seeds seconds=$(($(date +%s) - start))"
