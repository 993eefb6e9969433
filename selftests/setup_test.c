// SPDX-License-Identifier: GPL-2.0
/*
 * The VM setup calls the classic first KVM programs make before their
 * guest runs: KVM_SET_TSS_ADDR and KVM_SET_IDENTITY_MAP_ADDR on the VM fd
 * (with their capabilities and the identity map's ordering against
 * KVM_CREATE_VCPU), KVM_GET_SUPPORTED_CPUID on the system fd (the E2BIG
 * size negotiation of struct kvm_cpuid2's flexible array), KVM_SET_CPUID2
 * and KVM_GET_CPUID2 on the vCPU fd (nent limits, what SET keeps, the
 * refusal to change CPUID once the vCPU has run), and what the guest
 * CPUID unlocks: EFER.LME in KVM_SET_SREGS.  All are passed through for
 * compat callers (the structures are the same on every ABI: layout_test),
 * so every case asserts the same errno from x86_64, ia32 and x32 on
 * /dev/kvm and /dev/kvm_compat.  Compared with arch/x86/kvm/x86.c
 * (kvm_arch_vm_ioctl(), kvm_arch_dev_ioctl()) and cpuid.c.
 *
 *   setup_test_{64,32,x32} [DEVICE] [kselftest_harness options]
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "kvm_compat_util.h"
#include "kvm_compat_vcpu_fixture.h"

#define EFER_LME	0x100ULL
#define EFER_NX		0x800ULL
#define EFER_LMA	0x400ULL
#define CR0_PE		0x1ULL
#define CR0_PG		0x80000000ULL
#define CR4_PAE		0x20ULL
#define MAX_ENTRIES	256		/* KVM_MAX_CPUID_ENTRIES */
#define FILL		0xa5

/* struct kvm_cpuid2 with room for @n entries, the entries filled. */
static struct kvm_cpuid2 *cpuid_alloc(uint32_t n)
{
	size_t size = sizeof(struct kvm_cpuid2) +
		      n * sizeof(struct kvm_cpuid_entry2);
	struct kvm_cpuid2 *c = malloc(size);

	if (c) {
		memset(c, FILL, size);
		c->nent = n;
		c->padding = 0;
	}
	return c;
}

static bool all_fill(const void *p, size_t len)
{
	const uint8_t *b = p;
	size_t i;

	for (i = 0; i < len; i++)
		if (b[i] != FILL)
			return false;
	return true;
}

FIXTURE(sys)
{
	int sys;
};

FIXTURE_SETUP(sys)
{
	KVMC_OPEN_OR_SKIP(self->sys);
}

FIXTURE_TEARDOWN(sys)
{
	if (self->sys >= 0)
		close(self->sys);
}

/* The capabilities the programs check, on the system and the VM fd. */
TEST_F(sys, capabilities)
{
	int vm = kvmc_create_vm(self->sys);

	ASSERT_LE(0, vm);
	EXPECT_EQ(1, kvmc_check_ext(self->sys, KVM_CAP_SET_TSS_ADDR));
	EXPECT_EQ(1, kvmc_check_ext(self->sys, KVM_CAP_SET_IDENTITY_MAP_ADDR));
	EXPECT_EQ(1, kvmc_check_ext(self->sys, KVM_CAP_EXT_CPUID));
	EXPECT_EQ(1, kvmc_check_ext(vm, KVM_CAP_SET_TSS_ADDR));
	EXPECT_EQ(1, kvmc_check_ext(vm, KVM_CAP_EXT_CPUID));
	close(vm);
}

/*
 * KVM_SET_TSS_ADDR takes the address itself: the three pages must end at
 * or below 4 GiB (kvm_vm_ioctl_set_tss_addr()), with or without vCPUs.
 */
TEST_F(sys, tss_addr)
{
	int vm = kvmc_create_vm(self->sys);

	ASSERT_LE(0, vm);
	EXPECT_EQ(0, kvmc_ioctl(vm, KVM_SET_TSS_ADDR, 0xfffbd000));
	EXPECT_EQ(0, kvmc_ioctl(vm, KVM_SET_TSS_ADDR, 0));
	EXPECT_EQ(0, kvmc_ioctl(vm, KVM_SET_TSS_ADDR, 0xffffd000));
	EXPECT_EQ(-EINVAL, kvmc_ioctl(vm, KVM_SET_TSS_ADDR, 0xffffd001));
	EXPECT_EQ(-EINVAL, kvmc_ioctl(vm, KVM_SET_TSS_ADDR, 0xfffff000));
	ASSERT_LE(0, kvmc_create_vcpu(vm, 0));
	EXPECT_EQ(0, kvmc_ioctl(vm, KVM_SET_TSS_ADDR, 0xfffbd000));
	/* Not a system ioctl. */
	EXPECT_EQ(-EINVAL, kvmc_ioctl(self->sys, KVM_SET_TSS_ADDR, 0xfffbd000));
	close(vm);
}

/*
 * KVM_SET_IDENTITY_MAP_ADDR reads a __u64; once a vCPU exists it is
 * EINVAL, decided before the argument is read.
 */
TEST_F(sys, identity_map_addr)
{
	uint64_t addr = 0xfffbc000;
	int vm = kvmc_create_vm(self->sys);

	ASSERT_LE(0, vm);
	EXPECT_EQ(0, kvmc_ioctl(vm, KVM_SET_IDENTITY_MAP_ADDR,
				(unsigned long)&addr));
	EXPECT_EQ(-EFAULT, kvmc_ioctl(vm, KVM_SET_IDENTITY_MAP_ADDR, 8));
	ASSERT_LE(0, kvmc_create_vcpu(vm, 0));
	EXPECT_EQ(-EINVAL, kvmc_ioctl(vm, KVM_SET_IDENTITY_MAP_ADDR,
				      (unsigned long)&addr));
	EXPECT_EQ(-EINVAL, kvmc_ioctl(vm, KVM_SET_IDENTITY_MAP_ADDR, 8));
	close(vm);
}

/*
 * KVM_GET_SUPPORTED_CPUID: too small an array is E2BIG with nothing
 * written, header included; a large enough one gets the entries and nent
 * their number; nent above KVM_MAX_CPUID_ENTRIES is clamped, not refused.
 */
TEST_F(sys, supported_cpuid_sizes)
{
	struct kvm_cpuid2 *c = cpuid_alloc(MAX_ENTRIES + 8);
	struct kvm_cpuid_entry2 *e;
	uint32_t n;

	ASSERT_NE(NULL, c);
	c->nent = 0;
	EXPECT_EQ(-E2BIG, kvmc_ioctl(self->sys, KVM_GET_SUPPORTED_CPUID,
				     (unsigned long)c));
	EXPECT_EQ(0, c->nent);
	c->nent = 1;
	EXPECT_EQ(-E2BIG, kvmc_ioctl(self->sys, KVM_GET_SUPPORTED_CPUID,
				     (unsigned long)c));
	EXPECT_EQ(1, c->nent);
	EXPECT_TRUE(all_fill(c->entries, sizeof(c->entries[0])));

	c->nent = MAX_ENTRIES + 8;
	ASSERT_EQ(0, kvmc_ioctl(self->sys, KVM_GET_SUPPORTED_CPUID,
				(unsigned long)c));
	n = c->nent;
	EXPECT_LT(1, n);
	EXPECT_GE(MAX_ENTRIES, n);
	EXPECT_TRUE(all_fill(&c->entries[n], sizeof(c->entries[0])));

	/* Exactly n fits; n - 1 does not. */
	memset(c->entries, FILL, n * sizeof(c->entries[0]));
	c->nent = n - 1;
	EXPECT_EQ(-E2BIG, kvmc_ioctl(self->sys, KVM_GET_SUPPORTED_CPUID,
				     (unsigned long)c));
	EXPECT_TRUE(all_fill(c->entries, n * sizeof(c->entries[0])));
	c->nent = n;
	ASSERT_EQ(0, kvmc_ioctl(self->sys, KVM_GET_SUPPORTED_CPUID,
				(unsigned long)c));
	EXPECT_EQ(n, c->nent);

	/* What a VMM needs for long mode: CPUID.80000001H:EDX.LM. */
	e = kvmc_cpuid_entry(c, 0x80000001);
	ASSERT_NE(NULL, e);
	EXPECT_NE(0, e->edx & (1U << 29));
	EXPECT_EQ(-EFAULT, kvmc_ioctl(self->sys, KVM_GET_SUPPORTED_CPUID, 8));
	free(c);
}

/* The E2BIG loop every VMM writes, as kvmc_get_supported_cpuid() does. */
TEST_F(sys, supported_cpuid_negotiation)
{
	struct kvm_cpuid2 *c = kvmc_get_supported_cpuid(self->sys);

	ASSERT_NE(NULL, c) TH_LOG("%s", kvmc_errname(errno));
	EXPECT_NE(NULL, kvmc_cpuid_entry(c, 0));
	EXPECT_NE(NULL, kvmc_cpuid_entry(c, 1));
	free(c);
}

/* KVM_SET_CPUID2: nent above KVM_MAX_CPUID_ENTRIES is E2BIG, unread. */
TEST_F(vcpu, set_cpuid_limits)
{
	struct kvm_cpuid2 *c = cpuid_alloc(1);

	ASSERT_NE(NULL, c);
	c->nent = MAX_ENTRIES + 1;
	EXPECT_EQ(-E2BIG, kvmc_ioctl(self->fds.vcpu, KVM_SET_CPUID2,
				     (unsigned long)c));
	c->nent = 0xffffffff;
	EXPECT_EQ(-E2BIG, kvmc_ioctl(self->fds.vcpu, KVM_SET_CPUID2,
				     (unsigned long)c));
	/* Entries past the caller's memory. */
	c->nent = MAX_ENTRIES;
	EXPECT_EQ(-EFAULT, kvmc_ioctl(self->fds.vcpu, KVM_SET_CPUID2, 8));
	/* An empty CPUID is valid. */
	c->nent = 0;
	EXPECT_EQ(0, kvmc_ioctl(self->fds.vcpu, KVM_SET_CPUID2,
				(unsigned long)c));
	free(c);
}

/*
 * KVM_GET_CPUID2 gives back what SET kept: E2BIG below its count, the
 * entries otherwise; the supported CPUID round-trips but for the runtime
 * bits (CPUID.1:EDX.APIC follows IA32_APIC_BASE, enabled at RESET).
 */
TEST_F(vcpu, set_get_cpuid)
{
	struct kvm_cpuid2 *sup = kvmc_get_supported_cpuid(self->fds.sys);
	struct kvm_cpuid2 *c;
	struct kvm_cpuid_entry2 *e;
	uint32_t n, i;

	ASSERT_NE(NULL, sup);
	n = sup->nent;
	c = cpuid_alloc(n);
	ASSERT_NE(NULL, c);

	c->nent = n;
	EXPECT_EQ(0, kvmc_ioctl(self->fds.vcpu, KVM_GET_CPUID2,
				(unsigned long)c));
	EXPECT_EQ(0, c->nent);

	ASSERT_EQ(0, kvmc_ioctl(self->fds.vcpu, KVM_SET_CPUID2,
				(unsigned long)sup));
	c->nent = n - 1;
	EXPECT_EQ(-E2BIG, kvmc_ioctl(self->fds.vcpu, KVM_GET_CPUID2,
				     (unsigned long)c));
	EXPECT_EQ(n - 1, c->nent);
	c->nent = n;
	ASSERT_EQ(0, kvmc_ioctl(self->fds.vcpu, KVM_GET_CPUID2,
				(unsigned long)c));
	ASSERT_EQ(n, c->nent);
	for (i = 0; i < n; i++) {
		EXPECT_EQ(sup->entries[i].function, c->entries[i].function);
		EXPECT_EQ(sup->entries[i].index, c->entries[i].index);
		EXPECT_EQ(sup->entries[i].eax, c->entries[i].eax);
		EXPECT_EQ(sup->entries[i].ebx, c->entries[i].ebx);
		if (sup->entries[i].function == 1)
			continue;
		EXPECT_EQ(sup->entries[i].ecx, c->entries[i].ecx);
		EXPECT_EQ(sup->entries[i].edx, c->entries[i].edx);
	}
	e = kvmc_cpuid_entry(c, 1);
	ASSERT_NE(NULL, e);
	EXPECT_NE(0, e->edx & (1U << 9));	/* APIC */
	free(c);
	free(sup);
}

/*
 * EFER.LME and EFER.NX need the guest CPUID: KVM_SET_SREGS refuses them
 * before KVM_SET_CPUID2 and takes them after it.
 */
TEST_F(vcpu, cpuid_enables_long_mode)
{
	struct kvm_cpuid2 *sup = kvmc_get_supported_cpuid(self->fds.sys);
	struct kvm_sregs s;

	ASSERT_NE(NULL, sup);
	ASSERT_EQ(0, ioctl(self->fds.vcpu, KVM_GET_SREGS, &s));
	s.efer = EFER_LME;
	EXPECT_EQ(-EINVAL, kvmc_ioctl(self->fds.vcpu, KVM_SET_SREGS,
				      (unsigned long)&s));
	s.efer = EFER_NX;
	EXPECT_EQ(-EINVAL, kvmc_ioctl(self->fds.vcpu, KVM_SET_SREGS,
				      (unsigned long)&s));
	ASSERT_EQ(0, kvmc_ioctl(self->fds.vcpu, KVM_SET_CPUID2,
				(unsigned long)sup));
	s.efer = EFER_LME | EFER_NX;
	EXPECT_EQ(0, kvmc_ioctl(self->fds.vcpu, KVM_SET_SREGS,
				(unsigned long)&s));
	ASSERT_EQ(0, ioctl(self->fds.vcpu, KVM_GET_SREGS, &s));
	EXPECT_EQ(EFER_LME | EFER_NX, s.efer);
	free(sup);
}

/*
 * The guest's MAXPHYADDR (CPUID 0x80000008.EAX[7:0]) reserves CR3 bits
 * MAXPHYADDR to 63 in long mode; a value above 63, which KVM_SET_CPUID2
 * accepts, reserves none (rsvd_bits() of an empty range).
 */
TEST_F(vcpu, maxphyaddr_above_63)
{
	struct kvm_cpuid2 *sup = kvmc_get_supported_cpuid(self->fds.sys);
	struct kvm_cpuid_entry2 *e;
	struct kvm_sregs s;

	ASSERT_NE(NULL, sup);
	e = kvmc_cpuid_entry(sup, 0x80000008);
	ASSERT_NE(NULL, e);
	e->eax = (e->eax & ~0xffU) | 36;
	ASSERT_EQ(0, kvmc_ioctl(self->fds.vcpu, KVM_SET_CPUID2,
				(unsigned long)sup));
	ASSERT_EQ(0, ioctl(self->fds.vcpu, KVM_GET_SREGS, &s));
	s.efer = EFER_LME | EFER_LMA;
	s.cr0 |= CR0_PE | CR0_PG;
	s.cr4 |= CR4_PAE;
	s.cr3 = 1ULL << 59;
	EXPECT_EQ(-EINVAL, kvmc_ioctl(self->fds.vcpu, KVM_SET_SREGS,
				      (unsigned long)&s));

	e->eax |= 0xff;
	ASSERT_EQ(0, kvmc_ioctl(self->fds.vcpu, KVM_SET_CPUID2,
				(unsigned long)sup));
	EXPECT_EQ(0, kvmc_ioctl(self->fds.vcpu, KVM_SET_SREGS,
				(unsigned long)&s));
	ASSERT_EQ(0, ioctl(self->fds.vcpu, KVM_GET_SREGS, &s));
	EXPECT_EQ(1ULL << 59, s.cr3);
	free(sup);
}

/*
 * Once the vCPU has run, KVM_SET_CPUID2 accepts only the CPUID it has
 * (kvm_cpuid_check_equal()): EINVAL for any other, empty included.
 */
TEST(cpuid_frozen_after_run)
{
	static const uint8_t hlt[] = { 0xf4 };
	struct kvmc_guest g;
	struct kvm_cpuid2 *sup, *empty = cpuid_alloc(0);
	struct kvm_cpuid_entry2 *e;

	KVMC_GUEST_SETUP(&g, 4);
	sup = kvmc_get_supported_cpuid(g.sys);
	ASSERT_NE(NULL, sup);
	ASSERT_NE(NULL, empty);
	ASSERT_EQ(0, kvmc_ioctl(g.vcpu, KVM_SET_CPUID2, (unsigned long)sup));
	ASSERT_EQ(0, kvmc_guest_load(&g, KVMC_CODE_GPA, hlt, sizeof(hlt)));
	ASSERT_EQ(0, kvmc_run(g.vcpu));
	EXPECT_EQ(KVM_EXIT_HLT, g.run->exit_reason);

	EXPECT_EQ(0, kvmc_ioctl(g.vcpu, KVM_SET_CPUID2, (unsigned long)sup));
	EXPECT_EQ(-EINVAL, kvmc_ioctl(g.vcpu, KVM_SET_CPUID2,
				      (unsigned long)empty));
	e = kvmc_cpuid_entry(sup, 0x80000001);
	ASSERT_NE(NULL, e);
	e->edx ^= 1U << 20;			/* NX */
	EXPECT_EQ(-EINVAL, kvmc_ioctl(g.vcpu, KVM_SET_CPUID2,
				      (unsigned long)sup));
	free(empty);
	free(sup);
	kvmc_guest_destroy(&g);
}

TEST_HARNESS_MAIN
