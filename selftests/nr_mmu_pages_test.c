// SPDX-License-Identifier: GPL-2.0
/*
 * KVM_SET_NR_MMU_PAGES and KVM_GET_NR_MMU_PAGES on a VM fd: a count that
 * does not fit in an int, read back from every ABI.
 *
 *   nr_mmu_pages_test_{64,32,x32} [DEVICE] [kselftest_harness options]
 *
 * Upstream x86 until 6.4 (arch/x86/kvm/x86.c, kvm_arch_vm_ioctl()):
 * KVM_SET_NR_MMU_PAGES takes the count as the ioctl's scalar argument (an
 * unsigned long, at least KVM_MIN_ALLOC_MMU_PAGES = 64) and
 * KVM_GET_NR_MMU_PAGES returns it, an unsigned long, through
 * kvm_arch_vm_ioctl()'s "int r". The caller gets the count's low 32 bits
 * as an int: counts from 2^31 come back negative, and counts whose low 32
 * bits are 0xfffff001..0xffffffff come back as -1 and errno 4095..1, the
 * system call convention's error range (0xfffffffd: ESRCH). The kernel
 * truncates before any return register, so x86_64, ia32 and x32 read the
 * same value; a 64-bit caller can also set counts of 2^32 and more, which
 * come back modulo 2^32, and a 32-bit caller's unsigned long cannot hold
 * them (above_4g: it passes the low half, 4096).
 *
 * Since 6.4 (c5edd753a0bd "KVM: x86: Remove the KVM_GET_NR_MMU_PAGES
 * ioctl") KVM_GET_NR_MMU_PAGES is ENOTTY; KVM_SET_NR_MMU_PAGES stays.
 * kvm_compat implements neither (ENOTTY): its KVM_GET_NR_MMU_PAGES is the
 * newest upstream's.
 *
 * The device decides what is asserted: the fixture sets 4096 and reads it
 * back, which shows whether the device has each ioctl; then each variant's
 * count must come back as its table entry says, or ENOTTY without the
 * ioctl. get_enotty asserts the newest upstream's answer, which older
 * series' /dev/kvm do not give (Documentation/by-version.rst).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "kvm_compat_util.h"

/* Numbers of include/uapi/linux/kvm.h, for a header without them. */
#ifndef KVM_SET_NR_MMU_PAGES
#define KVM_SET_NR_MMU_PAGES	_IO(KVMIO, 0x44)
#endif
#ifndef KVM_GET_NR_MMU_PAGES
#define KVM_GET_NR_MMU_PAGES	_IO(KVMIO, 0x45)
#endif

/* A count every device that has the ioctls takes and gives back as is. */
#define PROBE_COUNT	4096

/* What the device has, from setting PROBE_COUNT and reading it back. */
struct nr_mmu_probe {
	bool has_set, has_get;
};

static void nr_mmu_probe(struct __test_metadata *_metadata, int vm,
			 struct nr_mmu_probe *p)
{
	int r, e;

	errno = 0;
	r = ioctl(vm, KVM_SET_NR_MMU_PAGES, (unsigned long)PROBE_COUNT);
	e = errno;
	ASSERT_TRUE(r == 0 || (r == -1 && e == ENOTTY))
		TH_LOG("KVM_SET_NR_MMU_PAGES %d: %d %s", PROBE_COUNT, r,
		       kvmc_errname(e));
	p->has_set = r == 0;
	errno = 0;
	r = ioctl(vm, KVM_GET_NR_MMU_PAGES, 0);
	e = errno;
	ASSERT_TRUE(r == PROBE_COUNT || (r == -1 && e == ENOTTY))
		TH_LOG("KVM_GET_NR_MMU_PAGES after setting %d (set: %s): %d %s",
		       PROBE_COUNT, p->has_set ? "0" : "ENOTTY", r,
		       r == -1 ? kvmc_errname(e) : "");
	p->has_get = r == PROBE_COUNT;
	TH_LOG("%s from %s: KVM_SET_NR_MMU_PAGES %s, KVM_GET_NR_MMU_PAGES %s",
	       kvmc_device(), kvmc_abi_name(),
	       p->has_set ? "works" : "ENOTTY", p->has_get ? "works" : "ENOTTY");
}

FIXTURE(nr_mmu)
{
	int sys, vm;
	struct nr_mmu_probe probe;
};

/*
 * @count as the caller writes it (a 32-bit ABI's unsigned long keeps its
 * low half) and what KVM_GET_NR_MMU_PAGES gives back after it on a kernel
 * that has the ioctl: the int it returns, and errno when that is -1.
 */
FIXTURE_VARIANT(nr_mmu)
{
	uint64_t count;
	int ret, err;
};

/* 2^31 - 1: the largest count that comes back as itself. */
FIXTURE_VARIANT_ADD(nr_mmu, int_max)
{
	.count = 0x7fffffffULL, .ret = INT_MAX,
};

/* 2^31: negative, but below the error range. */
FIXTURE_VARIANT_ADD(nr_mmu, int_min)
{
	.count = 0x80000000ULL, .ret = INT_MIN,
};

/* 2^32 - 4096: -4096, one below the error range, is still a value. */
FIXTURE_VARIANT_ADD(nr_mmu, u32_minus_4096)
{
	.count = 0xfffff000ULL, .ret = -4096,
};

/* 2^32 - 3: -3, which libc turns into -1 and errno 3, ESRCH. */
FIXTURE_VARIANT_ADD(nr_mmu, u32_minus_3)
{
	.count = 0xfffffffdULL, .ret = -1, .err = ESRCH,
};

/* 2^32 + 4096: the low 32 bits, from a 64-bit caller as from the others. */
FIXTURE_VARIANT_ADD(nr_mmu, above_4g)
{
	.count = 0x100001000ULL, .ret = 4096,
};

FIXTURE_SETUP(nr_mmu)
{
	self->vm = -1;
	KVMC_OPEN_OR_SKIP(self->sys);
	self->vm = kvmc_create_vm(self->sys);
	ASSERT_LE(0, self->vm) TH_LOG("KVM_CREATE_VM: %s",
				      kvmc_errname(-self->vm));
	nr_mmu_probe(_metadata, self->vm, &self->probe);
	/* Without KVM_SET_NR_MMU_PAGES the probe cannot read its count. */
	ASSERT_TRUE(self->probe.has_set || !self->probe.has_get);
	/* kvm_compat follows the newest upstream: no KVM_GET_NR_MMU_PAGES. */
	if (!kvmc_is_upstream())
		ASSERT_FALSE(self->probe.has_get);
}

FIXTURE_TEARDOWN(nr_mmu)
{
	if (self->vm >= 0)
		close(self->vm);
	if (self->sys >= 0)
		close(self->sys);
}

TEST_F(nr_mmu, get_after_set)
{
	unsigned long count = (unsigned long)variant->count;
	int r, e;

	errno = 0;
	r = ioctl(self->vm, KVM_SET_NR_MMU_PAGES, count);
	e = errno;
	if (self->probe.has_set) {
		ASSERT_EQ(0, r) TH_LOG("KVM_SET_NR_MMU_PAGES %#lx: %s", count,
				       kvmc_errname(e));
	} else {
		ASSERT_EQ(-1, r);
		ASSERT_EQ(ENOTTY, e);
	}

	errno = 0;
	r = ioctl(self->vm, KVM_GET_NR_MMU_PAGES, 0);
	e = errno;
	if (!self->probe.has_get) {
		ASSERT_EQ(-1, r);
		ASSERT_EQ(ENOTTY, e) TH_LOG("got %s", kvmc_errname(e));
		return;
	}
	TH_LOG("count %#lx came back as %d%s%s", count, r,
	       r == -1 ? ", errno " : "", r == -1 ? kvmc_errname(e) : "");
	EXPECT_EQ(variant->ret, r);
	if (variant->ret == -1)
		EXPECT_EQ(variant->err, e) TH_LOG("got %s", kvmc_errname(e));
}

/*
 * The newest upstream has no KVM_GET_NR_MMU_PAGES (c5edd753a0bd, v6.4):
 * ENOTTY from kvm_arch_vm_ioctl()'s default. Older series' /dev/kvm still
 * answer it; Documentation/by-version.rst lists them.
 */
TEST(get_enotty)
{
	int sys, vm;

	KVMC_OPEN_OR_SKIP(sys);
	vm = kvmc_create_vm(sys);
	ASSERT_LE(0, vm) TH_LOG("KVM_CREATE_VM: %s", kvmc_errname(-vm));
	errno = 0;
	EXPECT_EQ(-1, ioctl(vm, KVM_GET_NR_MMU_PAGES, 0));
	EXPECT_EQ(ENOTTY, errno) TH_LOG("got %s", kvmc_errname(errno));
	close(vm);
	close(sys);
}

KVMC_TEST_MAIN
