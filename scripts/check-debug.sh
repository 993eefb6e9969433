#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# "make check-debug": the selftests on a debug kernel (KASAN, lockdep,
# kmemleak, UBSAN, gcov), with the module built for it in both modes.
#   scripts/check-debug.sh
# 1. builds the debug kernel once (scripts/build-debug-kernel.sh, cached in
#    .cache/debug-kernel/), the selftests, and kvm_compat.ko against it for
#    each mode with gcov (KVMC_GCOV=1, kvm_compat/Kbuild);
# 2. boots one guest per mode (QEMU TCG, $KVMC_MEM MiB, default 2048)
#    with kvmc.cmd=debug: every selftest from every ABI against
#    /dev/kvm_compat (there is no /dev/kvm: no KVM in this kernel), then
#    scripts/guest/run-debug.sh: rmmod, a kmemleak scan, the gcov data, the
#    kernel log;
# 3. counts, from each guest's kernel log after the module was loaded, the
#    KASAN, lockdep (and might_sleep) and UBSAN reports, and the kmemleak
#    suspects of the scan; turns the gcov data into line coverage with lcov
#    (both modes merged, the module's own sources and headers only).
# Environment (optional): MODES="y n", TESTS="name ...", ABIS="64 32 x32",
# KVMC_MEM (MiB), KVMC_DEBUG_BOOT_TIMEOUT (s per guest, default 2400),
# KVMC_TEST_TIMEOUT (s per binary, default 900), KVMC_DEBUG_JOBS (make -j
# of the kernel build, default 2), KVMC_MODULE_SRC (build another copy of
# the module, e.g. one with a planted bug) with KVMC_DEBUG_BUILD_DIR (its
# build directories, default .cache/build/debug; <dir>-<mode>).
# Results: .cache/results/debug-<time>/ (also .cache/results/debug-latest):
# a serial log per guest, cases.tsv, reports.txt (every report found),
# coverage.info + coverage/index.html, uncovered.txt (file:line: source).
# Last line:
#   debug: N passed, N failed; K KASAN, L lockdep, M kmemleak, U UBSAN reports; coverage C% lines
# Exit status 0 only when every case passed and every report count is 0.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/lib.sh"

MODES=${MODES:-y n}
export TESTS=${TESTS:-} ABIS=${ABIS:-$ABIS_ALL}
export KVMC_MEM=${KVMC_MEM:-2048}
export KVMC_TEST_TIMEOUT=${KVMC_TEST_TIMEOUT:-900}
boot_timeout=${KVMC_DEBUG_BOOT_TIMEOUT:-2400}
build_base=${KVMC_DEBUG_BUILD_DIR:-$KVMC_CACHE/build/debug}

t0=$(kvmc_now)
results=$(kvmc_new_results debug-)

"$top/scripts/deps.sh" build source qemu debug

t=$(kvmc_now)
kdir=$("$top/scripts/build-debug-kernel.sh")
image="$kdir/arch/x86/boot/bzImage"
kvmc_log "debug kernel: $kdir ($(($(kvmc_now) - t))s)"

# The selftests and the module for each mode, at once.
t=$(kvmc_now)
"$top/scripts/build-selftests.sh" >"$results/selftests.dir" &
st_pid=$!
declare -A build_pid
for m in $MODES; do
	KVMC_KDIR=$kdir KVMC_BUILD_DIR="$build_base-$m" \
		"$top/scripts/build-module.sh" debug "$m" KVMC_GCOV=1 >"$results/ko-$m" &
	build_pid[$m]=$!
done
tests_dir=
if wait "$st_pid"; then
	tests_dir=$(cat "$results/selftests.dir")
fi
for m in $MODES; do
	kvmc_initramfs "${build_pid[$m]}" "$results/ko-$m" "$tests_dir" \
		"$results/initramfs-$m.cpio.gz" -N -k debug -m "$m"
done
wait
kvmc_log "builds: $(($(kvmc_now) - t))s"

# kasan_multi_shot: every KASAN report, not only the first;
# log_buf_len: room for all of them in the kernel log.
boot_one() {
	local m=$1
	local log="$results/debug_${m}_base.log"
	local initrd="$results/initramfs-$m.cpio.gz"
	if [ ! -f "$initrd" ]; then
		kvmc_no_boot_log "$log"
		return
	fi
	"$top/scripts/qemu-run.sh" -k debug -b "$image" -i "$initrd" -l "$log" \
		-T "$boot_timeout" -a "kvmc.cmd=debug kasan_multi_shot log_buf_len=4M" || :
	kvmc_log "boot debug $m: $(tail -n1 "$log")"
}

t=$(kvmc_now)
for m in $MODES; do
	boot_one "$m" &
done
wait || :
kvmc_log "boots: $(($(kvmc_now) - t))s"

logs=()
for m in $MODES; do
	logs+=("$results/debug_${m}_base.log")
done
rc=0
kvmc_results "$results" off off "${logs[@]}" >"$results/summary.txt" || rc=1
cat "$results/summary.txt"
read -r passed failed < <(awk '/^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$/ { p = $1; f = $3 }
	END { print p + 0, f + 0 }' "$results/summary.txt")

# --- the reports ---
# A section of a log between "### kvmc-debug-$2-begin" and "-end", without
# the markers and the serial console's \r.
section() {
	sed -n "/^### kvmc-debug-$2-begin/,/^### kvmc-debug-$2-end/p" "$1" |
		sed '1d;$d' | tr -d '\r'
}
lockdep_re='WARNING: (possible (circular|recursive) locking|possible irq lock inversion|inconsistent lock state|bad unlock balance|held lock freed|lock held when returning|suspicious RCU usage|Nested lock was not taken|.*-safe -> .*-unsafe lock order|.* still has locks held|bad contention|chain_key collision)'
lockdep_re="$lockdep_re|BUG: (sleeping function called from invalid context|scheduling while atomic|MAX_LOCK|MAX_STACK_TRACE|key .* has not been registered|looking up invalid subclass|spinlock |rwlock |workqueue leaked|held lock freed)"
lockdep_re="$lockdep_re|INFO: trying to register non-static key|DEBUG_LOCKS_WARN_ON"
kasan=0 lockdep=0 kmemleak=0 ubsan=0 incomplete=0
: >"$results/reports.txt"
for log in "${logs[@]}"; do
	b=$(basename "$log" .log)
	if ! grep -q '^### kvmc-debug-dmesg-end' "$log"; then
		incomplete=$((incomplete + 1))
		echo "$b: no kernel log (the guest did not get that far)" >>"$results/reports.txt"
		continue
	fi
	# The kernel log from the module's load on.
	section "$log" dmesg | sed -n '/kvmc-mark-modules/,$p' >"$results/$b.dmesg"
	section "$log" kmemleak >"$results/$b.kmemleak"
	section "$log" kmemleak-loaded >"$results/$b.kmemleak-loaded"
	k=$(grep -c 'BUG: KASAN: ' "$results/$b.dmesg" || :)
	l=$(grep -cE "$lockdep_re" "$results/$b.dmesg" || :)
	u=$(grep -cE 'UBSAN: .* in ' "$results/$b.dmesg" || :)
	ml=$(grep -c '^unreferenced object ' "$results/$b.kmemleak" || :)
	kasan=$((kasan + k)) lockdep=$((lockdep + l)) ubsan=$((ubsan + u)) kmemleak=$((kmemleak + ml))
	echo "$b: $k KASAN, $l lockdep, $ml kmemleak, $u UBSAN" >>"$results/reports.txt"
	grep -E "BUG: KASAN: |UBSAN: .* in |$lockdep_re" "$results/$b.dmesg" |
		sed "s/^/  $b: /" >>"$results/reports.txt" || :
	# The suspects in full, from the scan before the unload when they
	# were already there (their backtraces name the module's functions).
	grep -A12 '^unreferenced object ' "$results/$b.kmemleak-loaded" |
		sed "s/^/  $b kmemleak (module loaded): /" >>"$results/reports.txt" || :
	awk 'NR == FNR { if (/^unreferenced object /) seen[$0] = 1; next }
		/^unreferenced object / { show = !($0 in seen) }
		show' "$results/$b.kmemleak-loaded" "$results/$b.kmemleak" |
		sed "s/^/  $b kmemleak (after unload): /" >>"$results/reports.txt"
	# A taint (any KASAN report, an oops...) switches lockdep off for the
	# rest of the boot: say so, a clean lockdep count after it means little.
	grep -E 'Disabling lock debugging|INFO: lockdep is turned off' "$results/$b.dmesg" |
		sed "s/^/  $b note: lockdep stopped here: /" >>"$results/reports.txt" || :
done
echo "reports (counted after the module's load; kernel logs in $results/*.dmesg):"
sed 's/^/  /' "$results/reports.txt"

# --- coverage ---
# The guest's .gcda come under the path of the module's build directory on
# this host (where they were compiled): unpacked in the results, each gets
# its .gcno from that build directory beside it, lcov runs gcov (gcc's own,
# the build's compiler), keeps the module's sources and headers, names
# them relative to the repository and merges the modes.
gcov_tool=$(command -v "gcov-$(gcc -dumpversion | cut -d. -f1)" || command -v gcov)
infos=()
for m in $MODES; do
	b=debug_${m}_base
	bdir="$build_base-$m"
	g="$results/gcov-$m"
	mkdir -p "$g"
	if ! section "$results/$b.log" gcov | base64 -d 2>/dev/null | tar xzf - -C "$g" 2>/dev/null; then
		kvmc_log "coverage: no gcov data from $b"
		continue
	fi
	n=0
	while IFS= read -r f; do
		rel=${f#"$g"}
		case $rel in "$bdir"/*) ;; *) continue ;; esac
		cp "${rel%.gcda}.gcno" "${f%.gcda}.gcno" && n=$((n + 1))
	done < <(find "$g" -name '*.gcda')
	[ "$n" -gt 0 ] || { kvmc_log "coverage: no .gcda of $bdir from $b"; continue; }
	if ! lcov -q --capture --directory "$g$bdir/kvm_compat" --base-directory "$bdir" \
		--gcov-tool "$gcov_tool" --output-file "$g/all.info" >"$g/lcov.log" 2>&1 ||
	   ! lcov -q --extract "$g/all.info" "$bdir/kvm_compat/*" "$bdir/include/*" \
		--output-file "$g/module.info" >>"$g/lcov.log" 2>&1; then
		tail -n 20 "$g/lcov.log" >&2
		kvmc_log "coverage: lcov failed for $b (log: $g/lcov.log)"
		continue
	fi
	sed "s|^SF:$bdir/|SF:|" "$g/module.info" >"$g/repo.info"
	infos+=(-a "$g/repo.info")
done
coverage=0.0
if [ ${#infos[@]} -gt 0 ] &&
   lcov -q "${infos[@]}" --output-file "$results/coverage.info" >"$results/lcov.log" 2>&1; then
	# Per line: covered if either mode ran it. Lines, files, functions.
	awk -v top="$build_base-${MODES%% *}" -v out="$results/uncovered.txt" \
		-v fnout="$results/uncovered-functions.txt" '
		/^SF:/ { f = substr($0, 4); next }
		/^DA:/ { split(substr($0, 4), a, ","); k = f ":" a[1]
			if (!(k in hit)) { order[++n] = k; file[k] = f; line[k] = a[1] }
			hit[k] += a[2]; next }
		/^FNDA:/ { split(substr($0, 6), a, ","); fk = f ":" a[2]
			if (!(fk in fhit)) forder[++nf] = fk
			fhit[fk] += a[1]; next }
		END {
			for (i = 1; i <= n; i++) {
				k = order[i]; total++
				if (hit[k] > 0) { covered++; continue }
				src = ""
				if (!((file[k]) in lines_of)) {
					lines_of[file[k]] = 1
					j = 0
					while ((getline s < (top "/" file[k])) > 0) text[file[k], ++j] = s
					close(top "/" file[k])
				}
				src = text[file[k], line[k]]
				gsub(/^[ \t]+/, "", src)
				printf "%s:%d: %s\n", file[k], line[k], src > out
				miss[file[k]]++
			}
			for (i = 1; i <= nf; i++)
				if (fhit[forder[i]] == 0) print forder[i] > fnout
			for (f in miss) printf "%d\t%s\n", miss[f], f > (out ".byfile")
			printf "%.1f %d %d\n", total ? 100 * covered / total : 0, covered, total
		}' "$results/coverage.info" >"$results/coverage.txt"
	touch "$results/uncovered.txt" "$results/uncovered-functions.txt" "$results/uncovered.txt.byfile"
	read -r coverage covered total <"$results/coverage.txt"
	genhtml -q --output-directory "$results/coverage" --prefix "$top" \
		"$results/coverage.info" >/dev/null 2>&1 || :
	echo "coverage: $covered of $total lines of the module ($coverage%), both modes merged"
	echo "  uncovered lines (file:line): $results/uncovered.txt"
	echo "  uncovered functions: $results/uncovered-functions.txt; HTML: $results/coverage/index.html"
	sort -rn "$results/uncovered.txt.byfile" | head -n 8 |
		awk -F'\t' '{ printf "  %4d uncovered  %s\n", $1, $2 }'
else
	kvmc_log "coverage: no data"
	incomplete=$((incomplete + 1))
fi

echo "results: $results/ (also .cache/results/debug-latest)"
echo "total: $(($(kvmc_now) - t0))s"
[ "$incomplete" -eq 0 ] || rc=1
[ "$passed" -gt 0 ] && [ "$failed" -eq 0 ] || rc=1
[ $((kasan + lockdep + kmemleak + ubsan)) -eq 0 ] || rc=1
echo "debug: $passed passed, $failed failed; $kasan KASAN, $lockdep lockdep, $kmemleak kmemleak, $ubsan UBSAN reports; coverage $coverage% lines"
exit "$rc"
