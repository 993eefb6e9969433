// SPDX-License-Identifier: GPL-2.0
/*
 * kvm_compat: guest CPUID, KVM_GET_SUPPORTED_CPUID, KVM_{SET,GET}_CPUID2.
 *
 * As arch/x86/kvm/cpuid.c: KVM_GET_SUPPORTED_CPUID on the system fd hands
 * out what a VMM may give its vCPUs (kvm_dev_ioctl_get_cpuid(): E2BIG when
 * the caller's array is too small, nothing written then); KVM_SET_CPUID2
 * takes up to KVM_MAX_CPUID_ENTRIES entries (kvm_vcpu_ioctl_set_cpuid2(),
 * kvm_set_cpuid()), refuses to change them once the vCPU has run, and
 * derives from them what the rest of the vCPU checks: long mode and NX in
 * EFER, the guest MAXPHYADDR (CR3 in long mode, IA32_APIC_BASE), x2APIC.
 * KVM_GET_CPUID2 gives them back.
 *
 * What kvm_compat supports is what its interpreter runs (Documentation/
 * guest.rst): PSE, PSE-36, PAE and PGE paging, RDMSR/WRMSR, long mode
 * with NX and 1 GiB pages; with the host's vendor, family/model/stepping
 * and MAXPHYADDR, which upstream hands out too.
 *
 * struct kvm_cpuid2 is a __u32 count, a __u32 of padding and an array of
 * struct kvm_cpuid_entry2, ten __u32 each: the same on every ABI, so both
 * ioctls pass through the compat handlers.  The asserts below prove it.
 */

#include <linux/build_bug.h>
#include <linux/kvm.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <asm/apicdef.h>
#include <asm/msr-index.h>

#include <kvm_compat/kvmc.h>
#include <kvm_compat/version_shims.h>

static_assert(sizeof(struct kvm_cpuid2) == 8);
static_assert(sizeof(struct kvm_cpuid_entry2) == 40);
static_assert(offsetof(struct kvm_cpuid2, entries) == 8);

/* As arch/x86/include/asm/kvm_host.h. */
#define KVMC_MAX_CPUID_ENTRIES	256

/* The feature bits of the supported CPUID, and those the vCPU derives. */
#define KVMC_CPUID_1_EDX_PSE	BIT(3)
#define KVMC_CPUID_1_EDX_MSR	BIT(5)
#define KVMC_CPUID_1_EDX_PAE	BIT(6)
#define KVMC_CPUID_1_EDX_APIC	BIT(9)
#define KVMC_CPUID_1_EDX_PGE	BIT(13)
#define KVMC_CPUID_1_EDX_PSE36	BIT(17)
#define KVMC_CPUID_1_ECX_X2APIC	BIT(21)
#define KVMC_CPUID_1_ECX_OSXSAVE BIT(27)
#define KVMC_CPUID_7_ECX_OSPKE	BIT(4)
#define KVMC_CPUID_EXT_EDX_NX	BIT(20)
#define KVMC_CPUID_EXT_EDX_1GB	BIT(26)
#define KVMC_CPUID_EXT_EDX_LM	BIT(29)
/* CPUID 0xd.0 EAX/EDX: the dynamic (AMX tile data) xfeature. */
#define KVMC_XFEATURE_MASK_USER_DYNAMIC	BIT_ULL(18)
#define KVMC_DEFAULT_MAXPHYADDR	36

/* The supported CPUID, made once at module load from the host's. */
static struct kvm_cpuid_entry2 kvmc_supported_cpuid[5] __ro_after_init;

/**
 * kvmc_x86_cpuid_init() - make the supported CPUID (module load)
 * @host_maxphyaddr: the host's MAXPHYADDR, which the guest's page walks use
 */
void kvmc_x86_cpuid_init(u8 host_maxphyaddr)
{
	struct kvm_cpuid_entry2 *e = kvmc_supported_cpuid;
	u32 eax, ebx, ecx, edx;

	/* 0: the highest basic leaf and the vendor */
	cpuid(0, &eax, &ebx, &ecx, &edx);
	e[0] = (struct kvm_cpuid_entry2){ .function = 0, .eax = 1,
		.ebx = ebx, .ecx = ecx, .edx = edx };
	/* 1: family, model, stepping; what the paging and MSRs support */
	e[1] = (struct kvm_cpuid_entry2){ .function = 1, .eax = cpuid_eax(1),
		.edx = KVMC_CPUID_1_EDX_PSE | KVMC_CPUID_1_EDX_MSR |
		       KVMC_CPUID_1_EDX_PAE | KVMC_CPUID_1_EDX_PGE |
		       KVMC_CPUID_1_EDX_PSE36 };
	/* 0x80000000: the highest extended leaf, the vendor as the host's */
	cpuid(0x80000000, &eax, &ebx, &ecx, &edx);
	e[2] = (struct kvm_cpuid_entry2){ .function = 0x80000000,
		.eax = 0x80000008, .ebx = ebx, .ecx = ecx, .edx = edx };
	/* 0x80000001: long mode, NX, 1 GiB pages */
	e[3] = (struct kvm_cpuid_entry2){ .function = 0x80000001,
		.eax = cpuid_eax(0x80000001),
		.edx = KVMC_CPUID_EXT_EDX_NX | KVMC_CPUID_EXT_EDX_1GB |
		       KVMC_CPUID_EXT_EDX_LM };
	/* 0x80000008: physical and (48) virtual address bits */
	e[4] = (struct kvm_cpuid_entry2){ .function = 0x80000008,
		.eax = host_maxphyaddr | 48 << 8 };
}

/**
 * kvmc_x86_get_supported_cpuid() - KVM_GET_SUPPORTED_CPUID
 * @argp: the caller's struct kvm_cpuid2, @nent entries after it
 *
 * As kvm_dev_ioctl_get_cpuid() with the x86.c code around it: the header
 * is read; nent 0, or fewer entries than there are, is E2BIG with nothing
 * written; else the entries are written, then the header with nent set to
 * how many there are.  (Upstream's api.rst says a too large nent is ENOMEM;
 * the code has never done that.)
 *
 * Return: 0, -EFAULT, -E2BIG.
 */
long kvmc_x86_get_supported_cpuid(struct kvm_cpuid2 __user *argp)
{
	struct kvm_cpuid2 cpuid;

	if (copy_from_user(&cpuid, argp, sizeof(cpuid)))
		return -EFAULT;
	if (cpuid.nent < ARRAY_SIZE(kvmc_supported_cpuid))
		return -E2BIG;

	if (copy_to_user(argp->entries, kvmc_supported_cpuid,
			 sizeof(kvmc_supported_cpuid)))
		return -EFAULT;
	cpuid.nent = ARRAY_SIZE(kvmc_supported_cpuid);
	if (copy_to_user(argp, &cpuid, sizeof(cpuid)))
		return -EFAULT;
	return 0;
}

/* An index for kvmc_cpuid_find(): the first entry of the function. */
#define KVMC_CPUID_ANY_INDEX	U64_MAX

/*
 * As cpuid_entry2_find(): the first entry of @function whose index is not
 * significant or is @index; with KVMC_CPUID_ANY_INDEX (upstream's
 * KVM_CPUID_INDEX_NOT_SIGNIFICANT, for the functions that have no index)
 * the first of @function.
 */
static struct kvm_cpuid_entry2 *kvmc_cpuid_find(struct kvm_cpuid_entry2 *e,
						u32 nent, u32 function,
						u64 index)
{
	u32 i;

	for (i = 0; i < nent; i++) {
		if (e[i].function != function)
			continue;
		if (!(e[i].flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) ||
		    e[i].index == index || index == KVMC_CPUID_ANY_INDEX)
			return &e[i];
	}
	return NULL;
}

static u32 kvmc_cpuid_reg(struct kvm_cpuid_entry2 *e, u32 nent, u32 function,
			  int reg)
{
	struct kvm_cpuid_entry2 *f;
	u32 regs[4];

	f = kvmc_cpuid_find(e, nent, function, KVMC_CPUID_ANY_INDEX);

	if (!f)
		return 0;
	regs[0] = f->eax;
	regs[1] = f->ebx;
	regs[2] = f->ecx;
	regs[3] = f->edx;
	return regs[reg];
}

/*
 * As __kvm_update_cpuid_runtime(): the bits that follow the vCPU's state
 * rather than what userspace set.  CPUID.1:EDX.APIC is IA32_APIC_BASE's
 * enable bit; OSXSAVE and OSPKE are CR4 bits kvm_compat never accepts.
 */
static void kvmc_cpuid_runtime(struct kvmc_vcpu_arch *a,
			       struct kvm_cpuid_entry2 *e, u32 nent)
{
	struct kvm_cpuid_entry2 *f;

	f = kvmc_cpuid_find(e, nent, 1, KVMC_CPUID_ANY_INDEX);
	if (f) {
		f->edx &= ~KVMC_CPUID_1_EDX_APIC;
		if (a->apic_base & MSR_IA32_APICBASE_ENABLE)
			f->edx |= KVMC_CPUID_1_EDX_APIC;
		f->ecx &= ~KVMC_CPUID_1_ECX_OSXSAVE;
	}
	f = kvmc_cpuid_find(e, nent, 7, 0);
	if (f)
		f->ecx &= ~KVMC_CPUID_7_ECX_OSPKE;
}

/**
 * kvmc_x86_cpuid_update_runtime() - IA32_APIC_BASE's enable bit changed
 * @a: the vCPU's state
 */
void kvmc_x86_cpuid_update_runtime(struct kvmc_vcpu_arch *a)
{
	kvmc_cpuid_runtime(a, a->cpuid_entries, a->cpuid_nent);
}

/* As cpuid_query_maxphyaddr(). */
static u8 kvmc_cpuid_maxphyaddr(struct kvm_cpuid_entry2 *e, u32 nent)
{
	if (!kvmc_cpuid_find(e, nent, 0x80000000, KVMC_CPUID_ANY_INDEX) ||
	    kvmc_cpuid_reg(e, nent, 0x80000000, 0) < 0x80000008 ||
	    !kvmc_cpuid_find(e, nent, 0x80000008, KVMC_CPUID_ANY_INDEX))
		return KVMC_DEFAULT_MAXPHYADDR;
	return kvmc_cpuid_reg(e, nent, 0x80000008, 0) & 0xff;
}

/* What the vCPU derives from its CPUID (kvm_vcpu_after_set_cpuid()). */
static void kvmc_cpuid_derive(struct kvmc_vcpu_arch *a)
{
	struct kvm_cpuid_entry2 *e = a->cpuid_entries;
	u32 nent = a->cpuid_nent;
	u32 ext_edx = kvmc_cpuid_reg(e, nent, 0x80000001, 3);

	a->maxphyaddr = kvmc_cpuid_maxphyaddr(e, nent);
	a->efer_valid = EFER_SCE;
	if (ext_edx & KVMC_CPUID_EXT_EDX_LM)
		a->efer_valid |= EFER_LME | EFER_LMA;
	if (ext_edx & KVMC_CPUID_EXT_EDX_NX)
		a->efer_valid |= EFER_NX;
	a->x2apic = kvmc_cpuid_reg(e, nent, 1, 2) & KVMC_CPUID_1_ECX_X2APIC;
}

/**
 * kvmc_x86_cpuid_reset() - a new vCPU's view of its (empty) CPUID
 * @a: the vCPU's state, its CPUID entries NULL
 */
void kvmc_x86_cpuid_reset(struct kvmc_vcpu_arch *a)
{
	kvmc_cpuid_derive(a);
}

/* As kvm_check_cpuid(). */
static int kvmc_check_cpuid(struct kvm_cpuid_entry2 *e, u32 nent)
{
	struct kvm_cpuid_entry2 *f;
	u64 xfeatures;
	u32 vaddr_bits;

	/* Canonical checks assume 48 or 57 virtual address bits. */
	f = kvmc_cpuid_find(e, nent, 0x80000008, KVMC_CPUID_ANY_INDEX);
	if (f) {
		vaddr_bits = (f->eax & 0xff00) >> 8;
		if (vaddr_bits != 48 && vaddr_bits != 57 && vaddr_bits)
			return -EINVAL;
	}

	/*
	 * A dynamic xfeature needs the process's permission
	 * (arch_prctl(ARCH_REQ_XCOMP_GUEST_PERM)), which
	 * fpu_enable_guest_xfd_features() checks; kvm_compat keeps no guest
	 * FPU, so it never has it.
	 */
	f = kvmc_cpuid_find(e, nent, 0xd, 0);
	if (!f)
		return 0;
	xfeatures = f->eax | (u64)f->edx << 32;
	return xfeatures & KVMC_XFEATURE_MASK_USER_DYNAMIC ? -EPERM : 0;
}

/* As kvm_cpuid_check_equal(). */
static int kvmc_cpuid_check_equal(struct kvmc_vcpu_arch *a,
				  struct kvm_cpuid_entry2 *e, u32 nent)
{
	struct kvm_cpuid_entry2 *o = a->cpuid_entries;
	u32 i;

	if (nent != a->cpuid_nent)
		return -EINVAL;
	for (i = 0; i < nent; i++) {
		if (e[i].function != o[i].function ||
		    e[i].index != o[i].index || e[i].flags != o[i].flags ||
		    e[i].eax != o[i].eax || e[i].ebx != o[i].ebx ||
		    e[i].ecx != o[i].ecx || e[i].edx != o[i].edx)
			return -EINVAL;
	}
	return 0;
}

/**
 * kvmc_x86_set_cpuid2() - KVM_SET_CPUID2
 * @vcpu: the vCPU, its mutex held
 * @argp: the caller's struct kvm_cpuid2, @nent entries after it
 *
 * As kvm_vcpu_ioctl_set_cpuid2() and kvm_set_cpuid(): E2BIG above
 * KVM_MAX_CPUID_ENTRIES before anything is read; once the vCPU has run,
 * only the CPUID it has is accepted again (EINVAL for any other); an
 * impossible virtual address width (CPUID 0x80000008) is EINVAL.  Entries
 * are kept as given, the runtime bits aside (kvmc_cpuid_runtime()); an
 * empty array is a valid CPUID.
 *
 * Return: 0, -EFAULT, -E2BIG, -EINVAL, -EPERM, -ENOMEM.
 */
long kvmc_x86_set_cpuid2(struct kvmc_vcpu *vcpu, struct kvm_cpuid2 __user *argp)
{
	struct kvmc_vcpu_arch *a = &vcpu->arch;
	struct kvm_cpuid_entry2 *e = NULL;
	struct kvm_cpuid2 cpuid;
	int r;

	lockdep_assert_held(&vcpu->mutex);

	if (copy_from_user(&cpuid, argp, sizeof(cpuid)))
		return -EFAULT;
	if (cpuid.nent > KVMC_MAX_CPUID_ENTRIES)
		return -E2BIG;
	if (cpuid.nent) {
		e = vmemdup_user(argp->entries,
				 array_size(cpuid.nent, sizeof(*e)));
		if (IS_ERR(e))
			return PTR_ERR(e);
	}

	kvmc_cpuid_runtime(a, e, cpuid.nent);
	if (a->has_run)
		r = kvmc_cpuid_check_equal(a, e, cpuid.nent);
	else
		r = kvmc_check_cpuid(e, cpuid.nent);
	if (r || a->has_run) {
		kvfree(e);
		return r;
	}

	kvfree(a->cpuid_entries);
	a->cpuid_entries = e;
	a->cpuid_nent = cpuid.nent;
	kvmc_cpuid_derive(a);
	return 0;
}

/**
 * kvmc_x86_get_cpuid2() - KVM_GET_CPUID2
 * @vcpu: the vCPU, its mutex held
 * @argp: the caller's struct kvm_cpuid2, room for @nent entries after it
 *
 * As kvm_vcpu_ioctl_get_cpuid2() with the x86.c code around it: fewer
 * entries than the vCPU has is E2BIG with nothing written; else the
 * entries (as KVM_SET_CPUID2 kept them, the runtime bits current), then
 * the header with nent set to their number.
 *
 * Return: 0, -EFAULT, -E2BIG.
 */
long kvmc_x86_get_cpuid2(struct kvmc_vcpu *vcpu, struct kvm_cpuid2 __user *argp)
{
	struct kvmc_vcpu_arch *a = &vcpu->arch;
	struct kvm_cpuid2 cpuid;

	lockdep_assert_held(&vcpu->mutex);

	if (copy_from_user(&cpuid, argp, sizeof(cpuid)))
		return -EFAULT;
	if (cpuid.nent < a->cpuid_nent)
		return -E2BIG;
	if (copy_to_user(argp->entries, a->cpuid_entries,
			 array_size(a->cpuid_nent, sizeof(*a->cpuid_entries))))
		return -EFAULT;
	cpuid.nent = a->cpuid_nent;
	if (copy_to_user(argp, &cpuid, sizeof(cpuid)))
		return -EFAULT;
	return 0;
}

/**
 * kvmc_x86_cpuid_1_eax() - CPUID.1:EAX, which RESET and INIT put in RDX
 * @a: the vCPU's state
 *
 * Return: the guest's CPUID.1:EAX, or 0x600 (KVM's P6 default) without it.
 */
u32 kvmc_x86_cpuid_1_eax(const struct kvmc_vcpu_arch *a)
{
	struct kvm_cpuid_entry2 *f = kvmc_cpuid_find(a->cpuid_entries,
						     a->cpuid_nent, 1,
						     KVMC_CPUID_ANY_INDEX);

	return f ? f->eax : 0x600;
}

/**
 * kvmc_x86_free_cpuid() - free the guest CPUID (vCPU destruction)
 * @a: the vCPU's state
 */
void kvmc_x86_free_cpuid(struct kvmc_vcpu_arch *a)
{
	kvfree(a->cpuid_entries);
	a->cpuid_entries = NULL;
	a->cpuid_nent = 0;
}
