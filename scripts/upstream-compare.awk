# SPDX-License-Identifier: GPL-2.0
#
# Two runs of the same selftests in the same guest, /dev/kvm being
# upstream KVM built without and then with the patch series of upstream/
# (make upstream-check), compared case by case:
#   awk -v divergences=Documentation/divergences.rst \
#       -f scripts/upstream-compare.awk UNPATCHED/cases.tsv PATCHED/cases.tsv
# cases.tsv is scripts/results.awk's (status, boot, ABI, device, binary,
# test, why). A "diff" is a test whose /dev/kvm and /dev/kvm_compat
# outcomes differ, as results.awk prints them; a documented one is named
# on a ":Tests:" line of the divergences document. A section there with an
# ":Upstream fix:" line says the series removes its differences.
# The rules: every case has the same outcome in both runs, except the
# /dev/kvm cases of those sections, which go from the expected failure the
# test reports (txfail) to pass; each of those sections' diffs in the
# unpatched run is gone in the patched one ("resolved"), and each section
# had one. Prints a line per resolved diff, per diff left as it was and
# per broken rule ("NEW: ..."), then
#   compare: R documented differences resolved, N new differences
# (N: cases whose outcome changed otherwise, claimed diffs not resolved or
# not shown), exit status 1 when N > 0.

function load_divergences(file,    line, n, i, items, w, tests, nt, fix) {
	nt = 0; fix = ""
	while ((getline line < file) > 0) {
		if (line ~ /^(---|===)/) {
			flush_section(tests, nt, fix)
			nt = 0; fix = ""
		} else if (line ~ /^:Tests:/) {
			sub(/^:Tests: */, "", line)
			n = split(line, items, / *, */)
			for (i = 1; i <= n; i++) {
				split(items[i], w, " ")
				tests[++nt] = w[1] " " w[2]
				documented[w[1] " " w[2]] = 1
			}
		} else if (line ~ /^:Upstream fix:/) {
			fix = line
			sub(/^:Upstream fix: */, "", fix)
		}
	}
	flush_section(tests, nt, fix)
	close(file)
}

function flush_section(tests, nt,  fix,    i) {
	if (fix == "")
		return
	for (i = 1; i <= nt; i++) {
		fixed[tests[i]] = fix
		claimed[tests[i]] = 0
	}
}

function base_of(bin,    b) {
	b = bin
	sub(/_(64|32|x32)$/, "", b)
	return b
}

BEGIN {
	FS = "\t"
	load_divergences(divergences)
}

FNR == 1 { run++ }

{
	st = $1; dev = $4; bin = $5; test = $6
	k = dev SUBSEP bin SUBSEP test
	res[run, k] = st
	if (!(k in order)) { order[k] = ++nk; keys[nk] = k }
	if (dev == "/dev/kvm" || dev == "/dev/kvm_compat") {
		d = bin SUBSEP test
		if (!(d in dorder)) { dorder[d] = ++nd; dkeys[nd] = d }
	}
}

function diff_of(r, d,    a, c) {
	a = ((r, "/dev/kvm" SUBSEP d) in res) ? res[r, "/dev/kvm" SUBSEP d] : ""
	c = ((r, "/dev/kvm_compat" SUBSEP d) in res) ? res[r, "/dev/kvm_compat" SUBSEP d] : ""
	if (a == "" || c == "" || a == c || (a == "xfail" && c == "pass"))
		return ""
	return "/dev/kvm=" a " /dev/kvm_compat=" c
}

END {
	if (run != 2) {
		print "compare: needs two cases.tsv files"
		exit 1
	}
	nnew = resolved = 0
	for (i = 1; i <= nk; i++) {
		k = keys[i]
		s1 = ((1, k) in res) ? res[1, k] : "(absent)"
		s2 = ((2, k) in res) ? res[2, k] : "(absent)"
		if (s1 == s2)
			continue
		split(k, p, SUBSEP)
		t = base_of(p[2]) " " p[3]
		if (p[1] == "/dev/kvm" && (t in fixed) && s1 == "txfail" && s2 == "pass")
			continue
		printf "NEW: %s %s %s: %s unpatched, %s patched\n", p[1], p[2], p[3], s1, s2
		nnew++
	}
	for (i = 1; i <= nd; i++) {
		d = dkeys[i]
		split(d, p, SUBSEP)
		t = base_of(p[1]) " " p[2]
		d1 = diff_of(1, d)
		d2 = diff_of(2, d)
		if (d1 == "" && d2 == "")
			continue
		doc = (t in documented) ? "documented" : "undocumented"
		if (d1 != "" && d2 == "" && (t in fixed)) {
			printf "resolved: diff: %s %s: %s (%s; %s)\n", p[1], p[2], d1, doc, fixed[t]
			resolved += doc == "documented"
			claimed[t]++
		} else if (d1 != "" && d2 != "" && (t in fixed)) {
			printf "NEW: diff: %s %s: %s, still %s with %s\n", p[1], p[2], d1, d2, fixed[t]
			nnew++
		} else if (d1 == d2) {
			printf "unchanged: diff: %s %s: %s (%s)\n", p[1], p[2], d1, doc
		}
		# Any other change of a diff is a changed outcome, counted above.
	}
	for (t in claimed)
		if (!claimed[t]) {
			printf "NEW: %s: :Upstream fix: %s, but no difference was resolved\n", t, fixed[t]
			nnew++
		}
	printf "compare: %d documented differences resolved, %d new differences\n", resolved, nnew
	exit nnew > 0
}
