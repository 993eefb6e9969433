# SPDX-License-Identifier: GPL-2.0
#
# Count and compare the results of test boots (scripts/check.sh).
#   awk -v cases=FILE -v lint=pass|fail|off -v table=pass|fail|off \
#       -v oracle_compat=y|n -v divergences=Documentation/divergences.rst \
#       -v byversion=Documentation/by-version.rst -f results.awk LOG...
# Each LOG is one boot's serial console, named <series>_<mode>_<variant>.log.
# A case is one KTAP result line "ok N name", "not ok N name" or
# "ok N name # SKIP ..." inside a "### kvmc-begin/-end" block, identified by
# (boot, ABI, device, binary, test); a block whose binary exited non-zero
# without a failing line, missed its plan or never ended, a hung or
# unfinished boot, a failed setup and kernel splats are failed cases too.
# Prints per-boot summaries, "diff:" lines (same boot/binary/test passed on
# one of /dev/kvm and /dev/kvm_compat but not the other), the failures and
# LAST the line "N passed, N failed, N skipped". Exit status 1 on failure.
#
# Only like is compared with like: in a boot whose module mode differs from
# the oracle's (translate=n against x86's KVM_COMPAT=y) only 64-bit cases
# are.  A difference is documented when a ":Tests:" line of the divergences
# document names "<binary without ABI suffix> <test>"; an undocumented one
# is a failed case.
# Upstream changes between kernel series: a case that fails on an older
# series' /dev/kvm is an expected failure ("xfail", counted as passed) when
# a section of the by-version document (-v byversion=FILE) names it on a
# ":Tests:" line and its series on a ":Series:" line (":ABIs:", when there,
# narrows it to those ABIs); such a section whose case passes everywhere it
# ran is stale, a failed case.
# A test that reports "ok N name # XFAIL reason" (an upstream bug it knows,
# e.g. sigmask_race_test on an unpatched upstream) is "txfail": counted as
# passed, and compared as its own outcome, so that a device on which it
# passes shows as a difference (documented, or a failure).

function record(st, abi, dev, bin, test, why,    k, base, ser) {
	k = boot SUBSEP bin SUBSEP test
	if (dev == "/dev/kvm" && st != "skip") {
		base = bin; sub(/_(64|32|x32)$/, "", base)
		split(boot, ser, " ")
		if ((ser[1], base " " test, abi) in byver) {
			byver_seen[ser[1], base " " test, abi] = 1
			if (st == "fail") {
				st = "xfail"
				why = "upstream " ser[1] " differs: Documentation/by-version.rst"
				byver_xfail[ser[1], base " " test, abi] = 1
			}
		}
	}
	if (dev != "-") {
		res[k, dev] = st
		if (!(k in korder)) { korder[k] = ++nk; klist[nk] = k }
	}
	count[st ~ /xfail$/ ? "pass" : st]++
	bcount[boot, st ~ /xfail$/ ? "pass" : st]++
	if (st == "xfail") nxfail++
	printf "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", st, boot, abi, dev, bin, test, why > cases
	if (st == "fail")
		fails[++nfails] = sprintf("FAIL %s %s %s %s: %s%s", boot, abi, dev, bin, test,
			why == "" ? "" : " (" why ")")
}

function load_documented(file,    line, n, i, items, w) {
	while ((getline line < file) > 0) {
		if (line !~ /^:Tests:/) continue
		sub(/^:Tests: */, "", line)
		n = split(line, items, / *, */)
		for (i = 1; i <= n; i++) {
			split(items[i], w, " ")
			documented[w[1] " " w[2]] = 1
		}
	}
	close(file)
}

# The by-version document: byver[series, "<binary base> <test>", abi].
function load_byversion(file,    line, n, i, j, k, items, w, series, abis, ns, na) {
	ns = 0
	na = split("64 32 x32", abis, " ")
	while ((getline line < file) > 0) {
		if (line ~ /^:Series:/) {
			sub(/^:Series: */, "", line)
			ns = split(line, series, / *, *| +/)
		} else if (line ~ /^:ABIs:/) {
			sub(/^:ABIs: */, "", line)
			na = split(line, abis, / *, *| +/)
		} else if (line ~ /^:Tests:/) {
			sub(/^:Tests: */, "", line)
			n = split(line, items, / *, */)
			for (i = 1; i <= n; i++) {
				split(items[i], w, " ")
				for (j = 1; j <= ns; j++)
					for (k = 1; k <= na; k++) {
						byver[series[j], w[1] " " w[2], abis[k]] = 1
						byver_where[series[j], w[1] " " w[2], abis[k]] = FNR
					}
			}
		} else if (line ~ /^---/ || line ~ /^===/) {
			# a new section: its own fields
			ns = 0
			na = split("64 32 x32", abis, " ")
		}
	}
	close(file)
}

function abi_of(bin) {
	if (bin ~ /_x32$/) return "x32"
	if (bin ~ /_32$/) return "32"
	if (bin ~ /_64$/) return "64"
	return "?"
}

function end_file() {
	if (boot == "") return
	if (inblock)
		record("fail", abi_of(bbin), bdev, bbin, "(binary)", "block never ended: guest crashed or hung")
	inblock = 0
	if (!setup_seen)
		record("fail", "-", "-", "-", "(boot)", "guest never reached setup")
	if (hung)
		record("fail", "-", "-", "-", "(boot)", "guest hung: killed after " secs "s")
	else if (!done)
		record("fail", "-", "-", "-", "(boot)", "guest did not finish (panic or early exit), qemu rc=" qrc)
	boots[++nboots] = boot
	binfo[boot] = sprintf("kernel=%s /dev/kvm=%s %ss", kernel, oracle, secs)
}

BEGIN {
	if (byversion != "") load_byversion(byversion)
}

FNR == 1 {
	end_file()
	boot = FILENAME
	sub(/.*\//, "", boot); sub(/\.log$/, "", boot); gsub(/_/, " ", boot)
	inblock = done = hung = setup_seen = 0
	kernel = oracle = "?"; secs = "?"; qrc = "?"
}

{ sub(/\r$/, "") }

/^### kvmc-boot / {
	for (i = 3; i <= NF; i++) if ($i ~ /^kernel=/) kernel = substr($i, 8)
	next
}

/^### kvmc-setup / {
	setup_seen = 1
	for (i = 3; i <= NF; i++) { split($i, kv, "="); s[kv[1]] = kv[2] }
	oracle = s["oracle_dev"]
	record(s["compat_dev"] == "present" ? "pass" : "fail", "-", "-", "-",
		"setup /dev/kvm_compat", s["compat_dev"] == "present" ? "" : "device absent")
	if (s["expect_oracle"] == "y") {
		ok = s["oracle_dev"] == "present" && s["oracle_modules"] == "ok"
		record(ok ? "pass" : "fail", "-", "-", "-", "setup /dev/kvm (oracle)",
			ok ? "" : "oracle_dev=" s["oracle_dev"] " modules=" s["oracle_modules"])
	}
	next
}

/^### kvmc-setup-fail / {
	setup_seen = 1
	record("fail", "-", "-", "-", "(setup)", substr($0, 21))
	next
}

# A save of the migration across kernels that failed (its restores fail
# too, in the kvmc.cmd=xkernel boot).
/^### kvmc-xk-fail / {
	record("fail", "64", "-", "migrate_test_64", "(xkernel save)", substr($0, 20))
	next
}

/^### kvmc-missing / {
	record("skip", abi_of($3), "-", $3, "(binary)", "not built for this ABI")
	next
}

/^### kvmc-begin / {
	if (inblock)
		record("fail", abi_of(bbin), bdev, bbin, "(binary)", "block never ended")
	inblock = 1; bbin = $3; bdev = $4; plan = -1; nres = 0; nfail = 0
	next
}

/^### kvmc-end / {
	rc = $5; sub(/^rc=/, "", rc); rc += 0
	abi = abi_of(bbin)
	if (plan == 0 && nres == 0)
		record("skip", abi, bdev, bbin, "(binary)", "KTAP plan 1..0, rc=" rc)
	else if (rc != 0 && rc != 4 && nfail == 0)
		record("fail", abi, bdev, bbin, "(binary)", "exit status " rc " without a failing test")
	else if (plan < 0)
		record("fail", abi, bdev, bbin, "(binary)", "no KTAP plan, rc=" rc)
	else if (nres != plan)
		record("fail", abi, bdev, bbin, "(binary)", "KTAP plan " plan " but " nres " results, rc=" rc)
	inblock = 0
	next
}

inblock && /^1\.\.[0-9]+/ {
	plan = substr($1, 4) + 0
	next
}

inblock && /^(not )?ok [0-9]+/ {
	line = $0
	st = (line ~ /^not /) ? "fail" : "pass"
	sub(/^(not )?ok [0-9]+ */, "", line)
	why = ""
	if (match(line, / *# */)) {
		why = substr(line, RSTART + RLENGTH)
		line = substr(line, 1, RSTART - 1)
		if (st == "pass" && toupper(why) ~ /^SKIP/) st = "skip"
		else if (toupper(why) ~ /^XFAIL/) st = "txfail"
		else if (toupper(why) ~ /^TODO/) st = "pass"
	}
	if (line == "") line = "#" nres + 1
	nres++
	if (st == "fail") nfail++
	record(st, abi_of(bbin), bdev, bbin, line, st == "pass" ? "" : why)
	next
}

/^### kvmc-dmesg splat/ {
	record("fail", "-", "-", "-", "(kernel log)", "WARNING/BUG/Oops in dmesg, see log")
	next
}

/^### kvmc-dmesg clean/ {
	record("pass", "-", "-", "-", "(kernel log)", "")
	next
}

/^### kvmc-done/ { done = 1; next }

/^### kvmc-host qemu / {
	for (i = 3; i <= NF; i++) {
		split($i, kv, "=")
		if (kv[1] == "rc") qrc = kv[2]
		if (kv[1] == "hung") hung = kv[2] + 0
		if (kv[1] == "seconds") secs = kv[2]
	}
	next
}

END {
	end_file()
	if (lint == "pass" || lint == "fail") {
		boot = "lint"
		record(lint, "-", "-", "-", "make lint", lint == "fail" ? "see lint output above" : "")
	}
	if (table == "pass" || table == "fail") {
		boot = "docs"
		record(table, "-", "-", "-", "by-version table",
			table == "fail" ? "Documentation/by-version-table.rst differs from this run's, see above" : "")
	}
	for (i = 1; i <= nboots; i++) {
		b = boots[i]
		printf "boot %-16s %s: %d passed, %d failed, %d skipped\n", b, binfo[b],
			bcount[b, "pass"], bcount[b, "fail"], bcount[b, "skip"]
	}
	if (divergences != "") load_documented(divergences)
	ndiff = nundoc = 0
	# By-version sections whose case ran and never failed: stale.
	for (kk in byver_seen) {
		if (kk in byver_xfail) continue
		split(kk, p, SUBSEP)
		boot = "by-version"
		record("fail", p[3], "-", p[2], p[1],
			"documented as differing on upstream " p[1] " (Documentation/by-version.rst) but /dev/kvm passed")
	}
	for (i = 1; i <= nk; i++) {
		k = klist[i]
		a = ((k, "/dev/kvm") in res) ? res[k, "/dev/kvm"] : ""
		c = ((k, "/dev/kvm_compat") in res) ? res[k, "/dev/kvm_compat"] : ""
		if (a == "" || c == "" || a == c) continue
		if (a == "xfail" && c == "pass") continue
		split(k, p, SUBSEP)
		split(p[1], bw, " ")
		if (bw[2] != oracle_compat && abi_of(p[2]) != "64") continue
		base = p[2]; sub(/_(64|32|x32)$/, "", base)
		ndiff++
		if ((base " " p[3]) in documented) {
			printf "diff: %s %s %s: /dev/kvm=%s /dev/kvm_compat=%s (documented)\n",
				p[1], p[2], p[3], a, c
			continue
		}
		nundoc++
		boot = p[1]
		record("fail", abi_of(p[2]), "-", p[2], p[3],
			"/dev/kvm=" a " /dev/kvm_compat=" c ": undocumented difference from upstream")
	}
	printf "%d difference(s) between /dev/kvm and /dev/kvm_compat, %d undocumented\n",
		ndiff, nundoc
	if (nxfail)
		printf "%d /dev/kvm case(s) where an older upstream differs from the newest, each in Documentation/by-version.rst\n", nxfail
	for (i = 1; i <= nfails; i++) print fails[i]
	printf "%d passed, %d failed, %d skipped\n", count["pass"], count["fail"], count["skip"]
	exit count["fail"] > 0
}
