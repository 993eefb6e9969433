#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# "make check": lint, build the selftests and the module for every (kernel,
# mode), boot the test matrix under QEMU, count and compare the results.
#   scripts/check.sh
# Environment (all optional; see the top-level Makefile):
#   KERNELS="5.10 6.1 6.12 7.2 7.3"  MODES="y n"  TESTS="name ..."
#   ABIS="64 32 x32"
#   NOIA32=1  also boot translate=y with ia32_emulation=0 (where the kernel
#             knows the parameter)
#   LINT=1    run scripts/lint.sh first (one case)
#   JOBS=2    boots run at once
# Results: .cache/results/<time>/ (a log per boot, cases.tsv), also
# reachable as .cache/results/latest. The last line printed is
# "N passed, N failed, N skipped"; exit status 1 on any failure.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/lib.sh"

# A kernel tree of your own (KDIR=...) is the one series "own"; lint
# (which builds against every Debian series) is then off unless asked for.
OWN_KDIR=${OWN_KDIR:-}
if [ -n "$OWN_KDIR" ]; then
	KERNELS=own
	LINT=${LINT:-0}
fi
KERNELS=${KERNELS:-$KVMC_SERIES_ALL}
MODES=${MODES:-y n}
JOBS=${JOBS:-2}
LINT=${LINT:-1}
NOIA32=${NOIA32:-1}
export TESTS=${TESTS:-} ABIS=${ABIS:-$ABIS_ALL}
# The ia32_emulation=0 boots show scenario 3 (ia32 refused, x32 served):
# these tests, not all, the rest being what the base boot already ran.
NOIA32_TESTS="system_test vcpu_test memslot_test fd_passing_test"

t0=$(kvmc_now)
results=$(kvmc_new_results "")

steps="build source qemu"
[ "$LINT" = 1 ] && steps="$steps lint"
# shellcheck disable=SC2086
"$top/scripts/deps.sh" $steps

declare -A kver kdir oracle_opt
for s in $KERNELS; do
	if [ "$s" = own ]; then
		kver[$s]=$("$top/scripts/own-kernel.sh" "$OWN_KDIR")
		kdir[$s]=$OWN_KDIR
		own_oracle=$(cat "$KVMC_CACHE/kernels/${kver[$s]}/.kvmc-oracle")
		case $own_oracle in
		modules) oracle_opt[$s]= ;;
		builtin) oracle_opt[$s]=-N ;;
		*)
			oracle_opt[$s]=-N
			kvmc_log "own kernel: no upstream KVM with $ORACLE_VENDOR_CONFIG;" \
				"/dev/kvm_compat runs alone, without the oracle"
			;;
		esac
	else
		kver[$s]=$("$top/scripts/fetch-kernel.sh" "$s")
		kdir[$s]=$(kvmc_kdir "${kver[$s]}")
		oracle_opt[$s]=
	fi
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
		KVMC_KDIR=${kdir[$s]} "$top/scripts/build-module.sh" "${kver[$s]}" "$m" \
			>"$results/ko-$s-$m" &
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
			"$results/initramfs-$s-$m.cpio.gz" -k "${kver[$s]}" -m "$m" \
			${oracle_opt[$s]:+"${oracle_opt[$s]}"}
	done
done
wait
kvmc_log "builds: $(($(kvmc_now) - t))s"

# Migration across kernels (Documentation/migration.rst): the translate=y
# base boots of the oldest and the newest series save a running guest
# (kvmc.xk=save), then each boots again and restores the other's
# (kvmc.cmd=xkernel): upgrade and rollback.
xk_series=()
if [[ " $MODES " == *" y "* ]] && [[ " $ABIS " == *" 64 "* ]] &&
   { [ -z "$TESTS" ] || [[ " $TESTS " == *" migrate_test "* ]]; }; then
	for s in $KVMC_SERIES_ALL; do
		[[ " $KERNELS " == *" $s "* ]] && xk_series+=("$s")
	done
	if [ "${#xk_series[@]}" -ge 2 ]; then
		xk_series=("${xk_series[0]}" "${xk_series[-1]}")
	else
		xk_series=()
	fi
fi
xk_saves() {
	local s
	for s in "${xk_series[@]}"; do
		[ "$s" = "$1" ] && [ "$2" = y ] && echo kvmc.xk=save
	done
	:
}

# The matrix: "<series> <mode> <variant> <extra cmdline words>".
boots=()
for s in $KERNELS; do
	for m in $MODES; do
		boots+=("$s $m base $(xk_saves "$s" "$m")")
	done
done
# ia32_emulation=0 where the kernel knows the parameter ("x86: Make
# IA32_EMULATION boot time configurable", 6.7; its kconfig default came
# with it): elsewhere the parameter would be ignored and prove nothing.
if [ "$NOIA32" = 1 ] && [[ " $MODES " == *" y "* ]]; then
	for s in $KERNELS; do
		if grep -q 'IA32_EMULATION_DEFAULT_DISABLED' "${kdir[$s]}/.config" 2>/dev/null; then
			boots+=("$s y noia32 ia32_emulation=0 kvmc.tests=${NOIA32_TESTS// /,}")
		else
			kvmc_log "noia32: $s not booted with ia32_emulation=0: the kernel has no such parameter (6.7+)"
		fi
	done
fi

boot_one() {
	local s=$1 m=$2 v=$3
	shift 3
	local extra="$*" cmd=tests
	local log="$results/${s}_${m}_$v.log"
	local initrd="$results/initramfs-$s-$m${xk_initrd:-}.cpio.gz"
	if [ ! -f "$initrd" ]; then
		kvmc_no_boot_log "$log"
		return
	fi
	[ "$v" = xkernel ] && cmd=xkernel
	"$top/scripts/qemu-run.sh" -k "${kver[$s]}" -i "$initrd" -l "$log" \
		-a "kvmc.cmd=$cmd $extra" || :
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

# The second round of the migration across kernels: the blobs each saving
# boot printed (a gzipped tar in base64) unpacked to $results/xk/<series>/,
# then for each series a cpio of the others' appended to its initramfs
# (the kernel unpacks both), as /xk/<series>/ with /xk/EXPECT.
if [ "${#xk_series[@]}" -ge 2 ]; then
	t=$(kvmc_now)
	for s in "${xk_series[@]}"; do
		mkdir -p "$results/xk/$s"
		sed -n '/^### kvmc-xk-begin/,/^### kvmc-xk-end/{/^###/d;s/\r$//;p}' \
			"$results/${s}_y_base.log" | base64 -d 2>/dev/null |
			tar -xzf - -C "$results/xk/$s" 2>/dev/null || :
	done
	xk_boots=()
	for s in "${xk_series[@]}"; do
		stage="$results/xk-stage-$s"
		mkdir -p "$stage/xk"
		: >"$stage/xk/EXPECT"
		for o in "${xk_series[@]}"; do
			[ "$o" = "$s" ] && continue
			cp -r "$results/xk/$o" "$stage/xk/$o"
			echo "$o" >>"$stage/xk/EXPECT"
		done
		if [ -f "$results/initramfs-$s-y.cpio.gz" ]; then
			(cd "$stage" && find . | cpio -o -H newc --quiet | gzip -c) |
				cat "$results/initramfs-$s-y.cpio.gz" - \
				>"$results/initramfs-$s-y-xk.cpio.gz"
		fi
		xk_boots+=("$s y xkernel")
		boots+=("$s y xkernel")
	done
	running=0
	for b in "${xk_boots[@]}"; do
		if [ "$running" -ge "$JOBS" ]; then
			wait -n || :
			running=$((running - 1))
		fi
		# shellcheck disable=SC2086
		xk_initrd=-xk boot_one $b &
		running=$((running + 1))
	done
	wait || :
	kvmc_log "migration across kernels (${xk_series[*]}): $(($(kvmc_now) - t))s"
fi

echo "results: $results/ (logs per boot, cases.tsv; also .cache/results/latest)"
echo "total: $(($(kvmc_now) - t0))s"
logs=()
for b in "${boots[@]}"; do
	read -r s m v _ <<<"$b"
	logs+=("$results/${s}_${m}_$v.log")
done
# Over the whole matrix the by-version table is made anew from this run
# (a first pass of results.awk writes cases.tsv) and must equal the one in
# Documentation/.
table=off
if [ "$KERNELS" = "$KVMC_SERIES_ALL" ] && [ -z "$TESTS" ] && [ "$ABIS" = "$ABIS_ALL" ] &&
   [[ " $MODES " == *" y "* ]] && [[ " $MODES " == *" n "* ]]; then
	kvmc_results "$results" "$lint_result" off "${logs[@]}" >/dev/null || :
	"$top/scripts/by-version-table.sh" "$results" >"$results/by-version-table.rst"
	if diff -u "$top/Documentation/by-version-table.rst" "$results/by-version-table.rst"; then
		table=pass
	else
		table=fail
		echo "by-version table: this run differs from Documentation/by-version-table.rst;" \
			"if the change is understood: cp $results/by-version-table.rst Documentation/"
	fi
fi
kvmc_results "$results" "$lint_result" "$table" "${logs[@]}"
