#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Boot one test kernel + initramfs under QEMU (TCG) and capture its serial
# console in a log file:
#   scripts/qemu-run.sh -k KVER -i INITRD -l LOG [-a "CMDLINE WORDS"] [-T SECONDS]
#                       [-b IMAGE]
# -b boots IMAGE (e.g. the debug kernel's bzImage) instead of the cached
# Debian kernel KVER (-k is then only a label).
# The guest powers itself off; a guest still running after SECONDS
# (default $KVMC_BOOT_TIMEOUT or 240) is killed and reported as hung.
# Appends "### kvmc-host qemu rc=N hung=0|1 seconds=S" to the log; exits 0
# only when the guest reached "### kvmc-done".
# KVMC_INTERACTIVE=1 puts the console on this terminal instead (with
# -a kvmc.cmd=shell for a shell in the guest).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/lib.sh"

usage="usage: $0 -k KVER -i INITRD -l LOG [-a WORDS] [-T SECONDS] [-b IMAGE]"
kver='' initrd='' log='' extra='' limit=${KVMC_BOOT_TIMEOUT:-240} kernel=''
while getopts k:i:l:a:T:b: opt; do
	case $opt in
	k) kver=$OPTARG ;;
	i) initrd=$OPTARG ;;
	l) log=$OPTARG ;;
	a) extra=$OPTARG ;;
	T) limit=$OPTARG ;;
	b) kernel=$OPTARG ;;
	*) kvmc_die "$usage" ;;
	esac
done
[ -n "$kver" ] && [ -n "$initrd" ] && [ -n "$log" ] ||
	kvmc_die "$usage"
[ -n "$kernel" ] || kernel="$KVMC_CACHE/kernels/$kver/boot/vmlinuz-$kver"
[ -f "$kernel" ] || kvmc_die "no $kernel: run scripts/fetch-kernel.sh"

cmdline="console=$CONSOLE panic=-1 quiet loglevel=1 $CMDLINE_EXTRA $extra"
mkdir -p "$(dirname "$log")"

if [ "${KVMC_INTERACTIVE:-0}" = 1 ]; then
	# shellcheck disable=SC2086
	exec $QEMU $QEMU_ARGS -nodefaults -no-reboot -display none \
		-serial mon:stdio -kernel "$kernel" -initrd "$initrd" -append "$cmdline"
fi

start=$(kvmc_now)
rc=0
# shellcheck disable=SC2086
timeout -k 5 "$limit" $QEMU $QEMU_ARGS -nodefaults -no-reboot -display none \
	-monitor none -serial "file:$log" \
	-kernel "$kernel" -initrd "$initrd" -append "$cmdline" \
	</dev/null >"$log.qemu" 2>&1 || rc=$?
secs=$(($(kvmc_now) - start))
hung=0
[ "$rc" -eq 124 ] || [ "$rc" -eq 137 ] && hung=1
printf '\n### kvmc-host qemu rc=%s hung=%s seconds=%s\n' "$rc" "$hung" "$secs" >>"$log"
grep -q '^### kvmc-done' "$log"
