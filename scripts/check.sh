#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# "make check": lint, build the selftests and the module for every (kernel,
# mode), boot the test matrix under QEMU, count and compare the results.
#   scripts/check.sh
# Environment (all optional; see the top-level Makefile):
#   KERNELS="6.1 6.12"  MODES="y n"  TESTS="name ..."  ABIS="64 32 x32"
#   NOIA32=1  also boot 6.12 translate=y with ia32_emulation=0
#   LINT=1    run scripts/lint.sh first (one case)
#   JOBS=2    boots run at once
# Results: .cache/results/<time>/ (a log per boot, cases.tsv), also
# reachable as .cache/results/latest. The last line printed is
# "N passed, N failed, N skipped"; exit status 1 on any failure.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/lib.sh"

KERNELS=${KERNELS:-$KVMC_SERIES_ALL}
MODES=${MODES:-y n}
JOBS=${JOBS:-2}
LINT=${LINT:-1}
NOIA32=${NOIA32:-1}
export TESTS=${TESTS:-} ABIS=${ABIS:-$ABIS_ALL}

t0=$(kvmc_now)
results=$(kvmc_new_results "")

steps="build source qemu"
[ "$LINT" = 1 ] && steps="$steps lint"
# shellcheck disable=SC2086
"$top/scripts/deps.sh" $steps

declare -A kver
for s in $KERNELS; do
	kver[$s]=$("$top/scripts/fetch-kernel.sh" "$s")
done

lint_result=off
if [ "$LINT" = 1 ]; then
	t=$(kvmc_now)
	if "$top/scripts/lint.sh" >"$results/lint.log" 2>&1; then
		lint_result=pass
	else
		lint_result=fail
	fi
	cat "$results/lint.log"
	kvmc_log "lint: $lint_result ($(($(kvmc_now) - t))s)"
fi

# Build the selftests and every module at once.
t=$(kvmc_now)
"$top/scripts/build-selftests.sh" >"$results/selftests.dir" &
st_pid=$!
declare -A build_pid
for s in $KERNELS; do
	for m in $MODES; do
		"$top/scripts/build-module.sh" "${kver[$s]}" "$m" >"$results/ko-$s-$m" &
		build_pid[$s-$m]=$!
	done
done
tests_dir=
if wait "$st_pid"; then
	tests_dir=$(cat "$results/selftests.dir")
fi
for s in $KERNELS; do
	for m in $MODES; do
		kvmc_initramfs "${build_pid[$s-$m]}" "$results/ko-$s-$m" "$tests_dir" \
			"$results/initramfs-$s-$m.cpio.gz" -k "${kver[$s]}" -m "$m"
	done
done
wait
kvmc_log "builds: $(($(kvmc_now) - t))s"

# The matrix: "<series> <mode> <variant> <extra cmdline words>".
boots=()
for s in $KERNELS; do
	for m in $MODES; do
		boots+=("$s $m base")
	done
done
if [ "$NOIA32" = 1 ] && [[ " $KERNELS " == *" 6.12 "* ]] && [[ " $MODES " == *" y "* ]]; then
	boots+=("6.12 y noia32 ia32_emulation=0")
fi

boot_one() {
	local s=$1 m=$2 v=$3 extra=${4:-}
	local log="$results/${s}_${m}_$v.log"
	local initrd="$results/initramfs-$s-$m.cpio.gz"
	if [ ! -f "$initrd" ]; then
		kvmc_no_boot_log "$log"
		return
	fi
	"$top/scripts/qemu-run.sh" -k "${kver[$s]}" -i "$initrd" -l "$log" \
		-a "kvmc.cmd=tests $extra" || :
	kvmc_log "boot $s $m $v: $(tail -n1 "$log")"
}

t=$(kvmc_now)
running=0
for b in "${boots[@]}"; do
	if [ "$running" -ge "$JOBS" ]; then
		wait -n || :
		running=$((running - 1))
	fi
	# shellcheck disable=SC2086
	boot_one $b &
	running=$((running + 1))
done
wait || :
kvmc_log "boots: $(($(kvmc_now) - t))s"

echo "results: $results/ (logs per boot, cases.tsv; also .cache/results/latest)"
echo "total: $(($(kvmc_now) - t0))s"
logs=()
for b in "${boots[@]}"; do
	read -r s m v _ <<<"$b"
	logs+=("$results/${s}_${m}_$v.log")
done
kvmc_results "$results" "$lint_result" "${logs[@]}"
