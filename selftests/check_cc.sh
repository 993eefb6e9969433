#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Probe whether "$CC" can build a static program for one userspace ABI:
#   ./check_cc.sh CC [FLAGS...]      e.g. ./check_cc.sh gcc -m32
# Prints 1 if it can, 0 if it cannot (the Makefile then skips that ABI).
# The probe includes the uapi headers the tests need (<linux/kvm.h> pulls in
# <asm/kvm.h>), so a missing <asm/...> for -m32/-mx32 counts as "cannot".

cc=$1
shift
tmp=$(mktemp -d "${TMPDIR:-/tmp}/kvmc-cc.XXXXXX") || { echo 0; exit 0; }
trap 'rm -rf "$tmp"' EXIT

cat >"$tmp/probe.c" <<'EOC'
#include <linux/kvm.h>
#include <pthread.h>
#include <stdio.h>

int main(void)
{
	printf("%d\n", KVM_API_VERSION + (int)sizeof(struct kvm_regs));
	return 0;
}
EOC

if [ -n "$cc" ] && $cc "$@" -static -pthread -o "$tmp/probe" "$tmp/probe.c" \
	>/dev/null 2>&1; then
	echo 1
else
	echo 0
fi
exit 0
