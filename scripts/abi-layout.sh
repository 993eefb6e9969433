#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# What one userspace ABI sees of <linux/kvm.h>, read from the compiler
# without running anything (so any target clang knows will do):
#   scripts/abi-layout.sh INCDIR TARGET OUT.tsv
# INCDIR: installed uapi headers (scripts/uapi-headers.sh); TARGET: a clang
# target triple (x86_64-linux-gnu, i386-linux-gnu, x86_64-linux-gnux32,
# aarch64-linux-gnu, armv7a-linux-gnueabihf). Writes OUT.tsv, read by
# scripts/abi-layout.awk's caller (scripts/abi-findings.awk):
#   abi     ptr=<sizeof(void *)> long=<sizeof(long)>
#   ioctl   NAME NUMBER TYPE      every ioctl macro (from -dM), its value as
#                                 the compiler computes it, and the type of
#                                 its argument ("-" for _IO)
#   rec     TYPE SIZE ALIGN       every record laid out (clang's
#                                 -fdump-record-layouts)
#   mem     TYPE INDEX OFFSET NAME MTYPE   its direct members
#   pad     TYPE BYTES WHERE      implicit padding (clang's -Wpadded)
#   defined TYPE FILE             records defined in linux/kvm.h, asm/kvm.h
#   note    TEXT                  what had to be worked around
# The ioctl list comes from the preprocessor: every macro whose expansion
# is an _IO/_IOR/_IOW/_IOWR (directly or through another macro). An ioctl
# whose argument type does not exist (deprecated numbers kept only as
# values) is listed with the type "?" and no number.
set -eu

[ $# -eq 3 ] || { echo "usage: $0 INCDIR TARGET OUT.tsv" >&2; exit 2; }
inc=$1 target=$2 out=$3
work=$(mktemp -d "${TMPDIR:-/tmp}/kvmc-layout.XXXXXX")
trap 'rm -rf "$work"' EXIT

# arm64's <asm/ptrace.h> (pulled in by <asm/kvm.h>) uses __uint128_t
# (__u128 from 6.x on, which <linux/types.h> defines only where the
# compiler has __int128): 32-bit targets have neither. Stand in a 16-byte,
# 16-aligned record, as the type is on arm64, and say so.
cat >"$work/pre.h" <<'EOF'
#if !defined(__SIZEOF_INT128__)
typedef struct { unsigned long long __kvmc_half[2]; } __attribute__((aligned(16))) __kvmc_u128;
#define __uint128_t __kvmc_u128
typedef __kvmc_u128 __u128;
typedef __kvmc_u128 __s128;
#endif
EOF
cc="clang --target=$target -nostdinc -I $inc -include $work/pre.h -Wno-everything -ferror-limit=0"
printf '#include <linux/kvm.h>\n' >"$work/in.c"

if ! $cc -E "$work/in.c" -o "$work/pre.i" 2>"$work/err"; then
	cat "$work/err" >&2
	exit 1
fi
$cc -dM -E "$work/in.c" >"$work/macros"
: >"$out"
if ! $cc -dM -E -x c /dev/null | grep -q '__SIZEOF_INT128__'; then
	grep -rqw '__uint128_t\|__u128' "$inc/asm" &&
		printf 'note\t%s\n' "__uint128_t/__u128 do not exist for $target: the headers do not compile as they are; a 16-byte, 16-aligned stand-in was used" >>"$out"
fi

# Ioctl macros: the expansion starts with _IO*( or is another ioctl macro.
awk '$1 == "#define" && $2 ~ /^[A-Za-z_][A-Za-z0-9_]*$/ {
	name = $2; body = $0
	sub(/^#define[ \t]+[A-Za-z0-9_]+[ \t]*/, "", body)
	def[name] = body; order[++n] = name
}
END {
	do {
		changed = 0
		for (i = 1; i <= n; i++) {
			m = order[i]; b = def[m]
			if (m in ioc) continue
			if (b ~ /^_IO(R|W|WR)?[ \t]*\(/ || (b in ioc)) { ioc[m] = 1; changed = 1 }
		}
	} while (changed)
	for (i = 1; i <= n; i++)
		if ((order[i] in ioc) && order[i] !~ /^_/) print order[i]
}' "$work/macros" >"$work/ioctls"

# The argument type of each: expand it with _IOC_TYPECHECK() marked.
{
	printf '#include <linux/kvm.h>\n#undef _IOC_TYPECHECK\n'
	printf '#define _IOC_TYPECHECK(t) @KVMCT( t )KVMCT@\n'
	while read -r i; do printf '"%s" %s\n' "$i" "$i"; done <"$work/ioctls"
} >"$work/types.c"
$cc -E -P "$work/types.c" 2>/dev/null |
	sed -n 's/^"\([A-Za-z0-9_]*\)" .*@KVMCT( *\(.*[^ ]\) *)KVMCT@.*/\1\t\2/p' >"$work/types"

# Records defined in the two KVM headers (named ones, at any depth).
awk '/^# [0-9]+ "/ { f = $3; gsub(/"/, "", f); next }
f ~ /\/(linux|asm)\/kvm\.h$/ && match($0, /(struct|union)[ \t]+[A-Za-z_][A-Za-z0-9_]*[ \t]*\{/) {
	s = substr($0, RSTART, RLENGTH); sub(/[ \t]*\{$/, "", s); gsub(/[ \t]+/, " ", s)
	h = f; sub(/.*\/(linux|asm)\//, "", h); d = f; sub(/\/[^\/]*$/, "", d); sub(/.*\//, "", d)
	if (!(s in seen)) { seen[s] = 1; print s "\t" d "/" h }
}' "$work/pre.i" >"$work/defined"

# One C file: each ioctl's value as an assembler string, and a sizeof of
# every type, so that clang lays every record out (and dumps it).
gen() {
	printf '#include <linux/kvm.h>\n'
	printf '#define KVMC_N(n, v) __asm__ volatile("\\n.ascii \\"@@kvmc %%0 " n "\\"" :: "n"((unsigned int)(v)))\n'
	printf 'void kvmc_values(void);\nvoid kvmc_values(void)\n{\n'
	printf '\tKVMC_N("abi_ptr", sizeof(void *));\n\tKVMC_N("abi_long", sizeof(long));\n'
	while read -r i; do
		printf '\tKVMC_N("ioctl %s", %s);\n' "$i" "$i"
	done <"$work/ioctls.ok"
	printf '}\n'
	n=0
	cut -f2 "$work/types.ok" | cat - "$work/defined.t" | sort -u | while read -r t; do
		n=$((n + 1))
		printf 'unsigned int kvmc_sz_%d = sizeof(%s);\n' "$n" "$t"
	done
}
cp "$work/ioctls" "$work/ioctls.ok"
cp "$work/types" "$work/types.ok"
cut -f1 "$work/defined" >"$work/defined.t"
# Drop what does not compile (deprecated ioctls whose type is gone), at
# most a few rounds.
for round in 1 2 3 4; do
	gen >"$work/all.c"
	if $cc -S -o "$work/all.s" -Wpadded -Xclang -fdump-record-layouts \
		"$work/all.c" >"$work/dump" 2>"$work/err"; then
		break
	fi
	bad=$(sed -n 's/^[^:]*all\.c:\([0-9]*\):[0-9]*: error:.*/\1/p' "$work/err" | sort -un)
	if [ -z "$bad" ] || [ "$round" = 4 ]; then
		cat "$work/err" >&2
		exit 1
	fi
	for l in $bad; do
		line=$(sed -n "${l}p" "$work/all.c")
		case $line in
		*'KVMC_N("ioctl '*)
			i=$(echo "$line" | sed 's/.*"ioctl \([A-Za-z0-9_]*\)".*/\1/')
			grep -vx "$i" "$work/ioctls.ok" >"$work/t" || :
			mv "$work/t" "$work/ioctls.ok"
			printf 'ioctl\t%s\t-\t?\n' "$i" >>"$work/dropped"
			;;
		*'sizeof('*)
			t=$(echo "$line" | sed 's/.*sizeof(\(.*\));$/\1/')
			awk -F'\t' -v t="$t" '$2 != t' "$work/types.ok" >"$work/t"
			mv "$work/t" "$work/types.ok"
			grep -vxF "$t" "$work/defined.t" >"$work/t" || :
			mv "$work/t" "$work/defined.t"
			;;
		esac
	done
done

# Values from the assembler strings ("$123" on x86, "#123" on arm).
sed -n 's/.*@@kvmc [$#]*\(-*[0-9][0-9]*\) \(.*\)".*/\2 \1/p' "$work/all.s" |
awk -v types="$work/types.ok" '
BEGIN { while ((getline l < types) > 0) { split(l, a, "\t"); ty[a[1]] = a[2] } }
{
	v = $NF + 0; if (v < 0) v += 4294967296
	if ($1 == "abi_ptr") ptr = v
	else if ($1 == "abi_long") lng = v
	else if ($1 == "ioctl") printf "ioctl\t%s\t0x%08x\t%s\n", $2, v, ($2 in ty) ? ty[$2] : "-"
}
END { printf "abi\tptr=%d long=%d\n", ptr, lng }' >>"$out"
[ -f "$work/dropped" ] && cat "$work/dropped" >>"$out"
awk -F'\t' '{ printf "defined\t%s\t%s\n", $1, $2 }' "$work/defined" >>"$out"

# Record layouts and padding; anonymous records are named by header:line.
short='s/\((anonymous|unnamed)( [a-z]+)? at [^:)]*\/(linux|asm)\/([a-z_0-9]+\.h):([0-9]+):[0-9]+\)/(anonymous at \3\/\4:\5)/g'
sed -E "$short" "$work/dump" | awk '
/^\*\*\* Dumping AST Record Layout/ { state = 1; next }
state == 0 { next }
{
	split($0, part, "|"); off = part[1]; gsub(/ /, "", off)
	rest = substr($0, index($0, "|") + 1)
}
state == 1 {
	sub(/^ +/, "", rest); name = rest; state = 2; idx = 0; next
}
rest ~ /^ *\[sizeof=/ {
	s = rest; sub(/.*sizeof=/, "", s); sub(/[^0-9].*/, "", s)
	a = rest; sub(/.*align=/, "", a); sub(/[^0-9].*/, "", a)
	printf "rec\t%s\t%s\t%s\n", name, s, a
	state = 0; next
}
state == 2 {
	m = match(rest, /^ */); ind = RLENGTH
	if (ind != 3) next
	t = substr(rest, 4); sub(/ +$/, "", t)
	if (t ~ /\)$/ && t ~ /^(struct|union) /) { mname = "-"; mtype = t }
	else {
		mname = t; sub(/.* \**/, "", mname)
		mtype = substr(t, 1, length(t) - length(mname)); sub(/ +$/, "", mtype)
	}
	printf "mem\t%s\t%d\t%s\t%s\t%s\n", name, idx++, off, mname, mtype
}' >>"$out"
sed -E "$short" "$work/err" | awk '
/warning: padding (struct|size of)/ {
	l = $0; sub(/.*warning: /, "", l)
	if (match(l, /^padding size of .* with [0-9]+ bytes? to alignment boundary/)) {
		t = l; sub(/^padding size of \047/, "", t); sub(/\047 with .*/, "", t)
		b = l; sub(/.* with /, "", b); sub(/ .*/, "", b)
		printf "pad\t%s\t%s\t(tail)\n", t, b
	} else if (match(l, /^padding struct \047.*\047 with [0-9]+ bytes? to align /)) {
		t = l; sub(/^padding struct \047/, "", t); sub(/\047 with .*/, "", t)
		b = l; sub(/.* with /, "", b); sub(/ .*/, "", b)
		f = l; sub(/.* to align /, "", f); sub(/ \[-Wpadded\].*/, "", f); gsub(/\047/, "", f)
		printf "pad\t%s\t%s\t%s\n", t, b, f
	}
}' | sort -u >>"$out"
