# SPDX-License-Identifier: GPL-2.0
#
# The "make bench" report (scripts/bench.sh): reads a bench guest's serial
# log (carriage returns removed) and prints the tables of
# Documentation/bench.rst. Variables (-v): title, host, load (free text),
# tol (the "no slower" tolerance, default 1.05), lin (the largest relative
# residual of the dirty-log fit still called linear, default 0.10).
# Every figure is the fastest over all rounds of the fastest batch of the
# guest's compat_bench lines:
#   bench <figure> <abi> <device> <ns_per_op> key=value...
# The last line printed is "bench: worst compat/native ratio R (net of the
# syscall entry; raw R0)": R is the net ratio of section 3, R0 the plain
# compat/native ratio; with no figure at all it is "bench: no figures" and
# the exit status is 1.

# Rank of the @f quantile among @n sorted values (1-based, nearest rank).
function q(n, f,    r) {
	r = int(n * f + 0.999999)
	return r < 1 ? 1 : (r > n ? n : r)
}

function fmt_ns(v) {
	if (v == "")
		return "-"
	return sprintf("%.0f", v)
}

function ratio(a, b) {
	if (a == "" || b == "" || b <= 0)
		return ""
	return a / b
}

function fmt_r(v) {
	return v == "" ? "-" : sprintf("%.3f", v)
}

function fig(what, abi, dev) {
	return ((what SUBSEP abi SUBSEP dev) in best) ? best[what, abi, dev] : ""
}

# One round's figure @v for key @k; kept sorted: val[k, 1..rounds[k]].
function add(k, v,    j) {
	for (j = rounds[k]; j > 0 && val[k, j] > v; j--)
		val[k, j + 1] = val[k, j]
	val[k, j + 1] = v
	rounds[k]++
	keys[k] = 1
}

# The null ioctl for figure @what: the one timed between its batches, or
# else (an older compat_bench) the separate null_ioctl figure.
function null_of(what, abi, dev,    z) {
	z = fig(what "@null", abi, dev)
	return z != "" ? z : fig("null_ioctl", abi, dev)
}

function kib(bytes) {
	return bytes / 1024
}

# The two header lines of a table with a column group per device: the
# device names over groups @w wide, then "ioctl" and the group's @cols.
function dev_header(w, cols,    d) {
	printf "%-28s", ""
	for (d = 1; d <= ndev; d++)
		printf " | %-" w "s", devname[devs[d]]
	printf "\n%-28s", "ioctl"
	for (d = 1; d <= ndev; d++)
		printf " | %s", cols
	print ""
}

BEGIN {
	if (tol == "")
		tol = 1.05
	if (lin == "")
		lin = 0.10
	nabi = split("64 32 x32", abis, " ")
	abiname["64"] = "x86_64"
	abiname["32"] = "ia32"
	abiname["x32"] = "x32"
	ndev = split("kvm_compat kvm", devs, " ")
	devname["kvm_compat"] = "/dev/kvm_compat"
	devname["kvm"] = "/dev/kvm (upstream KVM)"
	# Translated on kvm_compat's compat path (T) or passed through (P).
	nio = split("KVM_SET_USER_MEMORY_REGION KVM_GET_DIRTY_LOG " \
		    "KVM_CLEAR_DIRTY_LOG KVM_SET_SIGNAL_MASK " \
		    "KVM_X86_SET_MSR_FILTER KVM_GET_REGS KVM_CHECK_EXTENSION " \
		    "null_ioctl", ios, " ")
	for (i = 1; i <= 5; i++)
		kind[ios[i]] = "T"
	kind["KVM_GET_REGS"] = "P"
	kind["KVM_CHECK_EXTENSION"] = "P"
	kind["null_ioctl"] = "-"
	label["null_ioctl"] = "null ioctl (/dev/null)"
	nsz = split("4K 64K 1M 16M 256M 1G", sizes, " ")
}

/^### kvmc-bench-begin / {
	for (i = 3; i <= NF; i++) {
		split($i, kv, "=")
		setup[kv[1]] = kv[2]
	}
	began = 1
}
/^### kvmc-bench-end/ { ended = 1 }
/^### kvmc-bench-run-end / {
	for (i = 3; i <= NF; i++)
		if ($i ~ /^rc=/ && $i != "rc=0")
			bad_runs = bad_runs " " $0
}

$1 == "bench" && NF >= 5 && $5 ~ /^[0-9.]+$/ {
	add($2 SUBSEP $3 SUBSEP $4, $5 + 0)
	for (i = 6; i <= NF; i++) {
		if ($i ~ /^bytes=/)
			bytes[$2] = substr($i, 7) + 0
		# The null ioctl timed between this figure's batches.
		if ($i ~ /^null=[0-9.]+$/)
			add($2 "@null" SUBSEP $3 SUBSEP $4, substr($i, 6) + 0)
	}
	nfig++
	next
}

$1 == "bench-skip" {
	k = $2 SUBSEP $3 SUBSEP $4
	if (!(k in why)) {
		r = $0
		sub(/^bench-skip [^ ]+ [^ ]+ [^ ]+ /, "", r)
		why[k] = r
		skips[++nskip] = $2 " " abiname[$3] " " $4 ": " r
	}
}

END {
	# A figure: the lower quartile of its rounds (the fastest of up to
	# four rounds), robust to slow rounds and to one lucky one alike.
	for (k in keys) {
		n = rounds[k]
		best[k] = val[k, q(n, 0.25)]
		iqr[k] = (val[k, q(n, 0.75)] - best[k]) / best[k]
	}
	if (title != "")
		print title
	printf "  %s rounds x %s batches, %s ms per figure and round; a figure is the lower\n",
	       setup["rounds"], setup["batches"], setup["ms"]
	print "  quartile over the rounds of each round's fastest batch, in ns per call"
	print "  (CLOCK_MONOTONIC in the guest)"
	if (host != "")
		print "  host: " host
	if (load != "")
		print "  load: " load
	printf "  guest: vCPUs %s, clocksource %s\n", setup["cpus"], setup["clocksource"]
	if (!began || !ended)
		print "  WARNING: the guest's benchmark did not run to its end"
	if (bad_runs != "")
		print "  WARNING: some runs exited non-zero:" bad_runs
	if (!nfig) {
		print "bench: no figures"
		exit 1
	}

	# 1. ns/op per ioctl, ABI and device, with compat/native ratios.
	print ""
	print "ns/op per ioctl (T = translated on kvm_compat's compat path, P = passed through)"
	dev_header(45, sprintf("%8s %8s %8s %9s %8s", "x86_64", "ia32", "x32", "ia32/64", "x32/64"))
	for (i = 1; i <= nio; i++) {
		io = ios[i]
		name = (io in label) ? label[io] : io
		printf "%-26s %s", name, kind[io]
		for (d = 1; d <= ndev; d++) {
			dv = devs[d]
			n64 = fig(io, "64", dv)
			printf " | %8s %8s %8s %9s %8s", fmt_ns(n64),
			       fmt_ns(fig(io, "32", dv)), fmt_ns(fig(io, "x32", dv)),
			       fmt_r(ratio(fig(io, "32", dv), n64)),
			       fmt_r(ratio(fig(io, "x32", dv), n64))
		}
		print ""
	}

	# 2. The compat path, kvm_compat against upstream.
	print ""
	print "compat path, kvm_compat against upstream KVM (ns/op; ratio = kvm_compat / upstream)"
	printf "%-28s | %-30s | %-30s\n", "", "ia32", "x32"
	printf "%-28s | %10s %10s %8s | %10s %10s %8s\n", "ioctl",
	       "kvm_compat", "upstream", "ratio", "kvm_compat", "upstream", "ratio"
	slower = ""
	for (i = 1; i <= nio; i++) {
		io = ios[i]
		if (io == "null_ioctl")
			continue
		printf "%-26s %s", io, kind[io]
		for (a = 2; a <= nabi; a++) {
			mine = fig(io, abis[a], "kvm_compat")
			up = fig(io, abis[a], "kvm")
			rr = ratio(mine, up)
			printf " | %10s %10s %8s", fmt_ns(mine), fmt_ns(up), fmt_r(rr)
			if (rr != "" && rr > tol)
				slower = slower sprintf(" %s/%s %.3f", io, abiname[abis[a]], rr)
			if (rr != "")
				ncmp++
		}
		print ""
	}

	# 3. What a compat call costs beyond its ABI's syscall entry.
	print ""
	print "compat cost beyond the ABI's own syscall entry: delta = (compat - null_compat)"
	print "- (native - null_native) in ns, net ratio = (compat - null_compat + null_native) / native;"
	print "null = the null ioctl timed between the batches of the same figure, same process"
	dev_header(37, sprintf("%8s %8s %9s %9s", "ia32 ns", "x32 ns", "ia32 net", "x32 net"))
	for (i = 1; i <= nio; i++) {
		io = ios[i]
		if (io == "null_ioctl")
			continue
		printf "%-26s %s", io, kind[io]
		for (d = 1; d <= ndev; d++) {
			dv = devs[d]
			n64 = fig(io, "64", dv)
			z64 = null_of(io, "64", dv)
			for (a = 2; a <= nabi; a++) {
				c = fig(io, abis[a], dv)
				z = null_of(io, abis[a], dv)
				delta[a] = adj[a] = ""
				if (c != "" && z != "" && n64 != "" && z64 != "") {
					delta[a] = (c - z) - (n64 - z64)
					adj[a] = (c - z + z64) / n64
				}
			}
			printf " | %8s %8s %9s %9s",
			       delta[2] == "" ? "-" : sprintf("%+.0f", delta[2]),
			       delta[3] == "" ? "-" : sprintf("%+.0f", delta[3]),
			       fmt_r(adj[2]), fmt_r(adj[3])
			if (dv == "kvm_compat" && kind[io] == "T")
				for (a = 2; a <= nabi; a++)
					if (adj[a] != "" && (radj == "" || adj[a] > radj)) {
						radj = adj[a]
						radj_at = io " from " abiname[abis[a]]
					}
		}
		print ""
	}

	# 4. KVM_GET_DIRTY_LOG by memslot size, against the floor.
	print ""
	print "KVM_GET_DIRTY_LOG by memslot size: dirty logging on, nothing dirty, default mode"
	print "(the bitmap is fetched and cleared); floor = pread(2) of as many bytes from a"
	print "tmpfs file into the same buffer; ns/KiB = (ns - ns at 4K) / (KiB - KiB at 4K),"
	print "what each KiB of bitmap adds; fit: ns = a + b * KiB (least squares on relative"
	print "errors), with its largest residual; b floor = the floor's slope"
	nonlinear = ""
	for (d = 1; d <= ndev; d++) {
		dv = devs[d]
		printf "\n%s\n%-15s", devname[dv], ""
		for (a = 1; a <= nabi; a++)
			printf " | %-26s", abiname[abis[a]]
		printf "\n%-6s %8s", "size", "bitmap"
		for (a = 1; a <= nabi; a++)
			printf " | %8s %8s %8s", "ns/op", "floor", "ns/KiB"
		print ""
		for (s = 1; s <= nsz; s++) {
			sz = sizes[s]
			b = bytes["KVM_GET_DIRTY_LOG:" sz]
			if (b == "")
				b = bytes["floor:" sz]
			bs = "-"
			if (b != "")
				bs = b >= 1024 ? sprintf("%d KiB", b / 1024) : sprintf("%d B", b)
			printf "%-6s %8s", sz, bs
			for (a = 1; a <= nabi; a++) {
				g = fig("KVM_GET_DIRTY_LOG:" sz, abis[a], dv)
				f = fig("floor:" sz, abis[a], dv)
				g0 = fig("KVM_GET_DIRTY_LOG:4K", abis[a], dv)
				b0 = bytes["KVM_GET_DIRTY_LOG:4K"]
				m = "-"
				# (a difference of a few bytes is lost in the noise)
				if (g != "" && g0 != "" && b != "" && b0 != "" && b - b0 >= 256)
					m = sprintf("%.1f", (g - g0) / kib(b - b0))
				printf " | %8s %8s %8s", fmt_ns(g), fmt_ns(f), m
			}
			print ""
		}
		for (a = 1; a <= nabi; a++) {
			fitline(dv, abis[a])
			printf "  fit %-6s a = %.0f ns, b = %.1f ns/KiB (b floor = %s), largest residual %s\n",
			       abiname[abis[a]], fa, fb,
			       fbf == "" ? "-" : sprintf("%.1f", fbf),
			       fres == "" ? "-" : sprintf("%.1f%% (%s)", fres * 100, fres_at)
			if (fres == "")
				continue
			nfit++
			if (fres > lin)
				nonlinear = nonlinear sprintf(" %s/%s %.1f%%", dv, abiname[abis[a]], fres * 100)
		}
	}
	# kvm_compat against upstream by size, native and compat.
	printf "\nKVM_GET_DIRTY_LOG by size, kvm_compat / upstream:\n%-6s", "size"
	for (a = 1; a <= nabi; a++)
		printf " %8s", abiname[abis[a]]
	print ""
	slower_sz = ""
	for (s = 1; s <= nsz; s++) {
		printf "%-6s", sizes[s]
		for (a = 1; a <= nabi; a++) {
			rr = ratio(fig("KVM_GET_DIRTY_LOG:" sizes[s], abis[a], "kvm_compat"),
				   fig("KVM_GET_DIRTY_LOG:" sizes[s], abis[a], "kvm"))
			printf " %8s", fmt_r(rr)
			if (a > 1 && rr != "")
				ncmp_sz++
			if (a > 1 && rr != "" && rr > tol)
				slower_sz = slower_sz sprintf(" %s/%s %.3f", sizes[s], abiname[abis[a]], rr)
		}
		print ""
	}

	# 5. KVM_RUN by guest mode: the round trip of a port I/O exit (t2)
	#    and what one more guest instruction costs ((t203 - t2) / 201).
	nmode = split("real prot32 paging32 long", modes, " ")
	nrun = 0
	for (m = 1; m <= nmode; m++)
		for (d = 1; d <= ndev; d++)
			for (a = 1; a <= nabi; a++)
				if (fig("KVM_RUN:" modes[m] ":2", abis[a], devs[d]) != "")
					nrun++
	if (nrun) {
		print "\nKVM_RUN by guest mode: t2 = one KVM_RUN of a guest that runs 2 instructions"
		print "(out, jmp back) and exits with a port I/O exit, the round trip; insn ="
		print "(t203 - t2) / 201, what one more guest instruction costs (a dec/jnz loop):"
		print "emulated on /dev/kvm_compat, run by the (TCG) CPU on /dev/kvm; ns"
		printf "%-9s", "mode"
		for (d = 1; d <= ndev; d++)
			printf " | %-41s", devname[devs[d]]
		printf "\n%-9s", ""
		for (d = 1; d <= ndev; d++)
			for (a = 1; a <= nabi; a++)
				printf "%s%13s", a == 1 ? " | " : " ",
				       sprintf("%s t2/insn", abiname[abis[a]])
		print ""
		for (m = 1; m <= nmode; m++) {
			printf "%-9s", modes[m]
			for (d = 1; d <= ndev; d++)
				for (a = 1; a <= nabi; a++) {
					t2 = fig("KVM_RUN:" modes[m] ":2", abis[a], devs[d])
					t203 = fig("KVM_RUN:" modes[m] ":203", abis[a], devs[d])
					ins = (t2 == "" || t203 == "") ? "-" : \
					      sprintf("%.0f", (t203 - t2) / 201)
					printf "%s%13s", a == 1 ? " | " : " ",
					       fmt_ns(t2) "/" ins
				}
			print ""
		}
	}

	# Noise: how far apart the rounds are (interquartile range / figure).
	ns = 0
	for (k in best)
		if (rounds[k] > 1) {
			v = iqr[k]
			for (j = ns; j > 0 && sp[j] > v; j--) {
				sp[j + 1] = sp[j]
				spk[j + 1] = spk[j]
			}
			sp[j + 1] = v
			spk[j + 1] = k
			ns++
		}
	if (ns) {
		split(spk[ns], wk, SUBSEP)
		printf "\nspread between rounds ((upper quartile - lower) / lower): median %.1f%%,\n",
		       sp[int((ns + 1) / 2)] * 100
		printf "  90th percentile %.1f%%, largest %.1f%% (%s, %s, %s)\n",
		       sp[int(ns * 0.9 + 0.5) < 1 ? 1 : int(ns * 0.9 + 0.5)] * 100,
		       sp[ns] * 100, wk[1], abiname[wk[2]], wk[3]
	}

	if (nskip) {
		print ""
		print "not measured:"
		for (i = 1; i <= nskip; i++)
			print "  " skips[i]
	}

	# R: translated ioctls on kvm_compat, both compat ABIs, raw.
	R = ""
	for (i = 1; i <= nio; i++) {
		io = ios[i]
		if (kind[io] != "T")
			continue
		for (a = 2; a <= nabi; a++) {
			rr = ratio(fig(io, abis[a], "kvm_compat"), fig(io, "64", "kvm_compat"))
			if (rr != "" && (R == "" || rr > R)) {
				R = rr
				R_at = io " from " abiname[abis[a]]
			}
		}
	}

	# R is the net ratio: the compat and native paths of the module with
	# the ABIs' own syscall entries made equal; the raw ratio carries the
	# ia32 entry, which costs as much for an ioctl that reaches no driver.
	print ""
	print "targets:"
	if (radj == "")
		print "  R <= 1.05: not measured"
	else
		printf "  R <= 1.05 (compat/native net of the syscall entry, translated ioctls, /dev/kvm_compat):\n    %s, R = %.3f (%s)\n",
		       radj <= 1.05 ? "met" : "NOT met", radj, radj_at
	if (R != "")
		printf "    raw compat/native, with the ABI's entry: %.3f (%s); null ioctl alone: %s\n",
		       R, R_at, null_ratios()
	if (!ncmp)
		print "  compat path no slower than upstream: not measured"
	else if (slower == "")
		printf "  compat path no slower than upstream (kvm_compat / upstream <= %.2f): met\n", tol
	else {
		printf "  compat path no slower than upstream (kvm_compat / upstream <= %.2f): NOT met:%s\n", tol, slower
		# The one known, deliberate cause (Documentation/divergences.rst).
		if (slower ~ /KVM_SET_SIGNAL_MASK/)
			print "    KVM_SET_SIGNAL_MASK: kvm_compat takes the vCPU mutex on both paths;" \
			      " upstream's compat path does not (divergences.rst, Locking)"
	}
	if (!ncmp_sz)
		print "  the same for KVM_GET_DIRTY_LOG by memslot size: not measured"
	else if (slower_sz == "")
		print "  the same for KVM_GET_DIRTY_LOG by memslot size: met"
	else
		printf "  the same for KVM_GET_DIRTY_LOG by memslot size: NOT met:%s\n", slower_sz
	if (!nfit)
		print "  dirty-log cost linear in bitmap size: not measured"
	else if (nonlinear == "")
		printf "  dirty-log cost linear in bitmap size (every residual <= %.0f%%): met\n", lin * 100
	else
		printf "  dirty-log cost linear in bitmap size (every residual <= %.0f%%): NOT met:%s\n",
		       lin * 100, nonlinear
	if (radj == "")
		print "bench: worst compat/native ratio -"
	else
		printf "bench: worst compat/native ratio %.3f (net of the syscall entry; raw %s)\n",
		       radj, R == "" ? "-" : sprintf("%.3f", R)
}

# "ia32 1.199, x32 1.065": the null ioctl's compat/native ratios.
function null_ratios(    a, out, rr) {
	out = ""
	for (a = 2; a <= nabi; a++) {
		rr = ratio(fig("null_ioctl", abis[a], "kvm_compat"),
			   fig("null_ioctl", "64", "kvm_compat"))
		out = out (out == "" ? "" : ", ") abiname[abis[a]] " " fmt_r(rr)
	}
	return out
}

# Fit of KVM_GET_DIRTY_LOG:<size> ns against bitmap KiB for (dev, abi):
# least squares on relative errors (weights 1 / ns^2), so that the few-ns
# figures of small slots weigh as much as the 100-us ones of 1 GiB: sets
# fa, fb, fres (largest |residual| / ns), fres_at, and fbf (the floor's
# slope, fitted the same way).
function fitline(dv, abi,    s, n, x, y, w, S, sx, sy, sxx, sxy, r, d, fy, fS, fsx, fsy, fsxx, fsxy) {
	n = S = sx = sy = sxx = sxy = 0
	fS = fsx = fsy = fsxx = fsxy = 0
	fa = fb = fres = fbf = fres_at = ""
	for (s = 1; s <= nsz; s++) {
		x = bytes["KVM_GET_DIRTY_LOG:" sizes[s]]
		if (x == "")
			x = bytes["floor:" sizes[s]]
		if (x == "")
			continue
		x = kib(x)
		y = fig("KVM_GET_DIRTY_LOG:" sizes[s], abi, dv)
		if (y != "" && y > 0) {
			w = 1 / (y * y)
			n++; S += w; sx += w * x; sy += w * y; sxx += w * x * x; sxy += w * x * y
			px[n] = x; py[n] = y; pn[n] = sizes[s]
		}
		fy = fig("floor:" sizes[s], abi, dv)
		if (fy != "" && fy > 0) {
			w = 1 / (fy * fy)
			fS += w; fsx += w * x; fsy += w * fy; fsxx += w * x * x; fsxy += w * x * fy
		}
	}
	if (fS > 0 && fS * fsxx - fsx * fsx > 0)
		fbf = (fS * fsxy - fsx * fsy) / (fS * fsxx - fsx * fsx)
	if (n < 3 || S * sxx - sx * sx <= 0)
		return
	fb = (S * sxy - sx * sy) / (S * sxx - sx * sx)
	fa = (sy - fb * sx) / S
	fres = 0
	for (s = 1; s <= n; s++) {
		r = py[s] - (fa + fb * px[s])
		d = (r < 0 ? -r : r) / py[s]
		if (d > fres) {
			fres = d
			fres_at = pn[s]
		}
	}
}
