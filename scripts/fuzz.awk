# SPDX-License-Identifier: GPL-2.0
#
# The report of "make fuzz" (scripts/fuzz.sh), from the serial logs of its
# boots (scripts/guest/run-fuzz.sh):
#   awk -v iters=N -v abis_all="64 32 x32" -v show=0|1 -v findings=FILE \
#       -f fuzz.awk <series>_<mode>.log...
# A run is one seed from one ABI against one device. A finding is a run
# that failed (a "not ok", a non-zero exit other than 4, a time-out), that
# left a new WARNING/BUG/Oops in the kernel log, or that never ended (the
# guest crashed or hung in it). For each finding one line is printed that
# replays it when pasted into a shell:
#   make fuzz KERNELS=6.1 MODES=y ABIS=x32 DEVICES=/dev/kvm SEED=0x... BATCH=13  # <kernel release>: <what failed>
# (BATCH when the fuzzer named the batch; else ITERS, the whole run). With
# show=1 (a replay) each run's output is printed too. Then one line per
# boot, and LAST "fuzz: N runs of S seeds (C calls), F findings". Exit
# status 1 with findings, else 2 when a boot did not complete, else 0.
# Findings also go to the file FINDINGS.

function finding(why,    line) {
	line = sprintf("make fuzz KERNELS=%s MODES=%s ABIS=%s DEVICES=%s SEED=%s %s  # %s: %s",
		series, mode, abi, dev, seed,
		batch != "" ? "BATCH=" batch : "ITERS=" iters, kernel, why)
	found[++nfound] = line
	bfound[boot]++
	print line > findings
}

function end_file() {
	if (boot == "") return
	if (inblock)
		finding("the run never ended: the guest crashed or hung in it (" FILENAME_prev ")")
	inblock = 0
	if (!done) {
		errors++
		berr[boot] = hung ? "hung, killed after " secs " s" : "did not complete (" setup ")"
	}
	boots[++nboots] = boot
}

FNR == 1 {
	end_file()
	FILENAME_prev = FILENAME
	boot = FILENAME
	sub(/.*\//, "", boot); sub(/\.log$/, "", boot)
	series = boot; sub(/_.*/, "", series)
	mode = boot; sub(/.*_/, "", mode)
	gsub(/_/, " ", boot)
	kernel = "?"; inblock = done = hung = 0; secs = "?"; setup = "no setup line"
}

{ sub(/\r$/, "") }

/^### kvmc-boot / {
	for (i = 3; i <= NF; i++) if ($i ~ /^kernel=/) kernel = substr($i, 8)
	next
}

/^### kvmc-setup-fail / { setup = substr($0, 21); next }
/^### kvmc-setup / { setup = "setup ok"; next }

/^### kvmc-fuzz-missing / {
	missing[boot] = missing[boot] " " substr($3, 5)
	next
}

/^### kvmc-fuzz-begin / {
	if (inblock) finding("the run never ended")
	inblock = 1
	seed = substr($3, 6); abi = substr($4, 5); dev = substr($5, 5)
	batch = ""; why = ""; last = ""; want_why = 0; failed = 0; splat = 0
	if (!((boot, seed) in seen)) { seen[boot, seed] = 1; bseeds[boot]++; nseeds++ }
	if (show) print
	next
}

/^### kvmc-fuzz-splat/ {
	splat = 1
	if (show) print
	next
}

/^### kvmc-fuzz-end / {
	rc = $6; sub(/^rc=/, "", rc); rc += 0
	if (show) print
	inblock = 0
	runs++; bruns[boot]++
	if (rc == 137)
		finding("killed by the guest's time limit" (last != "" ? "; last: " last : ""))
	else if (failed || (rc != 0 && rc != 4))
		finding(why != "" ? why : (last != "" ? last : "exit status " rc))
	if (splat) {
		bsplat[boot] = 1
		finding("new WARNING/BUG/Oops in the kernel log after this run (serial log)")
	}
	if (rc == 4) skipped++
	next
}

inblock {
	if (show) print
	line = $0
	if (line ~ /^# [^:]*:[0-9]+:[^:]*:/) {
		sub(/^# [^:]*:[0-9]+:[^:]*:/, "", line)
		if (line ~ /^replay: /) {
			if (match(line, /KVMC_FUZZ_BATCH=[0-9]+/))
				batch = substr(line, RSTART + 16, RLENGTH - 16)
			want_why = 1
		} else if (line ~ /^[0-9]+ batches, [0-9]+ calls/) {
			split(line, w, " ")
			calls += w[3]; bcalls[boot] += w[3]
		} else if (line !~ /^Expected /) {
			if (want_why && why == "") why = line
			last = line
		}
	} else if (line ~ /^not ok /) {
		failed = 1
	}
	next
}

/^### kvmc-fuzz-done / { done = 1; next }

# /init's own check at the end: a splat no run showed (module loading).
/^### kvmc-dmesg splat/ {
	if (!bsplat[boot]) { errors++; berr[boot] = "kernel log splat outside the runs" }
	next
}

/^### kvmc-host qemu / {
	for (i = 3; i <= NF; i++) {
		split($i, kv, "=")
		if (kv[1] == "hung") hung = kv[2] + 0
		if (kv[1] == "seconds") secs = kv[2]
	}
	next
}

END {
	end_file()
	for (i = 1; i <= nboots; i++) {
		b = boots[i]
		printf "boot %s: %d runs of %d seeds, %d calls, %d findings%s%s\n", b,
			bruns[b], bseeds[b], bcalls[b], bfound[b],
			missing[b] != "" ? "; not there:" missing[b] : "",
			b in berr ? "; ERROR: " berr[b] : ""
	}
	for (i = 1; i <= nfound; i++) print found[i]
	printf "fuzz: %d runs of %d seeds (%d calls), %d findings%s\n", runs, nseeds, calls,
		nfound, errors ? sprintf(", %d boots did not complete", errors) : ""
	exit nfound ? 1 : (errors ? 2 : 0)
}
