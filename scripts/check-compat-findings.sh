#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Documentation/compat.rst answers every finding of the ABI audit for what
# kvm_compat implements (part of make lint):
#   scripts/check-compat-findings.sh [FINDINGS]
# Runs the audit on x86 for the series present on this machine (or reads
# FINDINGS, scripts/abi-findings.awk's rows) and checks the table under
# "Audit findings" in compat.rst: one row per (ioctl, finding, where) of
# an ioctl (or kvm_run) that kvm_compat implements, for the findings that
# need an answer (number, size, offset, pointer, long, address,
# compat-case), "where" being the member's name (or the record's, without
# "struct "); no row for an ioctl kvm_compat does not implement; and the
# last column starting with "translated" exactly when kvm_compat's compat
# handlers have a case for the ioctl. Prints what disagrees; exit 1 if
# anything does.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
doc="$top/Documentation/compat.rst"
work=$(mktemp -d "${TMPDIR:-/tmp}/kvmc-findings.XXXXXX")
trap 'rm -rf "$work"' EXIT

if [ $# -eq 1 ]; then
	cp "$1" "$work/findings"
else
	mkdir -p "$work/run"
	KVMC_AUDIT_ARCHS=x86 KVMC_AUDIT_RUN="$work/run" \
		"$top/scripts/abi-audit.sh" -n >"$work/audit.log" 2>&1 || :
	if [ ! -s "$work/run/findings" ]; then
		cat "$work/audit.log"
		echo "compat findings: the audit produced no findings"
		exit 1
	fi
	cp "$work/run/findings" "$work/findings"
	grep '^abi-audit: skipped' "$work/audit.log" || :
fi
"$top/scripts/kvmc-ioctls.sh" >"$work/kvmc"

# The table: rows "IOCTL  finding  where  answer..." after the marker.
awk '/^\.\. The audit.s findings table/ { on = 1; next }
on && /^=+ / { rule++; if (rule == 3) exit; next }
on && rule == 2 && /^(KVM_[A-Z0-9_]+|kvm_run) / {
	ans = $0; sub(/^[^ ]+ +[^ ]+ +[^ ]+ +/, "", ans)
	w = $3; if (w == "\\-") w = "-"
	print $1 "\t" $2 "\t" w "\t" ans
}' "$doc" >"$work/rows"

awk -F'\t' -v doc="${doc#"$top"/}" '
FILENAME == ARGV[1] {
	split($0, w, " ")
	if (w[1] == "impl" || w[1] == "refused") impl[w[2]] = 1
	if (w[1] == "trans") trans[w[2]] = 1
	next
}
FILENAME == ARGV[2] {
	row[$1, $2, $3] = 1
	ans[$1] = ans[$1] "\n" $4
	rows[++nrows] = $1 "\t" $2 "\t" $3 "\t" $4
	next
}
$1 == "find" && ($4 in impl) && $3 ~ /^x86_64\// &&
    $5 ~ /^(number|size|offset|pointer|long|address|compat-case)$/ {
	wh = $6
	if (wh ~ /\./) sub(/.*\./, "", wh)
	sub(/^(struct|union) /, "", wh)
	k = $4 SUBSEP $5 SUBSEP wh
	if (!(k in need)) { need[k] = 1; order[++n] = k }
}
END {
	bad = 0
	for (i = 1; i <= n; i++) {
		if (order[i] in row) continue
		split(order[i], f, SUBSEP)
		printf "compat findings: %s has no row for \"%s %s\" in %s\n", f[1], f[2], f[3], doc
		bad = 1
	}
	for (i = 1; i <= nrows; i++) {
		split(rows[i], f, "\t")
		if (!(f[1] in impl)) {
			printf "compat findings: row for %s, which kvm_compat does not implement\n", f[1]
			bad = 1
		} else if ((f[1] in trans) != (f[4] ~ /^translated/)) {
			printf "compat findings: %s %s says \"%s\" but kvm_compat %s it\n", f[1], f[2],
				f[4], (f[1] in trans) ? "translates" : "does not translate"
			bad = 1
		}
	}
	if (!bad)
		printf "compat findings: %d findings for what kvm_compat implements, each answered in %s\n", n, doc
	exit bad
}' "$work/kvmc" "$work/rows" "$work/findings"
