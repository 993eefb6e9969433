#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# "make fuzz": random exploration with the ioctl fuzzer, outside the gate
# (make check and .ci/run never run it; their fuzzing uses the fixed seeds
# of selftests/kvm_compat_seeds.h). Boots the test guest as make check
# does, once per (kernel, mode), with kvmc.cmd=fuzz: scripts/guest/run-fuzz.sh
# runs ioctl_fuzz_test's fuzz_seed.env.random_calls with seeds drawn from
# /dev/urandom, each from every ABI against every device, until DURATION
# is spent. Then scripts/fuzz.awk reports on the host.
#   scripts/fuzz.sh
# Environment (the Makefile's knobs):
#   KERNELS="6.1 6.12"  kernel series (scripts/kernels.conf)
#   MODES=y             CONFIG_KVM_COMPAT_REF_TRANSLATE values
#   ABIS="64 32 x32"    userspace ABIs
#   DEVICES="/dev/kvm_compat /dev/kvm"
#   DURATION=120        seconds of fuzzing per boot (no new seed after it)
#   ITERS=2500          calls per run (one seed, one ABI, one device)
#   SEED=0x...          run this seed once instead of drawing seeds, and
#   BATCH=B             only its batch B, printing every call (a replay)
#   JOBS=2              guests booted at once
# Prints, for each finding, one line that replays it (paste it as it is;
# the text after "#" is the kernel release and what failed):
#   make fuzz KERNELS=6.1 MODES=y ABIS=x32 DEVICES=/dev/kvm SEED=0x... BATCH=13  # 6.1.0-56-amd64: ...
# and last "fuzz: N runs of S seeds (C calls), F findings". Exit status 1
# when anything was found, 2 when a boot could not run, else 0.
# Results: .cache/results/fuzz-<time>/ (a serial log per boot,
# findings.txt), also .cache/results/fuzz-latest.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/lib.sh"

KERNELS=${KERNELS:-6.1 6.12}
MODES=${MODES:-y}
ABIS=${ABIS:-$ABIS_ALL}
DEVICES=${DEVICES:-/dev/kvm_compat /dev/kvm}
DURATION=${DURATION:-120}
ITERS=${ITERS:-2500}
SEED=${SEED:-}
BATCH=${BATCH:-}
JOBS=${JOBS:-2}

case "$DURATION$ITERS$BATCH$JOBS" in
*[!0-9]*) kvmc_die "DURATION, ITERS, BATCH and JOBS must be whole numbers" ;;
esac
case "$SEED" in
'' | 0x[0-9a-fA-F]* | [0-9]*) ;;
*) kvmc_die "SEED must be a number (0x... as make fuzz prints it)" ;;
esac
[ -z "$BATCH" ] || [ -n "$SEED" ] || kvmc_die "BATCH needs SEED"
devs=
for d in $DEVICES; do
	case $d in
	/dev/kvm | kvm) d=/dev/kvm ;;
	/dev/kvm_compat | kvm_compat) d=/dev/kvm_compat ;;
	*) kvmc_die "DEVICES: $d is neither /dev/kvm nor /dev/kvm_compat" ;;
	esac
	devs=${devs:+$devs,}$d
done
export TESTS=ioctl_fuzz_test ABIS

out=$(kvmc_new_results fuzz-)
"$top/scripts/deps.sh" build source qemu
declare -A kver
for s in $KERNELS; do
	kver[$s]=$("$top/scripts/fetch-kernel.sh" "$s")
done

"$top/scripts/build-selftests.sh" >"$out/selftests.dir" &
st_pid=$!
declare -A build_pid
for s in $KERNELS; do
	for m in $MODES; do
		"$top/scripts/build-module.sh" "${kver[$s]}" "$m" >"$out/ko-$s-$m" &
		build_pid[$s-$m]=$!
	done
done
tests_dir=
if wait "$st_pid"; then
	tests_dir=$(cat "$out/selftests.dir")
fi
for s in $KERNELS; do
	for m in $MODES; do
		kvmc_initramfs "${build_pid[$s-$m]}" "$out/ko-$s-$m" "$tests_dir" \
			"$out/initramfs-$s-$m.cpio.gz" -k "${kver[$s]}" -m "$m"
	done
done
wait

args="kvmc.cmd=fuzz kvmc.fuzz_seconds=$DURATION kvmc.fuzz_iters=$ITERS kvmc.fuzz_devices=$devs"
[ -n "$SEED" ] && args="$args kvmc.fuzz_seed=$SEED"
[ -n "$BATCH" ] && args="$args kvmc.fuzz_batch=$BATCH"
# The last seed drawn may start just before DURATION ends: room for one
# more round of runs, each under the guest's own per-run limit.
limit=$((DURATION + 300))

fuzz_one() {
	local s=$1 m=$2
	local log="$out/${s}_$m.log" initrd="$out/initramfs-$s-$m.cpio.gz"
	if [ ! -f "$initrd" ]; then
		kvmc_no_boot_log "$log"
		return
	fi
	"$top/scripts/qemu-run.sh" -k "${kver[$s]}" -i "$initrd" -l "$log" \
		-a "$args" -T "$limit" || :
	kvmc_log "boot $s $m: $(tail -n1 "$log")"
}

if [ -n "$SEED" ]; then
	kvmc_log "replaying seed $SEED${BATCH:+ batch $BATCH} on $KERNELS, modes $MODES, ABIs $ABIS, $DEVICES"
else
	kvmc_log "fuzzing ${DURATION}s per boot ($ITERS calls per run) on $KERNELS, modes $MODES, ABIs $ABIS, $DEVICES"
fi
running=0 logs=()
for s in $KERNELS; do
	for m in $MODES; do
		if [ "$running" -ge "$JOBS" ]; then
			wait -n || :
			running=$((running - 1))
		fi
		fuzz_one "$s" "$m" &
		running=$((running + 1))
		logs+=("$out/${s}_$m.log")
	done
done
wait || :

echo "results: $out/ (a serial log per boot, findings.txt; also .cache/results/fuzz-latest)"
status=0
awk -v iters="$ITERS" -v abis_all="$ABIS" -v show="${SEED:+1}" \
	-v findings="$out/findings.txt" -f "$top/scripts/fuzz.awk" "${logs[@]}" || status=$?
exit "$status"
