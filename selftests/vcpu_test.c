// SPDX-License-Identifier: GPL-2.0
/*
 * KVM_CREATE_VCPU on a VM fd and the vCPU fd itself: register reset state
 * and round trips, KVM_SET_SREGS validation, the mmap'ed kvm_run, unknown
 * ioctls. Compared with upstream x86 KVM: virt/kvm/kvm_main.c
 * (kvm_vm_ioctl_create_vcpu(), kvm_vcpu_ioctl(), kvm_vcpu_fault()),
 * arch/x86/kvm/x86.c (kvm_vcpu_reset(), kvm_arch_vcpu_ioctl(),
 * kvm_arch_vm_ioctl(), kvm_is_valid_sregs()) and arch/x86/kvm/svm/svm.c
 * (init_vmcb(), svm_get_segment()): the test guest's oracle is kvm-amd.
 *
 *   vcpu_test_{64,32,x32} [DEVICE] [kselftest_harness options]
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/const.h>

#include "kselftest_harness.h"
#include "kvm_compat_util.h"

#define KVMC_UNKNOWN_KVMIO	_IO(KVMIO, 0xfe)
#define KVMC_UNKNOWN_FOREIGN	_IO('Q', 0x42)
/* Creating more vCPUs than this takes too long under emulation. */
#define KVMC_MAX_VCPUS_TESTED	512

#define X86_CR0_PE	_BITULL(0)
#define X86_CR0_ET	_BITULL(4)
#define X86_CR0_NW	_BITULL(29)
#define X86_CR0_CD	_BITULL(30)
#define X86_CR0_PG	_BITULL(31)
#define EFER_LMA	_BITULL(10)
#define RFLAGS_FIXED	0x2ULL
/* One segment of KVM_GET_SREGS, for the log. */
#define SEG_FMT \
	"%-4s base %#llx limit %#x sel %#x type %#x p %u dpl %u db %u s %u l %u g %u avl %u unusable %u"

FIXTURE(vm)
{
	int sys, vm;
};

FIXTURE_SETUP(vm)
{
	self->vm = -1;
	KVMC_OPEN_OR_SKIP(self->sys);
	self->vm = kvmc_create_vm(self->sys);
	ASSERT_LE(0, self->vm) TH_LOG("KVM_CREATE_VM: %s",
				      kvmc_errname(-self->vm));
}

FIXTURE_TEARDOWN(vm)
{
	if (self->vm >= 0)
		close(self->vm);
	if (self->sys >= 0)
		close(self->sys);
}

TEST_F(vm, create_vcpu)
{
	int v0, v1, max_id;

	v0 = kvmc_create_vcpu(self->vm, 0);
	ASSERT_LE(0, v0) TH_LOG("KVM_CREATE_VCPU 0: %s", kvmc_errname(-v0));
	/* create_vcpu_fd(): anon_inode_getfd(..., O_RDWR | O_CLOEXEC). */
	EXPECT_EQ(FD_CLOEXEC, fcntl(v0, F_GETFD) & FD_CLOEXEC);
	ASSERT_EQ(-EEXIST, kvmc_create_vcpu(self->vm, 0));

	max_id = kvmc_check_ext(self->vm, KVM_CAP_MAX_VCPU_ID);
	ASSERT_LT(0, max_id);
	ASSERT_EQ(-EINVAL, kvmc_create_vcpu(self->vm, (unsigned long)max_id));
	ASSERT_EQ(-EINVAL, kvmc_create_vcpu(self->vm, ~0UL));

	v1 = kvmc_create_vcpu(self->vm, 1);
	ASSERT_LE(0, v1) TH_LOG("KVM_CREATE_VCPU 1: %s", kvmc_errname(-v1));
	/* Closing the fd does not destroy the vCPU: the id stays taken. */
	EXPECT_EQ(0, close(v1));
	ASSERT_EQ(-EEXIST, kvmc_create_vcpu(self->vm, 1));
	EXPECT_EQ(0, close(v0));
}

/* kvm_vm_ioctl_create_vcpu(): created_vcpus >= max_vcpus -> -EINVAL. */
TEST_F_TIMEOUT(vm, vcpu_count_limit, 300)
{
	int max = kvmc_check_ext(self->vm, KVM_CAP_MAX_VCPUS);
	int i, fd;

	ASSERT_LT(0, max);
	if (max > KVMC_MAX_VCPUS_TESTED)
		SKIP(return, "KVM_CAP_MAX_VCPUS %d > %d: too slow under emulation",
		     max, KVMC_MAX_VCPUS_TESTED);
	for (i = 0; i < max; i++) {
		fd = kvmc_create_vcpu(self->vm, i);
		ASSERT_LE(0, fd) TH_LOG("vCPU %d: %s", i, kvmc_errname(-fd));
		ASSERT_EQ(0, close(fd));
	}
	ASSERT_EQ(-EINVAL, kvmc_create_vcpu(self->vm, max));
}

#define FAILSLAB	"/sys/kernel/debug/failslab/"

static int write_str(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	close(fd);
	return n < 0 ? -errno : 0;
}

/*
 * failslab for this thread only: every slab allocation it makes fails
 * while /proc/thread-self/make-it-fail is 1.  Returns that file, opened
 * (opening it later would allocate), or -errno.
 */
static int failslab_setup(void)
{
	static const char * const knobs[][2] = {
		{ FAILSLAB "task-filter", "Y" },
		{ FAILSLAB "ignore-gfp-wait", "N" },
		{ FAILSLAB "cache-filter", "N" },
		{ FAILSLAB "verbose", "0" },
		{ FAILSLAB "interval", "1" },
		{ FAILSLAB "space", "0" },
		{ FAILSLAB "times", "-1" },
		{ FAILSLAB "probability", "100" },
	};
	size_t i;
	int r;

	for (i = 0; i < ARRAY_SIZE(knobs); i++) {
		r = write_str(knobs[i][0], knobs[i][1]);
		if (r)
			return r;
	}
	r = open("/proc/thread-self/make-it-fail", O_WRONLY);
	return r < 0 ? -errno : r;
}

/* failslab as the kernel boots it (lib/fault-inject.c, mm/failslab.c). */
static void failslab_restore(void)
{
	static const char * const knobs[][2] = {
		{ FAILSLAB "probability", "0" },
		{ FAILSLAB "times", "1" },
		{ FAILSLAB "interval", "1" },
		{ FAILSLAB "space", "0" },
		{ FAILSLAB "verbose", "2" },
		{ FAILSLAB "task-filter", "N" },
		{ FAILSLAB "ignore-gfp-wait", "Y" },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(knobs); i++)
		write_str(knobs[i][0], knobs[i][1]);
}

/* KVM_CREATE_VCPU @id with every slab allocation of this thread failing. */
static int create_vcpu_failing(int make_it_fail, int vm, unsigned long id)
{
	int r;

	if (pwrite(make_it_fail, "1", 1, 0) != 1)
		return -EIO;
	r = kvmc_create_vcpu(vm, id);
	if (pwrite(make_it_fail, "0", 1, 0) != 1)
		return -EIO;
	return r;
}

/*
 * kvm_vm_ioctl_create_vcpu()'s order (7.3), seen through allocation
 * failures: the id and the vCPU limit (EINVAL) and the id's uniqueness
 * (EEXIST) are checked before anything is allocated.  Needs failslab
 * (CONFIG_FAILSLAB, CONFIG_FAULT_INJECTION_DEBUG_FS), which the debug
 * kernel of "make check-debug" has and Debian's kernels do not.
 */
TEST_F_TIMEOUT(vm, create_vcpu_allocation_order, 300)
{
	int max = kvmc_check_ext(self->vm, KVM_CAP_MAX_VCPUS);
	int max_id = kvmc_check_ext(self->vm, KVM_CAP_MAX_VCPU_ID);
	int mif, vm2, i, fd;

	mif = failslab_setup();
	if (mif == -ENOENT)
		SKIP(return, "no " FAILSLAB " (CONFIG_FAILSLAB, CONFIG_FAULT_INJECTION_DEBUG_FS)");
	ASSERT_LE(0, mif) TH_LOG("failslab: %s", kvmc_errname(-mif));

	/* An id out of range, and a duplicate one, with memory failing. */
	EXPECT_EQ(-EINVAL, create_vcpu_failing(mif, self->vm, max_id));
	fd = kvmc_create_vcpu(self->vm, 0);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-EEXIST, create_vcpu_failing(mif, self->vm, 0));
	EXPECT_EQ(-ENOMEM, create_vcpu_failing(mif, self->vm, 1));
	EXPECT_EQ(-EEXIST, kvmc_create_vcpu(self->vm, 0));
	EXPECT_EQ(0, close(fd));

	/* A full VM: EINVAL, whatever the memory. */
	if (max > KVMC_MAX_VCPUS_TESTED) {
		TH_LOG("KVM_CAP_MAX_VCPUS %d > %d: no full VM under emulation",
		       max, KVMC_MAX_VCPUS_TESTED);
		goto out;
	}
	vm2 = kvmc_create_vm(self->sys);
	ASSERT_LE(0, vm2);
	for (i = 0; i < max; i++) {
		fd = kvmc_create_vcpu(vm2, i);
		ASSERT_LE(0, fd) TH_LOG("vCPU %d: %s", i, kvmc_errname(-fd));
		ASSERT_EQ(0, close(fd));
	}
	EXPECT_EQ(-EINVAL, create_vcpu_failing(mif, vm2, max));
	EXPECT_EQ(-EINVAL, create_vcpu_failing(mif, vm2, 0));
	EXPECT_EQ(-EINVAL, kvmc_create_vcpu(vm2, max));
	EXPECT_EQ(0, close(vm2));
out:
	failslab_restore();
	close(mif);
}

/* kvm_vm_ioctl() default -> kvm_arch_vm_ioctl() default: -ENOTTY. */
TEST_F(vm, unknown_vm_ioctl_enotty)
{
	ASSERT_EQ(-1, ioctl(self->vm, KVMC_UNKNOWN_KVMIO, 0));
	ASSERT_EQ(ENOTTY, errno);
	ASSERT_EQ(-1, ioctl(self->vm, KVMC_UNKNOWN_FOREIGN, 0));
	ASSERT_EQ(ENOTTY, errno);
}

/* After FIXTURE(vm): the harness runs the fixtures in this order. */
#include "kvm_compat_vcpu_fixture.h"

/* kvm_vcpu_ioctl(): _IOC_TYPE != KVMIO -> -EINVAL; else x86 default -EINVAL. */
TEST_F(vcpu, unknown_vcpu_ioctl_einval)
{
	ASSERT_EQ(-1, ioctl(self->fds.vcpu, KVMC_UNKNOWN_KVMIO, 0));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(-1, ioctl(self->fds.vcpu, KVMC_UNKNOWN_FOREIGN, 0));
	ASSERT_EQ(EINVAL, errno);
}

/*
 * kvm_vcpu_reset(): GPRs zeroed, RDX = CPUID.1.EAX or 0x600 without
 * KVM_SET_CPUID, RFLAGS = X86_EFLAGS_FIXED, RIP = 0xfff0.
 */
TEST_F(vcpu, regs_reset_state)
{
	struct kvm_regs r;

	memset(&r, 0xaa, sizeof(r));
	ASSERT_EQ(0, ioctl(self->fds.vcpu, KVM_GET_REGS, &r));
	TH_LOG("rip %#llx rflags %#llx rdx %#llx", (unsigned long long)r.rip,
	       (unsigned long long)r.rflags, (unsigned long long)r.rdx);
	EXPECT_EQ(0xfff0, r.rip);
	EXPECT_EQ(0x2, r.rflags);
	EXPECT_EQ(0x600, r.rdx);
	EXPECT_EQ(0, r.rax | r.rbx | r.rcx | r.rsi | r.rdi | r.rsp | r.rbp);
	EXPECT_EQ(0, r.r8 | r.r9 | r.r10 | r.r11 | r.r12 | r.r13 | r.r14 | r.r15);
}

static void fill_regs(struct kvm_regs *r)
{
	uint64_t *v = (uint64_t *)r;
	size_t i;

	for (i = 0; i < sizeof(*r) / sizeof(*v); i++)
		v[i] = 0x8000000000000000ULL | (0x0101010101010101ULL * (i + 1));
	r->rip = 0xfedcba9876543210ULL;
	r->rflags = 0xdead000000240cd5ULL;	/* bit 1 clear: KVM sets it */
}

TEST_F(vcpu, regs_roundtrip)
{
	struct kvm_regs in, out;

	fill_regs(&in);
	ASSERT_EQ(0, ioctl(self->fds.vcpu, KVM_SET_REGS, &in));
	memset(&out, 0, sizeof(out));
	ASSERT_EQ(0, ioctl(self->fds.vcpu, KVM_GET_REGS, &out));
	/* kvm_arch_vcpu_ioctl_set_regs(): rflags | X86_EFLAGS_FIXED. */
	in.rflags |= RFLAGS_FIXED;
	EXPECT_EQ(in.rax, out.rax);
	EXPECT_EQ(in.rbx, out.rbx);
	EXPECT_EQ(in.rcx, out.rcx);
	EXPECT_EQ(in.rdx, out.rdx);
	EXPECT_EQ(in.rsi, out.rsi);
	EXPECT_EQ(in.rdi, out.rdi);
	EXPECT_EQ(in.rsp, out.rsp);
	EXPECT_EQ(in.rbp, out.rbp);
	EXPECT_EQ(in.r8, out.r8);
	EXPECT_EQ(in.r9, out.r9);
	EXPECT_EQ(in.r10, out.r10);
	EXPECT_EQ(in.r11, out.r11);
	EXPECT_EQ(in.r12, out.r12);
	EXPECT_EQ(in.r13, out.r13);
	EXPECT_EQ(in.r14, out.r14);
	EXPECT_EQ(in.r15, out.r15);
	EXPECT_EQ(in.rip, out.rip);
	EXPECT_EQ(in.rflags, out.rflags);
	EXPECT_EQ(0, memcmp(&in, &out, sizeof(in)));
}

TEST_F(vcpu, regs_bad_pointer_efault)
{
	ASSERT_EQ(-1, ioctl(self->fds.vcpu, KVM_GET_REGS, NULL));
	ASSERT_EQ(EFAULT, errno);
	ASSERT_EQ(-1, ioctl(self->fds.vcpu, KVM_SET_REGS, NULL));
	ASSERT_EQ(EFAULT, errno);
}

static void log_seg(struct __test_metadata *_metadata, const char *name,
		    const struct kvm_segment *s)
{
	TH_LOG(SEG_FMT, name, (unsigned long long)s->base, s->limit,
	       s->selector, s->type, s->present, s->dpl, s->db, s->s, s->l,
	       s->g, s->avl, s->unusable);
}

static void log_sregs(struct __test_metadata *_metadata,
		      const struct kvm_sregs *s)
{
	log_seg(_metadata, "cs", &s->cs);
	log_seg(_metadata, "ds", &s->ds);
	log_seg(_metadata, "es", &s->es);
	log_seg(_metadata, "fs", &s->fs);
	log_seg(_metadata, "gs", &s->gs);
	log_seg(_metadata, "ss", &s->ss);
	log_seg(_metadata, "tr", &s->tr);
	log_seg(_metadata, "ldt", &s->ldt);
	TH_LOG("gdt %#llx/%#x idt %#llx/%#x",
	       (unsigned long long)s->gdt.base, s->gdt.limit,
	       (unsigned long long)s->idt.base, s->idt.limit);
	TH_LOG("cr0 %#llx cr2 %#llx cr3 %#llx cr4 %#llx cr8 %#llx efer %#llx apic_base %#llx",
	       (unsigned long long)s->cr0, (unsigned long long)s->cr2,
	       (unsigned long long)s->cr3, (unsigned long long)s->cr4,
	       (unsigned long long)s->cr8, (unsigned long long)s->efer,
	       (unsigned long long)s->apic_base);
}

/*
 * Reset data segment (SVM init_seg(): P|S|W, limit 0xffff). The accessed
 * bit of the type is vendor specific (svm_get_segment() sets it for
 * DS/ES/FS/GS only), so it is masked.
 */
static void check_reset_data_seg(struct __test_metadata *_metadata,
				 const struct kvm_segment *s)
{
	EXPECT_EQ(0, s->selector);
	EXPECT_EQ(0, s->base);
	EXPECT_EQ(0xffff, s->limit);
	EXPECT_EQ(2, s->type & 0xe);
	EXPECT_EQ(1, s->present);
	EXPECT_EQ(1, s->s);
	EXPECT_EQ(0, s->dpl);
	EXPECT_EQ(0, s->l);
}

TEST_F(vcpu, sregs_reset_state)
{
	struct kvm_sregs s;
	size_t i;

	memset(&s, 0xaa, sizeof(s));
	ASSERT_EQ(0, ioctl(self->fds.vcpu, KVM_GET_SREGS, &s));
	log_sregs(_metadata, &s);

	EXPECT_EQ(0xf000, s.cs.selector);
	EXPECT_EQ(0xffff0000, s.cs.base);
	EXPECT_EQ(0xffff, s.cs.limit);
	EXPECT_EQ(0xa, s.cs.type & 0xe);	/* code, readable */
	EXPECT_EQ(1, s.cs.present);
	EXPECT_EQ(1, s.cs.s);
	EXPECT_EQ(0, s.cs.dpl);
	EXPECT_EQ(0, s.cs.l);
	EXPECT_EQ(0, s.cs.db);
	check_reset_data_seg(_metadata, &s.ds);
	check_reset_data_seg(_metadata, &s.es);
	check_reset_data_seg(_metadata, &s.fs);
	check_reset_data_seg(_metadata, &s.gs);
	check_reset_data_seg(_metadata, &s.ss);
	/* TR: busy TSS (16-bit on SVM, 32-bit on VMX); LDTR: type 2. */
	EXPECT_EQ(0, s.tr.selector);
	EXPECT_EQ(3, s.tr.type & 3);
	EXPECT_EQ(0, s.tr.s);
	EXPECT_EQ(1, s.tr.present);
	EXPECT_EQ(0, s.ldt.selector);
	EXPECT_EQ(2, s.ldt.type);
	EXPECT_EQ(0, s.ldt.s);

	EXPECT_EQ(0, s.gdt.base);
	EXPECT_EQ(0xffff, s.gdt.limit);
	EXPECT_EQ(0, s.idt.base);
	EXPECT_EQ(0xffff, s.idt.limit);
	/* kvm_vcpu_reset(): CR0 = ET | NW | CD on RESET. */
	EXPECT_EQ(X86_CR0_ET | X86_CR0_NW | X86_CR0_CD, s.cr0);
	EXPECT_EQ(0, s.cr2);
	EXPECT_EQ(0, s.cr3);
	EXPECT_EQ(0, s.cr4);
	EXPECT_EQ(0, s.cr8);
	EXPECT_EQ(0, s.efer);
	for (i = 0; i < ARRAY_SIZE(s.interrupt_bitmap); i++)
		EXPECT_EQ(0, s.interrupt_bitmap[i]);
}

static void flat_seg(struct kvm_segment *s, uint16_t sel, uint8_t type)
{
	memset(s, 0, sizeof(*s));
	s->base = 0;
	s->limit = 0xffffffff;
	s->selector = sel;
	s->type = type;
	s->present = 1;
	s->db = 1;
	s->s = 1;
	s->g = 1;
}

static void check_seg_eq(struct __test_metadata *_metadata,
			 const struct kvm_segment *a, const struct kvm_segment *b)
{
	EXPECT_EQ(a->base, b->base);
	EXPECT_EQ(a->limit, b->limit);
	EXPECT_EQ(a->selector, b->selector);
	EXPECT_EQ(a->type, b->type);
	EXPECT_EQ(a->present, b->present);
	EXPECT_EQ(a->dpl, b->dpl);
	EXPECT_EQ(a->db, b->db);
	EXPECT_EQ(a->s, b->s);
	EXPECT_EQ(a->l, b->l);
	EXPECT_EQ(a->g, b->g);
}

/* A flat 32-bit protected-mode state survives KVM_SET_SREGS/GET_SREGS. */
TEST_F(vcpu, sregs_roundtrip_protected_mode)
{
	struct kvm_sregs in, out;

	ASSERT_EQ(0, ioctl(self->fds.vcpu, KVM_GET_SREGS, &in));
	flat_seg(&in.cs, 0x08, 0xb);
	flat_seg(&in.ds, 0x10, 0x3);
	flat_seg(&in.es, 0x10, 0x3);
	flat_seg(&in.fs, 0x10, 0x3);
	flat_seg(&in.gs, 0x10, 0x3);
	flat_seg(&in.ss, 0x10, 0x3);
	in.gdt.base = 0x1000;
	in.gdt.limit = 0x17;
	in.idt.base = 0x2000;
	in.idt.limit = 0x7ff;
	in.cr0 = X86_CR0_CD | X86_CR0_NW | X86_CR0_ET | X86_CR0_PE;
	in.cr2 = 0x12345678;
	in.cr3 = 0x3000;
	ASSERT_EQ(0, ioctl(self->fds.vcpu, KVM_SET_SREGS, &in));

	memset(&out, 0xaa, sizeof(out));
	ASSERT_EQ(0, ioctl(self->fds.vcpu, KVM_GET_SREGS, &out));
	log_sregs(_metadata, &out);
	check_seg_eq(_metadata, &in.cs, &out.cs);
	check_seg_eq(_metadata, &in.ds, &out.ds);
	check_seg_eq(_metadata, &in.ss, &out.ss);
	check_seg_eq(_metadata, &in.gs, &out.gs);
	EXPECT_EQ(in.gdt.base, out.gdt.base);
	EXPECT_EQ(in.gdt.limit, out.gdt.limit);
	EXPECT_EQ(in.idt.base, out.idt.base);
	EXPECT_EQ(in.idt.limit, out.idt.limit);
	EXPECT_EQ(in.cr0, out.cr0);
	EXPECT_EQ(in.cr2, out.cr2);
	EXPECT_EQ(in.cr3, out.cr3);
	EXPECT_EQ(in.cr4, out.cr4);
	EXPECT_EQ(in.efer, out.efer);
}

/* KVM_SET_SREGS with one change from @base; must fail with EINVAL. */
#define SET_SREGS_EINVAL(base, field, value) do {			\
	struct kvm_sregs __s = *(base);					\
	__s.field = (value);						\
	EXPECT_EQ(-1, ioctl(self->fds.vcpu, KVM_SET_SREGS, &__s))	\
		TH_LOG("%s = %#llx accepted", #field,			\
		       (unsigned long long)(value));			\
	EXPECT_EQ(EINVAL, errno) TH_LOG("%s", #field);			\
} while (0)

/* kvm_is_valid_sregs(), kvm_is_valid_cr0(), kvm_is_valid_cr4(). */
TEST_F(vcpu, sregs_invalid_einval)
{
	struct kvm_sregs reset, after;

	ASSERT_EQ(0, ioctl(self->fds.vcpu, KVM_GET_SREGS, &reset));
	SET_SREGS_EINVAL(&reset, cr0, reset.cr0 | X86_CR0_PG);
	SET_SREGS_EINVAL(&reset, cr0, X86_CR0_NW | X86_CR0_ET);
	SET_SREGS_EINVAL(&reset, cr0, reset.cr0 | (1ULL << 32));
	SET_SREGS_EINVAL(&reset, efer, EFER_LMA);
	SET_SREGS_EINVAL(&reset, cs.l, 1);
	SET_SREGS_EINVAL(&reset, cr4, 1ULL << 31);
	SET_SREGS_EINVAL(&reset, cr4, 1ULL << 63);

	/* The checks come before any state is changed. */
	ASSERT_EQ(0, ioctl(self->fds.vcpu, KVM_GET_SREGS, &after));
	EXPECT_EQ(0, memcmp(&reset, &after, sizeof(reset)));
}

TEST_F(vcpu, sregs_bad_pointer_efault)
{
	ASSERT_EQ(-1, ioctl(self->fds.vcpu, KVM_GET_SREGS, NULL));
	ASSERT_EQ(EFAULT, errno);
	ASSERT_EQ(-1, ioctl(self->fds.vcpu, KVM_SET_SREGS, NULL));
	ASSERT_EQ(EFAULT, errno);
}

static uint8_t *map_vcpu(struct __test_metadata *_metadata, int sys, int fd,
			 int *size)
{
	uint8_t *p;

	*size = ioctl(sys, KVM_GET_VCPU_MMAP_SIZE, 0);
	ASSERT_LE((int)(3 * KVMC_PAGE_SIZE), *size);
	p = mmap(NULL, *size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	return p;
}

/* kvm_vcpu_fault(): page 0 kvm_run, page 1 PIO data (both zeroed pages). */
TEST_F(vcpu, mmap_kvm_run)
{
	struct kvm_run *run;
	uint8_t *p, *p2, acc = 0;
	size_t i;
	int size;

	p = map_vcpu(_metadata, self->fds.sys, self->fds.vcpu, &size);
	run = (struct kvm_run *)p;
	EXPECT_EQ(KVM_EXIT_UNKNOWN, run->exit_reason);
	EXPECT_EQ(0, run->request_interrupt_window);
	EXPECT_EQ(0, run->immediate_exit);
	for (i = 0; i < KVMC_PAGE_SIZE; i++)
		acc |= p[KVMC_PAGE_SIZE + i];
	EXPECT_EQ(0, acc);
	/* Writable, and the same pages in another mapping of the vCPU. */
	p2 = map_vcpu(_metadata, self->fds.sys, self->fds.vcpu, &size);
	run->immediate_exit = 1;
	p[KVMC_PAGE_SIZE] = 0x5a;
	EXPECT_EQ(1, ((struct kvm_run *)p2)->immediate_exit);
	EXPECT_EQ(0x5a, p2[KVMC_PAGE_SIZE]);
	EXPECT_EQ(0, munmap(p2, size));
	EXPECT_EQ(0, munmap(p, size));
}

/* Page 2: the VM's coalesced MMIO ring, empty on a fresh VM. */
TEST_F(vcpu, mmap_coalesced_mmio_page)
{
	struct kvm_coalesced_mmio_ring *ring;
	uint8_t *p;
	int size;

	p = map_vcpu(_metadata, self->fds.sys, self->fds.vcpu, &size);
	ring = (struct kvm_coalesced_mmio_ring *)(p + 2 * KVMC_PAGE_SIZE);
	EXPECT_EQ(ring->first, ring->last);
	EXPECT_EQ(0, munmap(p, size));
}

KVMC_TEST_MAIN
