# SPDX-License-Identifier: GPL-2.0
#
# What upstream KVM's own sources say about its ioctls, for make abi-audit:
#   awk -v arch_sym=X86 -f scripts/abi-upstream.awk \
#       virt/kvm/Kconfig virt/kvm/*.c arch/<arch>/kvm/*.c ...
# Prints, tab separated:
#   compat_served y|n      virt/kvm/Kconfig: is KVM_COMPAT on for arch_sym
#                          (its "depends on" line has no !(... ARCH ...))
#   fd     IOCTL FD FUNC   a native handler has "case IOCTL:"; FD is
#                          system, vm, vcpu or device, from FUNC's name
#                          (kvm_[arch_]{dev,vm,vcpu,device}_..._ioctl)
#   compat IOCTL FD FUNC   a compat handler (a *_compat_ioctl) has the case;
#                          a label NAME_COMPAT is reported for NAME
#   fops   OPS HANDLER     the .compat_ioctl a file_operations OPS installs
#                          with KVM_COMPAT(HANDLER)
#   ret    IOCTL TYPE FUNC the case body's first "r = CALLEE(" and the
#                          return type CALLEE is defined with
#   run    MEMBER          "run->MEMBER" appears: an exit of kvm_run's
#                          union this architecture uses
#   addr   STRUCT PATH FUNC  a __u64 member used as a user pointer:
#                          u64_to_user_ptr(v->PATH) or (void __user *)
#                          [(unsigned long)] v->PATH, v declared as
#                          "struct STRUCT [*]v" in the same function
# Everything is read line by line from kernel-style C (a function's name
# and return type on its first line, its body from "{" to "}" in column 0):
# no preprocessing, so #ifdef'd cases count as present.

function handler_fd(f,    m) {
	if (f !~ /^kvm_(arch_)?(dev|vm|vcpu|device)_([a-z]+_)?ioctl$/)
		return ""
	m = f
	sub(/^kvm_(arch_)?/, "", m)
	sub(/_.*/, "", m)
	return m == "dev" ? "system" : m
}

function flush_labels() {
	delete open_labels
	nopen = 0
}

FNR == 1 {
	infunc = 0
	pending = ""
	delete rettype_line
}

# virt/kvm/Kconfig: config KVM_COMPAT ... depends on ... !(S390 || ARM64)
FILENAME ~ /Kconfig$/ {
	if ($0 ~ /^config KVM_COMPAT$/) { inkc = 1; next }
	if (inkc && $0 ~ /^config /) inkc = 0
	if (inkc && $0 ~ /depends on/) {
		served = "y"
		l = $0
		while (match(l, /!\([^)]*\)/)) {
			neg = substr(l, RSTART, RLENGTH)
			if (neg ~ ("[(| ]" arch_sym "[)| ]"))
				served = "n"
			l = substr(l, RSTART + RLENGTH)
		}
		seen_kconfig = 1
	}
	next
}

# file_operations: remember the struct, and its KVM_COMPAT(handler).
/^static (const )?struct file_operations [a-z_0-9]+ = \{/ {
	fops = $0
	sub(/.*struct file_operations /, "", fops)
	sub(/ .*/, "", fops)
}
/^[ \t]+KVM_COMPAT\([a-z_0-9]+\)/ && fops != "" {
	h = $0
	sub(/.*KVM_COMPAT\(/, "", h)
	sub(/\).*/, "", h)
	printf "fops\t%s\t%s\n", fops, h
}
/^};/ { fops = "" }

# A function definition: its first line in column 0 with "name(", then a
# "{" alone in column 0.
!infunc && /^[a-zA-Z_].*[a-zA-Z_0-9]+\(/ && $0 !~ /;[ \t]*$/ && $0 !~ /^(#|typedef|struct [a-z_0-9]+ \{)/ {
	l = $0
	sub(/\(.*/, "", l)
	n = split(l, w, /[ \t*]+/)
	pending = w[n]
	t = l
	sub(/[a-zA-Z_0-9]+$/, "", t)
	gsub(/(^|[ \t])(static|inline|__always_inline|noinline|__weak|__cold|extern|__init|__exit|__maybe_unused)([ \t]|$)/, " ", t)
	gsub(/^[ \t]+|[ \t]+$/, "", t)
	gsub(/[ \t]+/, " ", t)
	pend_type = t
	delete decl
	ndecl = 0
}
!infunc && pending != "" && /^\{/ {
	infunc = 1
	func_name = pending
	pending = ""
	fd = handler_fd(func_name)
	iscompat = func_name ~ /compat/
	if (pend_type != "" && !(func_name in functype))
		functype[func_name] = pend_type
	flush_labels()
}
infunc && /^\}/ {
	infunc = 0
	func_name = ""
	next
}

# Declarations "struct NAME [*]var" in the function (parameters included).
(infunc || pending != "") {
	l = $0
	while (match(l, /struct [a-z_0-9]+[ \t]+(__user[ \t]+)?\**[ \t]*[a-z_0-9]+[ \t]*[;,)=\[]/)) {
		d = substr(l, RSTART, RLENGTH)
		l = substr(l, RSTART + RLENGTH)
		split(d, dw, /[ \t*;,)=\[]+/)
		v = dw[3] == "__user" ? dw[4] : dw[3]
		decl[v] = dw[2]
	}
}

# User pointers carried in a member.
infunc {
	l = $0
	while (match(l, /(u64_to_user_ptr\(|\(void __user \*\)[ \t]*(\((unsigned long|uintptr_t|ulong)\)[ \t]*)?)[a-z_0-9]+(->|\.)[a-z_0-9.>\[\]-]+/)) {
		e = substr(l, RSTART, RLENGTH)
		l = substr(l, RSTART + RLENGTH)
		sub(/^(u64_to_user_ptr\(|\(void __user \*\)[ \t]*(\((unsigned long|uintptr_t|ulong)\)[ \t]*)?)/, "", e)
		v = e
		sub(/(->|\.).*/, "", v)
		p = substr(e, length(v) + 1)
		sub(/^(->|\.)/, "", p)
		gsub(/->/, ".", p)
		gsub(/\[[^]]*\]/, "", p)
		if (v in decl)
			printf "addr\tstruct %s\t%s\t%s\n", decl[v], p, func_name
	}
}

# kvm_run's members the sources touch.
/run->[a-z_0-9]+/ {
	l = $0
	while (match(l, /run->[a-z_0-9]+/)) {
		m = substr(l, RSTART + 5, RLENGTH - 5)
		l = substr(l, RSTART + RLENGTH)
		if (!(m in runseen)) {
			runseen[m] = 1
			printf "run\t%s\n", m
		}
	}
}

# Case labels of the ioctl handlers.
infunc && fd != "" {
	l = $0
	while (match(l, /case[ \t]+[A-Z][A-Z0-9_]*[ \t]*:/)) {
		c = substr(l, RSTART, RLENGTH)
		l = substr(l, RSTART + RLENGTH)
		sub(/^case[ \t]+/, "", c)
		sub(/[ \t]*:$/, "", c)
		if (c !~ /^KVM_/ || c ~ /^KVM_CAP_/)
			continue
		if (iscompat) {
			printf "compat\t%s\t%s\t%s\n", c, fd, func_name
			if (c ~ /_COMPAT$/) {
				c2 = c
				sub(/_COMPAT$/, "", c2)
				printf "compat\t%s\t%s\t%s\n", c2, fd, func_name
			}
		} else {
			printf "fd\t%s\t%s\t%s\n", c, fd, func_name
			open_labels[++nopen] = c
		}
	}
	if (!iscompat && nopen && match($0, /[ \t]r[ \t]*=[ \t]*[a-z_0-9]+\(/)) {
		callee = substr($0, RSTART, RLENGTH)
		sub(/.*=[ \t]*/, "", callee)
		sub(/\($/, "", callee)
		for (i = 1; i <= nopen; i++)
			calls[++ncalls] = open_labels[i] "\t" callee "\t" func_name
		flush_labels()
	}
	if ($0 ~ /(^|[ \t;])(break|goto [a-z_]+|return[^;]*);/)
		flush_labels()
}

END {
	printf "compat_served\t%s\n", seen_kconfig ? served : "?"
	for (i = 1; i <= ncalls; i++) {
		split(calls[i], cw, "\t")
		t = (cw[2] in functype) ? functype[cw[2]] : "?"
		printf "ret\t%s\t%s\t%s\n", cw[1], t, cw[2]
	}
}
