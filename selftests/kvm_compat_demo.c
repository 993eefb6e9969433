// SPDX-License-Identifier: GPL-2.0
/*
 * kvm_compat_demo: not a test. Prints what a process of this ABI sees
 * when it uses a KVM device, one human-readable line per step.
 *
 * Usage:
 *   kvm_compat_demo_{64,32,x32} [DEVICE]   (the first path argument wins)
 *	open DEVICE (default /dev/kvm_compat), KVM_GET_API_VERSION,
 *	KVM_CREATE_VM, KVM_SET_USER_MEMORY_REGION (and, from ia32/x32, one
 *	above 4 GiB: the documented divergence from /dev/kvm),
 *	KVM_CREATE_VCPU + KVM_GET_REGS, e.g.
 *	  [ia32] open /dev/kvm_compat: ok
 *	  [ia32] KVM_GET_API_VERSION: 12
 *	or, where compat callers are not served,
 *	  [ia32] open /dev/kvm_compat: ENODEV (compat callers refused)
 *   kvm_compat_demo_64 --inherit [DEVICE]
 *	the x86_64 demo opens DEVICE, creates a VM and a vCPU and execs
 *	kvm_compat_demo_32 and kvm_compat_demo_x32 (next to it) with the
 *	fds inherited; they print e.g.
 *	  [ia32, fd from x86_64] KVM_GET_API_VERSION: EINVAL
 *	(an ia32/x32 demo given --inherit just runs the plain demo).
 * Environment: KVMC_COMPAT=y|n, whether DEVICE serves compat callers
 * (default y); it only decides what counts as unexpected.
 * Exit status: 0, or 1 when something unexpected happened.
 */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kvm_compat_util.h"

static int unexpected;

static const char *res(int r)
{
	static char buf[32];

	if (r < 0)
		return kvmc_errname(-r);
	snprintf(buf, sizeof(buf), "%d", r);
	return buf;
}

static __printf(2, 3) void say(const char *what, const char *fmt, ...)
{
	va_list ap;

	printf("[%s] %s: ", kvmc_abi_name(), what);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

static void expect(bool ok)
{
	if (!ok)
		unexpected = 1;
}

static void demo_memslots(int vm)
{
	void *mem = kvmc_map_pages(1);
	int r;

	r = mem ? kvmc_set_region(vm, 0, 0, 0, KVMC_PAGE_SIZE, KVMC_HVA(mem))
		: -ENOMEM;
	say("KVM_SET_USER_MEMORY_REGION", "%s", r ? res(r) : "ok");
	expect(r == 0);
	if (!kvmc_is_compat_abi())
		return;
	r = kvmc_set_region(vm, 1, 0, 0x100000, KVMC_PAGE_SIZE, 0x100000000ULL);
	say("KVM_SET_USER_MEMORY_REGION hva=0x100000000", "%s%s",
	    r ? res(r) : "ok",
	    r == -EINVAL ? " (beyond 4 GiB: refused by kvm_compat)" :
	    " (upstream accepts it)");
	expect(kvmc_is_upstream() ? r == 0 : r == -EINVAL);
}

static void demo_vcpu(int vm)
{
	struct kvm_regs regs;
	int vcpu, r;

	vcpu = kvmc_create_vcpu(vm, 0);
	r = vcpu < 0 ? vcpu :
		kvmc_ioctl(vcpu, KVM_GET_REGS, (unsigned long)&regs);
	if (r)
		say("KVM_CREATE_VCPU + KVM_GET_REGS", "%s", res(r));
	else
		say("KVM_CREATE_VCPU + KVM_GET_REGS", "ok (rip=%#llx)",
		    (unsigned long long)regs.rip);
	expect(r == 0);
	if (vcpu >= 0)
		close(vcpu);
}

static int demo_plain(void)
{
	char what[PATH_MAX + 8];
	int sys, vm, r;

	snprintf(what, sizeof(what), "open %s", kvmc_device());
	sys = kvmc_open();
	if (sys == -ENODEV && kvmc_is_compat_abi()) {
		say(what, "ENODEV (compat callers refused)");
		expect(!kvmc_compat_served());
		return unexpected;
	}
	if (sys < 0) {
		say(what, "%s", res(sys));
		return 1;
	}
	say(what, "ok");
	r = kvmc_ioctl(sys, KVM_GET_API_VERSION, 0);
	say("KVM_GET_API_VERSION", "%s", res(r));
	expect(r == KVM_API_VERSION);
	vm = kvmc_create_vm(sys);
	say("KVM_CREATE_VM", "%s", vm < 0 ? res(vm) : "ok");
	expect(vm >= 0);
	if (vm >= 0) {
		demo_memslots(vm);
		demo_vcpu(vm);
		close(vm);
	}
	close(sys);
	return unexpected;
}

/* A compat demo exec'ed by the x86_64 one, using the fds it inherited. */
static int demo_inherited(char **argv)
{
	const char *from = argv[0];
	int sys = atoi(argv[1]), vm = atoi(argv[2]), vcpu = atoi(argv[3]);
	bool served = kvmc_compat_served();
	struct kvm_regs regs;
	char who[64];
	int r;

	snprintf(who, sizeof(who), "%s, fd from %s", kvmc_abi_name(), from);
	r = kvmc_ioctl(sys, KVM_GET_API_VERSION, 0);
	printf("[%s] KVM_GET_API_VERSION: %s\n", who, res(r));
	expect(r == (served ? KVM_API_VERSION : -EINVAL));
	r = kvmc_check_ext(vm, KVM_CAP_USER_MEMORY);
	printf("[%s] KVM_CHECK_EXTENSION on the VM fd: %s%s\n", who, res(r),
	       r == -EIO ? " (not the VM's mm)" : "");
	expect(r == (served ? -EIO : -EINVAL));
	r = kvmc_ioctl(vcpu, KVM_GET_REGS, (unsigned long)&regs);
	printf("[%s] KVM_GET_REGS on the vCPU fd: %s%s\n", who, res(r),
	       r == -EIO ? " (not the VM's mm)" : "");
	expect(r == (served ? -EIO : -EINVAL));
	r = kvmc_create_vm(sys);
	printf("[%s] KVM_CREATE_VM on the system fd: %s\n", who,
	       r < 0 ? res(r) : "ok (a VM of its own)");
	expect(served ? r >= 0 : r == -EINVAL);
	return unexpected;
}

static int exec_sibling(const char *suffix, int sys, int vm, int vcpu)
{
	char path[PATH_MAX], a_sys[16], a_vm[16], a_vcpu[16];
	char *const argv[] = { path, "--fds-from", "x86_64", a_sys, a_vm,
			       a_vcpu, NULL };
	ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 16);
	char *abi;
	int status;
	pid_t pid;

	if (n <= 0)
		return 1;
	path[n] = '\0';
	/* kvm_compat_demo_64 -> kvm_compat_demo_<suffix> */
	abi = strrchr(path, '_');
	if (!abi)
		return 1;
	abi++;
	snprintf(abi, sizeof(path) - (abi - path), "%s", suffix);
	if (access(path, X_OK)) {
		printf("[x86_64] %s: not built, skipped\n", path);
		return 0;
	}
	snprintf(a_sys, sizeof(a_sys), "%d", sys);
	snprintf(a_vm, sizeof(a_vm), "%d", vm);
	snprintf(a_vcpu, sizeof(a_vcpu), "%d", vcpu);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		execv(path, argv);
		printf("[x86_64] exec %s: %s\n", path, kvmc_errname(errno));
		fflush(stdout);
		_exit(errno == ENOEXEC ? 3 : 1);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return 1;
	/* ENOEXEC: ia32 or x32 not enabled in this kernel; not our failure. */
	return WEXITSTATUS(status) == 3 ? 0 : WEXITSTATUS(status);
}

static int demo_inherit(void)
{
	int sys, vm, vcpu, r = 0;

	if (kvmc_is_compat_abi()) {
		say("--inherit", "only the x86_64 demo hands out fds; plain demo");
		return demo_plain();
	}
	sys = kvmc_open();
	vm = sys < 0 ? sys : kvmc_create_vm(sys);
	vcpu = vm < 0 ? vm : kvmc_create_vcpu(vm, 0);
	if (vcpu < 0) {
		say("open + KVM_CREATE_VM + KVM_CREATE_VCPU", "%s", res(vcpu));
		return 1;
	}
	say("open + KVM_CREATE_VM + KVM_CREATE_VCPU", "ok, exec ia32 and x32 demos with the fds");
	if (kvmc_clear_cloexec(sys) || kvmc_clear_cloexec(vm) ||
	    kvmc_clear_cloexec(vcpu))
		return 1;
	r |= exec_sibling("32", sys, vm, vcpu);
	r |= exec_sibling("x32", sys, vm, vcpu);
	return r;
}

int main(int argc, char **argv)
{
	bool inherit = false, have_dev = false;
	int i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--fds-from") && i + 4 < argc)
			return demo_inherited(argv + i + 1);
		else if (!strcmp(argv[i], "--inherit"))
			inherit = true;
		else if (argv[i][0] == '/' && !have_dev)
			kvmc_set_device(argv[i]), have_dev = true;
		else
			fprintf(stderr, "usage: %s [--inherit] [DEVICE]\n", argv[0]);
	}
	return inherit ? demo_inherit() : demo_plain();
}
