#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# "make bench": what each ioctl costs (ns/op) from x86_64, ia32 and x32, on
# /dev/kvm_compat and on the real /dev/kvm, in one 6.12 guest (translate=y).
# A benchmark, not a test: it prints figures and exits 0 whatever they are
# (1 only when it could not run). See Documentation/bench.rst.
#   scripts/bench.sh
# Environment:
#   KVMC_BENCH_ROUNDS=12   rounds (each runs every ABI x device once)
#   KVMC_BENCH_MS=25       ms per figure and round
#   KVMC_BENCH_BATCHES=25  batches per figure and round (the fastest counts)
#   KVMC_BENCH_FILTER=S    only the figures whose name contains S
#   KVMC_BENCH_TOL=1.05    "no slower than upstream" tolerance
#   KVMC_BENCH_SMP=1       guest vCPUs: with one, no second vCPU shares
#                          QEMU's single TCG thread with the benchmark
# Steps: deps, the 6.12 kernel, the module (y) and the selftests
# (selftests/compat_bench.c), an initramfs, one boot with kvmc.cmd=bench
# (scripts/guest/run-bench.sh), then the report (scripts/bench.awk) on the
# host. Results: .cache/results/bench-<time>/ (serial log, report.txt),
# also .cache/results/bench-latest. The last line printed is
# "bench: worst compat/native ratio R (net of the syscall entry; raw R0)".
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/lib.sh"

rounds=${KVMC_BENCH_ROUNDS:-12}
ms=${KVMC_BENCH_MS:-25}
batches=${KVMC_BENCH_BATCHES:-25}
filter=${KVMC_BENCH_FILTER:-}
tol=${KVMC_BENCH_TOL:-1.05}
smp=${KVMC_BENCH_SMP:-1}
case "$rounds$ms$batches$smp" in
*[!0-9]*) kvmc_die "KVMC_BENCH_ROUNDS, _MS, _BATCHES and _SMP must be whole numbers" ;;
esac

"$top/scripts/deps.sh" build source qemu
kver=$("$top/scripts/fetch-kernel.sh" 6.12)
out=$(kvmc_new_results bench-)

kvmc_log "building the module (translate=y) and the selftests"
"$top/scripts/build-selftests.sh" >"$out/selftests.dir" &
st=$!
"$top/scripts/build-module.sh" "$kver" y >"$out/ko" &
bm=$!
wait "$st" || kvmc_die "selftests build failed"
wait "$bm" || kvmc_die "module build failed"
tests=$(cat "$out/selftests.dir")
ls "$tests"/compat_bench_* >/dev/null 2>&1 ||
	kvmc_die "the selftests build made no compat_bench_* (selftests/compat_bench.c)"
# No tests in this initramfs: the bench binaries come with the demo's.
TESTS=kvmc-no-tests "$top/scripts/mkinitramfs.sh" -k "$kver" -K "$(cat "$out/ko")" \
	-m y -t "$tests" -o "$out/initramfs.cpio.gz"

args="kvmc.cmd=bench kvmc.bench_rounds=$rounds kvmc.bench_ms=$ms kvmc.bench_batches=$batches"
[ -n "$filter" ] && args="$args kvmc.bench_filter=$filter"
# 6 binaries per round, each 27 figures of ~1.3 x ms and ~0.5 s of setup
# (7 paired figures take twice ms).
est=$((rounds * 6 * (27 * ms * 13 / 10 + 500) / 1000 + 10))
limit=$((est * 2 + 120))
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
kvmc_log "booting $kver once: $rounds rounds x $ms ms per figure (about $est s; load $load_before)"
t0=$(kvmc_now)
status=0
KVMC_SMP=$smp "$top/scripts/qemu-run.sh" -k "$kver" -i "$out/initramfs.cpio.gz" -l "$out/serial.log" \
	-a "$args" -T "$limit" >/dev/null 2>&1 || status=$?
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
secs=$(($(kvmc_now) - t0))

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)
title="make bench, $(date '+%Y-%m-%d %H:%M %Z'): Debian $kver under QEMU TCG (-cpu max), kvm_compat translate=y, kvm-amd nested"
host="${cpu:-unknown CPU}, $(nproc) CPUs, $(awk '/^MemTotal:/ { printf "%d GiB", $2 / 1048576 }' /proc/meminfo), $($QEMU --version | head -n1)"
load="1/5/15-min load average $load_before before the boot, $load_after after it (${secs} s)"

status_awk=0
tr -d '\r' <"$out/serial.log" |
	awk -v title="$title" -v host="$host" -v load="$load" -v tol="$tol" \
		-f "$top/scripts/bench.awk" >"$out/report.txt" || status_awk=$?
cat "$out/report.txt"
if [ "$status" -ne 0 ] || [ "$status_awk" -ne 0 ]; then
	kvmc_log "the benchmark did not complete (qemu-run rc=$status, report rc=$status_awk);" \
		"last lines of $out/serial.log:"
	tr -d '\r' <"$out/serial.log" | tail -n 15 >&2
	exit 1
fi
