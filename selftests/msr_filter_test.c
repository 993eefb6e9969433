// SPDX-License-Identifier: GPL-2.0
/*
 * KVM_X86_SET_MSR_FILTER and KVM_CAP_X86_USER_SPACE_MSR: guest RDMSR and
 * WRMSR that the filter denies, or that KVM does not know, exit to
 * userspace (KVM_EXIT_X86_RDMSR / KVM_EXIT_X86_WRMSR), which answers
 * through run->msr. Compared with upstream arch/x86/kvm/x86.c
 * (kvm_vm_ioctl_set_msr_filter(), kvm_add_msr_filter(), kvm_msr_allowed(),
 * kvm_emulate_rdmsr/wrmsr(), kvm_msr_user_space(), complete_fast_rdmsr(),
 * kvm_vm_ioctl_enable_cap() KVM_CAP_X86_USER_SPACE_MSR and
 * kvm_arch_vm_compat_ioctl()).
 *
 * struct kvm_msr_filter_range holds a __u8 *bitmap, so the ioctl number
 * differs: 0x4188aec6 (392 bytes) for x86_64, 0x4104aec6 (260 bytes) for
 * ia32 AND x32 (no __u64 in the struct, so x32's 4-byte pointer gives the
 * ia32 layout). kvm_arch_vm_compat_ioctl() takes only 0x4104aec6; a compat
 * caller's 0x4188aec6 goes on to the native handler, which reads the
 * 64-bit layout. A 64-bit caller's 0x4104aec6 is an unknown VM ioctl.
 *
 * Guest MSRs are 0x474f4f00.. ("GOO"), which KVM does not implement (as
 * upstream's userspace_msr_exit_test), and 0x10 (TSC) where a real one is
 * needed: an allowed unknown MSR exits with KVM_MSR_EXIT_REASON_UNKNOWN, a
 * denied one with KVM_MSR_EXIT_REASON_FILTER, so no test depends on what
 * an MSR holds. An MSR exit answered with error != 0, or an unknown MSR
 * with no exit asked for, injects #GP: the tests that do so give the
 * real-mode guest an IVT entry for vector 13 and a stack.
 *
 *   msr_filter_test_{64,32,x32} [DEVICE] [kselftest_harness options]
 */
#include <assert.h>
#include <cpuid.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "kvm_compat_util.h"

#define NPAGES		4
#define DATA_GPA	0x3000
#define RDMSR_GPA	0x1000
#define WRMSR_GPA	0x1100
#define MSR_GOO		0x474f4f00U
#define MSR_TSC		0x10U
#define R		KVM_MSR_FILTER_READ
#define W		KVM_MSR_FILTER_WRITE
#define RW		(R | W)
#define REASON_ALL	(KVM_MSR_EXIT_REASON_INVAL | \
			 KVM_MSR_EXIT_REASON_UNKNOWN | \
			 KVM_MSR_EXIT_REASON_FILTER)
#define UNKNOWN		KVM_MSR_EXIT_REASON_UNKNOWN
#define FILTER		KVM_MSR_EXIT_REASON_FILTER
#define MAX_BITMAP	0x600		/* KVM_MSR_FILTER_MAX_BITMAP_SIZE */

#define NR_NATIVE	0x4188aec6U
#define NR_COMPAT	0x4104aec6U

/* The two layouts, whatever the ABI compiling this. */
struct range64 {
	uint32_t flags, nmsrs, base, pad;
	uint64_t bitmap;
};

struct filter64 {
	uint32_t flags, pad;
	struct range64 ranges[KVM_MSR_FILTER_MAX_RANGES];
};

struct range32 {
	uint32_t flags, nmsrs, base, bitmap;
};

struct filter32 {
	uint32_t flags;
	struct range32 ranges[KVM_MSR_FILTER_MAX_RANGES];
};

static_assert(sizeof(struct filter64) == 392, "filter64");
static_assert(sizeof(struct filter32) == 260, "filter32");
static_assert(_IOW(KVMIO, 0xc6, struct filter64) == NR_NATIVE, "native");
static_assert(_IOW(KVMIO, 0xc6, struct filter32) == NR_COMPAT, "compat");
#if defined(__i386__) || defined(__ILP32__)
static_assert(KVM_X86_SET_MSR_FILTER == NR_COMPAT, "ia32/x32 number");
static_assert(sizeof(struct kvm_msr_filter) == 260, "ia32/x32 layout");
#else
static_assert(KVM_X86_SET_MSR_FILTER == NR_NATIVE, "x86_64 number");
static_assert(sizeof(struct kvm_msr_filter) == 392, "x86_64 layout");
#endif

FIXTURE(msr)
{
	struct kvmc_guest g;
	struct kvm_msr_filter f;
	uint64_t bm[KVM_MSR_FILTER_MAX_RANGES];
};

FIXTURE_SETUP(msr)
{
	static const uint8_t rd[] = {
		0x0f, 0x32,		/* rdmsr */
		0xa2, 0x00, 0x30,	/* mov [0x3000], al */
		0xf4,			/* hlt */
	};
	static const uint8_t wr[] = {
		0x0f, 0x30,		/* wrmsr */
		0xf4,			/* hlt */
	};

	KVMC_GUEST_SETUP(&self->g, NPAGES);
	memcpy(self->g.mem + RDMSR_GPA, rd, sizeof(rd));
	memcpy(self->g.mem + WRMSR_GPA, wr, sizeof(wr));
	memset(&self->f, 0, sizeof(self->f));
	memset(self->bm, 0, sizeof(self->bm));
}

FIXTURE_TEARDOWN(msr)
{
	kvmc_guest_destroy(&self->g);
}

/* Range @i of @f: @nmsrs from @base, bitmap @bm[i] = @allow. */
static void set_range(struct kvm_msr_filter *f, uint64_t *bm, int i,
		      uint32_t flags, uint32_t base, uint32_t nmsrs,
		      uint64_t allow)
{
	bm[i] = allow;
	f->ranges[i].flags = flags;
	f->ranges[i].base = base;
	f->ranges[i].nmsrs = nmsrs;
	f->ranges[i].bitmap = (uint8_t *)&bm[i];
}

static int set_filter(int vm, struct kvm_msr_filter *f)
{
	return kvmc_ioctl(vm, KVM_X86_SET_MSR_FILTER, (unsigned long)f);
}

#define SET_FILTER() do {						\
	int __r = set_filter(self->g.vm, &self->f);			\
	ASSERT_EQ(0, __r) TH_LOG("KVM_X86_SET_MSR_FILTER: %s",		\
				 kvmc_errname(-__r));			\
} while (0)

#define USER_SPACE_MSR(mask) do {					\
	int __r = kvmc_enable_cap(self->g.vm,				\
				  KVM_CAP_X86_USER_SPACE_MSR, (mask));	\
	ASSERT_EQ(0, __r) TH_LOG("enable: %s", kvmc_errname(-__r));	\
} while (0)

/*
 * RDMSR of @index must exit with @reason; answer @data, then the guest
 * stores AL and halts. RAX/RDX were all ones: the upper halves are zeroed.
 */
static void rdmsr_exit(struct __test_metadata *_metadata,
		       struct kvmc_guest *g, uint32_t index, uint32_t reason,
		       uint64_t data)
{
	struct kvm_run *run = g->run;
	struct kvm_regs r;
	size_t i;

	ASSERT_EQ(0, ioctl(g->vcpu, KVM_GET_REGS, &r));
	r.rip = RDMSR_GPA;
	/*
	 * Only ECX names the MSR. Not for MSRs in the SVM MSR permission map
	 * (0x10): QEMU's TCG, the test machine's L0, looks the map up with
	 * the whole RCX and then misses the intercept.
	 */
	r.rcx = index == MSR_TSC ? index : 0xffffffff00000000ULL | index;
	r.rax = ~0ULL;
	r.rdx = ~0ULL;
	ASSERT_EQ(0, ioctl(g->vcpu, KVM_SET_REGS, &r));
	memset(&run->msr, 0xff, sizeof(run->msr));

	KVMC_RUN_EXPECT(g, KVM_EXIT_X86_RDMSR);
	EXPECT_EQ(index, run->msr.index);
	EXPECT_EQ(reason, run->msr.reason) TH_LOG("rdmsr %#x", index);
	EXPECT_EQ(0, run->msr.error);
	EXPECT_EQ(0, run->msr.data);
	for (i = 0; i < sizeof(run->msr.pad); i++)
		EXPECT_EQ(0, run->msr.pad[i]);
	/* RIP stays on the RDMSR until the next KVM_RUN completes it. */
	ASSERT_EQ(0, ioctl(g->vcpu, KVM_GET_REGS, &r));
	EXPECT_EQ(RDMSR_GPA, r.rip);
	EXPECT_EQ(~0ULL, r.rax);

	run->msr.data = data;
	run->msr.error = 0;
	KVMC_RUN_EXPECT(g, KVM_EXIT_HLT);
	ASSERT_EQ(0, ioctl(g->vcpu, KVM_GET_REGS, &r));
	EXPECT_EQ((uint32_t)data, r.rax);
	EXPECT_EQ(data >> 32, r.rdx);
	EXPECT_EQ(RDMSR_GPA + 6, r.rip);
	EXPECT_EQ((uint8_t)data, g->mem[DATA_GPA]);
}

/* WRMSR of @index with EDX:EAX = @data must exit with @reason. */
static void wrmsr_exit(struct __test_metadata *_metadata,
		       struct kvmc_guest *g, uint32_t index, uint32_t reason,
		       uint64_t data)
{
	struct kvm_run *run = g->run;
	struct kvm_regs r;

	ASSERT_EQ(0, ioctl(g->vcpu, KVM_GET_REGS, &r));
	r.rip = WRMSR_GPA;
	r.rcx = index;
	/* Only EAX and EDX count. */
	r.rax = 0xdeadbeef00000000ULL | (uint32_t)data;
	r.rdx = 0xfeedface00000000ULL | (data >> 32);
	ASSERT_EQ(0, ioctl(g->vcpu, KVM_SET_REGS, &r));
	memset(&run->msr, 0xff, sizeof(run->msr));

	KVMC_RUN_EXPECT(g, KVM_EXIT_X86_WRMSR);
	EXPECT_EQ(index, run->msr.index);
	EXPECT_EQ(reason, run->msr.reason) TH_LOG("wrmsr %#x", index);
	EXPECT_EQ(0, run->msr.error);
	EXPECT_EQ(data, run->msr.data);
	ASSERT_EQ(0, ioctl(g->vcpu, KVM_GET_REGS, &r));
	EXPECT_EQ(WRMSR_GPA, r.rip);

	run->msr.error = 0;
	KVMC_RUN_EXPECT(g, KVM_EXIT_HLT);
	ASSERT_EQ(0, ioctl(g->vcpu, KVM_GET_REGS, &r));
	EXPECT_EQ(WRMSR_GPA + 3, r.rip);
	EXPECT_EQ(0xdeadbeef00000000ULL | (uint32_t)data, r.rax);
}

#define GP_HANDLER_GPA	0x2000		/* IVT[13] = 0000:2000, a HLT */
#define STACK_TOP	0x3800		/* SS:SP = 0000:3800 */
#define RFLAGS_IF	0x202ULL

/*
 * The #GP handler and stack, and the registers for an RDMSR or WRMSR at
 * @rip of MSR @index; IF set, to see the delivery clear it.
 */
static void gp_setup(struct __test_metadata *_metadata, struct kvmc_guest *g,
		     uint64_t rip, uint32_t index)
{
	struct kvm_regs r;

	g->mem[13 * 4] = GP_HANDLER_GPA & 0xff;
	g->mem[13 * 4 + 1] = GP_HANDLER_GPA >> 8;
	g->mem[13 * 4 + 2] = 0;
	g->mem[13 * 4 + 3] = 0;
	g->mem[GP_HANDLER_GPA] = 0xf4;
	ASSERT_EQ(0, ioctl(g->vcpu, KVM_GET_REGS, &r));
	r.rip = rip;
	r.rcx = index;
	r.rax = 0;
	r.rdx = 0;
	r.rsp = STACK_TOP;
	r.rflags = RFLAGS_IF;
	ASSERT_EQ(0, ioctl(g->vcpu, KVM_SET_REGS, &r));
}

/*
 * The next KVM_RUN delivers #GP through the IVT, as a real-mode CPU does:
 * FLAGS, CS and the IP of the faulting instruction pushed, IF cleared,
 * CS:IP from IVT[13]; the handler's HLT exits. The instruction did not
 * complete (an RDMSR stores nothing).
 */
static void gp_expect(struct __test_metadata *_metadata, struct kvmc_guest *g,
		      uint16_t ip)
{
	struct kvm_regs r;
	uint16_t frame[3];

	KVMC_RUN_EXPECT(g, KVM_EXIT_HLT);
	ASSERT_EQ(0, ioctl(g->vcpu, KVM_GET_REGS, &r));
	EXPECT_EQ(GP_HANDLER_GPA + 1, r.rip);
	EXPECT_EQ(STACK_TOP - sizeof(frame), r.rsp);
	EXPECT_EQ(RFLAGS_IF & ~0x200ULL, r.rflags);
	memcpy(frame, g->mem + STACK_TOP - sizeof(frame), sizeof(frame));
	EXPECT_EQ(ip, frame[0]);
	EXPECT_EQ(0, frame[1]);
	EXPECT_EQ(RFLAGS_IF, frame[2]);
	EXPECT_EQ(0, g->mem[DATA_GPA]);
}

#define RDMSR_EXIT(index, reason)					\
	rdmsr_exit(_metadata, &self->g, (index), (reason),		\
		   0x8877665544332211ULL)
#define WRMSR_EXIT(index, reason)					\
	wrmsr_exit(_metadata, &self->g, (index), (reason),		\
		   0x1122334455667788ULL)

TEST_F(msr, caps)
{
	EXPECT_EQ(1, kvmc_check_ext(self->g.sys, KVM_CAP_X86_USER_SPACE_MSR));
	EXPECT_EQ(1, kvmc_check_ext(self->g.sys, KVM_CAP_X86_MSR_FILTER));
	EXPECT_EQ(1, kvmc_check_ext(self->g.vm, KVM_CAP_X86_USER_SPACE_MSR));
	EXPECT_EQ(1, kvmc_check_ext(self->g.vm, KVM_CAP_X86_MSR_FILTER));
}

/* args[0] & ~KVM_MSR_EXIT_REASON_VALID_MASK -> EINVAL. */
TEST_F(msr, user_space_msr_enable_cap)
{
	uint64_t a;

	EXPECT_EQ(-EINVAL, kvmc_enable_cap(self->g.vm,
					   KVM_CAP_X86_USER_SPACE_MSR, 8));
	EXPECT_EQ(-EINVAL, kvmc_enable_cap(self->g.vm,
					   KVM_CAP_X86_USER_SPACE_MSR,
					   1ULL << 32 | FILTER));
	for (a = 0; a <= REASON_ALL; a++)
		EXPECT_EQ(0, kvmc_enable_cap(self->g.vm,
					     KVM_CAP_X86_USER_SPACE_MSR, a))
			TH_LOG("args[0] %#llx", (unsigned long long)a);
}

/* The basic use: one MSR denied for reads and writes. */
TEST_F(msr, denied_rdmsr_wrmsr)
{
	USER_SPACE_MSR(FILTER);
	set_range(&self->f, self->bm, 0, RW, MSR_GOO, 1, 0);
	SET_FILTER();
	RDMSR_EXIT(MSR_GOO, FILTER);
	WRMSR_EXIT(MSR_GOO, FILTER);
	/* A real MSR too: the filter comes before KVM's own handling. */
	set_range(&self->f, self->bm, 0, RW, MSR_TSC, 1, 0);
	SET_FILTER();
	RDMSR_EXIT(MSR_TSC, FILTER);
	WRMSR_EXIT(MSR_TSC, FILTER);
}

/* Bit set: allowed (then unknown to KVM); flags select READ/WRITE. */
TEST_F(msr, bitmap_and_flags)
{
	USER_SPACE_MSR(UNKNOWN | FILTER);
	/* Reads: GOO denied, GOO+1 allowed, GOO+2.. outside the range. */
	set_range(&self->f, self->bm, 0, R, MSR_GOO, 2, 0x2);
	SET_FILTER();
	RDMSR_EXIT(MSR_GOO, FILTER);
	RDMSR_EXIT(MSR_GOO + 1, UNKNOWN);
	RDMSR_EXIT(MSR_GOO + 2, UNKNOWN);
	WRMSR_EXIT(MSR_GOO, UNKNOWN);

	/* Writes only, bit 63 of a 64-MSR range. */
	memset(&self->f, 0, sizeof(self->f));
	set_range(&self->f, self->bm, 0, W, MSR_GOO, 64, ~(1ULL << 63));
	SET_FILTER();
	WRMSR_EXIT(MSR_GOO + 63, FILTER);
	WRMSR_EXIT(MSR_GOO + 62, UNKNOWN);
	RDMSR_EXIT(MSR_GOO + 63, UNKNOWN);
}

/* kvm_msr_allowed(): the first range matching index and type decides. */
TEST_F(msr, first_matching_range)
{
	USER_SPACE_MSR(UNKNOWN | FILTER);
	set_range(&self->f, self->bm, 0, R, MSR_GOO, 1, 1);
	set_range(&self->f, self->bm, 1, RW, MSR_GOO, 1, 0);
	SET_FILTER();
	RDMSR_EXIT(MSR_GOO, UNKNOWN);
	WRMSR_EXIT(MSR_GOO, FILTER);

	/* Empty ranges are skipped, also in the middle. */
	memset(&self->f, 0, sizeof(self->f));
	set_range(&self->f, self->bm, 3, W, MSR_GOO, 1, 1);
	set_range(&self->f, self->bm, 15, RW, MSR_GOO, 1, 0);
	SET_FILTER();
	RDMSR_EXIT(MSR_GOO, FILTER);
	WRMSR_EXIT(MSR_GOO, UNKNOWN);
}

/* KVM_MSR_FILTER_DEFAULT_DENY: MSRs in no range are denied. */
TEST_F(msr, default_deny)
{
	USER_SPACE_MSR(UNKNOWN | FILTER);
	self->f.flags = KVM_MSR_FILTER_DEFAULT_DENY;
	set_range(&self->f, self->bm, 0, RW, MSR_GOO, 2, 1);
	SET_FILTER();
	RDMSR_EXIT(MSR_GOO, UNKNOWN);
	RDMSR_EXIT(MSR_GOO + 1, FILTER);
	RDMSR_EXIT(MSR_TSC, FILTER);
	WRMSR_EXIT(MSR_TSC, FILTER);
}

/*
 * A new filter replaces the old one; an all-empty default-allow filter
 * is accepted (no filtering); a refused one leaves the old in place.
 */
TEST_F(msr, replace_filter)
{
	USER_SPACE_MSR(UNKNOWN | FILTER);
	set_range(&self->f, self->bm, 0, RW, MSR_GOO, 1, 0);
	SET_FILTER();
	RDMSR_EXIT(MSR_GOO, FILTER);

	self->f.ranges[1].flags = 0x80;
	self->f.ranges[1].nmsrs = 1;
	EXPECT_EQ(-EINVAL, set_filter(self->g.vm, &self->f));
	RDMSR_EXIT(MSR_GOO, FILTER);

	memset(&self->f, 0, sizeof(self->f));
	SET_FILTER();
	RDMSR_EXIT(MSR_GOO, UNKNOWN);
	WRMSR_EXIT(MSR_GOO, UNKNOWN);
}

/* The exits follow the reasons in the KVM_CAP_X86_USER_SPACE_MSR mask. */
TEST_F(msr, user_space_msr_mask)
{
	USER_SPACE_MSR(UNKNOWN);
	set_range(&self->f, self->bm, 0, R, MSR_GOO, 2, 0x2);
	SET_FILTER();
	RDMSR_EXIT(MSR_GOO + 1, UNKNOWN);
	USER_SPACE_MSR(FILTER);
	RDMSR_EXIT(MSR_GOO, FILTER);
}

/* kvm_vm_ioctl_set_msr_filter() and kvm_add_msr_filter() checks. */
TEST_F(msr, filter_einval)
{
	uint8_t *big = kvmc_map_pages(1);

	ASSERT_NE(NULL, big);
	self->f.flags = 2;
	EXPECT_EQ(-EINVAL, set_filter(self->g.vm, &self->f));
	self->f.flags = ~0U;
	EXPECT_EQ(-EINVAL, set_filter(self->g.vm, &self->f));
	/* Default deny with nothing allowed. */
	self->f.flags = KVM_MSR_FILTER_DEFAULT_DENY;
	EXPECT_EQ(-EINVAL, set_filter(self->g.vm, &self->f));
	/* ... even with flags set on ranges of 0 MSRs. */
	self->f.ranges[0].flags = RW;
	EXPECT_EQ(-EINVAL, set_filter(self->g.vm, &self->f));
	self->f.flags = 0;

	/* Range flags: unknown bits, or none, for a non-empty range. */
	set_range(&self->f, self->bm, 0, 4, MSR_GOO, 1, 0);
	EXPECT_EQ(-EINVAL, set_filter(self->g.vm, &self->f));
	set_range(&self->f, self->bm, 0, RW | 4, MSR_GOO, 1, 0);
	EXPECT_EQ(-EINVAL, set_filter(self->g.vm, &self->f));
	set_range(&self->f, self->bm, 0, 0, MSR_GOO, 1, 0);
	EXPECT_EQ(-EINVAL, set_filter(self->g.vm, &self->f));
	/* An empty range is skipped whatever its flags and bitmap. */
	set_range(&self->f, self->bm, 0, ~0U, MSR_GOO, 0, 0);
	self->f.ranges[0].bitmap = NULL;
	EXPECT_EQ(0, set_filter(self->g.vm, &self->f));
	/* The last range is checked too. */
	set_range(&self->f, self->bm, 15, 8, MSR_GOO, 1, 0);
	EXPECT_EQ(-EINVAL, set_filter(self->g.vm, &self->f));
	memset(&self->f, 0, sizeof(self->f));

	/* At most KVM_MSR_FILTER_MAX_BITMAP_SIZE bytes of bitmap. */
	set_range(&self->f, self->bm, 0, RW, 0, MAX_BITMAP * 8, 0);
	self->f.ranges[0].bitmap = big;
	EXPECT_EQ(0, set_filter(self->g.vm, &self->f));
	self->f.ranges[0].nmsrs = MAX_BITMAP * 8 + 1;
	EXPECT_EQ(-EINVAL, set_filter(self->g.vm, &self->f));
	self->f.ranges[0].nmsrs = ~0U;
	EXPECT_EQ(-EINVAL, set_filter(self->g.vm, &self->f));
	/* The range may wrap the index space. */
	set_range(&self->f, self->bm, 0, RW, 0xffffffc0U, 128, 0);
	EXPECT_EQ(0, set_filter(self->g.vm, &self->f));
	munmap(big, KVMC_PAGE_SIZE);
}

/* memdup_user() of BITS_TO_LONGS(nmsrs) longs: 8 bytes for 1 MSR. */
TEST_F(msr, filter_efault)
{
	uint8_t *edge = kvmc_map_pages(2);

	ASSERT_NE(NULL, edge);
	ASSERT_EQ(0, munmap(edge + KVMC_PAGE_SIZE, KVMC_PAGE_SIZE));
	EXPECT_EQ(-1, ioctl(self->g.vm, KVM_X86_SET_MSR_FILTER, NULL));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ioctl(self->g.vm, KVM_X86_SET_MSR_FILTER,
			    edge + KVMC_PAGE_SIZE - 8));
	EXPECT_EQ(EFAULT, errno);

	set_range(&self->f, self->bm, 0, RW, MSR_GOO, 1, 0);
	self->f.ranges[0].bitmap = NULL;
	EXPECT_EQ(-EFAULT, set_filter(self->g.vm, &self->f));
	self->f.ranges[0].bitmap = edge + KVMC_PAGE_SIZE - 4;
	EXPECT_EQ(-EFAULT, set_filter(self->g.vm, &self->f));
	self->f.ranges[0].bitmap = edge + KVMC_PAGE_SIZE - 8;
	EXPECT_EQ(0, set_filter(self->g.vm, &self->f));
	/* 65 MSRs: 16 bytes. */
	self->f.ranges[0].nmsrs = 65;
	EXPECT_EQ(-EFAULT, set_filter(self->g.vm, &self->f));
	self->f.ranges[0].bitmap = edge + KVMC_PAGE_SIZE - 16;
	EXPECT_EQ(0, set_filter(self->g.vm, &self->f));
	/* The bitmap is copied: changing it afterwards changes nothing. */
	USER_SPACE_MSR(UNKNOWN | FILTER);
	edge[KVMC_PAGE_SIZE - 16] = 0x01;
	self->f.ranges[0].nmsrs = 1;
	SET_FILTER();
	edge[KVMC_PAGE_SIZE - 16] = 0x00;
	RDMSR_EXIT(MSR_GOO, UNKNOWN);
	munmap(edge, KVMC_PAGE_SIZE);
}

/* One range at MSR_GOO in @f, its bitmap @bm[0] (cleared). */
static void fill64(uint64_t *bm, struct filter64 *f, uint64_t junk)
{
	memset(f, 0, sizeof(*f));
	bm[0] = 0;
	f->ranges[0].flags = RW;
	f->ranges[0].base = MSR_GOO;
	f->ranges[0].nmsrs = 1;
	f->ranges[0].bitmap = KVMC_HVA(&bm[0]);
	if (junk)
		f->ranges[0].bitmap = junk << 32 | (uint32_t)f->ranges[0].bitmap;
}

/*
 * The 64-bit layout under the native number, from any ABI: a compat
 * caller's 0x4188aec6 is not KVM_X86_SET_MSR_FILTER_COMPAT, so
 * kvm_vm_compat_ioctl() hands it to the native handler unchanged.
 */
TEST_F(msr, native_number_any_abi)
{
	struct filter64 f;

	TH_LOG("%s: KVM_X86_SET_MSR_FILTER = %#lx", kvmc_abi_name(),
	       (unsigned long)KVM_X86_SET_MSR_FILTER);
	USER_SPACE_MSR(UNKNOWN | FILTER);
	fill64(self->bm, &f, 0);
	ASSERT_EQ(0, kvmc_ioctl(self->g.vm, NR_NATIVE, (unsigned long)&f));
	RDMSR_EXIT(MSR_GOO, FILTER);
	/* The whole __u64 is the pointer, for every caller. */
	fill64(self->bm, &f, 0xdead0000ULL);
	EXPECT_EQ(-EFAULT, kvmc_ioctl(self->g.vm, NR_NATIVE,
				      (unsigned long)&f));
	f.flags = 2;
	EXPECT_EQ(-EINVAL, kvmc_ioctl(self->g.vm, NR_NATIVE,
				      (unsigned long)&f));
}

/*
 * The ia32/x32 layout under the compat number: translated for compat
 * callers (ia32 and x32 alike), an unknown VM ioctl for 64-bit ones.
 */
TEST_F(msr, compat_number)
{
	struct filter32 f;

	memset(&f, 0, sizeof(f));
	f.ranges[0].flags = RW;
	f.ranges[0].base = MSR_GOO;
	f.ranges[0].nmsrs = 1;
	f.ranges[0].bitmap = (uint32_t)KVMC_HVA(&self->bm[0]);
	if (!kvmc_is_compat_abi()) {
		EXPECT_EQ(-ENOTTY, kvmc_ioctl(self->g.vm, NR_COMPAT,
					      (unsigned long)&f));
		f.flags = 2;
		EXPECT_EQ(-ENOTTY, kvmc_ioctl(self->g.vm, NR_COMPAT,
					      (unsigned long)&f));
		return;
	}
	USER_SPACE_MSR(UNKNOWN | FILTER);
	ASSERT_EQ(0, kvmc_ioctl(self->g.vm, NR_COMPAT, (unsigned long)&f));
	RDMSR_EXIT(MSR_GOO, FILTER);
	f.ranges[1] = f.ranges[0];
	f.ranges[1].bitmap = 0;
	EXPECT_EQ(-EFAULT, kvmc_ioctl(self->g.vm, NR_COMPAT,
				      (unsigned long)&f));
	f.flags = 2;
	EXPECT_EQ(-EINVAL, kvmc_ioctl(self->g.vm, NR_COMPAT,
				      (unsigned long)&f));
}

/* The filter is the VM's: a vCPU created afterwards obeys it. */
TEST_F(msr, second_vcpu)
{
	struct kvm_run *run;
	struct kvm_regs r;
	size_t size;
	int v1;

	USER_SPACE_MSR(FILTER);
	set_range(&self->f, self->bm, 0, R, MSR_GOO, 1, 0);
	SET_FILTER();
	v1 = kvmc_create_vcpu(self->g.vm, 1);
	ASSERT_LE(0, v1);
	run = kvmc_map_run(self->g.sys, v1, &size);
	ASSERT_NE(NULL, run);
	ASSERT_EQ(0, kvmc_set_real_seg(v1, KVMC_SEG_CS, 0));
	ASSERT_EQ(0, ioctl(v1, KVM_GET_REGS, &r));
	r.rip = RDMSR_GPA;
	r.rflags = 2;
	r.rcx = MSR_GOO;
	ASSERT_EQ(0, ioctl(v1, KVM_SET_REGS, &r));
	ASSERT_EQ(0, kvmc_run(v1));
	EXPECT_EQ(KVM_EXIT_X86_RDMSR, run->exit_reason)
		TH_LOG("got %s", kvmc_exit_name(run->exit_reason));
	EXPECT_EQ(MSR_GOO, run->msr.index);
	EXPECT_EQ(FILTER, run->msr.reason);
	munmap(run, size);
	close(v1);
}

/* No exit asked for: an MSR KVM does not know gets #GP. */
TEST_F(msr, unknown_msr_gp)
{
	gp_setup(_metadata, &self->g, RDMSR_GPA, MSR_GOO);
	gp_expect(_metadata, &self->g, RDMSR_GPA);
	gp_setup(_metadata, &self->g, WRMSR_GPA, MSR_GOO);
	gp_expect(_metadata, &self->g, WRMSR_GPA);
}

/* Userspace answers an MSR exit with error = 1: #GP (no RAX/RDX update). */
TEST_F(msr, exit_error_gp)
{
	struct kvm_regs r;

	USER_SPACE_MSR(UNKNOWN);
	gp_setup(_metadata, &self->g, RDMSR_GPA, MSR_GOO);
	KVMC_RUN_EXPECT(&self->g, KVM_EXIT_X86_RDMSR);
	self->g.run->msr.data = 0x1234;
	self->g.run->msr.error = 1;
	gp_expect(_metadata, &self->g, RDMSR_GPA);
	ASSERT_EQ(0, ioctl(self->g.vcpu, KVM_GET_REGS, &r));
	EXPECT_EQ(0, r.rax);

	gp_setup(_metadata, &self->g, WRMSR_GPA, MSR_GOO);
	KVMC_RUN_EXPECT(&self->g, KVM_EXIT_X86_WRMSR);
	self->g.run->msr.error = 1;
	gp_expect(_metadata, &self->g, WRMSR_GPA);
}

/*
 * An MSR exit answered with an error queues #GP (kvm_inject_gp()); a
 * KVM_RUN with immediate_exit returns before delivering it, and
 * KVM_SET_REGS then drops it, as __set_regs() clears
 * vcpu->arch.exception.pending: the next KVM_RUN runs the RDMSR again
 * (another exit), no #GP frame pushed.  This is how a restore of saved
 * registers behaves.
 */
TEST_F(msr, set_regs_drops_queued_gp)
{
	struct kvm_run *run = self->g.run;
	struct kvm_regs r;

	USER_SPACE_MSR(UNKNOWN);
	gp_setup(_metadata, &self->g, RDMSR_GPA, MSR_GOO);
	KVMC_RUN_EXPECT(&self->g, KVM_EXIT_X86_RDMSR);
	run->msr.error = 1;
	run->immediate_exit = 1;
	ASSERT_EQ(-EINTR, kvmc_run(self->g.vcpu));
	run->immediate_exit = 0;

	ASSERT_EQ(0, ioctl(self->g.vcpu, KVM_GET_REGS, &r));
	EXPECT_EQ(RDMSR_GPA, r.rip);
	EXPECT_EQ(STACK_TOP, r.rsp);
	ASSERT_EQ(0, ioctl(self->g.vcpu, KVM_SET_REGS, &r));

	KVMC_RUN_EXPECT(&self->g, KVM_EXIT_X86_RDMSR);
	EXPECT_EQ(MSR_GOO, run->msr.index);
	ASSERT_EQ(0, ioctl(self->g.vcpu, KVM_GET_REGS, &r));
	EXPECT_EQ(RDMSR_GPA, r.rip);
	EXPECT_EQ(STACK_TOP, r.rsp);
	EXPECT_EQ(0, self->g.mem[STACK_TOP - 2]);
	/* Answered this time: the guest stores AL and halts. */
	run->msr.error = 0;
	run->msr.data = 0x42;
	KVMC_RUN_EXPECT(&self->g, KVM_EXIT_HLT);
	EXPECT_EQ(0x42, self->g.mem[DATA_GPA]);
}

#define MOVED_GPA	0x1200		/* mov al, 0x55; hlt */

/* CPUID 0x8000000A EDX bit 3: the CPU saves next_rip on #VMEXIT. */
static bool cpu_has_nrips(void)
{
	unsigned int a, b, c, d;

	return __get_cpuid(0x80000000, &a, &b, &c, &d) && a >= 0x8000000a &&
	       __get_cpuid(0x8000000a, &a, &b, &c, &d) && (d & (1U << 3));
}

/*
 * Userspace moves rip between an MSR exit and the KVM_RUN that completes
 * it.  Upstream has no rip check here (complete_fast_rdmsr(),
 * complete_fast_msr_access(); only port I/O checks kvm_is_linear_rip()):
 * it loads EDX:EAX and skips an instruction, and where it skips to
 * depends on the vendor (svm/vmx skip_emulated_instruction()): kvm-amd on
 * a CPU with NRIPS takes the VMCB's next_rip, the byte after the
 * RDMSR/WRMSR that exited, wherever rip was moved; without NRIPS it
 * decodes the instruction at the moved rip and skips that
 * (EMULTYPE_SKIP); kvm-intel adds the exit's instruction length (2) to the
 * moved rip.  The instruction at the moved rip is 2 bytes long, so the
 * last two agree: rip lands on its HLT.  kvm_compat does what kvm-amd does
 * with NRIPS, which every AMD CPU running KVM has; QEMU's TCG, the test
 * guest's CPU, has no NRIPS (Documentation/divergences.rst).
 */
TEST_F(msr, rip_moved_before_completion)
{
	static const uint8_t moved[] = { 0xb0, 0x55, 0xf4 };
	bool next_rip = !kvmc_is_upstream() || cpu_has_nrips();
	struct kvm_run *run = self->g.run;
	struct kvm_regs r;

	TH_LOG("%s: completes at %s", kvmc_device(), next_rip ?
	       "the exit's next rip (NRIPS)" : "the moved rip + 2");
	memcpy(self->g.mem + MOVED_GPA, moved, sizeof(moved));
	USER_SPACE_MSR(UNKNOWN);

	/* RDMSR: exit, move rip, answer. */
	ASSERT_EQ(0, ioctl(self->g.vcpu, KVM_GET_REGS, &r));
	r.rip = RDMSR_GPA;
	r.rcx = MSR_GOO;
	ASSERT_EQ(0, ioctl(self->g.vcpu, KVM_SET_REGS, &r));
	KVMC_RUN_EXPECT(&self->g, KVM_EXIT_X86_RDMSR);
	r.rip = MOVED_GPA;
	ASSERT_EQ(0, ioctl(self->g.vcpu, KVM_SET_REGS, &r));
	run->msr.data = 0x1122334466;
	KVMC_RUN_EXPECT(&self->g, KVM_EXIT_HLT);
	ASSERT_EQ(0, ioctl(self->g.vcpu, KVM_GET_REGS, &r));
	TH_LOG("RDMSR completed: rip %#llx rax %#llx rdx %#llx",
	       (unsigned long long)r.rip, (unsigned long long)r.rax,
	       (unsigned long long)r.rdx);
	EXPECT_EQ(0x11, r.rdx);
	if (next_rip) {
		/* Then "mov [0x3000], al; hlt" after the RDMSR. */
		EXPECT_EQ(RDMSR_GPA + 6, r.rip);
		EXPECT_EQ(0x22334466, r.rax);
		EXPECT_EQ(0x66, self->g.mem[DATA_GPA]);
	} else {
		/* The MOV at the moved rip is skipped, its HLT runs. */
		EXPECT_EQ(MOVED_GPA + 3, r.rip);
		EXPECT_EQ(0x22334466, r.rax);
		EXPECT_EQ(0, self->g.mem[DATA_GPA]);
	}

	/* WRMSR likewise. */
	r.rip = WRMSR_GPA;
	ASSERT_EQ(0, ioctl(self->g.vcpu, KVM_SET_REGS, &r));
	KVMC_RUN_EXPECT(&self->g, KVM_EXIT_X86_WRMSR);
	r.rip = MOVED_GPA;
	ASSERT_EQ(0, ioctl(self->g.vcpu, KVM_SET_REGS, &r));
	KVMC_RUN_EXPECT(&self->g, KVM_EXIT_HLT);
	ASSERT_EQ(0, ioctl(self->g.vcpu, KVM_GET_REGS, &r));
	TH_LOG("WRMSR completed: rip %#llx rax %#llx", (unsigned long long)r.rip,
	       (unsigned long long)r.rax);
	EXPECT_EQ(next_rip ? WRMSR_GPA + 3 : MOVED_GPA + 3, r.rip);
	EXPECT_EQ(0x22334466, r.rax);
}

/*
 * The filter replaced under a running vCPU.  A thread sets REPLACEMENTS
 * filters in turn: one that denies reading MSR_GOO (its RDMSR exits with
 * reason FILTER) and an empty default-allow one (reason UNKNOWN); the
 * vCPU meanwhile runs the RDMSR, bounded by a count.  Each set returns 0
 * (upstream waits for the vCPUs' srcu readers before it returns, and so
 * does kvm_compat: calls in a row neither fail nor pile up freed
 * filters), each RDMSR exits with one of the two reasons and completes,
 * and after the last set the RDMSR obeys the last filter.  Which reason
 * each RDMSR saw depends on the interleaving and is not asserted.
 */
#define REPLACEMENTS	200
#define RDMSRS_MAX	4000

struct replacer {
	int vm;
	int failed;		/* the first set that did not return 0, + 1 */
	int err;
	volatile int done;
};

static void *replacer_thread(void *arg)
{
	struct replacer *t = arg;
	struct kvm_msr_filter deny, allow;
	uint64_t bm = 0;
	int i, r;

	memset(&deny, 0, sizeof(deny));
	memset(&allow, 0, sizeof(allow));
	deny.flags = KVM_MSR_FILTER_DEFAULT_ALLOW;
	deny.ranges[0].flags = R;
	deny.ranges[0].base = MSR_GOO;
	deny.ranges[0].nmsrs = 1;
	deny.ranges[0].bitmap = (uint8_t *)&bm;
	for (i = 0; i < REPLACEMENTS; i++) {
		r = set_filter(t->vm, i % 2 ? &allow : &deny);
		if (r && !t->failed) {
			t->failed = i + 1;
			t->err = r;
		}
	}
	t->done = 1;
	return NULL;
}

TEST_F(msr, replace_filter_while_running)
{
	struct replacer t = { .vm = self->g.vm };
	struct kvm_run *run = self->g.run;
	struct kvm_regs r;
	pthread_t thread;
	int i;

	USER_SPACE_MSR(UNKNOWN | FILTER);
	ASSERT_EQ(0, pthread_create(&thread, NULL, replacer_thread, &t));
	for (i = 0; i < RDMSRS_MAX && !t.done; i++) {
		ASSERT_EQ(0, ioctl(self->g.vcpu, KVM_GET_REGS, &r));
		r.rip = RDMSR_GPA;
		r.rcx = MSR_GOO;
		ASSERT_EQ(0, ioctl(self->g.vcpu, KVM_SET_REGS, &r));
		KVMC_RUN_EXPECT(&self->g, KVM_EXIT_X86_RDMSR);
		ASSERT_EQ(MSR_GOO, run->msr.index);
		ASSERT_TRUE(run->msr.reason == FILTER ||
			    run->msr.reason == UNKNOWN)
			TH_LOG("RDMSR %d: reason %#x", i, run->msr.reason);
		run->msr.data = (uint8_t)i;
		run->msr.error = 0;
		KVMC_RUN_EXPECT(&self->g, KVM_EXIT_HLT);
		EXPECT_EQ((uint8_t)i, self->g.mem[DATA_GPA]);
	}
	ASSERT_EQ(0, pthread_join(thread, NULL));
	EXPECT_EQ(0, t.failed) TH_LOG("set %d: %s", t.failed,
				      kvmc_errname(-t.err));
	TH_LOG("%d RDMSRs while %d filters were set", i, REPLACEMENTS);
	/* The last filter set is the deny one when REPLACEMENTS is odd. */
	RDMSR_EXIT(MSR_GOO, REPLACEMENTS % 2 ? FILTER : UNKNOWN);
}

KVMC_TEST_MAIN
