/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the kvm_compat selftests and the demo.
 *
 * Every binary takes the device under test as its first argument
 * (default /dev/kvm_compat); /dev/kvm is "upstream", the oracle. Whether
 * that device serves 32-bit (compat) callers is asked of the device
 * (KVMC_GET_COMPAT_CAPS); a device that cannot be asked (upstream's
 * /dev/kvm, or one that refuses this process) leaves it to the
 * environment variable KVMC_COMPAT=y|n, unset meaning y.
 *
 * Functions return a result >= 0 or -errno; they never print.
 */
#ifndef KVM_COMPAT_UTIL_H
#define KVM_COMPAT_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/kvm.h>
#include <linux/kvm_compat.h>

/* ARRAY_SIZE(), __printf() and __noreturn, for the tests and the rest. */
#include "kselftest.h"

/* A case that goes on into the next one, spelt as in the kernel. */
#ifndef fallthrough
#define fallthrough	__attribute__((__fallthrough__))
#endif

#define KVMC_DEFAULT_DEV	"/dev/kvm_compat"
#define KVMC_UPSTREAM_DEV	"/dev/kvm"
#define KVMC_PAGE_SIZE		4096UL

/* Take argv[1] as the device if it is a path; shifts it out of argv. */
void kvmc_take_device_arg(int *argc, char ***argv);
void kvmc_set_device(const char *path);
const char *kvmc_device(void);

bool kvmc_is_upstream(void);
bool kvmc_compat_served(void);
/*
 * How kvmc_compat_served() knew: "device" (KVMC_GET_COMPAT_CAPS) or
 * "environment" (KVMC_COMPAT).
 */
const char *kvmc_compat_served_source(void);
/* The environment's answer alone (KVMC_COMPAT; unset means y). */
bool kvmc_compat_served_env(void);
/* KVMC_GET_COMPAT_CAPS on the system fd @sys: 0 or -errno. */
int kvmc_get_compat_caps(int sys, struct kvmc_compat_caps *caps);
/* This process's KVMC_COMPAT_ABI_* bit (0 for x86_64). */
uint64_t kvmc_compat_abi_bit(void);
bool kvmc_is_compat_abi(void);
const char *kvmc_abi_name(void);	/* "x86_64", "ia32" or "x32" */
const char *kvmc_abi_suffix(void);	/* "64", "32" or "x32" */

const char *kvmc_errname(int err);	/* "EINVAL"; err > 0 */
const char *kvmc_open_skip_reason(int err);

int kvmc_open(void);
int kvmc_ioctl(int fd, unsigned long req, unsigned long arg);
int kvmc_create_vm(int sys_fd);
int kvmc_create_vcpu(int vm_fd, unsigned long id);
int kvmc_check_ext(int fd, long cap);
int kvmc_set_region(int vm_fd, uint32_t slot, uint32_t flags, uint64_t gpa,
		    uint64_t size, uint64_t hva);
void *kvmc_map_pages(size_t npages);
int kvmc_clear_cloexec(int fd);

/* KVM_CAP_MULTI_ADDRESS_SPACE (1 when not reported). */
int kvmc_nr_address_spaces(int vm_fd);

/*
 * A VM with vCPU 0 and nothing else (layout_test, vcpu_test, padding_test,
 * fd_passing_test): its three fds, each -1 when not open.
 */
struct kvmc_vcpu_fds {
	int sys, vm, vcpu;
};

/* Mark all three fds of @f as not open. */
void kvmc_vcpu_fds_init(struct kvmc_vcpu_fds *f);
/*
 * KVM_CREATE_VM on the open system fd @f->sys, then KVM_CREATE_VCPU 0 on
 * it: 0 or -errno. On failure @f->vm, or only @f->vcpu, is still -1.
 */
int kvmc_vcpu_fds_create(struct kvmc_vcpu_fds *f);
/* Close whatever of @f is open (vCPU, VM, system fd); all -1 again. */
void kvmc_vcpu_fds_close(struct kvmc_vcpu_fds *f);

#define KVMC_HVA(p)	((uint64_t)(uintptr_t)(p))

/*
 * Running guest code (run_test, dirty_log_test, sigmask_test,
 * msr_filter_test): one VM, vCPU 0 with its kvm_run mapped, and slot 0 at
 * GPA 0 backed by fresh anonymous memory. The vCPU is left in real mode
 * with CS = DS = 0 (selector 0, base 0), RIP = KVMC_CODE_GPA, RFLAGS = 2.
 */
#define KVMC_CODE_GPA		0x1000UL

struct kvmc_guest {
	int sys, vm, vcpu;		/* -1 when not (yet) open */
	struct kvm_run *run;
	size_t run_size;
	uint8_t *mem;			/* host mapping of slot 0 */
	size_t mem_size;
};

/*
 * Fill @g from an open system fd @sys (kvmc_guest_destroy() closes it):
 * returns 0 or -errno; on failure @g holds what was created.
 */
int kvmc_guest_create(struct kvmc_guest *g, int sys, size_t npages);
/*
 * The same in two steps, for what must come between: the VM with slot 0
 * (@slot_flags, e.g. KVM_MEM_LOG_DIRTY_PAGES), then vCPU 0 set up as above.
 */
int kvmc_guest_create_vm(struct kvmc_guest *g, int sys, size_t npages,
			 uint32_t slot_flags);
int kvmc_guest_create_vcpu(struct kvmc_guest *g);
void kvmc_guest_destroy(struct kvmc_guest *g);
/* Copy @code to slot 0 at @gpa (CS base 0) and point RIP at it. */
int kvmc_guest_load(struct kvmc_guest *g, uint64_t gpa, const void *code,
		    size_t len);
int kvmc_run(int vcpu_fd);			/* KVM_RUN, arg 0 */
struct kvm_run *kvmc_map_run(int sys_fd, int vcpu_fd, size_t *size);
/* Real mode: selector @sel, base @sel * 16. */
int kvmc_set_real_seg(int vcpu_fd, int seg, uint16_t sel);
#define KVMC_SEG_CS	0
#define KVMC_SEG_DS	1
#define KVMC_SEG_SS	2
int kvmc_set_rip(int vcpu_fd, uint64_t rip);
int kvmc_get_rip(int vcpu_fd, uint64_t *rip);
int kvmc_enable_cap(int fd, uint32_t cap, uint64_t arg0);
/* The scheduler state of thread @tid ('R', 'S', 'D'...), or '?'. */
char kvmc_thread_state(pid_t tid);
/* A userfaultfd with the UFFD_API handshake done, or -errno. */
int kvmc_uffd_open(void);
const char *kvmc_exit_name(uint32_t reason);	/* "KVM_EXIT_IO" */
/*
 * Protected and long mode (setup_test, modes_test), on a guest of
 * kvmc_guest_create() whose slot 0 covers at least KVMC_MODE_MIN_PAGES:
 * a flat GDT at KVMC_GDT_GPA, an IDT at KVMC_IDT_GPA (limit 0: none until
 * kvmc_guest_set_gate()), the stack below KVMC_STACK_TOP and, with paging,
 * tables at KVMC_PT_GPA that map the first 4 MiB to themselves with
 * supervisor read/write 4 KiB pages, A and D clear.
 */
#define KVMC_GDT_GPA		0x5000UL
#define KVMC_IDT_GPA		0x6000UL
#define KVMC_STACK_TOP		0xf000UL
#define KVMC_PT_GPA		0x10000UL	/* up to 5 pages of tables */
#define KVMC_MODE_MIN_PAGES	32
#define KVMC_SEL_CODE32		0x08
#define KVMC_SEL_DATA		0x10
#define KVMC_SEL_CODE64		0x18

enum kvmc_mode {
	KVMC_MODE_REAL,		/* CR0.PE clear: the guest as created */
	KVMC_MODE_PROT32,	/* 32-bit protected mode, no paging */
	KVMC_MODE_PAGING32,	/* 32-bit paging (CR4.PAE clear) */
	KVMC_MODE_PAE,		/* PAE paging, 32-bit code */
	KVMC_MODE_LONG,		/* 4-level paging, 64-bit code */
	KVMC_MODE_COMPAT,	/* 4-level paging, 32-bit code */
};

const char *kvmc_mode_name(enum kvmc_mode mode);
/*
 * Put vCPU @g in @mode (long and compatibility mode first give it the
 * supported CPUID, for EFER.LME): 0 or -errno.
 */
int kvmc_guest_set_mode(struct kvmc_guest *g, enum kvmc_mode mode);
/* The 4 KiB page-table entry of @la (< 4 MiB): a uint32_t or uint64_t. */
void *kvmc_guest_pte(struct kvmc_guest *g, enum kvmc_mode mode, uint64_t la);
/*
 * An interrupt gate for @vector to @handler, in the IDT format of @mode;
 * the IDT's limit grows to cover it. 0 or -errno.
 */
int kvmc_guest_set_gate(struct kvmc_guest *g, enum kvmc_mode mode,
			unsigned int vector, uint64_t handler);
/*
 * KVM_GET_SUPPORTED_CPUID as VMMs call it: nent from 1, doubled on
 * E2BIG. A malloc()ed struct, or NULL with errno set.
 */
struct kvm_cpuid2 *kvmc_get_supported_cpuid(int sys_fd);
/* The entry of @function (index 0) in @c, or NULL. */
struct kvm_cpuid_entry2 *kvmc_cpuid_entry(struct kvm_cpuid2 *c,
					  uint32_t function);

/* KVM_GET_DIRTY_LOG / KVM_CLEAR_DIRTY_LOG with the ABI's own struct. */
int kvmc_get_dirty_log(int vm_fd, uint32_t slot, void *bitmap);
int kvmc_clear_dirty_log(int vm_fd, uint32_t slot, uint64_t first_page,
			 uint32_t num_pages, void *bitmap);

/*
 * Seeded pseudo-random numbers for the fuzz and stress tests (splitmix64:
 * the same seed gives the same sequence on every ABI and machine).
 */
uint64_t kvmc_rng_next(uint64_t *state);
/* A number in [0, n), n > 0. */
uint64_t kvmc_rng_below(uint64_t *state, uint64_t n);
/*
 * The seed from environment variable @env (any strtoull() base, e.g.
 * 0x1234), else @def: a fixed seed of kvm_compat_seeds.h, never the
 * clock, so that the gate makes the same choices on every run.
 */
uint64_t kvmc_seed_from_env(const char *env, uint64_t def);
/* An unsigned number from environment variable @env, else @def. */
uint64_t kvmc_env_u64(const char *env, uint64_t def);
/* nanosleep() for @ms milliseconds (a signal may end it early). */
void kvmc_sleep_ms(long ms);
/* Open fds of this process (entries of /proc/self/fd), or -errno. */
int kvmc_count_fds(void);
/*
 * The device still works: it opens, creates a VM with a one-page memslot
 * and vCPU 0, whose KVM_GET_REGS gives the reset RIP 0xfff0. Returns 0, or
 * -errno (-EIO: another RIP) with *@what naming the step that failed.
 */
int kvmc_check_device(const char **what);

/*
 * The macros below need kselftest_harness.h (they use SKIP/_metadata and
 * the ksft counters) and are only expanded in test sources.
 */

/* Open the device under test, or SKIP the test with the reason. */
#define KVMC_OPEN_OR_SKIP(fd) do {					\
	(fd) = kvmc_open();						\
	if ((fd) < 0)							\
		SKIP(return, "%s", kvmc_open_skip_reason(-(fd)));	\
} while (0)

/*
 * In a FIXTURE_SETUP: open the device (or SKIP) and kvmc_guest_create()
 * with @npages in slot 0; FIXTURE_TEARDOWN calls kvmc_guest_destroy().
 */
#define KVMC_GUEST_SETUP(g, npages) do {				\
	int __sys, __r;							\
	memset((g), 0, sizeof(*(g)));					\
	(g)->sys = (g)->vm = (g)->vcpu = -1;				\
	KVMC_OPEN_OR_SKIP(__sys);					\
	__r = kvmc_guest_create((g), __sys, (npages));			\
	ASSERT_EQ(0, __r) TH_LOG("guest setup on %s: %s",		\
				 kvmc_device(), kvmc_errname(-__r));	\
} while (0)

/*
 * kvmc_vcpu_fds_create() on @f, whose system fd is open; on failure the
 * test fails, saying which ioctl failed.
 */
#define KVMC_VCPU_FDS_CREATE(f) do {					\
	struct kvmc_vcpu_fds *__f = (f);				\
	int __r = kvmc_vcpu_fds_create(__f);				\
	ASSERT_EQ(0, __r) TH_LOG("%s: %s", __f->vm < 0 ?		\
				 "KVM_CREATE_VM" : "KVM_CREATE_VCPU",	\
				 kvmc_errname(-__r));			\
} while (0)

/*
 * In a FIXTURE_SETUP: kvmc_vcpu_fds_init(), open the device (or SKIP) and
 * KVMC_VCPU_FDS_CREATE(); FIXTURE_TEARDOWN calls kvmc_vcpu_fds_close().
 */
#define KVMC_VCPU_FDS_SETUP(f) do {					\
	struct kvmc_vcpu_fds *__fds = (f);				\
	kvmc_vcpu_fds_init(__fds);					\
	KVMC_OPEN_OR_SKIP(__fds->sys);					\
	KVMC_VCPU_FDS_CREATE(__fds);					\
} while (0)

/* kvmc_check_device() must succeed; @when says after what, for the log. */
#define KVMC_ASSERT_DEVICE_WORKS(when) do {				\
	const char *__what;						\
	int __r = kvmc_check_device(&__what);				\
	ASSERT_EQ(0, __r) TH_LOG("%s after %s: %s", __what, (when),	\
				 kvmc_errname(-__r));			\
} while (0)

/* KVM_RUN must succeed with exit_reason @reason. */
#define KVMC_RUN_EXPECT(g, reason) do {					\
	int __r = kvmc_run((g)->vcpu);					\
	ASSERT_EQ(0, __r) TH_LOG("KVM_RUN: %s (exit_reason %s)",	\
				 kvmc_errname(-__r),			\
				 kvmc_exit_name((g)->run->exit_reason));	\
	ASSERT_EQ((uint32_t)(reason), (g)->run->exit_reason)		\
		TH_LOG("got %s, expected %s",				\
		       kvmc_exit_name((g)->run->exit_reason),		\
		       kvmc_exit_name(reason));				\
} while (0)

/*
 * kvmc_harness_run(): what main() of every test binary calls. The device
 * argument comes first, then the kselftest_harness options. A run in which
 * every test skipped (device missing, or a compat process refused) exits
 * with KSFT_SKIP (4) instead of 0.
 */
#define KVMC_HARNESS_RUN_DEFINE						\
static pid_t kvmc_main_pid;						\
static void kvmc_exit_skip_if_all_skipped(void)				\
{									\
	if (getpid() != kvmc_main_pid)					\
		return;							\
	if (ksft_get_pass_cnt() || ksft_get_fail_cnt() ||		\
	    ksft_get_error_cnt() || ksft_get_xpass_cnt() ||		\
	    !ksft_get_xskip_cnt())					\
		return;							\
	fflush(stdout);							\
	fflush(stderr);							\
	_exit(KSFT_SKIP);						\
}									\
static int kvmc_harness_run(int argc, char **argv)			\
{									\
	kvmc_take_device_arg(&argc, &argv);				\
	kvmc_main_pid = getpid();					\
	atexit(kvmc_exit_skip_if_all_skipped);				\
	return test_harness_run(argc, argv);				\
}

#define KVMC_TEST_MAIN							\
KVMC_HARNESS_RUN_DEFINE							\
int main(int argc, char **argv)						\
{									\
	return kvmc_harness_run(argc, argv);				\
}

#endif /* KVM_COMPAT_UTIL_H */
