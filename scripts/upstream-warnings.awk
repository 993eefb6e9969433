# SPDX-License-Identifier: GPL-2.0
#
# What a patch series adds to the W=1 and sparse warnings of upstream KVM's
# build (make upstream-check):
#   awk -f scripts/upstream-warnings.awk BUILDDIR.log
# The log is scripts/upstream-build.sh's: the last "### build ...
# touch=y" section is the unpatched build (the files the series changes
# recompiled), the "### build ... touch=n" section after it the patched
# one. A warning is "file: message", its line and column dropped (patches
# move lines); one the patched build prints more often than the unpatched
# one did is new. Prints each new warning ("new: ..."), then
#   warnings: B in the unpatched build, A in the patched one, N new; S of F files checked by sparse
# and exits 1 when N > 0, when a section is missing, or when sparse did
# not check every C file the patched build compiled.

function norm(line) {
	sub(/^.*\/(arch\/x86\/kvm|virt\/kvm)\//, "", line)
	sub(/^\.\.\/\.\.\/\.\.\//, "", line)
	sub(/:[0-9]+:[0-9]+: /, ": ", line)
	sub(/:[0-9]+: /, ": ", line)
	return line
}

/^### build / {
	if ($0 ~ /touch=y/) {
		sec = 1
		delete base; delete after
		nbase = nafter = cc = check = 0
		seen_base = 1; seen_after = 0
	} else if (seen_base) {
		sec = 2
		seen_after = 1
	} else {
		sec = 0
	}
	next
}

sec && /(warning|error): / {
	w = norm($0)
	if (sec == 1) { base[w]++; nbase++ } else { after[w]++; nafter++ }
	next
}

# Sparse on every C file of the patched build: a CHECK per compiled .c
# (not the .mod.o files modpost makes, nor .module-common.o).
sec == 2 && /^  CC \[M\]  .*\.o$/ && !/\.mod\.o$/ && !/\.module-common\.o$/ { cc++ }
sec == 2 && /^  CHECK   .*\.c$/ { check++ }

END {
	if (!seen_base || !seen_after) {
		print "warnings: no unpatched and patched build in the log"
		exit 1
	}
	n = 0
	for (w in after)
		if (after[w] > base[w]) {
			n += after[w] - base[w]
			print "new: " w
		}
	printf "warnings: %d in the unpatched build, %d in the patched one, %d new; %d of %d files checked by sparse\n",
		nbase, nafter, n, check, cc
	exit (n > 0 || check != cc)
}
