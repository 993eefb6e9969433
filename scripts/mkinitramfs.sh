#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Build the test guest's initramfs (newc cpio, gzip):
#   scripts/mkinitramfs.sh -k KVER -K KO -m MODE -t TESTDIR -o OUT.cpio.gz [-N]
#     -k KVER     kernel release; oracle modules come from
#                 .cache/kernels/KVER/lib/modules/KVER (scripts/fetch-kernel.sh)
#     -K KO       the kvm_compat.ko built for KVER
#     -m MODE     y|n, the module's CONFIG_KVM_COMPAT_REF_TRANSLATE
#     -t TESTDIR  selftests output dir (binaries + TESTS list)
#     -o OUT      initramfs to write
#     -N          no oracle modules (a kernel without them, e.g. the debug
#                 kernel of scripts/check-debug.sh: -k is then only a label)
# Filters (environment): TESTS="name ..." keeps those tests, ABIS="64 32"
# keeps those ABIs (default: the arch's ABIS).
# Contents: busybox-static and its applet links in /bin, /init
# (scripts/guest/init), the runners (scripts/guest/run-*.sh), /etc/kvmc.conf,
# /lib/kvmc/kvm_compat.ko, /lib/kvmc/oracle/*.ko (decompressed, listed in
# load order in /lib/kvmc/oracle.list), /tests/.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/lib.sh"

usage="usage: $0 -k KVER -K KO -m y|n -t TESTDIR -o OUT [-N]"
kver='' ko='' mode='' tests='' out='' oracle=$ORACLE_MODULES
while getopts k:K:m:t:o:N opt; do
	case $opt in
	k) kver=$OPTARG ;;
	K) ko=$OPTARG ;;
	m) mode=$OPTARG ;;
	t) tests=$OPTARG ;;
	o) out=$OPTARG ;;
	N) oracle= ;;
	*) kvmc_die "$usage" ;;
	esac
done
[ -n "$kver" ] && [ -n "$ko" ] && [ -n "$mode" ] && [ -n "$tests" ] && [ -n "$out" ] ||
	kvmc_die "$usage"
moddir="$KVMC_CACHE/kernels/$kver/lib/modules/$kver"
[ -z "$oracle" ] || [ -f "$moddir/modules.dep" ] || kvmc_die "no $moddir/modules.dep: run scripts/fetch-kernel.sh"
[ -f "$ko" ] || kvmc_die "no module $ko"
[ -f "$tests/TESTS" ] || kvmc_die "no $tests/TESTS (selftests not built?)"
busybox=$(command -v busybox) || kvmc_die "no busybox (scripts/deps.sh qemu)"

stage=$(mktemp -d "${TMPDIR:-/tmp}/kvmc-initramfs.XXXXXX")
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/bin" "$stage/etc" "$stage/lib/kvmc/oracle" "$stage/tests" \
	"$stage/proc" "$stage/sys" "$stage/dev" "$stage/tmp" "$stage/root"
ln -s bin "$stage/sbin"

cp "$busybox" "$stage/bin/busybox"
for applet in $("$busybox" --list); do
	[ "$applet" = busybox ] || ln -s busybox "$stage/bin/$applet"
done
install -m 0755 "$top/scripts/guest/init" "$stage/init"
install -m 0755 "$top/scripts/guest/run-tests.sh" "$stage/bin/kvmc-run-tests"
install -m 0755 "$top/scripts/guest/run-demo.sh" "$stage/bin/kvmc-run-demo"
install -m 0755 "$top/scripts/guest/run-bench.sh" "$stage/bin/kvmc-run-bench"
install -m 0755 "$top/scripts/guest/run-debug.sh" "$stage/bin/kvmc-run-debug"
install -m 0755 "$top/scripts/guest/run-fuzz.sh" "$stage/bin/kvmc-run-fuzz"
install -m 0755 "$top/scripts/guest/run-kselftest.sh" "$stage/bin/kvmc-run-kselftest"
install -m 0755 "$top/scripts/guest/run-xkernel.sh" "$stage/bin/kvmc-xkernel"
# Built for the host's own (64-bit) ABI: it must run in every boot.
${CC:-gcc} -static -O2 -Wall -o "$stage/bin/kvmc-exec" "$top/scripts/guest/kvmc-exec.c"

# Oracle modules in load order: modules.dep lists a module's whole
# dependency closure, deepest last, so load it reversed, then the module.
norm() { printf '%s\n' "$1" | sed 's,.*/,,; s,\.ko.*$,,; s,-,_,g'; }
: >"$stage/lib/kvmc/oracle.list"
for m in $oracle; do
	want=$(norm "$m")
	line=$(awk -v want="$want" '{
		n = $1; sub(/:$/, "", n); sub(/.*\//, "", n); sub(/\.ko.*$/, "", n)
		gsub(/-/, "_", n)
		if (n == want) { print; exit }
	}' "$moddir/modules.dep")
	if [ -z "$line" ]; then
		kvmc_log "note: oracle module $m not in $kver modules.dep (built in?)"
		continue
	fi
	order=
	for d in ${line#*:}; do order="$d $order"; done
	for path in $order ${line%%:*}; do
		name=$(norm "$path").ko
		grep -qx "$name" "$stage/lib/kvmc/oracle.list" && continue
		case $path in
		*.ko.xz) xz -dc "$moddir/$path" >"$stage/lib/kvmc/oracle/$name" ;;
		*.ko.zst) zstd -qdc "$moddir/$path" >"$stage/lib/kvmc/oracle/$name" ;;
		*.ko.gz) gzip -dc "$moddir/$path" >"$stage/lib/kvmc/oracle/$name" ;;
		*) cp "$moddir/$path" "$stage/lib/kvmc/oracle/$name" ;;
		esac
		echo "$name" >>"$stage/lib/kvmc/oracle.list"
	done
done

cp "$ko" "$stage/lib/kvmc/kvm_compat.ko"

abis=${ABIS:-$ABIS_ALL}
for name in $(cat "$tests/TESTS"); do
	if [ -n "${TESTS:-}" ]; then
		case " $TESTS " in *" $name "*) ;; *) continue ;; esac
	fi
	echo "$name" >>"$stage/tests/TESTS"
	for abi in $abis; do
		[ -f "$tests/${name}_$abi" ] && cp "$tests/${name}_$abi" "$stage/tests/"
	done
done
touch "$stage/tests/TESTS"
# Programs that are not tests (the demo, the benchmark) are copied when
# present.
for f in "$tests"/kvm_compat_demo_* "$tests"/compat_bench_*; do
	[ -f "$f" ] && cp "$f" "$stage/tests/"
done

expect_oracle=n
[ -n "$oracle" ] && expect_oracle=y
cat >"$stage/etc/kvmc.conf" <<EOC
KVMC_MODE=$mode
ORACLE_COMPAT=$ORACLE_COMPAT
KVMC_ABIS="$abis"
KVMC_EXPECT_ORACLE=$expect_oracle
KVMC_TEST_TIMEOUT=${KVMC_TEST_TIMEOUT:-90}
EOC

mkdir -p "$(dirname "$out")"
(cd "$stage" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) |
	gzip -1 >"$out.tmp"
mv "$out.tmp" "$out"
