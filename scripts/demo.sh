#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# "make demo": boot the 6.12 kernel three times and show, per ABI, what a
# process sees when it uses /dev/kvm_compat:
#   1. translate=y                      compat (32-bit) callers are served
#   2. translate=n                      compat callers are refused
#   3. translate=y, ia32_emulation=0    the kernel runs no ia32 binary at all
# The lines are the demo program's (selftests/kvm_compat_demo.c); boot
# noise is left in the logs, .cache/results/demo/.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/lib.sh"

"$top/scripts/deps.sh" build source qemu
kver=$("$top/scripts/fetch-kernel.sh" 6.12)
out="$KVMC_CACHE/results/demo"
rm -rf "$out"
mkdir -p "$out"

kvmc_log "building the module (translate=y and n) and the demo program"
"$top/scripts/build-selftests.sh" >"$out/selftests.dir" &
st=$!
"$top/scripts/build-module.sh" "$kver" y >"$out/ko-y" &
by=$!
"$top/scripts/build-module.sh" "$kver" n >"$out/ko-n" &
bn=$!
wait "$st" || kvmc_die "selftests build failed"
wait "$by" || kvmc_die "module build (translate=y) failed"
wait "$bn" || kvmc_die "module build (translate=n) failed"
tests=$(cat "$out/selftests.dir")
if ! ls "$tests"/kvm_compat_demo_* >/dev/null 2>&1; then
	kvmc_log "WARNING: selftests built no kvm_compat_demo_* (selftests/kvm_compat_demo.c);" \
		"the guest will say so for every ABI"
fi
for m in y n; do
	# No tests in the demo's initramfs: only the demo programs.
	TESTS=kvmc-no-tests "$top/scripts/mkinitramfs.sh" -k "$kver" -K "$(cat "$out/ko-$m")" \
		-m "$m" -t "$tests" -o "$out/initramfs-$m.cpio.gz" &
done
wait

kvmc_log "booting $kver three times (TCG, a few seconds each)"
"$top/scripts/qemu-run.sh" -k "$kver" -i "$out/initramfs-y.cpio.gz" -l "$out/1.log" \
	-a kvmc.cmd=demo >/dev/null 2>&1 &
p1=$!
"$top/scripts/qemu-run.sh" -k "$kver" -i "$out/initramfs-n.cpio.gz" -l "$out/2.log" \
	-a kvmc.cmd=demo >/dev/null 2>&1 &
p2=$!
"$top/scripts/qemu-run.sh" -k "$kver" -i "$out/initramfs-y.cpio.gz" -l "$out/3.log" \
	-a "kvmc.cmd=demo ia32_emulation=0" >/dev/null 2>&1 &
p3=$!
status=0
wait "$p1" || status=1
wait "$p2" || status=1
wait "$p3" || status=1

# Print one scenario from its serial log.
report() {
	local log=$1 title=$2
	echo
	echo "== $title"
	if ! grep -q '^### kvmc-done' <(tr -d '\r' <"$log"); then
		echo "   the guest did not finish; last lines of $log:"
		tr -d '\r' <"$log" | tail -n 15 | sed 's/^/   | /'
		return
	fi
	tr -d '\r' <"$log" | awk '
		function label(w) {
			if (w == "64") return "x86_64"
			if (w == "32") return "ia32"
			if (w == "x32") return "x32"
			if (w == "inherit") return "x86_64 hands its fds to ia32/x32 (--inherit)"
			return w
		}
		/^### kvmc-setup / {
			for (i = 3; i <= NF; i++) if ($i ~ /^compat_dev=/ && $i != "compat_dev=present")
				print "   /dev/kvm_compat did not appear (module failed to load)"
		}
		/^### kvmc-demo-begin / { on = 1; n = 0; what = $3; next }
		/^### kvmc-demo-end / {
			on = 0; rc = $4; sub(/^rc=/, "", rc)
			printf "   %s:\n", label(what)
			if (rc == 126 && refused) {
				print "      exec refused: ENOEXEC (Exec format error)"
			} else {
				for (i = 1; i <= n; i++) print "      " line[i]
				if (rc != 0) printf "      (exit status %s)\n", rc
			}
			refused = 0
			next
		}
		on && /Exec format error/ { refused = 1; next }
		on { line[++n] = $0 }
	'
}

report "$out/1.log" "1. translate=y: /dev/kvm_compat serves 32-bit (ia32, x32) callers, as KVM does"
report "$out/2.log" "2. translate=n: no .compat_ioctl, 32-bit callers are refused"
report "$out/3.log" "3. translate=y, booted with ia32_emulation=0: ia32 binaries cannot even run"
echo
echo "(serial logs: $out/{1,2,3}.log)"
exit "$status"
