#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# "make lint": static checks of the module, the selftests and the scripts;
# zero findings or exit 1.
#   scripts/lint.sh
# The module:
#  1. build against every pinned header set (5.10 to 7.3, each with its
#     suite's compiler), both modes, with W=1 and sparse (C=2): no
#     "warning:"/"error:" lines (modpost's "WARNING:" too), and sparse ran
#     on every file;
#  2. checkpatch.pl --strict on kvm_compat/*.c and include/**/*.h;
#  3. coccinelle: the kernel's api/ misc/ null/ free/ semantic patches in
#     report mode over kvm_compat/ (as scripts/coccicheck runs them);
#  4. Kconfig parsed and resolved by kconfig's "conf";
#  5. the per-ioctl compat table of Documentation/compat.rst against the
#     code (scripts/check-compat-table.sh).
# The selftests (selftests/, with the guest's scripts/guest/kvmc-exec.c):
#  6. checkpatch.pl --strict on every *.c and *.h, less the rules for
#     kernel code that step 6 lists with the reason for each;
#  7. built as "make selftests" builds them, for every ABI, with -Werror
#     (-Wall -Wextra), into the lint directory (.cache/selftests is left
#     alone);
# The scripts:
#  8. shellcheck -x (warnings and errors) on scripts/*.sh, scripts/guest/
#     and selftests/*.sh.
# The ABI audit:
#  9. every finding of make abi-audit (x86, the series on this machine)
#     about what kvm_compat implements has its row in compat.rst
#     (scripts/check-compat-findings.sh).
# Checkpatch, the semantic patches, kconfig and the kselftest headers come
# from the 6.12 sources (scripts/linux-source.sh) and Debian's
# linux-kbuild-6.12.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/lib.sh"
work="$KVMC_CACHE/lint"

# One semantic patch over kvm_compat/ (run in parallel by xargs below);
# prints its report, a "lint: skip" line or a "lint: FAIL" line.
if [ "${1:-}" = --cocci-one ]; then
	work=$2 cocci=$3
	name=${cocci#*/scripts/coccinelle/}
	opts=$(sed -n 's|^// Options:||p' "$cocci")
	# shellcheck disable=SC2086
	if out=$(cd "$top" && spatch -D report --very-quiet --no-show-diff \
		--cocci-file "$cocci" --dir kvm_compat -I include $opts 2>"$work/err.$$"); then
		if [ -n "$out" ]; then
			echo "$out"
			echo "lint: FAIL coccinelle $name"
		fi
		rm -f "$work/err.$$"
		exit 0
	fi
	# Failed: the script itself, or our sources? Retry on an empty tree.
	mkdir -p "$work/empty.$$"
	# shellcheck disable=SC2086
	if spatch -D report --very-quiet --no-show-diff --cocci-file "$cocci" \
		--dir "$work/empty.$$" $opts >/dev/null 2>&1; then
		cat "$work/err.$$"
		echo "lint: FAIL coccinelle $name (spatch failed on kvm_compat/)"
	else
		echo "lint: skip coccinelle $name: cannot run: $(tail -n1 "$work/err.$$")"
	fi
	exit 0
fi

# A clean result is remembered for identical inputs (the module and
# selftest sources, the scripts, this one among them, the pinned kernels):
# KVMC_LINT_CACHE=0 forces a full run.
stamp=$(cd "$top" && find Kbuild Kconfig kvm_compat include selftests scripts \
	Documentation/compat.rst -type f \( -name '*.[ch]' -o -name 'Kbuild' -o \
	-name 'Kconfig' -o -name 'Makefile' -o -name '*.sh' -o -name '*.conf' -o \
	-name '*.rst' -o -name '*.awk' -o -path 'scripts/guest/*' \) | LC_ALL=C sort |
	xargs sha256sum | sha256sum | cut -c1-16)
if [ "${KVMC_LINT_CACHE:-1}" = 1 ] && [ -f "$KVMC_CACHE/lint-clean.$stamp" ]; then
	echo "lint: clean (cached: inputs unchanged since the last clean run, $stamp)"
	exit 0
fi
"$top/scripts/deps.sh" build source lint
src=$("$top/scripts/linux-source.sh")
rm -rf "$work"
mkdir -p "$work"
failed=

finding() {
	failed="$failed $1"
	echo "lint: FAIL $1"
}

# 1. W=1 + sparse, from clean so that every file is compiled (and checked);
#    all four builds at once.
pids=
for s in $KVMC_SERIES_ALL; do
	kver=$("$top/scripts/fetch-kernel.sh" "$s")
	for m in y n; do
		# KBUILD_CHECKSRC=2 on the command line: Debian's 7.x headers
		# packages lack scripts/checker-valid.sh, so their Makefile
		# would turn C=2 off (with a make warning, not a "warning:").
		KVMC_BUILD_DIR="$work/build-$kver-$m" "$top/scripts/build-module.sh" \
			"$kver" "$m" W=1 C=2 KBUILD_CHECKSRC=2 CHECK=sparse \
			>/dev/null 2>"$work/build-$kver-$m.err" &
		pids="$pids $!:$kver:$m"
	done
done
for p in $pids; do
	kver=${p#*:} m=${p##*:}
	kver=${kver%:*}
	b="$work/build-$kver-$m"
	if ! wait "${p%%:*}"; then
		cat "$b.err"
		finding "build $kver mode=$m"
	elif grep -iE 'warning:|error:' "$b.log"; then
		finding "W=1/sparse $kver mode=$m"
	elif [ "$(grep -c '^  CHECK .*kvm_compat/[a-z0-9_]*\.c$' "$b.log")" -ne \
	       "$(grep -c '^  CC \[M\]  .*kvm_compat/[a-z0-9_]*\.o$' "$b.log")" ]; then
		grep -i 'sparse\|checker' "$b.log"
		finding "sparse did not check every file: $kver mode=$m"
	else
		echo "lint: ok W=1+sparse $kver mode=$m"
	fi
done

# 2. checkpatch
files=$(cd "$top" && find kvm_compat include -name '*.[ch]' | LC_ALL=C sort)
# shellcheck disable=SC2086
if (cd "$top" && "$src/scripts/checkpatch.pl" --strict --no-tree --quiet \
	--show-types -f $files); then
	echo "lint: ok checkpatch --strict ($(echo "$files" | wc -l) files)"
else
	finding checkpatch
fi

# 3. coccinelle, report mode, as scripts/coccicheck runs each script (with
#    the "// Options:" it asks for), two at a time.
find "$src/scripts/coccinelle/api" "$src/scripts/coccinelle/misc" \
	"$src/scripts/coccinelle/null" "$src/scripts/coccinelle/free" \
	-name '*.cocci' | LC_ALL=C sort >"$work/cocci.list"
xargs -P 2 -n 1 "$0" --cocci-one "$work" <"$work/cocci.list" >"$work/cocci.out" 2>&1 || :
cat "$work/cocci.out"
total=$(wc -l <"$work/cocci.list")
skipped=$(grep -c '^lint: skip coccinelle' "$work/cocci.out" || :)
if grep -q '^lint: FAIL coccinelle' "$work/cocci.out"; then
	finding coccinelle
else
	echo "lint: ok coccinelle ($((total - skipped)) of $total semantic patches ran)"
fi

# 4. Kconfig: parse it under a stub of the symbols it depends on.
conf=$(find /usr/lib/linux-kbuild-6.12* -path "*/scripts/kconfig/conf" 2>/dev/null | head -n1)
[ -n "$conf" ] || kvmc_die "no kconfig conf in /usr/lib/linux-kbuild-6.12*"
kc="$work/kconfig"
mkdir -p "$kc"
cp "$top/Kconfig" "$kc/kvm_compat.Kconfig"
cat >"$kc/Kconfig" <<'EOK'
mainmenu "kvm_compat lint"
config MODULES
	bool
	default y
	modules
config 64BIT
	def_bool y
config X86_64
	def_bool y
config X86
	def_bool y
config COMPAT
	def_bool y
source "kvm_compat.Kconfig"
EOK
if (cd "$kc" && srctree=. KCONFIG_CONFIG=.config "$conf" --allmodconfig Kconfig) \
	>"$kc/log" 2>&1 && ! grep -i 'warning\|error' "$kc/log" &&
   grep -qx 'CONFIG_KVM_COMPAT_REF=m' "$kc/.config" &&
   grep -qx 'CONFIG_KVM_COMPAT_REF_TRANSLATE=y' "$kc/.config"; then
	echo "lint: ok Kconfig ($conf)"
else
	cat "$kc/log"
	grep KVM_COMPAT "$kc/.config" 2>/dev/null || :
	finding Kconfig
fi

# 5. The compat table says what the code does.
# (not "if check | sed": a pipeline's status is sed's)
if "$top/scripts/check-compat-table.sh" >"$work/compat-table.log" 2>&1; then
	sed 's/^/lint: /' "$work/compat-table.log"
	echo "lint: ok compat table"
else
	sed 's/^/lint: /' "$work/compat-table.log"
	finding "compat table"
fi

# 6. checkpatch on the selftests: userspace C against the uapi headers and
#    kselftest_harness.h, as the rest of tools/testing/selftests. Ignored,
#    as rules for kernel code that do not carry over:
#    PREFER_KERNEL_TYPES  u8..u64 are kernel types; userspace has <stdint.h>.
#    VOLATILE             volatile-considered-harmful.rst sends kernel code
#                         to READ_ONCE()/WRITE_ONCE() and atomic_t, which
#                         userspace does not have; C wants volatile
#                         sig_atomic_t for what a signal handler sets, and
#                         the fuzz and stress tests keep what a crashing
#                         child or another thread must see in volatiles.
#    ARCH_DEFINES         which ABI a binary is (__i386__, __ILP32__) is what
#                         the selftests are about; userspace has no CONFIG_.
#    ENOSYS               a rule for the errno kernel code returns; the tests
#                         only name the errnos syscalls gave (kvmc_errname()).
#    MACRO_WITH_FLOW_CONTROL
#                         kselftest_harness.h's ASSERT_*() and SKIP() leave
#                         the test from inside a macro by design: so do the
#                         macros wrapping them (KVMC_OPEN_OR_SKIP()) and
#                         those defining main(), as TEST_HARNESS_MAIN does.
#    MACRO_ARG_REUSE      (a --strict check) the test macros are given
#                         fixture fields and constants, and padding_test's
#                         FIELD() a member name that both offsetof() and
#                         sizeof() need.
ksft_ignore=PREFER_KERNEL_TYPES,VOLATILE,ARCH_DEFINES,ENOSYS
ksft_ignore=$ksft_ignore,MACRO_WITH_FLOW_CONTROL,MACRO_ARG_REUSE
ksft_files=$(cd "$top" && find selftests scripts/guest -name '*.[ch]' |
	LC_ALL=C sort)
# shellcheck disable=SC2086
if (cd "$top" && "$src/scripts/checkpatch.pl" --strict --no-tree --quiet \
	--show-types --ignore "$ksft_ignore" -f $ksft_files); then
	echo "lint: ok checkpatch --strict selftests" \
		"($(echo "$ksft_files" | wc -l) files)"
else
	finding "checkpatch selftests"
fi
# (checkpatch leaves a cache of include/'s CamelCase words here when it
# meets one)
rm -f "$top"/.checkpatch-camelcase.*

# 7. The selftests, -Werror, every ABI of this architecture.
sb="$work/selftests"
if ! make -C "$top/selftests" -j"$(nproc)" OUTPUT="$sb" \
	KSFT_DIR="$src/tools/testing/selftests" USERCFLAGS=-Werror \
	>"$sb.log" 2>&1; then
	grep -E 'warning:|error:' "$sb.log" || tail -n 20 "$sb.log"
	finding "selftests build -Werror"
else
	unbuilt=
	for abi in $ABIS_ALL; do
		while read -r t; do
			if [ ! -x "$sb/${t}_$abi" ]; then
				unbuilt="$unbuilt $abi"
				break
			fi
		done <"$sb/TESTS"
	done
	if [ -n "$unbuilt" ]; then
		grep '^Warning' "$sb.log" || :
		finding "selftests build: no binaries for ABI(s)$unbuilt"
	else
		echo "lint: ok selftests build -Werror (ABIs $ABIS_ALL)"
	fi
fi

# 8. shellcheck: its info and style notes are advice (some flag idioms used
#    here on purpose, e.g. the words of /proc/cmdline); -x follows what the
#    scripts source.
shfiles=$(cd "$top" && for f in scripts/*.sh scripts/guest/* selftests/*.sh; do
	if [ "${f%.sh}" != "$f" ] || head -n1 "$f" | grep -q '^#!.*sh'; then
		echo "$f"
	fi
done)
# shellcheck disable=SC2086
if (cd "$top" && shellcheck -x -S warning $shfiles); then
	echo "lint: ok shellcheck ($(echo "$shfiles" | wc -l) files)"
else
	finding shellcheck
fi

# 9. The ABI audit's findings are answered in compat.rst.
if "$top/scripts/check-compat-findings.sh" >"$work/compat-findings.log" 2>&1; then
	sed 's/^/lint: /' "$work/compat-findings.log"
	echo "lint: ok compat findings"
else
	sed 's/^/lint: /' "$work/compat-findings.log"
	finding "compat findings"
fi

if [ -n "$failed" ]; then
	echo "lint: findings in:$failed"
	exit 1
fi
rm -f "$KVMC_CACHE"/lint-clean.*
touch "$KVMC_CACHE/lint-clean.$stamp"
echo "lint: clean"
