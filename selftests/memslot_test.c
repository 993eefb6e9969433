// SPDX-License-Identifier: GPL-2.0
/*
 * KVM_SET_USER_MEMORY_REGION on a VM fd, compared with upstream
 * (virt/kvm/kvm_main.c kvm_vm_ioctl_set_memory_region(),
 * __kvm_set_memory_region(), check_memory_region_flags()).
 *
 * The one documented divergence: from a compat (ia32/x32) process, a
 * region whose HVA range goes beyond 4 GiB is accepted by upstream
 * (access_ok() is checked against the 64-bit TASK_SIZE_MAX) but refused
 * with EINVAL by kvm_compat.
 *
 *   memslot_test_{64,32,x32} [DEVICE] [kselftest_harness options]
 */
#include <cpuid.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "kvm_compat_util.h"

#define PG		KVMC_PAGE_SIZE
#define NPAGES		4
#define GPA_MOVED	0x100000ULL
#define HVA_4G		0x100000000ULL
/* Non-canonical: beyond any task's address space, 4- or 5-level paging. */
#define HVA_BEYOND_TASK	0x8000000000000000ULL
#define KVMC_MEM_UNKNOWN_FLAG	0x80000000U
#define KVMC_MEM_GUEST_MEMFD	0x4U	/* not valid for the v1 ioctl */

FIXTURE(vm)
{
	int sys, vm;
	uint8_t *mem;
	uint64_t hva;
};

FIXTURE_SETUP(vm)
{
	self->vm = -1;
	self->mem = NULL;
	KVMC_OPEN_OR_SKIP(self->sys);
	self->vm = kvmc_create_vm(self->sys);
	ASSERT_LE(0, self->vm) TH_LOG("KVM_CREATE_VM: %s",
				      kvmc_errname(-self->vm));
	self->mem = kvmc_map_pages(NPAGES);
	ASSERT_NE(NULL, self->mem);
	self->hva = KVMC_HVA(self->mem);
}

FIXTURE_TEARDOWN(vm)
{
	if (self->mem)
		munmap(self->mem, NPAGES * PG);
	if (self->vm >= 0)
		close(self->vm);
	if (self->sys >= 0)
		close(self->sys);
}

static int set(int vm, uint32_t slot, uint32_t flags, uint64_t gpa,
	       uint64_t size, uint64_t hva)
{
	return kvmc_set_region(vm, slot, flags, gpa, size, hva);
}

TEST_F(vm, create_and_reset_identical)
{
	ASSERT_EQ(0, set(self->vm, 0, 0, 0, 2 * PG, self->hva));
	/* Nothing changes: "Nothing to change." returns 0. */
	ASSERT_EQ(0, set(self->vm, 0, 0, 0, 2 * PG, self->hva));
}

TEST_F(vm, flags_only_change)
{
	ASSERT_EQ(0, set(self->vm, 0, 0, 0, 2 * PG, self->hva));
	ASSERT_EQ(0, set(self->vm, 0, KVM_MEM_LOG_DIRTY_PAGES, 0, 2 * PG,
			 self->hva));
	ASSERT_EQ(0, set(self->vm, 0, 0, 0, 2 * PG, self->hva));
}

TEST_F(vm, readonly)
{
	ASSERT_EQ(1, kvmc_check_ext(self->vm, KVM_CAP_READONLY_MEM));
	ASSERT_EQ(0, set(self->vm, 1, KVM_MEM_READONLY, 0, PG, self->hva));
	/* KVM_MEM_READONLY cannot be toggled on an existing slot. */
	ASSERT_EQ(-EINVAL, set(self->vm, 1, 0, 0, PG, self->hva));
}

TEST_F(vm, move_delete_recreate)
{
	ASSERT_EQ(0, set(self->vm, 0, 0, 0, 2 * PG, self->hva));
	ASSERT_EQ(0, set(self->vm, 0, 0, GPA_MOVED, 2 * PG, self->hva));
	/* Delete: size 0; the other fields are not checked. */
	ASSERT_EQ(0, set(self->vm, 0, 0, GPA_MOVED, 0, self->hva));
	ASSERT_EQ(-EINVAL, set(self->vm, 0, 0, GPA_MOVED, 0, self->hva));
	/* Re-create with another size and HVA is a new slot. */
	ASSERT_EQ(0, set(self->vm, 0, 0, 0, PG, self->hva + PG));
}

TEST_F(vm, delete_nonexistent_einval)
{
	ASSERT_EQ(-EINVAL, set(self->vm, 3, 0, 0, 0, 0));
}

TEST_F(vm, address_space_1)
{
	int nr_as = kvmc_nr_address_spaces(self->vm);

	TH_LOG("KVM_CAP_MULTI_ADDRESS_SPACE: %d", nr_as);
	if (nr_as < 2)
		SKIP(return, "one address space only");
	ASSERT_EQ(0, set(self->vm, 0, 0, 0, 2 * PG, self->hva));
	/* Same slot id and GPA in address space 1 (SMM): no overlap. */
	ASSERT_EQ(0, set(self->vm, (1U << 16) | 0, 0, 0, 2 * PG, self->hva));
	ASSERT_EQ(0, set(self->vm, (1U << 16) | 0, 0, 0, 0, 0));
	ASSERT_EQ(-EINVAL, set(self->vm, ((uint32_t)nr_as << 16) | 1, 0, 0, PG,
			       self->hva));
}

TEST_F(vm, slot_out_of_range_einval)
{
	int nr = kvmc_check_ext(self->vm, KVM_CAP_NR_MEMSLOTS);

	ASSERT_LT(0, nr);
	ASSERT_EQ(-EINVAL, set(self->vm, (uint32_t)nr, 0, 0, PG, self->hva));
	ASSERT_EQ(-EINVAL, set(self->vm, 0xffff, 0, 0, PG, self->hva));
	ASSERT_EQ(0, set(self->vm, (uint32_t)nr - 1, 0, 0, PG, self->hva));
}

TEST_F(vm, unknown_flags_einval)
{
	ASSERT_EQ(-EINVAL, set(self->vm, 0, KVMC_MEM_UNKNOWN_FLAG, 0, PG,
			       self->hva));
	ASSERT_EQ(-EINVAL, set(self->vm, 0, KVMC_MEM_GUEST_MEMFD, 0, PG,
			       self->hva));
	ASSERT_EQ(-EINVAL, set(self->vm, 0, 1U << 3, 0, PG, self->hva));
}

TEST_F(vm, unaligned_einval)
{
	ASSERT_EQ(-EINVAL, set(self->vm, 0, 0, 0, PG + PG / 2, self->hva));
	ASSERT_EQ(-EINVAL, set(self->vm, 0, 0, PG / 2, PG, self->hva));
	ASSERT_EQ(-EINVAL, set(self->vm, 0, 0, 0, PG, self->hva + PG / 2));
}

TEST_F(vm, gpa_overflow_einval)
{
	ASSERT_EQ(-EINVAL, set(self->vm, 0, 0, 0ULL - PG, 2 * PG, self->hva));
}

TEST_F(vm, overlap_eexist)
{
	ASSERT_EQ(0, set(self->vm, 0, 0, 0, 2 * PG, self->hva));
	/* Create overlapping slot 0. */
	ASSERT_EQ(-EEXIST, set(self->vm, 1, 0, PG, 2 * PG, self->hva + 2 * PG));
	/* Move a disjoint slot onto slot 0. */
	ASSERT_EQ(0, set(self->vm, 1, 0, GPA_MOVED, 2 * PG,
			 self->hva + 2 * PG));
	ASSERT_EQ(-EEXIST, set(self->vm, 1, 0, PG, 2 * PG, self->hva + 2 * PG));
}

TEST_F(vm, modify_size_or_hva_einval)
{
	ASSERT_EQ(0, set(self->vm, 0, 0, 0, 2 * PG, self->hva));
	ASSERT_EQ(-EINVAL, set(self->vm, 0, 0, 0, PG, self->hva));
	ASSERT_EQ(-EINVAL, set(self->vm, 0, 0, 0, 2 * PG, self->hva + PG));
}

TEST_F(vm, bad_pointer_efault)
{
	void *gone = kvmc_map_pages(1);

	ASSERT_EQ(-1, ioctl(self->vm, KVM_SET_USER_MEMORY_REGION, NULL));
	ASSERT_EQ(EFAULT, errno);
	ASSERT_NE(NULL, gone);
	ASSERT_EQ(0, munmap(gone, PG));
	ASSERT_EQ(-1, ioctl(self->vm, KVM_SET_USER_MEMORY_REGION, gone));
	ASSERT_EQ(EFAULT, errno);
}

TEST_F(vm, hva_beyond_task_einval)
{
	ASSERT_EQ(-EINVAL, set(self->vm, 0, 0, 0, PG, HVA_BEYOND_TASK));
	/* HVA + size wraps around. */
	ASSERT_EQ(-EINVAL, set(self->vm, 0, 0, 0, 2 * PG, 0ULL - PG));
}

/* A region ending exactly at 4 GiB is fine for every caller. */
TEST_F(vm, hva_ending_at_4g)
{
	ASSERT_EQ(0, set(self->vm, 0, 0, 0, PG, HVA_4G - PG));
}

/*
 * THE documented divergence. KVM does not touch the memory when the slot
 * is registered, so the HVA need not be mapped.
 */
TEST_F(vm, hva_above_4g)
{
	int want;

	if (kvmc_is_compat_abi() && !kvmc_is_upstream())
		want = -EINVAL;	/* kvm_compat */
	else
		want = 0;	/* upstream, 64-bit */
	TH_LOG("%s caller, %s: expecting %s", kvmc_abi_name(), kvmc_device(),
	       want ? "EINVAL" : "success");
	/* Starting at 4 GiB, and crossing it. */
	EXPECT_EQ(want, set(self->vm, 0, 0, 0, PG, HVA_4G));
	EXPECT_EQ(want, set(self->vm, 1, 0, 0x10 * PG, 2 * PG, HVA_4G - PG));
}

/* The host's MAXPHYADDR as KVM reads it: CPUID 0x80000008 EAX[7:0]. */
static unsigned int host_maxphyaddr(void)
{
	unsigned int a, b, c, d;

	if (__get_cpuid(0x80000000, &a, &b, &c, &d) && a >= 0x80000008 &&
	    __get_cpuid(0x80000008, &a, &b, &c, &d))
		return a & 0xff;
	return 36;
}

/* kvm-amd's npt parameter: Y unless the host has no NPT or it is off. */
static bool oracle_has_tdp(void)
{
	FILE *f = fopen("/sys/module/kvm_amd/parameters/npt", "r");
	int c = f ? fgetc(f) : 'Y';

	if (f)
		fclose(f);
	return c == 'Y' || c == '1';
}

/*
 * kvm_arch_prepare_memory_region(): a slot created or moved past
 * kvm_mmu_max_gfn() is refused with EINVAL, after the overlap check
 * (EEXIST).  With TDP the limit is the host's MAXPHYADDR, without it 52
 * bits.  5.10 has no such check and accepts the slots
 * (Documentation/by-version.rst); kvm_compat refuses as the newest
 * upstream, on every kernel.
 */
TEST_F(vm, gfn_above_max_einval)
{
	unsigned int bits = host_maxphyaddr();
	int want = -EINVAL;
	uint64_t limit;

	if (kvmc_is_upstream() && !oracle_has_tdp())
		bits = 52;
	limit = 1ULL << bits;		/* the first gpa refused */
	TH_LOG("%s: MAXPHYADDR %u, gpa %#llx and beyond refused", kvmc_device(),
	       bits, (unsigned long long)limit);

	/* The last page below the limit, and the first one above. */
	ASSERT_EQ(0, set(self->vm, 0, 0, limit - PG, PG, self->hva));
	EXPECT_EQ(want, set(self->vm, 1, 0, limit, PG, self->hva + PG));
	EXPECT_EQ(want, set(self->vm, 2, 0, (1ULL << 52) + 32 * PG, PG,
			    self->hva + 2 * PG));
	/* Overlapping slot 0 and crossing the limit: EEXIST comes first. */
	EXPECT_EQ(-EEXIST, set(self->vm, 3, 0, limit - PG, 2 * PG,
			       self->hva + 2 * PG));
	/* A move past the limit; a flags change of a slot below it. */
	ASSERT_EQ(0, set(self->vm, 4, 0, 0, PG, self->hva + 3 * PG));
	EXPECT_EQ(want, set(self->vm, 4, 0, limit + 16 * PG, PG,
			    self->hva + 3 * PG));
	EXPECT_EQ(0, set(self->vm, 0, KVM_MEM_LOG_DIRTY_PAGES, limit - PG, PG,
			 self->hva));
}

KVMC_TEST_MAIN
