#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Check the per-ioctl table of Documentation/compat.rst against the code:
# every ioctl a native handler implements ("case KVM_...:" in dev.c, vm.c,
# vcpu.c and the architecture's files, capabilities aside) has a row, every
# row is implemented, and a row says "translated" exactly when a compat
# handler has its own case for the ioctl. Prints what disagrees; exit 1 if
# anything does.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
src="$top/kvm_compat"
doc="$top/Documentation/compat.rst"

# ioctl case labels: KVM_* (capabilities aside) and the compat numbers
# kvm_compat defines itself, KVMC_*_COMPAT, named by their native ioctl.
cases() {
	sed -n -e 's/^[[:space:]]*case \(KVM_[A-Z0-9_]*\):.*/\1/p' \
	       -e 's/^[[:space:]]*case KVMC_\([A-Z0-9_]*\)_COMPAT:.*/KVM_\1/p' "$@" |
		grep -v '^KVM_CAP_' | sort -u
}

native=$(cases "$src/dev.c" "$src/vm.c" "$src/vcpu.c" "$src/x86.c")
translated=$(cases "$src/compat_ioctl.c" "$src/x86_compat_ioctl.c")
rows=$(sed -n 's/^\(KVM_[A-Z0-9_]*\)  *[a-z/]*  *\(translated\|passed\)  .*/\1 \2/p' "$doc")

bad=0
for i in $native; do
	row=$(printf '%s\n' "$rows" | awk -v i="$i" '$1 == i { print $2 }')
	want=passed
	printf '%s\n' "$translated" | grep -qx "$i" && want=translated
	if [ -z "$row" ]; then
		echo "compat table: $i is implemented but has no row in $doc"
		bad=1
	elif [ "$row" != "$want" ]; then
		echo "compat table: $i says '$row' but the code makes it '$want'"
		bad=1
	fi
done
for i in $(printf '%s\n' "$rows" | awk '{ print $1 }'); do
	printf '%s\n' "$native" | grep -qx "$i" && continue
	echo "compat table: $i has a row but no native handler implements it"
	bad=1
done
for i in $translated; do
	printf '%s\n' "$native" | grep -qx "$i" && continue
	echo "compat table: $i is translated but no native handler implements it"
	bad=1
done
[ "$bad" = 0 ] && echo "compat table: $(printf '%s\n' "$rows" | wc -l) ioctls, matches the code"
exit "$bad"
