# SPDX-License-Identifier: GPL-2.0
#
# Compare a 64-bit ABI's view of <linux/kvm.h> with a compat ABI's, and
# classify every finding (make abi-audit):
#   awk -v series=6.12 -v arch=x86 -v pair=x86_64/ia32 -v kvmc_arch=x86 \
#       -f scripts/abi-findings.awk LAYOUT64.tsv LAYOUTC.tsv UPSTREAM.tsv KVMC.tsv
# LAYOUT*: scripts/abi-layout.sh; UPSTREAM: scripts/abi-upstream.awk over
# the series' source (an empty file when there is none); KVMC: "impl NAME"
# and "trans NAME" lines for what kvm_compat implements and translates,
# "run NAME" for the kvm_run members it writes.
# Prints tab-separated rows (read by scripts/abi-audit-rst.awk and
# scripts/abi-audit.sh):
#   ioctl  SERIES PAIR NAME FD DIFFERS UPSTREAM KVMC NUM64 NUMC TYPE
#   find   SERIES PAIR NAME KIND WHERE DETAIL
#   rec    SERIES PAIR TYPE KIND WHERE DETAIL   (records no ioctl reaches)
#   note   SERIES PAIR TEXT
# NAME "kvm_run" is the vCPU's mmap'ed struct kvm_run.
# KIND: number, size, tail (a nested record's size), offset, align, pointer, long, padding, address,
#       return, compat-case (upstream translates what the layout does not
#       show), header, other-arch (kvm_run exits the architecture's
#       sources never use). number/size/offset/pointer/long make an
#       ioctl DIFFER; the others are information ("return": the called
#       function's type allows values above 31 bits, which a compat caller
#       gets truncated; whether it returns any is the handler's business).
# UPSTREAM: handled | not-handled | refused | not-on-arch | no-source |
#           same; KVMC: translated | passed | not-handled | refused (every
#           number gets upstream's errno without the feature) | not-implemented,
#           or "-" for another architecture than kvm_compat's (kvmc_arch).

function strip_arr(t) {
	while (t ~ /\[[0-9]*\]$/)
		sub(/ *\[[0-9]*\]$/, "", t)
	return t
}

function is_ptr(t) { return strip_arr(t) ~ /\*$/ }

function is_long(t,    b) {
	b = " " strip_arr(t) " "
	return b ~ /[ ]long[ ]/ && b !~ /long long/
}

# Walk record T (reached at PATH) in ABI a: note every record reached.
function walk(a, t, path, depth, exitm,    i, n, mt, b, p, e) {
	if (depth > 12 || !((a, t) in rsize))
		return
	if (!((t) in reach_path)) {
		reach_path[t] = path
		reach_exit[t] = exitm
		reach_list[++nreach] = t
	}
	n = mcount[a, t]
	for (i = 0; i < n; i++) {
		mt = mtype[a, t, i]
		# kvm_run's exit union: only the exits this architecture's
		# sources use ("run->NAME"), when the sources are there.
		if (t ~ /^union kvm_run::/ && path == "struct kvm_run" && nrun &&
		    mname[a, t, i] != "padding" && !(mname[a, t, i] in runuse)) {
			other_exits = other_exits " " mname[a, t, i]
			continue
		}
		p = mname[a, t, i] == "-" ? path : path "." mname[a, t, i]
		e = (t ~ /^union kvm_run::/ && path == "struct kvm_run") ? mname[a, t, i] : exitm
		b = strip_arr(mt)
		if ((a, b) in rsize)
			walk(a, b, p, depth + 1, e)
		else if (b ~ /\*$/) {
			sub(/ *\*$/, "", b)
			if ((a, b) in rsize)
				walk(a, b, p "->", depth + 1, e)
		}
	}
}

# Findings of record t between the ABIs; each is printed as "find" for
# ioctl NAME, or "rec" when NAME is "".
function emit(name, kind, where, detail) {
	if (name == "")
		printf "rec\t%s\t%s\t%s\t%s\t%s\t%s\n", series, pair, where_rec, kind, where, detail
	else
		printf "find\t%s\t%s\t%s\t%s\t%s\t%s\n", series, pair, name, kind, where, detail
	if (kind ~ /^(number|size|offset|pointer|long)$/) {
		differs = 1
		if (cur_exit != "")
			diff_exits[cur_exit] = 1
	}
}

function record_findings(name, t, path,    i, n, k, w, m, p) {
	where_rec = t
	cur_exit = (t in reach_exit) ? reach_exit[t] : ""
	if (!((A, t) in rsize) || !((C, t) in rsize)) {
		emit(name, "header", t, "laid out for only one ABI")
		return
	}
	# A nested record's size matters through its parent's offsets and
	# size, which are compared there: only the argument's own counts.
	if (rsize[A, t] != rsize[C, t])
		emit(name, t == root ? "size" : "tail", t, rsize[A, t] " / " rsize[C, t])
	if (ralign[A, t] != ralign[C, t])
		emit(name, "align", t, ralign[A, t] " / " ralign[C, t])
	n = mcount[A, t]
	if (n != mcount[C, t]) {
		emit(name, "header", t, "members differ: " n " / " mcount[C, t])
		return
	}
	for (i = 0; i < n; i++) {
		m = mname[A, t, i]
		p = (m == "-") ? t " (anonymous member " i ")" : t "." m
		if (moff[A, t, i] != moff[C, t, i])
			emit(name, "offset", p, moff[A, t, i] " / " moff[C, t, i])
		if (is_ptr(mtype[A, t, i]))
			emit(name, "pointer", p, mtype[A, t, i])
		else if (is_long(mtype[A, t, i]))
			emit(name, "long", p, mtype[A, t, i])
		else if (m != "-" && ((t, m) in addr))
			emit(name, "address", p, mtype[A, t, i] " used as a user pointer by " addr[t, m] "()")
	}
	for (k = 1; k <= 2; k++) {
		w = k == 1 ? A : C
		if ((w, t) in pads)
			emit(name, "padding", t, abiname[w] ": " pads[w, t])
	}
}

BEGIN {
	FS = "\t"
	A = 1; C = 2
	split(pair, pn, "/")
	abiname[A] = pn[1]; abiname[C] = pn[2]
}

FILENAME == ARGV[1] || FILENAME == ARGV[2] {
	a = FILENAME == ARGV[1] ? A : C
	if ($1 == "rec") { rsize[a, $2] = $3; ralign[a, $2] = $4; allrec[$2] = 1 }
	else if ($1 == "mem") {
		mname[a, $2, $3] = $5; moff[a, $2, $3] = $4; mtype[a, $2, $3] = $6
		if ($3 + 1 > mcount[a, $2]) mcount[a, $2] = $3 + 1
	} else if ($1 == "pad") {
		if ((a, $2) in pads)
			pads[a, $2] = pads[a, $2] ", " $3 " bytes before " $4
		else
			pads[a, $2] = $3 " bytes before " $4
	} else if ($1 == "ioctl") {
		num[a, $2] = $3; ity[a, $2] = $4
		if (!($2 in ioc)) { ioc[$2] = 1; ioclist[++nioc] = $2 }
	} else if ($1 == "defined") {
		defined[$2] = $3
	} else if ($1 == "note") {
		printf "note\t%s\t%s\t%s: %s\n", series, pair, abiname[a], $2
	}
	next
}

FILENAME == ARGV[3] {
	have_source = 1
	if ($1 == "compat_served") served = $2
	else if ($1 == "fd") { if (!($2 in fd)) fd[$2] = $3 }
	else if ($1 == "compat") compat[$2] = $4
	else if ($1 == "fops") fops[$2] = $3
	else if ($1 == "run") { runuse[$2] = 1; nrun++ }
	else if ($1 == "ret") { if ($3 ~ /long|u64|s64|size_t|unsigned|u32|uint/) ret[$2] = $3 " " $4 "()" }
	else if ($1 == "addr") {
		split($3, pp, ".")
		# Only direct members; a "2" struct (kvm_userspace_memory_region2)
		# is where upstream copies its predecessor.
		if (!(($2, $3) in addr)) addr[$2, $3] = $4
		b = $2; if (b ~ /2$/) { sub(/2$/, "", b); if (!((b, $3) in addr)) addr[b, $3] = $4 }
	}
	next
}

FILENAME == ARGV[4] {
	split($0, kw, /[ \t]+/)
	if (kw[1] == "impl") kimpl[kw[2]] = 1
	else if (kw[1] == "refused") krefused[kw[2]] = 1
	else if (kw[1] == "trans") ktrans[kw[2]] = 1
	else if (kw[1] == "run") krun[kw[2]] = 1
	next
}

END {
	# kvm_run is shared through mmap: audited as one more "ioctl".
	ioclist[++nioc] = "kvm_run"
	num[A, "kvm_run"] = num[C, "kvm_run"] = "mmap"
	ity[A, "kvm_run"] = ity[C, "kvm_run"] = "struct kvm_run"
	for (j = 1; j <= nioc; j++) {
		name = ioclist[j]
		t = ity[A, name]
		if (t == "?" || t == "" || ity[C, name] == "?")
			continue	# another architecture's ioctl: its type is not here
		if (name != "kvm_run" && substr(num[A, name], 7, 2) != "ae")
			continue	# not a KVMIO number
		differs = 0
		delete diff_exits
		delete reach_path
		delete reach_exit
		nreach = 0
		other_exits = ""
		if (num[A, name] != num[C, name])
			emit(name, "number", "-", num[A, name] " / " num[C, name])
		root = t
		if ((A, t) in rsize) {
			walk(A, t, t, 0, "")
			for (r = 1; r <= nreach; r++) {
				reached[reach_list[r]] = 1
				record_findings(name, reach_list[r], reach_path[reach_list[r]])
			}
		} else if (is_ptr(t))
			emit(name, "pointer", "argument", t)
		else if (is_long(t))
			emit(name, "long", "argument", t)
		if (name in ret)
			emit(name, "return", "-", ret[name])
		if (other_exits != "")
			emit(name, "other-arch", "struct kvm_run", "exits " arch " does not use, not audited:" other_exits)

		# Upstream.
		f = name == "kvm_run" ? "vcpu" : ((name in fd) ? fd[name] : "")
		if (!have_source)
			up = "no-source"
		else if (f == "")
			up = "not-on-arch"
		else if (served != "y")
			up = "refused"
		else if (name in compat)
			up = "handled"
		else if (differs)
			up = "not-handled"
		else
			up = "same"
		if (have_source && served == "y" && f != "" && (name in compat) && !differs)
			emit(name, "compat-case", "-", "upstream's " compat[name] "() has a case for it")

		# kvm_compat. A kvm_run exit that differs matters only if
		# kvm_compat's sources write it ("run->NAME").
		kdiff = differs
		if (name == "kvm_run" && differs) {
			kdiff = 0
			for (e in diff_exits)
				if (e in krun)
					kdiff = 1
		}
		if (arch != kvmc_arch)
			kv = "-"
		else if (name in krefused)
			kv = "refused"
		else if (!(name in kimpl))
			kv = "not-implemented"
		else if (name in ktrans)
			kv = "translated"
		else if (kdiff)
			kv = "not-handled"
		else
			kv = "passed"
		if (name == "kvm_run" && differs) {
			de = ""
			for (e in diff_exits)
				de = de " " e
			emit(name, "exits", "struct kvm_run", "exits that differ:" de)
		}
		printf "ioctl\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", series, pair, name,
			f == "" ? "-" : f, differs ? "y" : "n", up, kv, num[A, name], num[C, name], t
	}
	# Records of the two KVM headers that no ioctl's type reaches (used
	# through a __u64 address, inside kvm_run's exits, or not at all).
	for (t in defined) {
		if (t in reached)
			continue
		delete reach_path
		nreach = 0
		walk(A, t, t, 0, "")
		root = t
		for (r = 1; r <= nreach; r++) {
			if (reach_list[r] in reached)
				continue
			reached[reach_list[r]] = 1
			record_findings("", reach_list[r], reach_path[reach_list[r]])
		}
	}
}
