// SPDX-License-Identifier: GPL-2.0
/*
 * A seeded ioctl fuzzer for the KVM API of <linux/kvm.h>: random and
 * boundary ioctl numbers, garbage and boundary arguments, bad pointers,
 * fds of the wrong kind and fds closed under the caller, against
 * /dev/kvm_compat and the real /dev/kvm, from every ABI.
 *
 *   ioctl_fuzz_test_{64,32,x32} [DEVICE] [kselftest_harness options]
 *
 * The gate's cases are fixed: fuzz_seed.<seed>.random_calls for each
 * seed of kvm_compat_seeds.h (the one list of the gate's seeds), each a
 * fixed list of batches of 250 calls with no time limit (a run that
 * hangs is ended by the harness's timeout, or after 40 s without a call,
 * and fails), and fuzz.close_race, seeded with KVMC_RACE_SEED. Random
 * exploration with fresh seeds is "make fuzz".
 *
 * Environment (all optional):
 *   KVMC_FUZZ_SEED=0x...   adds the case fuzz_seed.env.random_calls, which
 *                          fuzzes with this seed (make fuzz draws them; the
 *                          gate never sets it). Its length:
 *   KVMC_FUZZ_ITERS=N        calls (default 20000)
 *   KVMC_FUZZ_SECONDS=S      start no call after S seconds (default 0: no
 *                            limit). A loop bound, never an assertion: a
 *                            replay under a time limit may stop earlier,
 *                            never differently.
 *   KVMC_FUZZ_BATCH=B      run only batch B (any random_calls case). Each
 *                          batch runs in its own child process, with a seed
 *                          derived from the seed and B alone.
 *   KVMC_FUZZ_VERBOSE=1    print every call
 * The same seed, batch, binary and device replay the same calls. A
 * failure prints the call and the line that replays it, e.g.
 *   KVMC_FUZZ_SEED=0x1234 KVMC_FUZZ_BATCH=7 KVMC_FUZZ_VERBOSE=1 \
 *       ioctl_fuzz_test_64 /dev/kvm_compat -r fuzz_seed.env.random_calls
 *
 * What is asserted, for every call:
 *  - it returns >= 0, or -1 with errno in fuzz_errnos[] below; two
 *    upstream answers that are values, not errors, are told apart (see
 *    fz_after_call()): KVM_GET_TSC_KHZ, and KVM_GET_NR_MMU_PAGES after a
 *    KVM_SET_NR_MMU_PAGES count whose low 32 bits read as -errno;
 *  - no 8-byte word the call changed in the fuzzer's buffers looks like a
 *    kernel address (bits 63:47 set; values >= 0xfffffffffffff000, -1 and
 *    error codes, and values the fuzzer itself passed in are not counted);
 *  - the process gets no SIGSEGV/SIGBUS, except from touching a vCPU
 *    mapping beyond KVM_GET_VCPU_MMAP_SIZE (each batch runs in a child,
 *    and how the child ended is checked);
 *  - every fd a call created was returned by a call: after a batch closes
 *    what it knows of, /proc/self/fd holds what it held before.
 * After the run the device still creates a VM, a vCPU and a memslot, and
 * the test process has as many fds as before.
 *
 * Not checked: what any particular call returns (the fuzzer does not
 * depend on the semantics of KVM_RUN, dirty logging, KVM_SET_SIGNAL_MASK
 * or KVM_X86_SET_MSR_FILTER, only on their ioctl numbers); the kvm_run
 * page after KVM_RUN (guest-controlled values), scanned instead by
 * padding_test on a fresh vCPU.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <dirent.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "kvm_compat_util.h"

/*
 * Ioctls of the 6.12 uapi that the build's (6.1) <linux/kvm.h> may lack:
 * numbers from include/uapi/linux/kvm.h of v6.12, sizes of their structs.
 */
#ifndef KVM_SET_USER_MEMORY_REGION2
#define KVM_SET_USER_MEMORY_REGION2	_IOC(_IOC_WRITE, KVMIO, 0x49, 160)
#endif
#ifndef KVM_SET_MEMORY_ATTRIBUTES
#define KVM_SET_MEMORY_ATTRIBUTES	_IOC(_IOC_WRITE, KVMIO, 0xd2, 32)
#endif
#ifndef KVM_CREATE_GUEST_MEMFD
#define KVM_CREATE_GUEST_MEMFD		_IOC(_IOC_READ | _IOC_WRITE, KVMIO, 0xd4, 64)
#endif
#ifndef KVM_PRE_FAULT_MEMORY
#define KVM_PRE_FAULT_MEMORY		_IOC(_IOC_READ | _IOC_WRITE, KVMIO, 0xd5, 64)
#endif

/*
 * Ioctls that newer uapi headers drop (KVM_SET_MEMORY_REGION, gone from
 * 7.3's) or whose structure they keep for their own architecture (ppc,
 * s390): their numbers in the 6.1 <linux/kvm.h>, the same for every ABI,
 * so that the table is the same whichever headers the build uses (a
 * kernel tree's, as a kselftest target).
 */
#define FZ_SET_MEMORY_REGION		0x4018ae40U
#define FZ_PPC_GET_PVINFO		0x4080aea1U
#define FZ_S390_UCAS_MAP		0x4018ae50U
#define FZ_S390_MEM_OP			0x4040aeb1U

#define PG			KVMC_PAGE_SIZE
#define FUZZ_BATCH		250
/* Calls of fuzz_seed.env.random_calls without KVMC_FUZZ_ITERS. */
#define FUZZ_DEFAULT_ITERS	20000
/* A child that makes no progress for this long is reported as hung. */
#define FUZZ_STALL_SECONDS	40
#define KERNEL_HALF		0xffff800000000000ULL
#define NOT_AN_ADDRESS		0xfffffffffffff000ULL	/* -4096 .. -1 */

/*
 * The errnos a KVM ioctl may answer with, each because upstream KVM (or
 * the VFS ioctl code in front of it) returns it for some input:
 */
static const int fuzz_errnos[] = {
	EPERM,		/* SEV, MMU and privileged paths */
	ENOENT,		/* no such memslot, attribute or register */
	EINTR,		/* a signal (the fuzzer's timer) during KVM_RUN etc. */
	EIO,		/* VM or vCPU fd used from another mm; dead VM */
	ENXIO,		/* device attributes, missing irqchip */
	E2BIG,		/* too many CPUID entries, MSRs, routes */
	EBADF,		/* closed or foreign fds, also inside structs */
	EAGAIN,		/* EWOULDBLOCK */
	ENOMEM,
	EFAULT,		/* bad pointers */
	EBUSY,		/* state that can no longer change */
	EEXIST,		/* ids and ranges already taken */
	EXDEV,		/* FICLONE & co. on fds of different mounts */
	ENODEV,		/* KVM_CREATE_DEVICE of an unknown type */
	EINVAL,
	ENOSPC,		/* no free slot (ioeventfd bus, dirty ring) */
	ENOTTY,		/* unknown ioctl of a VM, system fd or plain file */
	EOPNOTSUPP,	/* features the VM or the host lacks */
	ENOTCONN,	/* Xen event channel masked */
};

/* Kinds of fd, as bits; a table entry lists the kinds it belongs to. */
#define FK_SYS		0x01
#define FK_VM		0x02
#define FK_VCPU		0x04
#define FK_DEV		0x08	/* other KVM anon-inode files */
#define FK_PIPE		0x10
#define FK_EVENTFD	0x20

enum fz_gen {
	G_RAW,		/* garbage or boundary bytes, or a scalar */
	G_MEMREGION,	/* struct kvm_userspace_memory_region(2) */
	G_DIRTYLOG,	/* struct kvm_dirty_log */
	G_CLEARLOG,	/* struct kvm_clear_dirty_log */
	G_SIGMASK,	/* struct kvm_signal_mask */
	G_COUNT32,	/* a __u32 count first, entries after it */
	G_COUNT64,	/* a __u64 count first (struct kvm_reg_list) */
	G_MSRFILTER,	/* struct kvm_msr_filter */
	G_FDS,		/* structs naming fds (irqfd, ioeventfd) */
	G_DEVICE,	/* struct kvm_create_device */
	G_CAP,		/* struct kvm_enable_cap; scalar capability numbers */
};

struct fz_ioc {
	const char *name;
	unsigned int cmd;
	unsigned char kinds;
	unsigned char gen;
};

#define IOC(c, k, g)	{ #c, (unsigned int)(c), (k), (g) }
#define IOC_FZ(c, k, g)	{ "KVM_" #c, FZ_##c, (k), (g) }
#define S		FK_SYS
#define V		FK_VM
#define C		FK_VCPU
#define D		FK_DEV

/* Every KVM ioctl of <linux/kvm.h> usable on x86, and a few that are not. */
static const struct fz_ioc fz_table[] = {
	/* system fd */
	IOC(KVM_GET_API_VERSION, S, G_RAW),
	IOC(KVM_CREATE_VM, S, G_RAW),
	IOC(KVM_GET_MSR_INDEX_LIST, S, G_COUNT32),
	IOC(KVM_CHECK_EXTENSION, S | V, G_CAP),
	IOC(KVM_GET_VCPU_MMAP_SIZE, S, G_RAW),
	IOC(KVM_GET_SUPPORTED_CPUID, S, G_COUNT32),
	IOC(KVM_GET_EMULATED_CPUID, S, G_COUNT32),
	IOC(KVM_GET_MSR_FEATURE_INDEX_LIST, S, G_COUNT32),
	IOC(KVM_X86_GET_MCE_CAP_SUPPORTED, S, G_RAW),
	IOC(KVM_S390_ENABLE_SIE, S, G_RAW),
	/* VM fd */
	IOC_FZ(SET_MEMORY_REGION, V, G_MEMREGION),
	IOC(KVM_CREATE_VCPU, V, G_RAW),
	IOC(KVM_GET_DIRTY_LOG, V, G_DIRTYLOG),
	IOC(KVM_SET_NR_MMU_PAGES, V, G_RAW),
	IOC(KVM_GET_NR_MMU_PAGES, V, G_RAW),
	IOC(KVM_SET_USER_MEMORY_REGION, V, G_MEMREGION),
	IOC(KVM_SET_USER_MEMORY_REGION2, V, G_MEMREGION),
	IOC(KVM_SET_TSS_ADDR, V, G_RAW),
	IOC(KVM_SET_IDENTITY_MAP_ADDR, V, G_RAW),
	IOC(KVM_CREATE_IRQCHIP, V, G_RAW),
	IOC(KVM_IRQ_LINE, V, G_RAW),
	IOC(KVM_GET_IRQCHIP, V, G_RAW),
	IOC(KVM_SET_IRQCHIP, V, G_RAW),
	IOC(KVM_CREATE_PIT, V, G_RAW),
	IOC(KVM_GET_PIT, V, G_RAW),
	IOC(KVM_SET_PIT, V, G_RAW),
	IOC(KVM_IRQ_LINE_STATUS, V, G_RAW),
	IOC(KVM_SET_GSI_ROUTING, V, G_COUNT32),
	IOC(KVM_REINJECT_CONTROL, V, G_RAW),
	IOC(KVM_IRQFD, V, G_FDS),
	IOC(KVM_CREATE_PIT2, V, G_RAW),
	IOC(KVM_SET_BOOT_CPU_ID, V, G_RAW),
	IOC(KVM_IOEVENTFD, V, G_FDS),
	IOC(KVM_XEN_HVM_CONFIG, V, G_RAW),
	IOC(KVM_SET_CLOCK, V, G_RAW),
	IOC(KVM_GET_CLOCK, V, G_RAW),
	IOC(KVM_GET_PIT2, V, G_RAW),
	IOC(KVM_SET_PIT2, V, G_RAW),
	IOC_FZ(PPC_GET_PVINFO, V, G_RAW),
	IOC(KVM_SET_TSC_KHZ, V | C, G_RAW),
	IOC(KVM_GET_TSC_KHZ, V | C, G_RAW),
	IOC(KVM_SIGNAL_MSI, V, G_RAW),
	IOC(KVM_SET_PMU_EVENT_FILTER, V, G_RAW),
	IOC(KVM_CREATE_DEVICE, V, G_DEVICE),
	IOC(KVM_SET_DEVICE_ATTR, S | V | C | D, G_RAW),
	IOC(KVM_GET_DEVICE_ATTR, S | V | C | D, G_RAW),
	IOC(KVM_HAS_DEVICE_ATTR, S | V | C | D, G_RAW),
	IOC(KVM_ENABLE_CAP, V | C, G_CAP),
	IOC(KVM_MEMORY_ENCRYPT_OP, V, G_RAW),
	IOC(KVM_MEMORY_ENCRYPT_REG_REGION, V, G_RAW),
	IOC(KVM_MEMORY_ENCRYPT_UNREG_REGION, V, G_RAW),
	IOC(KVM_HYPERV_EVENTFD, V, G_FDS),
	IOC(KVM_CLEAR_DIRTY_LOG, V, G_CLEARLOG),
	IOC(KVM_X86_SET_MSR_FILTER, V, G_MSRFILTER),
	IOC(KVM_RESET_DIRTY_RINGS, V, G_RAW),
	IOC(KVM_XEN_HVM_GET_ATTR, V, G_RAW),
	IOC(KVM_XEN_HVM_SET_ATTR, V, G_RAW),
	IOC(KVM_XEN_HVM_EVTCHN_SEND, V, G_RAW),
	IOC(KVM_GET_STATS_FD, V | C, G_RAW),
	IOC(KVM_SET_MEMORY_ATTRIBUTES, V, G_RAW),
	IOC(KVM_CREATE_GUEST_MEMFD, V, G_RAW),
	IOC(KVM_ARM_SET_DEVICE_ADDR, V, G_RAW),
	IOC_FZ(S390_UCAS_MAP, C, G_RAW),
	/* vCPU fd */
	IOC(KVM_RUN, C, G_RAW),
	IOC(KVM_GET_REGS, C, G_RAW),
	IOC(KVM_SET_REGS, C, G_RAW),
	IOC(KVM_GET_SREGS, C, G_RAW),
	IOC(KVM_SET_SREGS, C, G_RAW),
	IOC(KVM_TRANSLATE, C, G_RAW),
	IOC(KVM_INTERRUPT, C, G_RAW),
	IOC(KVM_GET_MSRS, S | C, G_COUNT32),
	IOC(KVM_SET_MSRS, C, G_COUNT32),
	IOC(KVM_SET_CPUID, C, G_COUNT32),
	IOC(KVM_SET_SIGNAL_MASK, C, G_SIGMASK),
	IOC(KVM_GET_FPU, C, G_RAW),
	IOC(KVM_SET_FPU, C, G_RAW),
	IOC(KVM_GET_LAPIC, C, G_RAW),
	IOC(KVM_SET_LAPIC, C, G_RAW),
	IOC(KVM_SET_CPUID2, C, G_COUNT32),
	IOC(KVM_GET_CPUID2, C, G_COUNT32),
	IOC(KVM_TPR_ACCESS_REPORTING, C, G_RAW),
	IOC(KVM_SET_VAPIC_ADDR, C, G_RAW),
	IOC(KVM_GET_MP_STATE, C, G_RAW),
	IOC(KVM_SET_MP_STATE, C, G_RAW),
	IOC(KVM_NMI, C, G_RAW),
	IOC(KVM_SET_GUEST_DEBUG, C, G_RAW),
	IOC(KVM_X86_SETUP_MCE, C, G_RAW),
	IOC(KVM_X86_SET_MCE, C, G_RAW),
	IOC(KVM_GET_VCPU_EVENTS, C, G_RAW),
	IOC(KVM_SET_VCPU_EVENTS, C, G_RAW),
	IOC(KVM_GET_DEBUGREGS, C, G_RAW),
	IOC(KVM_SET_DEBUGREGS, C, G_RAW),
	IOC(KVM_GET_XSAVE, C, G_RAW),
	IOC(KVM_SET_XSAVE, C, G_RAW),
	IOC(KVM_GET_XCRS, C, G_RAW),
	IOC(KVM_SET_XCRS, C, G_RAW),
	IOC(KVM_GET_ONE_REG, C, G_RAW),
	IOC(KVM_SET_ONE_REG, C, G_RAW),
	IOC(KVM_KVMCLOCK_CTRL, C, G_RAW),
	IOC(KVM_GET_REG_LIST, C, G_COUNT64),
	IOC(KVM_SMI, C, G_RAW),
	IOC(KVM_GET_NESTED_STATE, C, G_RAW),
	IOC(KVM_SET_NESTED_STATE, C, G_RAW),
	IOC(KVM_GET_SUPPORTED_HV_CPUID, S | C, G_COUNT32),
	IOC(KVM_XEN_VCPU_GET_ATTR, C, G_RAW),
	IOC(KVM_XEN_VCPU_SET_ATTR, C, G_RAW),
	IOC(KVM_GET_SREGS2, C, G_RAW),
	IOC(KVM_SET_SREGS2, C, G_RAW),
	IOC(KVM_GET_XSAVE2, C, G_RAW),
	IOC(KVM_PRE_FAULT_MEMORY, C, G_RAW),
	IOC(KVM_S390_INITIAL_RESET, C, G_RAW),
	IOC_FZ(S390_MEM_OP, C, G_RAW),
};

#undef S
#undef V
#undef C
#undef D

#define FZ_NR_IOCS	ARRAY_SIZE(fz_table)

/*
 * The fuzzer's memory. The arena is where every pointer it hands to the
 * kernel points (bad pointers aside), so that whatever the kernel writes
 * lands there and nowhere else:
 *   pages 0..7   read/write, checked for kernel addresses after each call
 *   page 8       PROT_NONE (buffers straddling the end of page 7)
 *   page 9       read-only, random bytes (_IOR outputs get EFAULT)
 *   page 10      PROT_NONE
 * Guest memory for memslots is a separate mapping (KVM and the guest
 * write guest data there, which is not an ioctl's output).
 */
#define AR_RW_PAGES	8
#define AR_RW_SIZE	(AR_RW_PAGES * PG)
#define AR_RO		(9 * PG)
#define AR_NONE		(10 * PG)
#define AR_PAGES	11
#define GUEST_PAGES	16

enum fz_place {
	P_RW, P_RW_UNALIGNED, P_STRADDLE, P_RO, P_NONE, P_NULL, P_LOW,
	P_KERNEL, P_TOP32, P_ALLONES, P_NONCANON, P_ABOVE4G, P_RANDOM,
	P_SCALAR, P_NR
};

static const char * const fz_place_names[P_NR] = {
	"arena", "arena(unaligned)", "arena(straddles guard)", "read-only",
	"PROT_NONE", "NULL", "unmapped low", "kernel half", "top of 4G",
	"all ones", "non-canonical", "above 4G", "random", "scalar",
};

enum fz_op {
	OP_TABLE, OP_MUTATED, OP_RANDOM, OP_CLOSE, OP_CREATE_VM,
	OP_CREATE_VCPU, OP_MEMSLOT, OP_MMAP, OP_TOUCH, OP_MUNMAP,
};

static const char * const fz_op_names[] = {
	"table", "mutated", "random", "close", "create-vm", "create-vcpu",
	"memslot", "mmap", "touch", "munmap",
};

/* What a batch child shares with the test process. */
struct fz_shared {
	volatile uint64_t progress;	/* calls started, all batches */
	volatile uint32_t batch, idx;
	/* The call in flight. */
	volatile int op, fd, fdkind, place;
	volatile unsigned int cmd, base_cmd;
	volatile uint64_t arg;
	volatile uint32_t off;
	char msg[2048];			/* the child's failure, if any */
	/* Statistics over all batches. */
	uint64_t calls, ok, faults_expected, kernel_checks;
	uint64_t tsc_khz_ambiguous, nr_mmu_truncated;
	uint64_t errs[64];
	uint32_t batches;
};

#define POOL_MAX	24

struct fz_fd {
	int fd;			/* -1: free (a mapping may outlive its fd) */
	int kind;
	bool sigmask;		/* KVM_SET_SIGNAL_MASK succeeded on it */
	bool mmu_set;		/* KVM_SET_NR_MMU_PAGES succeeded on it, */
	unsigned long mmu_pages;	/* with this count */
	uint8_t *map;		/* a mapping of this vCPU, or NULL */
	size_t maplen;
	unsigned long pgoff;
	int prot;
	bool shared;
};

#define SEEN_SLOTS	4096

struct fz {
	uint64_t rng;
	struct fz_shared *sh;
	uint8_t *arena, *snap, *guest;
	struct fz_fd pool[POOL_MAX];
	int mmap_size;
	bool verbose;
	struct timespec deadline;	/* tv_sec 0: none */
	uint8_t base_fds[1024];		/* open when the batch started */
	uint64_t seen[SEEN_SLOTS];	/* kernel-looking inputs >> 12, +1 */
	bool created_device;		/* a KVM_CREATE_DEVICE succeeded */
};

static sigjmp_buf fz_touch_env;
static volatile sig_atomic_t fz_touch_armed;

static uint64_t fz_rand(struct fz *z)
{
	return kvmc_rng_next(&z->rng);
}

static uint64_t fz_below(struct fz *z, uint64_t n)
{
	return kvmc_rng_below(&z->rng, n);
}

static bool fz_errno_allowed(int e)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(fuzz_errnos); i++)
		if (fuzz_errnos[i] == e)
			return true;
	return false;
}

static bool fz_kernel_looking(uint64_t v)
{
	return v >= KERNEL_HALF && v < NOT_AN_ADDRESS;
}

/*
 * Inputs are remembered by their top 32 bits: what the kernel derives
 * from an input by adding or subtracting (a size minus what was done, a
 * flag bit set) keeps them, a kernel pointer shares them with an input
 * only by a 1 in 2^32 chance.
 */
static void fz_seen_add(struct fz *z, uint64_t v)
{
	uint64_t key = (v >> 32) + 1;
	unsigned int i = (unsigned int)(key * 0x9e3779b97f4a7c15ULL >> 52);
	unsigned int n;

	for (n = 0; n < SEEN_SLOTS; n++, i = (i + 1) % SEEN_SLOTS) {
		if (z->seen[i] == key)
			return;
		if (!z->seen[i]) {
			z->seen[i] = key;
			return;
		}
	}
}

static bool fz_seen(struct fz *z, uint64_t v)
{
	uint64_t key = (v >> 32) + 1;
	unsigned int i = (unsigned int)(key * 0x9e3779b97f4a7c15ULL >> 52);
	unsigned int n;

	for (n = 0; n < SEEN_SLOTS && z->seen[i]; n++, i = (i + 1) % SEEN_SLOTS)
		if (z->seen[i] == key)
			return true;
	return false;
}

/* Remember the kernel-looking 8-byte windows of an input. */
static void fz_record_input(struct fz *z, const uint8_t *p, size_t len)
{
	uint64_t v;
	size_t i;

	for (i = 0; i + 8 <= len; i++) {
		memcpy(&v, p + i, 8);
		if (v >= KERNEL_HALF)
			fz_seen_add(z, v);
	}
}

/* Bytes the fuzzer wrote into the checked part of the arena. */
static void fz_commit(struct fz *z, size_t off, size_t len)
{
	if (off >= AR_RW_SIZE)
		return;
	if (len > AR_RW_SIZE - off)
		len = AR_RW_SIZE - off;
	memcpy(z->snap + off, z->arena + off, len);
	fz_record_input(z, z->arena + off, len);
}

static const struct fz_ioc *fz_lookup(unsigned int cmd)
{
	size_t i;

	for (i = 0; i < FZ_NR_IOCS; i++)
		if (fz_table[i].cmd == cmd)
			return &fz_table[i];
	return NULL;
}

static const char *fz_kind_name(int kind)
{
	switch (kind) {
	case FK_SYS: return "system";
	case FK_VM: return "VM";
	case FK_VCPU: return "vCPU";
	case FK_DEV: return "KVM file";
	case FK_PIPE: return "pipe";
	case FK_EVENTFD: return "eventfd";
	case 0: return "closed/bad";
	default: return "?";
	}
}

static void fz_describe_cmd(char *buf, size_t len, unsigned int cmd)
{
	const struct fz_ioc *e = fz_lookup(cmd);

	if (e)
		snprintf(buf, len, "%#x %s", cmd, e->name);
	else
		snprintf(buf, len, "%#x _IOC(dir %u, type %#x, nr %#x, size %u)",
			 cmd, _IOC_DIR(cmd), _IOC_TYPE(cmd), _IOC_NR(cmd),
			 _IOC_SIZE(cmd));
}

/* The call in flight, from the shared record (child or parent). */
static void fz_describe_call(const struct fz_shared *sh, char *buf, size_t len)
{
	char c[96], b[128];

	fz_describe_cmd(c, sizeof(c), sh->cmd);
	b[0] = '\0';
	if (sh->base_cmd != sh->cmd) {
		char t[96];

		fz_describe_cmd(t, sizeof(t), sh->base_cmd);
		snprintf(b, sizeof(b), ", made from %s", t);
	}
	snprintf(buf, len,
		 "batch %u call %u (%s): fd %d (%s), cmd %s%s, arg %#llx (%s+%#x)",
		 sh->batch, sh->idx, fz_op_names[sh->op], sh->fd,
		 fz_kind_name(sh->fdkind), c, b, (unsigned long long)sh->arg,
		 fz_place_names[sh->place], sh->off);
}

static void __printf(2, 3) __noreturn
fz_fail(struct fz *z, const char *fmt, ...)
{
	char call[512];
	size_t n;
	va_list ap;

	fz_describe_call(z->sh, call, sizeof(call));
	n = (size_t)snprintf(z->sh->msg, sizeof(z->sh->msg), "%s: ", call);
	if (n < sizeof(z->sh->msg)) {
		va_start(ap, fmt);
		vsnprintf(z->sh->msg + n, sizeof(z->sh->msg) - n, fmt, ap);
		va_end(ap);
	}
	_exit(1);
}

/* ---- values ---- */

static const uint64_t fz_boundary[] = {
	0, 1, 2, 3, 4, 7, 8, 15, 16, 31, 32, 63, 64, 127, 128, 255, 256, 511,
	512, 1023, 1024, 1025, 4095, 4096, 4097, 8192, 16383, 16384, 32763,
	32764, 32765, 32767, 32768, 65535, 65536, 0x10001, 0x20000, 0x7fffffff,
	0x80000000, 0xfffff000, 0xfffffffe, 0xffffffff, 0x100000000ULL,
	0x7ffffffff000ULL, 0x800000000000ULL, KERNEL_HALF, 1ULL << 52,
	0x7fffffffffffffffULL, 0x8000000000000000ULL, 0xfffffffffffff000ULL,
	0xfffffffffffffffeULL, 0xffffffffffffffffULL,
};

#define FZ_NR_BOUNDARY	ARRAY_SIZE(fz_boundary)

static uint64_t fz_boundary_value(struct fz *z)
{
	uint64_t v = fz_boundary[fz_below(z, FZ_NR_BOUNDARY)];

	switch (fz_below(z, 8)) {
	case 0:
		return v - 1;
	case 1:
		return v + 1;
	default:
		return v;
	}
}

/* Is no page of [a, a + len) mapped? */
static bool fz_unmapped(uintptr_t a, size_t len)
{
	uintptr_t p = a & ~(PG - 1);
	uintptr_t end = a + (len ? len : 1);

	if (end < a)
		end = UINTPTR_MAX;
	for (; p < end && p >= (a & ~(PG - 1)); p += PG) {
		if (!msync((void *)p, PG, MS_ASYNC) || errno != ENOMEM)
			return false;
		if (p + PG < p)
			break;
	}
	return true;
}

/* A user-range pointer value, or NULL if something is mapped there. */
static unsigned long fz_if_unmapped(unsigned long a, size_t len)
{
	return fz_unmapped(a, len) ? a : 0;
}

/*
 * A pointer that must not reach the fuzzer's own memory: bad ones are
 * checked to be unmapped when they are user addresses.
 */
static unsigned long fz_bad_pointer(struct fz *z, enum fz_place *place,
				    size_t len)
{
	switch (fz_below(z, 8)) {
	case 0:
		*place = P_NULL;
		return 0;
	case 1:
		*place = P_LOW;
		return 0x1000;
	case 2:
		*place = P_TOP32;
		return fz_if_unmapped(0xfffff000UL, len);
	case 3:
		*place = P_ALLONES;
		return ~0UL;
#if __SIZEOF_LONG__ == 8
	case 4:
		*place = P_KERNEL;
		return KERNEL_HALF + (fz_below(z, 4) << 30);
	case 5:
		*place = P_NONCANON;
		return 0x0000800000000000UL;
	case 6:
		*place = P_ABOVE4G;
		return fz_if_unmapped(0x100000000UL + fz_below(z, 16) * PG, len);
#endif
	default:
		*place = P_RANDOM;
		return fz_if_unmapped((unsigned long)fz_rand(z), len);
	}
}

static void put32(uint8_t *p, size_t off, size_t len, uint32_t v)
{
	if (off + 4 <= len)
		memcpy(p + off, &v, 4);
}

static void put64(uint8_t *p, size_t off, size_t len, uint64_t v)
{
	if (off + 8 <= len)
		memcpy(p + off, &v, 8);
}

/* A pointer into the arena or a bad one, for pointers inside structs. */
static uint64_t fz_inner_pointer(struct fz *z)
{
	enum fz_place pl;

	switch (fz_below(z, 4)) {
	case 0:
	case 1:
		return KVMC_HVA(z->arena + fz_below(z, AR_RW_PAGES) * PG);
	case 2:
		return KVMC_HVA(z->arena + AR_RO);
	default:
		return fz_bad_pointer(z, &pl, PG);
	}
}

/* Garbage: random bytes, all 0, all 0xff, or boundary values at random. */
static void fz_fill(struct fz *z, uint8_t *p, size_t len)
{
	size_t i, n;

	switch (fz_below(z, 5)) {
	case 0:
		memset(p, 0, len);
		break;
	case 1:
		memset(p, 0xff, len);
		break;
	case 2:
	case 3:
		memset(p, 0, len);
		n = 1 + fz_below(z, 6);
		for (i = 0; i < n && len >= 8; i++) {
			size_t off = fz_below(z, len / 4) * 4;

			if (fz_below(z, 2))
				put32(p, off, len, (uint32_t)fz_boundary_value(z));
			else
				put64(p, off & ~7UL, len, fz_boundary_value(z));
		}
		break;
	default:
		for (i = 0; i + 8 <= len; i += 8)
			put64(p, i, len, fz_rand(z));
		for (; i < len; i++)
			p[i] = (uint8_t)fz_rand(z);
		break;
	}
}

static uint32_t fz_slot(struct fz *z)
{
	static const uint32_t slots[] = {
		0, 1, 2, 3, 0x10000, 0x10001, 0x20000, 32763, 32764, 32767,
		32768, 0xffff, 0x1ffff, 0xffffffff,
	};

	if (fz_below(z, 4))
		return slots[fz_below(z, ARRAY_SIZE(slots))];
	return (uint32_t)fz_rand(z);
}

static uint64_t fz_gpa(struct fz *z)
{
	switch (fz_below(z, 6)) {
	case 0:
		return 0;
	case 1:
		return fz_below(z, 64) * PG;
	case 2:
		return 0xfffff000ULL - fz_below(z, 16) * PG;
	case 3:
		return fz_boundary_value(z);
	case 4:
		return fz_below(z, 64) * PG + 1 + fz_below(z, PG - 1);
	default:
		return fz_rand(z);
	}
}

static uint64_t fz_size(struct fz *z)
{
	switch (fz_below(z, 6)) {
	case 0:
		return 0;
	case 1:
	case 2:
		return (1 + fz_below(z, GUEST_PAGES)) * PG;
	case 3:
		return fz_boundary_value(z);
	case 4:
		return (1ULL << (12 + fz_below(z, 40))) - fz_below(z, 2) * PG;
	default:
		return fz_rand(z);
	}
}

static uint64_t fz_hva(struct fz *z)
{
	enum fz_place pl;

	switch (fz_below(z, 6)) {
	case 0:
	case 1:
		return KVMC_HVA(z->guest + fz_below(z, GUEST_PAGES) * PG);
	case 2:
		return KVMC_HVA(z->guest) + 1 + fz_below(z, PG - 1);
	case 3:
		return fz_boundary_value(z) & ~(PG - 1);
	default:
		return fz_bad_pointer(z, &pl, PG);
	}
}

/* struct kvm_userspace_memory_region and the start of ...region2. */
static void fz_gen_memregion(struct fz *z, uint8_t *p, size_t len)
{
	static const uint32_t flags[] = { 0, 1, 2, 3, 4, 5, 7, 8, 0x8000,
					  0x10000, 0xffffffff };

	put32(p, 0, len, fz_slot(z));
	put32(p, 4, len, fz_below(z, 3) ? flags[fz_below(z, 11)] :
					   (uint32_t)fz_rand(z));
	put64(p, 8, len, fz_gpa(z));
	put64(p, 16, len, fz_size(z));
	put64(p, 24, len, fz_hva(z));
}

/*
 * The bitmap pointer of kvm_dirty_log / kvm_clear_dirty_log. A compat
 * caller's pointer is the low half of the __u64 union: the high half gets
 * garbage too.
 */
static void fz_put_bitmap(struct fz *z, uint8_t *p, size_t off, size_t len)
{
	uint64_t ptr = fz_inner_pointer(z);

	if (sizeof(void *) == 4 && fz_below(z, 2))
		ptr = (uint32_t)ptr | fz_rand(z) << 32;
	put64(p, off, len, ptr);
}

static void fz_gen_dirtylog(struct fz *z, uint8_t *p, size_t len)
{
	put32(p, 0, len, fz_slot(z));
	put32(p, 4, len, fz_below(z, 2) ? 0 : (uint32_t)fz_rand(z));
	fz_put_bitmap(z, p, 8, len);
}

static void fz_gen_clearlog(struct fz *z, uint8_t *p, size_t len)
{
	put32(p, 0, len, fz_slot(z));
	put32(p, 4, len, (uint32_t)fz_boundary_value(z));	/* num_pages */
	put64(p, 8, len, fz_below(z, 2) ? fz_below(z, 128) : fz_boundary_value(z));
	fz_put_bitmap(z, p, 16, len);
}

/* Never block SIGALRM: the fuzzer's timer must interrupt KVM_RUN. */
static void fz_gen_sigmask(struct fz *z, uint8_t *p, size_t len)
{
	static const uint32_t lens[] = { 0, 4, 8, 8, 8, 16, 128, 0xffffffff };
	uint64_t set = fz_rand(z) & ~(1ULL << (SIGALRM - 1));

	put32(p, 0, len, lens[fz_below(z, 8)]);
	put64(p, 4, len, set);
}

static uint64_t fz_count(struct fz *z)
{
	static const uint64_t counts[] = {
		0, 1, 2, 3, 4, 8, 64, 255, 256, 257, 1024, 4096, 0x7fffffff,
		0x80000000, 0xffffffff,
	};

	if (fz_below(z, 3))
		return counts[fz_below(z, ARRAY_SIZE(counts))];
	return fz_below(z, 2) ? fz_below(z, 32) : fz_rand(z);
}

/* struct kvm_msr_filter: flags, then 16 ranges with bitmap pointers. */
static void fz_gen_msrfilter(struct fz *z, uint8_t *p, size_t len)
{
	size_t rsz = sizeof(struct kvm_msr_filter_range);
	size_t off = offsetof(struct kvm_msr_filter, ranges);
	size_t bm = offsetof(struct kvm_msr_filter_range, bitmap);
	unsigned int i, n = (unsigned int)fz_below(z, KVM_MSR_FILTER_MAX_RANGES + 1);

	put32(p, 0, len, fz_below(z, 2) ? (uint32_t)fz_below(z, 2) :
					   (uint32_t)fz_rand(z));
	for (i = 0; i < n; i++, off += rsz) {
		put32(p, off, len, fz_below(z, 2) ? 1 + (uint32_t)fz_below(z, 3) :
						     (uint32_t)fz_rand(z));
		put32(p, off + 4, len, (uint32_t)fz_count(z));
		put32(p, off + 8, len, (uint32_t)fz_rand(z));
		if (sizeof(void *) == 8)
			put64(p, off + bm, len, fz_inner_pointer(z));
		else
			put32(p, off + bm, len, (uint32_t)fz_inner_pointer(z));
	}
}

/* A fd the fuzzer owns (or a bad one), for fd fields of structs. */
static int fz_some_fd(struct fz *z)
{
	unsigned int i = (unsigned int)fz_below(z, POOL_MAX + 2);

	if (i >= POOL_MAX)
		return i == POOL_MAX ? -1 : 1000;
	return z->pool[i].fd;
}

static void fz_gen_fds(struct fz *z, unsigned int cmd, uint8_t *p, size_t len)
{
	if (cmd == KVM_IRQFD) {
		put32(p, offsetof(struct kvm_irqfd, fd), len, (uint32_t)fz_some_fd(z));
		put32(p, offsetof(struct kvm_irqfd, resamplefd), len,
		      (uint32_t)fz_some_fd(z));
		put32(p, offsetof(struct kvm_irqfd, flags), len,
		      (uint32_t)fz_below(z, 4));
	} else if (cmd == KVM_IOEVENTFD) {
		put32(p, offsetof(struct kvm_ioeventfd, fd), len,
		      (uint32_t)fz_some_fd(z));
		put32(p, offsetof(struct kvm_ioeventfd, len), len,
		      (uint32_t)fz_below(z, 9));
		put32(p, offsetof(struct kvm_ioeventfd, flags), len,
		      (uint32_t)fz_below(z, 64));
	} else {
		put32(p, offsetof(struct kvm_hyperv_eventfd, fd), len,
		      (uint32_t)fz_some_fd(z));
	}
}

static uint32_t fz_cap(struct fz *z)
{
	return fz_below(z, 4) ? (uint32_t)fz_below(z, 250) :
				(uint32_t)fz_boundary_value(z);
}

/* Pointer argument: place the buffer, fill it, return the pointer. */
static unsigned long fz_pointer_arg(struct fz *z, unsigned int cmd,
				    enum fz_gen gen, enum fz_place *place,
				    uint32_t *offp)
{
	size_t size = _IOC_SIZE(cmd), len, off;
	uint8_t *p;

	*offp = 0;
	switch (fz_below(z, 20)) {
	case 0 ... 11:
		/* Aligned, with room for the structure (or half the arena). */
		*place = P_RW;
		len = size < AR_RW_SIZE / 2 ? size : AR_RW_SIZE / 2;
		off = fz_below(z, (AR_RW_SIZE - len) / 8) * 8;
		break;
	case 12:
		*place = P_RW_UNALIGNED;
		off = 1 + fz_below(z, 7) + fz_below(z, AR_RW_PAGES / 2) * PG;
		break;
	case 13:
		*place = P_STRADDLE;
		off = AR_RW_SIZE - 1 - fz_below(z, size ? size : 1);
		break;
	case 14:
	case 15:
		*place = P_RO;
		*offp = (uint32_t)(fz_below(z, 2) ? 0 : fz_below(z, PG / 8) * 8);
		return (unsigned long)(uintptr_t)(z->arena + AR_RO + *offp);
	case 16:
		*place = P_NONE;
		return (unsigned long)(uintptr_t)(z->arena + AR_NONE);
	default:
		return fz_bad_pointer(z, place, size ? size : 1);
	}
	*offp = (uint32_t)off;
	p = z->arena + off;
	len = AR_RW_SIZE - off;
	if (len > size + 256)
		len = size + 256;
	fz_fill(z, p, len);
	if (fz_below(z, 4)) {
		switch (gen) {
		case G_MEMREGION:
			fz_gen_memregion(z, p, len);
			break;
		case G_DIRTYLOG:
			fz_gen_dirtylog(z, p, len);
			break;
		case G_CLEARLOG:
			fz_gen_clearlog(z, p, len);
			break;
		case G_COUNT32:
			put32(p, 0, len, (uint32_t)fz_count(z));
			break;
		case G_COUNT64:
			put64(p, 0, len, fz_count(z));
			break;
		case G_MSRFILTER:
			fz_gen_msrfilter(z, p, len);
			break;
		case G_FDS:
			fz_gen_fds(z, cmd, p, len);
			break;
		case G_DEVICE:
			put32(p, 0, len, fz_below(z, 2) ? (uint32_t)fz_below(z, 16) :
							   (uint32_t)fz_rand(z));
			put32(p, 8, len, (uint32_t)fz_below(z, 3));
			break;
		case G_CAP:
			put32(p, 0, len, fz_cap(z));
			break;
		default:
			break;
		}
	}
	if (cmd == KVM_SET_SIGNAL_MASK || gen == G_SIGMASK)
		fz_gen_sigmask(z, p, len);
	fz_commit(z, off, len);
	return (unsigned long)(uintptr_t)p;
}

static unsigned long fz_scalar_arg(struct fz *z, enum fz_gen gen)
{
	switch (fz_below(z, 8)) {
	case 0:
		return (unsigned long)fz_rand(z);
	case 1:
		return (unsigned long)fz_below(z, 300);
	case 2:
		return (unsigned long)(uintptr_t)(z->arena + fz_below(z, AR_RW_PAGES) * PG);
	case 3:
		if (gen == G_CAP)
			return fz_cap(z);
		return (unsigned long)fz_below(z, 4);
	default:
		return (unsigned long)fz_boundary_value(z);
	}
}

/* ---- the fd pool ---- */

static int fz_classify(int fd)
{
	char path[64], link[128];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return 0;
	link[n] = '\0';
	if (!strcmp(link, "anon_inode:kvm-vm"))
		return FK_VM;
	if (!strncmp(link, "anon_inode:kvm-vcpu:", 20))
		return FK_VCPU;
	if (strstr(link, "kvm"))
		return FK_DEV;
	if (!strncmp(link, "pipe:", 5))
		return FK_PIPE;
	if (strstr(link, "eventfd"))
		return FK_EVENTFD;
	return FK_DEV;
}

static struct fz_fd *fz_slot_of(struct fz *z, int fd)
{
	int i;

	for (i = 0; i < POOL_MAX; i++)
		if (z->pool[i].fd == fd && fd >= 0)
			return &z->pool[i];
	return NULL;
}

static void fz_unmap(struct fz_fd *f)
{
	if (f->map)
		munmap(f->map, f->maplen);
	f->map = NULL;
}

static void fz_close_slot(struct fz_fd *f, bool unmap)
{
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
	f->kind = 0;
	f->sigmask = false;
	f->mmu_set = false;
	if (unmap)
		fz_unmap(f);
}

/* Take an fd into the pool; close it if the pool is full. */
static void fz_adopt(struct fz *z, int fd, int kind)
{
	int i;

	for (i = 0; i < POOL_MAX; i++) {
		if (z->pool[i].fd < 0 && !z->pool[i].map) {
			z->pool[i].fd = fd;
			z->pool[i].kind = kind;
			z->pool[i].sigmask = false;
			z->pool[i].mmu_set = false;
			return;
		}
	}
	close(fd);
}

/* A call returned @fd: if it is a new open fd, the call made it. */
static void fz_maybe_new_fd(struct fz *z, long fd)
{
	if (fd < 3 || fd >= 1024 || z->base_fds[fd] || fz_slot_of(z, (int)fd))
		return;
	if (fcntl((int)fd, F_GETFD) < 0)
		return;
	fz_adopt(z, (int)fd, fz_classify((int)fd));
}

static int fz_pick_fd(struct fz *z, unsigned int kinds, int *kind)
{
	int match[POOL_MAX], any[POOL_MAX], nm = 0, na = 0, i;
	unsigned int r = (unsigned int)fz_below(z, 100);

	for (i = 0; i < POOL_MAX; i++) {
		if (z->pool[i].fd < 0)
			continue;
		any[na++] = i;
		if (z->pool[i].kind & kinds)
			match[nm++] = i;
	}
	*kind = 0;
	if (r < 5 || !na)
		return r & 1 ? -1 : (r & 2 ? 1000 : INT_MAX);
	i = (r < 75 && nm) ? match[fz_below(z, nm)] : any[fz_below(z, na)];
	*kind = z->pool[i].kind;
	return z->pool[i].fd;
}

static struct fz_fd *fz_pick_kind(struct fz *z, int kind)
{
	int idx[POOL_MAX], n = 0, i;

	for (i = 0; i < POOL_MAX; i++)
		if (z->pool[i].fd >= 0 && z->pool[i].kind == kind)
			idx[n++] = i;
	return n ? &z->pool[idx[fz_below(z, n)]] : NULL;
}

/* ---- checks after each call ---- */

static void fz_scan(struct fz *z, size_t phase)
{
	uint64_t *a, *s, v;
	size_t off;

	for (off = phase; off + 8 <= AR_RW_SIZE; off += 8) {
		a = (uint64_t *)(z->arena + off);
		s = (uint64_t *)(z->snap + off);
		if (*a == *s)
			continue;
		v = *a;
		z->sh->kernel_checks++;
		/*
		 * A kernel address written there has its top bytes written
		 * too; a word whose top bytes kept the fuzzer's own 0xff
		 * (a struct's tail the call did not write) is not one.
		 */
		if (fz_kernel_looking(v) && ((v ^ *s) >> 48) && !fz_seen(z, v))
			fz_fail(z, "wrote %#llx, a kernel address, at arena offset %#zx",
				(unsigned long long)v, off);
	}
}

/*
 * Upstream KVM_GET_NR_MMU_PAGES (x86, until 6.4) answers with the count
 * the last KVM_SET_NR_MMU_PAGES set, through the "int r" of
 * kvm_arch_vm_ioctl(): a count whose low 32 bits are 0xfffff001 or more
 * comes back as -1 and errno 4095..1, to every ABI. This is that answer
 * when the fd's last successful KVM_SET_NR_MMU_PAGES set such a count and
 * the errno is what its low 32 bits make (nr_mmu_pages_test asserts it).
 */
static bool fz_nr_mmu_truncation(struct fz *z, int err)
{
	struct fz_fd *f;

	if (z->sh->cmd != KVM_GET_NR_MMU_PAGES)
		return false;
	f = fz_slot_of(z, z->sh->fd);
	return f && f->mmu_set && (int32_t)(uint32_t)f->mmu_pages == -err;
}

static void fz_after_call(struct fz *z, long r, int err, enum fz_place place,
			  uint32_t off)
{
	size_t i;

	z->sh->calls++;
	/*
	 * Only -1 is an error: an ia32/x32 caller sees a large non-negative
	 * kernel answer (KVM_GET_TSC_KHZ after KVM_SET_TSC_KHZ 0xf7f00000)
	 * as a negative int.
	 */
	if (r != -1) {
		z->sh->ok++;
		fz_maybe_new_fd(z, r);
	} else if (!fz_errno_allowed(err) && z->sh->cmd == KVM_GET_TSC_KHZ) {
		/*
		 * Upstream KVM_GET_TSC_KHZ answers with the frequency itself
		 * through an int (kvm_arch_vm_ioctl(), kvm_arch_vcpu_ioctl():
		 * "int r"), and without TSC scaling KVM_SET_TSC_KHZ accepts
		 * any __u32 (the 0x7fffffff cap applies only with scaling):
		 * 0xfffff001..0xffffffff comes back as -1 and an "errno", to
		 * every ABI. Counted and logged, not failed: kvm_compat has
		 * no TSC frequency, the fuzzer's values are what upstream
		 * accepted.
		 */
		z->sh->tsc_khz_ambiguous++;
	} else if (!fz_errno_allowed(err) && fz_nr_mmu_truncation(z, err)) {
		z->sh->nr_mmu_truncated++;
	} else if (!fz_errno_allowed(err)) {
		fz_fail(z, "returned %ld, errno %d (%s): not an allowed answer",
			r, err, kvmc_errname(err));
	} else if (err < 64) {
		z->sh->errs[err]++;
	}
	if (z->sh->cmd == KVM_CREATE_DEVICE && !r) {
		/* The new fd is in the structure, wherever the call put it. */
		z->created_device = true;
		if (place == P_RW)
			fz_maybe_new_fd(z, *(int32_t *)(z->arena + off + 4));
	}

	/*
	 * Words as the output structure aligns them: at an unaligned buffer
	 * an arena-aligned word would mix the kernel's bytes with old ones.
	 */
	fz_scan(z, place == P_RW_UNALIGNED || place == P_STRADDLE ? off % 8 : 0);
	for (i = 0; i < AR_RW_SIZE; i += 8)
		*(uint64_t *)(z->snap + i) = *(uint64_t *)(z->arena + i);
}

/* ---- operations ---- */

static void fz_record(struct fz *z, int op, int fd, int kind, unsigned int cmd,
		      unsigned int base, unsigned long arg, enum fz_place place,
		      uint32_t off)
{
	struct fz_shared *sh = z->sh;

	sh->op = op;
	sh->fd = fd;
	sh->fdkind = kind;
	sh->cmd = cmd;
	sh->base_cmd = base;
	sh->arg = arg;
	sh->place = place;
	sh->off = off;
	sh->progress++;
}

/*
 * KVM_RUN must come back: an immediate exit where the vCPU's signal mask
 * might block the fuzzer's timer (any mask: semantics not assumed).
 */
static void fz_prepare_run(struct fz *z, int fd, unsigned long *arg)
{
	struct fz_fd *f = fz_slot_of(z, fd);
	struct kvm_run *run;

	if (!f || f->kind != FK_VCPU)
		return;
	run = (f->map && f->shared && !f->pgoff && (f->prot & PROT_WRITE)) ?
	      (struct kvm_run *)f->map : NULL;
	if (run)
		run->immediate_exit = f->sigmask || fz_below(z, 4) ? 1 : 0;
	else if (f->sigmask)
		*arg = 1;
}

static void fz_ioctl(struct fz *z, int op, int fd, int kind, unsigned int cmd,
		     unsigned int base, unsigned long arg, enum fz_place place,
		     uint32_t off)
{
	long r;
	int err;

	if (cmd == KVM_RUN)
		fz_prepare_run(z, fd, &arg);
	fz_record(z, op, fd, kind, cmd, base, arg, place, off);
	if (z->verbose) {
		char d[512];

		fz_describe_call(z->sh, d, sizeof(d));
		fprintf(stderr, "# %s\n", d);
	}
	errno = 0;
	r = ioctl(fd, cmd, arg);
	err = errno;
	if (z->verbose)
		fprintf(stderr, "#   -> %ld %s\n", r, r < 0 ? kvmc_errname(err) : "");
	if (cmd == KVM_SET_SIGNAL_MASK && r == 0) {
		struct fz_fd *f = fz_slot_of(z, fd);

		if (f)
			f->sigmask = true;
	}
	if (cmd == KVM_SET_NR_MMU_PAGES && r == 0) {
		struct fz_fd *f = fz_slot_of(z, fd);

		if (f) {
			f->mmu_set = true;
			f->mmu_pages = arg;
		}
	}
	fz_after_call(z, r, err, place, off);
}

static unsigned long fz_arg_for(struct fz *z, unsigned int cmd, enum fz_gen gen,
				enum fz_place *place, uint32_t *off)
{
	*off = 0;
	if (_IOC_DIR(cmd) == _IOC_NONE && fz_below(z, 8)) {
		*place = P_SCALAR;
		return fz_scalar_arg(z, gen);
	}
	return fz_pointer_arg(z, cmd, gen, place, off);
}

static unsigned int fz_mutate(struct fz *z, unsigned int cmd)
{
	unsigned int dir = _IOC_DIR(cmd), type = _IOC_TYPE(cmd);
	unsigned int nr = _IOC_NR(cmd), size = _IOC_SIZE(cmd);
	unsigned int n = 1 + (unsigned int)fz_below(z, 2), i;

	for (i = 0; i < n; i++) {
		switch (fz_below(z, 7)) {
		case 0:
			dir ^= 1 + (unsigned int)fz_below(z, 3);
			break;
		case 1:
			size ^= 1U << fz_below(z, 14);
			break;
		case 2:
			size += fz_below(z, 2) ? 1 : -1;
			break;
		case 3:
			size = fz_below(z, 2) ? 0 : 0x3fff;
			break;
		case 4:
			size += (unsigned int)(fz_below(z, 2) ? 8 : -8);
			break;
		case 5:
			nr += (unsigned int)fz_below(z, 7) - 3;
			break;
		default:
			type ^= 1U << fz_below(z, 8);
			break;
		}
	}
	return _IOC(dir & 3, type & 0xff, nr & 0xff, size & 0x3fff);
}

static unsigned int fz_random_cmd(struct fz *z)
{
	static const unsigned int types[] = { 'T', 'f', 'X', '$', 0x89, 'v' };
	unsigned int dir = (unsigned int)fz_below(z, 4), type;
	unsigned int size = fz_below(z, 2) ? (unsigned int)fz_below(z, 4096) :
					     (unsigned int)fz_below(z, 0x4000);

	switch (fz_below(z, 5)) {
	case 0:
	case 1:
	case 2:
		type = KVMIO;
		break;
	case 3:
		type = types[fz_below(z, ARRAY_SIZE(types))];
		break;
	default:
		return (unsigned int)fz_rand(z);
	}
	return _IOC(dir, type, (unsigned int)fz_below(z, 256), size);
}

static void fz_op_ioctl(struct fz *z, int op)
{
	const struct fz_ioc *e = &fz_table[fz_below(z, FZ_NR_IOCS)];
	unsigned int cmd = e->cmd, kinds = e->kinds;
	enum fz_gen gen = e->gen;
	enum fz_place place;
	unsigned long arg;
	uint32_t off;
	int fd, kind;

	if (op == OP_MUTATED) {
		cmd = fz_mutate(z, e->cmd);
	} else if (op == OP_RANDOM) {
		cmd = fz_random_cmd(z);
		kinds = (unsigned int)fz_rand(z);
		gen = G_RAW;
		e = NULL;
	}
	fd = fz_pick_fd(z, kinds, &kind);
	arg = fz_arg_for(z, cmd, gen, &place, &off);
	fz_ioctl(z, op, fd, kind, cmd, e ? e->cmd : cmd, arg, place, off);
}

/* A normal call made by the fuzzer itself, checked like the others. */
static long fz_plain(struct fz *z, int op, struct fz_fd *f, unsigned int cmd,
		     unsigned long arg)
{
	long r;
	int err;

	fz_record(z, op, f->fd, f->kind, cmd, cmd, arg, P_SCALAR, 0);
	errno = 0;
	r = ioctl(f->fd, cmd, arg);
	err = errno;
	fz_after_call(z, r, err, P_SCALAR, 0);
	return r;
}

static void fz_op_memslot(struct fz *z)
{
	struct fz_fd *vm = fz_pick_kind(z, FK_VM);
	struct kvm_userspace_memory_region *m = (void *)(z->arena + 64 * 8);
	uint64_t npages = 1 + fz_below(z, GUEST_PAGES / 2);

	if (!vm)
		return;
	memset(m, 0, sizeof(*m));
	m->slot = (uint32_t)fz_below(z, 4) | (fz_below(z, 4) ? 0 : 0x10000);
	m->flags = (uint32_t)fz_below(z, 4);
	m->guest_phys_addr = fz_below(z, 32) * PG;
	m->memory_size = fz_below(z, 5) ? npages * PG : 0;
	m->userspace_addr = KVMC_HVA(z->guest + fz_below(z, GUEST_PAGES - npages + 1) * PG);
	fz_commit(z, 64 * 8, sizeof(*m));
	fz_plain(z, OP_MEMSLOT, vm, KVM_SET_USER_MEMORY_REGION,
		 (unsigned long)(uintptr_t)m);
}

static void fz_op_mmap(struct fz *z)
{
	struct fz_fd *f = fz_pick_kind(z, FK_VCPU);
	static const int prots[] = { PROT_READ, PROT_READ | PROT_WRITE,
				     PROT_READ | PROT_WRITE | PROT_EXEC };
	size_t pages;
	void *p;

	if (!f)
		return;
	fz_unmap(f);
	pages = 1 + fz_below(z, 5);
	f->pgoff = fz_below(z, 3) ? 0 : fz_below(z, 5);
	f->prot = prots[fz_below(z, 3)];
	f->shared = fz_below(z, 4) != 0;
	fz_record(z, OP_MMAP, f->fd, f->kind, 0, 0, pages * PG, P_SCALAR,
		  (uint32_t)f->pgoff);
	p = mmap(NULL, pages * PG, f->prot, f->shared ? MAP_SHARED : MAP_PRIVATE,
		 f->fd, (off_t)(f->pgoff * PG));
	if (p == MAP_FAILED) {
		/*
		 * EPERM for PROT_EXEC: anon-inode files live on a noexec
		 * filesystem since "anon_inode: raise SB_I_NODEV and
		 * SB_I_NOEXEC" (v6.15), and do_mmap() refuses to map them
		 * executable (Documentation/by-version.rst, "Not KVM").
		 */
		if (errno != EINVAL && errno != ENOMEM && errno != ENODEV &&
		    !(errno == EPERM && (f->prot & PROT_EXEC)))
			fz_fail(z, "mmap of a vCPU fd: %s", kvmc_errname(errno));
		return;
	}
	f->map = p;
	f->maplen = pages * PG;
}

static void fz_fault(int sig, siginfo_t *si, void *uc)
{
	(void)si;
	(void)uc;
	if (fz_touch_armed) {
		fz_touch_armed = 0;
		siglongjmp(fz_touch_env, sig);
	}
	signal(sig, SIG_DFL);	/* returning re-faults and kills the child */
}

/*
 * Touch one page of a vCPU mapping: pages below KVM_GET_VCPU_MMAP_SIZE
 * must not fault, pages beyond it may (SIGBUS).
 */
static void fz_op_touch(struct fz *z)
{
	int idx[POOL_MAX], n = 0, i, sig;
	volatile uint8_t *p;
	unsigned long page;
	struct fz_fd *f;

	for (i = 0; i < POOL_MAX; i++)
		if (z->pool[i].map)
			idx[n++] = i;
	if (!n)
		return;
	f = &z->pool[idx[fz_below(z, n)]];
	page = fz_below(z, f->maplen / PG);
	p = f->map + page * PG + fz_below(z, PG);
	fz_record(z, OP_TOUCH, f->fd, f->kind, 0, 0, (unsigned long)(uintptr_t)p,
		  P_SCALAR, (uint32_t)(f->pgoff + page));
	sig = sigsetjmp(fz_touch_env, 1);
	if (!sig) {
		uint8_t v;

		fz_touch_armed = 1;
		v = *p;
		if (f->prot & PROT_WRITE)
			*p = v;
		fz_touch_armed = 0;
		return;
	}
	if (f->pgoff + page < (unsigned long)z->mmap_size / PG)
		fz_fail(z, "signal %d touching page %lu of a vCPU mapping (mmap size %d)",
			sig, f->pgoff + page, z->mmap_size);
	z->sh->faults_expected++;
}

static void fz_op_munmap(struct fz *z)
{
	struct fz_fd *f = &z->pool[fz_below(z, POOL_MAX)];

	if (!f->map)
		return;
	fz_record(z, OP_MUNMAP, f->fd, f->kind, 0, 0,
		  (unsigned long)(uintptr_t)f->map, P_SCALAR, 0);
	fz_unmap(f);
}

static void fz_op_close(struct fz *z)
{
	int idx[POOL_MAX], n = 0, i;
	struct fz_fd *f;

	for (i = 0; i < POOL_MAX; i++)
		if (z->pool[i].fd >= 0)
			idx[n++] = i;
	if (n < 4)
		return;
	f = &z->pool[idx[fz_below(z, n)]];
	fz_record(z, OP_CLOSE, f->fd, f->kind, 0, 0, 0, P_SCALAR, 0);
	/* A vCPU's mapping outlives its fd; later touches use it. */
	fz_close_slot(f, false);
}

static void fz_op_create(struct fz *z, int op)
{
	struct fz_fd *f = fz_pick_kind(z, op == OP_CREATE_VM ? FK_SYS : FK_VM);

	if (!f)
		return;
	if (op == OP_CREATE_VM)
		fz_plain(z, op, f, KVM_CREATE_VM, 0);
	else
		fz_plain(z, op, f, KVM_CREATE_VCPU, fz_below(z, 8));
}

static void fz_op(struct fz *z)
{
	unsigned int r = (unsigned int)fz_below(z, 100);

	if (r < 50)
		fz_op_ioctl(z, OP_TABLE);
	else if (r < 65)
		fz_op_ioctl(z, OP_MUTATED);
	else if (r < 78)
		fz_op_ioctl(z, OP_RANDOM);
	else if (r < 82)
		fz_op_close(z);
	else if (r < 84)
		fz_op_create(z, OP_CREATE_VM);
	else if (r < 87)
		fz_op_create(z, OP_CREATE_VCPU);
	else if (r < 92)
		fz_op_memslot(z);
	else if (r < 94)
		fz_op_mmap(z);
	else if (r < 99)
		fz_op_touch(z);
	else
		fz_op_munmap(z);
}

/* ---- a batch, in its own process ---- */

static void fz_alarm(int sig)
{
	(void)sig;
}

static void fz_list_fds(uint8_t *set)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int fd;

	memset(set, 0, 1024);
	if (!d)
		return;
	while ((e = readdir(d))) {
		fd = atoi(e->d_name);
		if (e->d_name[0] != '.' && fd >= 0 && fd < 1024 && fd != dirfd(d))
			set[fd] = 1;
	}
	closedir(d);
}

static void fz_setup(struct fz *z)
{
	struct fz_fd *sys, *vm;
	int pfd[2], i, fd;
	size_t k;

	z->arena = mmap(NULL, AR_PAGES * PG, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	z->guest = kvmc_map_pages(GUEST_PAGES);
	z->snap = malloc(AR_RW_SIZE);
	if (z->arena == MAP_FAILED || !z->guest || !z->snap)
		fz_fail(z, "setup: out of memory");
	/* 0x5a: no 8-byte run of it looks like a kernel address. */
	memset(z->arena, 0x5a, AR_RW_SIZE);
	memcpy(z->snap, z->arena, AR_RW_SIZE);
	for (k = 0; k < PG; k += 8)
		put64(z->arena + AR_RO, k, PG, fz_rand(z));
	fz_record_input(z, z->arena + AR_RO, PG);
	if (mprotect(z->arena + AR_RW_SIZE, PG, PROT_NONE) ||
	    mprotect(z->arena + AR_RO, PG, PROT_READ) ||
	    mprotect(z->arena + AR_NONE, PG, PROT_NONE))
		fz_fail(z, "setup: mprotect: %s", kvmc_errname(errno));

	for (i = 0; i < POOL_MAX; i++)
		z->pool[i].fd = -1;
	fz_list_fds(z->base_fds);

	fd = kvmc_open();
	if (fd < 0)
		fz_fail(z, "setup: open %s: %s", kvmc_device(), kvmc_errname(-fd));
	fz_adopt(z, fd, FK_SYS);
	sys = &z->pool[0];
	z->mmap_size = ioctl(sys->fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (z->mmap_size < (int)PG)
		fz_fail(z, "setup: KVM_GET_VCPU_MMAP_SIZE: %d", z->mmap_size);
	fd = kvmc_create_vm(sys->fd);
	if (fd < 0)
		fz_fail(z, "setup: KVM_CREATE_VM: %s", kvmc_errname(-fd));
	fz_adopt(z, fd, FK_VM);
	vm = &z->pool[1];
	fd = kvmc_set_region(vm->fd, 0, KVM_MEM_LOG_DIRTY_PAGES, 0,
			     GUEST_PAGES * PG, KVMC_HVA(z->guest));
	if (fd < 0)
		fz_fail(z, "setup: memslot: %s", kvmc_errname(-fd));
	for (i = 0; i < 2; i++) {
		fd = kvmc_create_vcpu(vm->fd, i);
		if (fd < 0)
			fz_fail(z, "setup: KVM_CREATE_VCPU: %s", kvmc_errname(-fd));
		fz_adopt(z, fd, FK_VCPU);
	}
	z->pool[2].map = mmap(NULL, z->mmap_size, PROT_READ | PROT_WRITE,
			      MAP_SHARED, z->pool[2].fd, 0);
	if (z->pool[2].map == MAP_FAILED)
		fz_fail(z, "setup: mmap vCPU: %s", kvmc_errname(errno));
	z->pool[2].maplen = z->mmap_size;
	z->pool[2].prot = PROT_READ | PROT_WRITE;
	z->pool[2].shared = true;
	if (pipe(pfd))
		fz_fail(z, "setup: pipe: %s", kvmc_errname(errno));
	fz_adopt(z, pfd[0], FK_PIPE);
	fz_adopt(z, pfd[1], FK_PIPE);
	fd = eventfd(0, EFD_CLOEXEC);
	if (fd < 0)
		fz_fail(z, "setup: eventfd: %s", kvmc_errname(errno));
	fz_adopt(z, fd, FK_EVENTFD);
	fd = kvmc_open();
	if (fd >= 0)
		fz_adopt(z, fd, FK_SYS);
}

static bool fz_past(const struct timespec *deadline)
{
	struct timespec now;

	if (!deadline->tv_sec)
		return false;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > deadline->tv_sec ||
	       (now.tv_sec == deadline->tv_sec && now.tv_nsec >= deadline->tv_nsec);
}

/* Close everything the batch knows of; any fd left over was leaked. */
static void fz_teardown(struct fz *z)
{
	uint8_t now[1024];
	char path[64], link[128];
	ssize_t n;
	int i;

	for (i = 0; i < POOL_MAX; i++)
		fz_close_slot(&z->pool[i], true);
	fz_list_fds(now);
	for (i = 0; i < 1024; i++) {
		if (!now[i] || z->base_fds[i])
			continue;
		snprintf(path, sizeof(path), "/proc/self/fd/%d", i);
		n = readlink(path, link, sizeof(link) - 1);
		link[n > 0 ? n : 0] = '\0';
		/*
		 * A device KVM_CREATE_DEVICE made from a structure the fuzzer
		 * placed elsewhere (unaligned, straddling): its fd was written
		 * into that structure, not returned. Upstream only.
		 */
		if (z->created_device && !strncmp(link, "anon_inode:kvm-", 15) &&
		    strcmp(link, "anon_inode:kvm-vm") &&
		    strncmp(link, "anon_inode:kvm-vcpu", 19)) {
			close(i);
			continue;
		}
		fz_fail(z, "after the batch fd %d (%s) is open: no call returned it",
			i, link);
	}
}

static void fz_batch_child(struct fz_shared *sh, uint64_t seed, uint32_t batch,
			   uint32_t ncalls, const struct timespec *deadline,
			   bool verbose)
{
	struct sigaction sa = { .sa_sigaction = fz_fault,
				.sa_flags = SA_SIGINFO | SA_NODEFER };
	struct itimerval it = { { 0, 20000 }, { 0, 20000 } };
	static struct fz z;
	uint32_t i;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	memset(&z, 0, sizeof(z));
	z.sh = sh;
	z.verbose = verbose;
	z.deadline = *deadline;
	z.rng = seed ^ ((uint64_t)batch * 0xd1b54a32d192ed03ULL);
	kvmc_rng_next(&z.rng);
	sh->batch = batch;
	sh->idx = 0;
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	fz_setup(&z);

	/* Interrupt whatever blocks (KVM_RUN on a halted vCPU): EINTR. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = fz_alarm;	/* no SA_RESTART */
	sigaction(SIGALRM, &sa, NULL);
	setitimer(ITIMER_REAL, &it, NULL);
	for (i = 0; i < ncalls; i++) {
		if (!(i % 16) && fz_past(&z.deadline))
			break;
		sh->idx = i;
		fz_op(&z);
	}
	memset(&it, 0, sizeof(it));
	setitimer(ITIMER_REAL, &it, NULL);
	signal(SIGALRM, SIG_DFL);
	fz_teardown(&z);
	_exit(0);
}

/* ---- the test process ---- */

/*
 * Run one batch in a child and wait for it. Returns 0 when it finished
 * cleanly, else -1 with @why filled in.
 */
static int fz_run_batch(struct fz_shared *sh, uint64_t seed, uint32_t batch,
			uint32_t ncalls, const struct timespec *deadline,
			bool verbose, char *why, size_t whylen)
{
	uint64_t last = sh->progress;
	int status, idle_ms = 0;
	char call[512];
	pid_t pid, w;

	sh->msg[0] = '\0';
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		snprintf(why, whylen, "fork: %s", kvmc_errname(errno));
		return -1;
	}
	if (!pid)
		fz_batch_child(sh, seed, batch, ncalls, deadline, verbose);
	for (;;) {
		w = waitpid(pid, &status, WNOHANG);
		if (w == pid)
			break;
		if (w < 0 && errno != EINTR) {
			snprintf(why, whylen, "waitpid: %s", kvmc_errname(errno));
			return -1;
		}
		kvmc_sleep_ms(50);
		if (sh->progress != last) {
			last = sh->progress;
			idle_ms = 0;
			continue;
		}
		idle_ms += 50;
		if (idle_ms >= FUZZ_STALL_SECONDS * 1000) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			fz_describe_call(sh, call, sizeof(call));
			snprintf(why, whylen, "no progress for %d s, killed; in %s",
				 FUZZ_STALL_SECONDS, call);
			return -1;
		}
	}
	sh->batches++;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status)) {
		snprintf(why, whylen, "%s", sh->msg[0] ? sh->msg : "child failed");
		return -1;
	}
	fz_describe_call(sh, call, sizeof(call));
	snprintf(why, whylen, "child killed by signal %d (%s) in %s",
		 WTERMSIG(status), strsignal(WTERMSIG(status)), call);
	return -1;
}

#define FZ_STATS_FMT \
	"%u batches, %llu calls, %llu returned >= 0, %llu expected faults, %llu words checked; errnos%s"
#define FZ_TSC_KHZ_FMT \
	"upstream quirk: %llu KVM_GET_TSC_KHZ answers of 0xfffff001 or more (set by KVM_SET_TSC_KHZ) came back as -1 and an errno"
#define FZ_NR_MMU_FMT \
	"upstream quirk: %llu KVM_GET_NR_MMU_PAGES answers of 0xfffff001 or more (set by KVM_SET_NR_MMU_PAGES) came back as -1 and an errno"

static void fz_log_stats(struct __test_metadata *_metadata,
			 const struct fz_shared *sh)
{
	char line[512];
	size_t n = 0;
	int e;

	for (e = 1; e < 64; e++)
		if (sh->errs[e] && n < sizeof(line))
			n += snprintf(line + n, sizeof(line) - n, " %s:%llu",
				      kvmc_errname(e),
				      (unsigned long long)sh->errs[e]);
	line[n < sizeof(line) ? n : 0] = '\0';
	TH_LOG(FZ_STATS_FMT, sh->batches, (unsigned long long)sh->calls,
	       (unsigned long long)sh->ok,
	       (unsigned long long)sh->faults_expected,
	       (unsigned long long)sh->kernel_checks, line);
	if (sh->tsc_khz_ambiguous)
		TH_LOG(FZ_TSC_KHZ_FMT,
		       (unsigned long long)sh->tsc_khz_ambiguous);
	if (sh->nr_mmu_truncated)
		TH_LOG(FZ_NR_MMU_FMT,
		       (unsigned long long)sh->nr_mmu_truncated);
}

/* What a random_calls case runs: batches first.. of @seed, @calls calls. */
struct fz_plan {
	uint64_t seed;
	uint32_t first;
	uint64_t calls;		/* the last batch may be short */
	uint64_t secs;		/* start no call after this long; 0: no limit */
};

/* How to run a failing batch again, alone. */
#define FZ_REPLAY_FMT \
	"replay: KVMC_FUZZ_SEED=%#llx KVMC_FUZZ_BATCH=%u KVMC_FUZZ_VERBOSE=1 ioctl_fuzz_test_%s %s -r fuzz_seed.env.random_calls"

static void fz_run_plan(struct __test_metadata *_metadata, int fds_before,
			const struct fz_plan *p)
{
	bool verbose = kvmc_env_u64("KVMC_FUZZ_VERBOSE", 0) != 0;
	struct timespec deadline = { 0, 0 };
	uint64_t done = 0;
	struct fz_shared *sh;
	char why[2600];
	uint32_t b, n;

	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, sh);
	memset(sh, 0, sizeof(*sh));
	if (p->secs) {
		clock_gettime(CLOCK_MONOTONIC, &deadline);
		deadline.tv_sec += (time_t)p->secs;
	}
	TH_LOG("%s from %s: seed %#llx, batches %u.., %llu calls in batches of %d%s",
	       kvmc_device(), kvmc_abi_name(), (unsigned long long)p->seed,
	       p->first, (unsigned long long)p->calls, FUZZ_BATCH,
	       p->secs ? ", time-limited" : "");

	for (b = p->first; done < p->calls; b++, done += n) {
		if (fz_past(&deadline))
			break;
		n = p->calls - done < FUZZ_BATCH ?
		    (uint32_t)(p->calls - done) : FUZZ_BATCH;
		if (fz_run_batch(sh, p->seed, b, n, &deadline, verbose, why,
				 sizeof(why))) {
			fz_log_stats(_metadata, sh);
			TH_LOG(FZ_REPLAY_FMT, (unsigned long long)p->seed, b,
			       kvmc_abi_suffix(), kvmc_device());
			ASSERT_TRUE(false) TH_LOG("%s", why);
		}
	}
	fz_log_stats(_metadata, sh);
	EXPECT_LT(0, sh->calls);
	KVMC_ASSERT_DEVICE_WORKS("fuzzing");
	EXPECT_EQ(fds_before, kvmc_count_fds());
	munmap(sh, sizeof(*sh));
}

FIXTURE(fuzz_seed)
{
	int fds_before;
};

FIXTURE_VARIANT(fuzz_seed)
{
	uint64_t seed;
	uint32_t first, batches;
	bool env;		/* fuzz_seed.env: KVMC_FUZZ_SEED and friends */
};

/* The gate's cases, and KVMC_RACE_SEED: the list of the gate's seeds. */
#define KVMC_FUZZ_SEED_VARIANTS
#include "kvm_compat_seeds.h"

/*
 * fuzz_seed.env, exploration with the seed of KVMC_FUZZ_SEED: registered
 * only when that is set, as FIXTURE_VARIANT_ADD() registers a variant,
 * so that the gate's list of cases never depends on the environment.
 */
static FIXTURE_VARIANT(fuzz_seed) fz_env_variant = { .env = true };
static struct __fixture_variant_metadata fz_env_object = {
	.name = "env",
	.data = &fz_env_variant,
};

static void __attribute__((constructor(KSELFTEST_PRIO_TEST + 1)))
fz_register_env(void)
{
	const char *v = getenv("KVMC_FUZZ_SEED");

	if (!v || !*v)
		return;
	fz_env_variant.seed = strtoull(v, NULL, 0);
	__register_fixture_variant(&_fuzz_seed_fixture_object, &fz_env_object);
}

FIXTURE_SETUP(fuzz_seed)
{
	int sys;

	KVMC_OPEN_OR_SKIP(sys);
	close(sys);
	self->fds_before = kvmc_count_fds();
	ASSERT_LT(0, self->fds_before);
}

FIXTURE_TEARDOWN(fuzz_seed)
{
}

/*
 * The gate's variants run their batches whatever the time they take;
 * fuzz_seed.env runs KVMC_FUZZ_ITERS calls from batch 0, within
 * KVMC_FUZZ_SECONDS if set. KVMC_FUZZ_BATCH narrows any variant to one
 * whole batch.
 */
TEST_F_TIMEOUT(fuzz_seed, random_calls, 150)
{
	const char *only = getenv("KVMC_FUZZ_BATCH");
	struct fz_plan p = {
		.seed = variant->seed,
		.first = variant->first,
		.calls = (uint64_t)variant->batches * FUZZ_BATCH,
	};

	if (variant->env) {
		p.calls = kvmc_env_u64("KVMC_FUZZ_ITERS", FUZZ_DEFAULT_ITERS);
		p.secs = kvmc_env_u64("KVMC_FUZZ_SECONDS", 0);
	}
	if (only && *only) {
		p.first = (uint32_t)strtoul(only, NULL, 0);
		p.calls = FUZZ_BATCH;
	}
	fz_run_plan(_metadata, self->fds_before, &p);
}

FIXTURE(fuzz)
{
	int fds_before;
};

FIXTURE_SETUP(fuzz)
{
	int sys;

	KVMC_OPEN_OR_SKIP(sys);
	close(sys);
	self->fds_before = kvmc_count_fds();
	ASSERT_LT(0, self->fds_before);
}

FIXTURE_TEARDOWN(fuzz)
{
}

/* ---- closing fds under running ioctls ---- */

#define RACE_ROUNDS	12
#define RACE_THREADS	3
#define RACE_CALLS	400

struct race {
	int target;			/* the fd the workers use */
	int kind;
	uint64_t seed;
	volatile uint64_t calls;	/* made by all workers */
	volatile int bad_errno;
	volatile unsigned int bad_cmd;
	uint8_t *buf;
};

static const unsigned int race_cmds[] = {
	KVM_GET_REGS, KVM_SET_REGS, KVM_GET_SREGS, KVM_SET_SREGS, KVM_RUN,
	KVM_CHECK_EXTENSION, KVM_CREATE_VCPU, KVM_SET_USER_MEMORY_REGION,
	KVM_GET_DIRTY_LOG, KVM_GET_API_VERSION, KVM_SET_SIGNAL_MASK,
	KVM_X86_SET_MSR_FILTER, KVM_CLEAR_DIRTY_LOG,
};

static void *race_worker(void *arg)
{
	struct race *r = arg;
	uint64_t rng = r->seed;
	uint8_t buf[4096];
	unsigned int cmd;
	unsigned long a;
	int i, ret;

	for (i = 0; i < RACE_CALLS; i++) {
		cmd = race_cmds[kvmc_rng_below(&rng, ARRAY_SIZE(race_cmds))];
		memset(buf, 0, sizeof(buf));
		if (cmd == KVM_SET_SIGNAL_MASK) {
			/* len 8, nothing blocked */
			buf[0] = 8;
		}
		a = (_IOC_DIR(cmd) == _IOC_NONE) ?
		    (cmd == KVM_RUN ? 0 : (unsigned long)kvmc_rng_below(&rng, 4)) :
		    (unsigned long)(uintptr_t)buf;
		if (cmd == KVM_SET_USER_MEMORY_REGION) {
			struct kvm_userspace_memory_region *m = (void *)buf;

			m->slot = (uint32_t)kvmc_rng_below(&rng, 4) + 1;
			m->guest_phys_addr = 0x100000 * m->slot;
			m->memory_size = kvmc_rng_below(&rng, 2) ? PG : 0;
			m->userspace_addr = KVMC_HVA(r->buf);
		}
		ret = ioctl(r->target, cmd, a);
		if (ret == -1 && !fz_errno_allowed(errno) && !r->bad_errno) {
			r->bad_errno = errno;
			r->bad_cmd = cmd;
		}
		if (ret > 2 && cmd == KVM_CREATE_VCPU && fcntl(ret, F_GETFD) >= 0)
			close(ret);
		__atomic_add_fetch(&r->calls, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

/*
 * Threads issue ioctls on one fd (system, VM or vCPU) while the main thread
 * closes it at a seeded point and opens an eventfd, which may take the
 * same number: the workers' later calls go to whatever file has it.
 */
TEST_F_TIMEOUT(fuzz, close_race, 120)
{
	uint64_t rng = KVMC_RACE_SEED;
	pthread_t th[RACE_THREADS];
	int round, t, sys, vm, vcpu, other, efd;
	struct kvm_regs regs;
	uint64_t close_at;
	struct race r;
	void *run;

	r.buf = kvmc_map_pages(1);
	ASSERT_NE(NULL, r.buf);
	for (round = 0; round < RACE_ROUNDS; round++) {
		sys = kvmc_open();
		ASSERT_LE(0, sys);
		vm = kvmc_create_vm(sys);
		ASSERT_LE(0, vm);
		vcpu = kvmc_create_vcpu(vm, 0);
		ASSERT_LE(0, vcpu);
		other = kvmc_create_vcpu(vm, 1);
		ASSERT_LE(0, other);
		run = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
		ASSERT_NE(MAP_FAILED, run);
		((struct kvm_run *)run)->immediate_exit = 1;

		memset(&r, 0, offsetof(struct race, buf));
		r.kind = round % 3;
		r.target = r.kind == 0 ? sys : r.kind == 1 ? vm : vcpu;
		close_at = kvmc_rng_below(&rng, RACE_THREADS * RACE_CALLS / 2);
		for (t = 0; t < RACE_THREADS; t++) {
			r.seed = kvmc_rng_next(&rng);
			ASSERT_EQ(0, pthread_create(&th[t], NULL, race_worker, &r));
		}
		while (r.calls < close_at)
			sched_yield();
		ASSERT_EQ(0, close(r.target));
		efd = eventfd(0, EFD_CLOEXEC);
		ASSERT_LE(0, efd);
		for (t = 0; t < RACE_THREADS; t++)
			ASSERT_EQ(0, pthread_join(th[t], NULL));
		EXPECT_EQ(0, r.bad_errno)
			TH_LOG("round %d (%s closed after %llu calls): %#x gave %s",
			       round, r.kind == 0 ? "system" : r.kind == 1 ? "VM" : "vCPU",
			       (unsigned long long)close_at, r.bad_cmd,
			       kvmc_errname(r.bad_errno));

		/* Whatever was closed, the other vCPU still works. */
		EXPECT_EQ(0, ioctl(other, KVM_GET_REGS, &regs));
		EXPECT_EQ(0xfff0, regs.rip);
		EXPECT_EQ(0, ioctl(other, KVM_SET_REGS, &regs));
		/* The mapping outlives a closed vCPU fd. */
		EXPECT_EQ(1, ((struct kvm_run *)run)->immediate_exit);
		munmap(run, PG);
		close(efd);
		close(other);
		if (r.kind != 0)
			close(sys);
		if (r.kind != 1)
			close(vm);
		if (r.kind != 2)
			close(vcpu);
	}
	munmap(r.buf, PG);
	KVMC_ASSERT_DEVICE_WORKS("fuzzing");
	EXPECT_EQ(self->fds_before, kvmc_count_fds());
}

/* The VM fd goes first; its vCPUs, their fds and mappings live on. */
TEST_F(fuzz, vm_closed_vcpu_lives)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	int sys, vm, v0, v1, size, r;
	struct kvm_run *run;
	uint8_t *mem;

	sys = kvmc_open();
	ASSERT_LE(0, sys);
	size = ioctl(sys, KVM_GET_VCPU_MMAP_SIZE, 0);
	ASSERT_LT(0, size);
	vm = kvmc_create_vm(sys);
	ASSERT_LE(0, vm);
	mem = kvmc_map_pages(4);
	ASSERT_NE(NULL, mem);
	ASSERT_EQ(0, kvmc_set_region(vm, 0, 0, 0, 4 * PG, KVMC_HVA(mem)));
	v0 = kvmc_create_vcpu(vm, 0);
	ASSERT_LE(0, v0);
	v1 = kvmc_create_vcpu(vm, 1);
	ASSERT_LE(0, v1);
	run = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, v0, 0);
	ASSERT_NE(MAP_FAILED, run);
	ASSERT_EQ(0, close(vm));

	ASSERT_EQ(0, ioctl(v0, KVM_GET_REGS, &regs));
	EXPECT_EQ(0xfff0, regs.rip);
	regs.rax = 0x1234;
	EXPECT_EQ(0, ioctl(v0, KVM_SET_REGS, &regs));
	memset(&regs, 0, sizeof(regs));
	EXPECT_EQ(0, ioctl(v0, KVM_GET_REGS, &regs));
	EXPECT_EQ(0x1234, regs.rax);
	EXPECT_EQ(0, ioctl(v1, KVM_GET_SREGS, &sregs));
	EXPECT_EQ(0, ioctl(v1, KVM_SET_SREGS, &sregs));
	EXPECT_EQ(KVM_EXIT_UNKNOWN, run->exit_reason);
	/* KVM_RUN may do anything allowed, but must come back. */
	run->immediate_exit = 1;
	r = ioctl(v0, KVM_RUN, 0);
	EXPECT_TRUE(r == 0 || fz_errno_allowed(errno))
		TH_LOG("KVM_RUN after the VM fd closed: %d %s", r,
		       kvmc_errname(errno));
	/* A vCPU fd closes with its mapping still there. */
	EXPECT_EQ(0, close(v0));
	run->request_interrupt_window = 1;
	EXPECT_EQ(1, run->request_interrupt_window);
	EXPECT_EQ(0, ioctl(v1, KVM_GET_REGS, &regs));
	EXPECT_EQ(0, munmap(run, size));
	EXPECT_EQ(0, close(v1));
	EXPECT_EQ(0, close(sys));
	munmap(mem, 4 * PG);
	KVMC_ASSERT_DEVICE_WORKS("fuzzing");
	EXPECT_EQ(self->fds_before, kvmc_count_fds());
}

KVMC_TEST_MAIN
