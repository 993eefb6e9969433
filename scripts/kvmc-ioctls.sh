#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# What kvm_compat implements and translates, read from its sources (the
# "case KVM_...:" labels, as scripts/check-compat-table.sh reads them):
#   scripts/kvmc-ioctls.sh
# prints "impl NAME" for every ioctl a native handler (dev.c, vm.c,
# vcpu.c, x86.c) implements, "refused NAME" for one whose case only
# returns an errno (upstream's answer without the feature, e.g.
# KVM_MEMORY_ENCRYPT_OP on a vCPU fd with kvm-amd), plus "impl kvm_run" (the
# vCPU mmap), and
# "trans NAME" for every ioctl a compat handler (compat_ioctl.c,
# x86_compat_ioctl.c) has its own case for; KVMC_<NAME>_COMPAT counts for
# KVM_<NAME>; and "run NAME" for every member of struct kvm_run its
# sources use ("run->NAME"): the exits it can produce.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
src="$top/kvm_compat"

# Every "case KVM_X:" label of the files, as "impl X", or "refused X" when
# the first statement after its labels (and any comment) is
# "return -E...;"; a name implemented by one handler and refused by
# another is "impl".  The class is by name, not by fd: the audit's rows
# for another fd than the case's get it too.
cases() {
	awk '
	function flush(kind,    i) {
		for (i = 1; i <= n; i++)
			print kind " " pend[i]
		n = 0
	}
	function kind(stmt) {
		return stmt ~ /^[[:space:]]*return -E[A-Z0-9]+;/ ? "refused" : "impl"
	}
	/^[[:space:]]*case KVM_[A-Z0-9_]*:/ || /^[[:space:]]*case KVMC_[A-Z0-9_]*_COMPAT:/ {
		name = $0
		sub(/^[[:space:]]*case /, "", name)
		sub(/:.*/, "", name)
		if (name ~ /^KVMC_/) {
			sub(/^KVMC_/, "KVM_", name)
			sub(/_COMPAT$/, "", name)
		}
		if (name ~ /^KVM_CAP_/)
			next
		pend[++n] = name
		rest = $0
		sub(/^[^:]*:[[:space:]]*/, "", rest)
		sub(/[[:space:]]*(\/\*.*|\/\/.*)$/, "", rest)
		if (rest != "")
			flush(kind(rest))
		next
	}
	n && (/^[[:space:]]*(\/\*|\*|\/\/)/ || /^[[:space:]]*$/) { next }
	n { flush(kind($0)) }
	' "$@" |
		awk '{ k[$2] = (k[$2] == "impl" || $1 == "impl") ? "impl" : $1 }
		     END { for (n in k) print k[n] " " n }' | sort -u
}

cases "$src/dev.c" "$src/vm.c" "$src/vcpu.c" "$src/x86.c"
grep -q 'kvmc_vcpu_mmap' "$src/vcpu.c" && echo "impl kvm_run"
cases "$src/compat_ioctl.c" "$src/x86_compat_ioctl.c" | sed 's/^[a-z]* /trans /'
# The members of struct kvm_run it uses (its exits among them).
cat "$src"/*.c | grep -o 'run->[a-z_0-9]*' | sed 's/^run->/run /' | sort -u
