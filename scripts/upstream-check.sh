#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# "make upstream-check": the patch series of upstream/ proven on a patched
# /dev/kvm (Documentation/upstream.rst):
#   1. checkpatch.pl --strict (the newest tree's) on every patch;
#   2. the series applied with git am to Debian's linux-source of each
#      series of UPSTREAM_SERIES (scripts/upstream-tree.sh), and kvm.ko +
#      kvm-amd.ko built from it, unpatched and then patched, against that
#      kernel's headers, with W=1 and sparse (scripts/upstream-build.sh):
#      what the series adds to the warnings must be nothing;
#   3. the selftests built as a kselftest target of the patched newest
#      tree (tools/testing/selftests/kvm_compat) and installed;
#   4. the newest series' Debian kernel booted twice, translate=y: /dev/kvm
#      its own kvm + kvm-amd rebuilt unpatched, then patched; every
#      selftest from every ABI against both devices, and in the patched
#      boot the kselftest install too, whose KTAP the kernel's parser
#      (tools/testing/kunit/kunit.py parse) must accept;
#   5. the two runs compared (scripts/upstream-compare.awk): the documented
#      differences the series claims (":Upstream fix:" in
#      Documentation/divergences.rst) gone, no other outcome changed;
#   6. the ABI audit of the newest tree, unpatched and patched.
# Results: .cache/results/upstream-<time>/ (also upstream-latest). Last line:
#   upstream: P patches, applied to V, checkpatch C, build W warnings; R documented differences resolved, N new differences
# (C: checkpatch's errors, warnings and checks; W: warnings the series
# adds); exit status 1 when anything failed.
# Environment: UPSTREAM_SERIES (default "7.3 6.12"; the first is booted),
# ABIS, TESTS (the selftests run, default all), KVMC_UPSTREAM_BOOT_TIMEOUT
# (s, default 1200).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/lib.sh"

us=${UPSTREAM_SERIES:-}
read -r -a series_list <<<"${us:-7.3 6.12}"
newest=${series_list[0]}
export ABIS=${ABIS:-$ABIS_ALL} TESTS=${TESTS:-}
t0=$(kvmc_now)
results=$(kvmc_new_results upstream-)
fail=()

"$top/scripts/deps.sh" build source qemu audit upstream

mapfile -t patches < <(grep -v '^[[:space:]]*\(#\|$\)' "$top/upstream/series")
[ "${#patches[@]}" -gt 0 ] || kvmc_die "upstream/series lists no patch"
# Every file the series changes (for the build and the warnings).
mapfile -t files < <(for p in "${patches[@]}"; do
	sed -n 's,^+++ b/,,p' "$top/upstream/$p"
done | LC_ALL=C sort -u)
kvmc_log "upstream: ${#patches[@]} patches, changing ${files[*]}"

declare -A kver
for s in "${series_list[@]}"; do
	kver[$s]=$("$top/scripts/fetch-kernel.sh" "$s")
done

# 1. checkpatch, from the newest tree (reset to its base).
tree_new=$("$top/scripts/upstream-tree.sh" "$newest" 2>/dev/null)
cp_total=0
for p in "${patches[@]}"; do
	# UNKNOWN_COMMIT_ID: the tree is a tarball, without upstream's
	# history, so checkpatch cannot look up a Fixes: tag's commit (each
	# was checked by hand: upstream/README).
	out=$(cd "$tree_new" && perl scripts/checkpatch.pl --strict --no-signoff \
		--ignore UNKNOWN_COMMIT_ID --quiet "$top/upstream/$p" 2>&1) || :
	n=$(printf '%s\n' "$out" | awk '/^total: / { print $2 + $4 + $6 }')
	n=${n:-0}
	[ -z "$out" ] || printf '%s\n' "$out"
	echo "checkpatch: $p: $n" >>"$results/checkpatch.txt"
	cp_total=$((cp_total + n))
done
kvmc_log "checkpatch --strict: $cp_total errors, warnings and checks"
[ "$cp_total" -eq 0 ] || fail+=("checkpatch")

# 2. apply and build, each series in the background: unpatched (the
#    series' files recompiled), then patched; the .ko files of each kept.
apply_build() {
	local s=$1 tree b v
	b="$KVMC_CACHE/upstream/build-$s"
	tree=$("$top/scripts/upstream-tree.sh" "$s" 2>"$results/tree-$s.err")
	if ! "$top/scripts/upstream-build.sh" -t "${kver[$s]}" "$tree" "$b" \
		"${files[@]}" >/dev/null; then
		echo "build-unpatched-failed" >"$results/status-$s"
		return
	fi
	mkdir -p "$results/ko-unpatched-$s" "$results/ko-patched-$s"
	cp "$b"/arch/x86/kvm/kvm.ko "$b"/arch/x86/kvm/kvm-amd.ko "$results/ko-unpatched-$s/"
	if ! tree=$("$top/scripts/upstream-tree.sh" -a "$s" 2>"$results/tree-$s.err"); then
		echo "apply-failed" >"$results/status-$s"
		return
	fi
	v=$(sed -n 's/^version //p' "$results/tree-$s.err")
	echo "$v" >"$results/version-$s"
	if ! "$top/scripts/upstream-build.sh" "${kver[$s]}" "$tree" "$b" \
		"${files[@]}" >/dev/null; then
		echo "build-patched-failed" >"$results/status-$s"
		return
	fi
	cp "$b"/arch/x86/kvm/kvm.ko "$b"/arch/x86/kvm/kvm-amd.ko "$results/ko-patched-$s/"
	if awk -f "$top/scripts/upstream-warnings.awk" "$b.log" >"$results/warnings-$s.txt"; then
		echo ok >"$results/status-$s"
	else
		echo "warnings" >"$results/status-$s"
	fi
}

# The ABI audit of the newest tree before the series (step 6), before
# apply_build resets and patches the same tree.
KVMC_AUDIT_ARCHS=x86 KVMC_AUDIT_RUN="$results/audit-unpatched" \
	"$top/scripts/abi-audit.sh" -n "unpatched=$tree_new" \
	>"$results/audit-unpatched.txt" 2>&1 || :
t=$(kvmc_now)
pids=()
for s in "${series_list[@]}"; do
	apply_build "$s" &
	pids+=($!)
done
# Meanwhile: kvm_compat and the standalone selftests for the newest.
ko_compat=$(KVMC_BUILD_DIR="$KVMC_CACHE/build/upstream-${kver[$newest]}-y" \
	"$top/scripts/build-module.sh" "${kver[$newest]}" y) || fail+=("kvm_compat build")
tests_dir=$("$top/scripts/build-selftests.sh") || fail+=("selftests build")
wait "${pids[@]}" || :
kvmc_log "apply + build: $(($(kvmc_now) - t))s"

applied=()
warn_total=0
for s in "${series_list[@]}"; do
	st=$(cat "$results/status-$s" 2>/dev/null || echo "no status")
	grep -v "^version " "$results/tree-$s.err" >&2 2>/dev/null || :
	if [ -f "$results/warnings-$s.txt" ]; then
		sed "s/^/$s: /" "$results/warnings-$s.txt"
		n=$(sed -n 's/^warnings: .* \([0-9]*\) new;.*/\1/p' "$results/warnings-$s.txt")
		warn_total=$((warn_total + ${n:-0}))
	fi
	if [ -f "$results/version-$s" ]; then
		applied+=("$(sed 's/^\([0-9]*\.[0-9]*\)\.0-/\1-/' "$results/version-$s")")
	fi
	[ "$st" = ok ] || fail+=("$s: $st")
done

# 3. The kselftest target, in the patched newest tree.
ksft="$results/kselftest"
tree_new="$KVMC_CACHE/upstream/linux-$newest"
if [ -f "$results/ko-patched-$newest/kvm.ko" ]; then
	t=$(kvmc_now)
	KVMC_AUDIT_ARCHS=x86 KVMC_AUDIT_RUN="$results/audit-patched" \
		"$top/scripts/abi-audit.sh" -n "patched=$tree_new" \
		>"$results/audit-patched.txt" 2>&1 || :
	kd="$tree_new/tools/testing/selftests/kvm_compat"
	rm -rf "$kd"
	mkdir -p "$kd"
	(cd "$top/selftests" && find . -path ./build -prune -o -type f -print |
		cpio -pdm --quiet "$kd")
	install -D -m 0644 "$top/include/uapi/linux/kvm_compat.h" \
		"$kd/include/linux/kvm_compat.h"
	# Not make's variables of "make upstream-check" (MAKEFLAGS): TESTS
	# narrows the kselftest build only when given (as for the boots).
	ksft_make=(env -u MAKEFLAGS -u MAKEOVERRIDES -u MAKELEVEL make -j"$(nproc)")
	[ -z "$TESTS" ] || ksft_make+=("TESTS=$TESTS")
	if "${ksft_make[@]}" -C "$tree_new" headers >"$results/kselftest-build.log" 2>&1 &&
	   "${ksft_make[@]}" -C "$tree_new/tools/testing/selftests" TARGETS=kvm_compat \
		>>"$results/kselftest-build.log" 2>&1 &&
	   "${ksft_make[@]}" -C "$tree_new/tools/testing/selftests" TARGETS=kvm_compat install \
		INSTALL_PATH="$ksft" >>"$results/kselftest-build.log" 2>&1 &&
	   [ -s "$ksft/kselftest-list.txt" ]; then
		kvmc_log "kselftest: $(wc -l <"$ksft/kselftest-list.txt") tests built and installed ($(($(kvmc_now) - t))s)"
		if grep -E 'warning:|error:' "$results/kselftest-build.log"; then
			fail+=("kselftest build warnings")
		fi
	else
		tail -n 30 "$results/kselftest-build.log" >&2
		fail+=("kselftest build")
	fi
fi

# 4. The two boots.
boot_ok=n
if [ -n "${tests_dir:-}" ] && [ -n "${ko_compat:-}" ] &&
   [ -f "$results/ko-unpatched-$newest/kvm.ko" ] &&
   [ -f "$results/ko-patched-$newest/kvm.ko" ] && [ -s "$ksft/kselftest-list.txt" ]; then
	base="$results/initramfs-base.cpio.gz"
	"$top/scripts/mkinitramfs.sh" -k "${kver[$newest]}" -K "$ko_compat" -m y \
		-t "$tests_dir" -o "$base"
	# An initramfs of several cpio archives: a later file replaces an
	# earlier one of the same name (the oracle modules, by load name).
	for v in unpatched patched; do
		stage=$(mktemp -d "${TMPDIR:-/tmp}/kvmc-upstream.XXXXXX")
		mkdir -p "$stage/lib/kvmc/oracle"
		cp "$results/ko-$v-$newest/kvm.ko" "$stage/lib/kvmc/oracle/kvm.ko"
		cp "$results/ko-$v-$newest/kvm-amd.ko" "$stage/lib/kvmc/oracle/kvm_amd.ko"
		[ "$v" = unpatched ] || cp -a "$ksft" "$stage/kselftest"
		(cd "$stage" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) |
			gzip -1 >"$results/overlay-$v.cpio.gz"
		rm -rf "$stage"
		cat "$base" "$results/overlay-$v.cpio.gz" >"$results/initramfs-$v.cpio.gz"
	done
	boot_ok=y
	t=$(kvmc_now)
	limit=${KVMC_UPSTREAM_BOOT_TIMEOUT:-1200}
	tests_arg=
	[ -z "$TESTS" ] || tests_arg="kvmc.tests=${TESTS// /,}"
	for v in unpatched patched; do
		cmd=tests
		[ "$v" = unpatched ] || cmd=kselftest
		mkdir -p "$results/$v"
		"$top/scripts/qemu-run.sh" -k "${kver[$newest]}" -T "$limit" \
			-i "$results/initramfs-$v.cpio.gz" -l "$results/$v/${newest}_y_$v.log" \
			-a "kvmc.cmd=$cmd $tests_arg" &
	done
	wait || :
	kvmc_log "boots: $(($(kvmc_now) - t))s"
else
	fail+=("no boot: a build failed")
fi

resolved=0 new=0
if [ "$boot_ok" = y ]; then
	for v in unpatched patched; do
		echo "== /dev/kvm: upstream $newest $v"
		if ! kvmc_results "$results/$v" off off "$results/$v/${newest}_y_$v.log" |
			tee "$results/$v/summary.txt"; then
			fail+=("$v run")
		fi
	done
	# 5. Compare.
	if awk -v divergences="$top/Documentation/divergences.rst" \
		-f "$top/scripts/upstream-compare.awk" \
		"$results/unpatched/cases.tsv" "$results/patched/cases.tsv" \
		>"$results/compare.txt"; then :; else fail+=("compare"); fi
	cat "$results/compare.txt"
	read -r resolved new < <(sed -n 's/^compare: \([0-9]*\) documented.* \([0-9]*\) new.*/\1 \2/p' \
		"$results/compare.txt") || :
	# The kselftest run's KTAP, through the kernel's own parser.
	log="$results/patched/${newest}_y_patched.log"
	sed -n '/^### kvmc-kselftest-begin/,/^### kvmc-kselftest-end/p' "$log" |
		sed '1d;$d' | tr -d '\r' >"$results/kselftest.ktap"
	list=$(wc -l <"$ksft/kselftest-list.txt")
	if python3 "$tree_new/tools/testing/kunit/kunit.py" parse \
		"$results/kselftest.ktap" >"$results/kselftest-parse.txt" 2>&1; then
		kp=ok
	else
		kp=failed
		fail+=("kselftest KTAP")
	fi
	ran=$(grep -c '^\(not \)\?ok [0-9]* selftests: kvm_compat: ' "$results/kselftest.ktap" || :)
	summary=$(grep -i 'Testing complete\|ran [0-9]* tests' "$results/kselftest-parse.txt" | tail -n1) || :
	echo "kselftest: $ran of $list listed tests reported, kunit.py parse $kp: ${summary:-?}"
	[ "$ran" -eq "$list" ] || fail+=("kselftest: $ran of $list reported")
	grep -q '^### kvmc-kselftest-end rc=0' "$log" || fail+=("run_kselftest.sh rc")
fi

# 6. The audit, unpatched and patched.
for v in unpatched patched; do
	a=$(grep '^abi-audit: [0-9]' "$results/audit-$v.txt" 2>/dev/null | tail -n1) || :
	echo "audit $newest $v: ${a:-did not run}"
done

echo "results: $results/ (also .cache/results/upstream-latest)"
echo "total: $(($(kvmc_now) - t0))s"
for f in "${fail[@]}"; do
	echo "FAIL $f"
done
v=$(IFS=,; echo "${applied[*]}" | sed 's/,/ and /g')
echo "upstream: ${#patches[@]} patches, applied to ${v:-nothing}, checkpatch $cp_total, build $warn_total warnings; ${resolved:-0} documented differences resolved, ${new:-0} new differences"
[ "${#fail[@]}" -eq 0 ]
