// SPDX-License-Identifier: GPL-2.0
/*
 * kvm_compat: x86 vCPU state, KVM_{GET,SET}_{REGS,SREGS}.
 *
 * Reset values and validity checks follow arch/x86/kvm (kvm_vcpu_reset(),
 * kvm_is_valid_sregs(), kvm_apic_set_base()) with the guest CPUID of
 * KVM_SET_CPUID2 (x86_cpuid.c; none at first), and the SVM descriptor-cache
 * rules of svm_set_segment() and svm_get_segment(): the test guest's
 * /dev/kvm is kvm-amd.  Also the x86 ioctls of the system and VM fds.
 *
 * Neither structure needs compat translation: struct kvm_regs is 18 __u64
 * and every __u64 of struct kvm_sregs sits at a multiple of 8, so the ia32
 * layout (where __u64 is 4-byte aligned) is the x86_64 one.  The asserts
 * below prove it at build time against the compat_u64 view of each.
 */

#include <linux/build_bug.h>
#include <linux/kvm.h>
#include <linux/stddef.h>
#include <linux/uaccess.h>
#include <asm/apicdef.h>
#include <asm/msr-index.h>
#include <asm/processor.h>
#include <asm/processor-flags.h>

#include <kvm_compat/kvmc.h>
#include <kvm_compat/version_shims.h>

#ifdef CONFIG_COMPAT
#include <linux/compat.h>

/* struct kvm_regs as an ia32 compiler lays it out: __u64 aligned to 4. */
struct kvmc_ia32_regs {
	compat_u64 gpr[16];
	compat_u64 rip, rflags;
};

static_assert(sizeof(struct kvm_regs) == sizeof(struct kvmc_ia32_regs));
static_assert(sizeof(struct kvm_regs) == 18 * sizeof(__u64));

/* struct kvm_sregs likewise: no member's offset depends on alignment. */
struct kvmc_ia32_segment {
	compat_u64 base;
	__u32 limit;
	__u16 selector;
	__u8 type, present, dpl, db, s, l, g, avl, unusable, padding;
};

struct kvmc_ia32_dtable {
	compat_u64 base;
	__u16 limit, padding[3];
};

struct kvmc_ia32_sregs {
	struct kvmc_ia32_segment seg[8];
	struct kvmc_ia32_dtable gdt, idt;
	compat_u64 cr0, cr2, cr3, cr4, cr8, efer, apic_base;
	compat_u64 interrupt_bitmap[(KVM_NR_INTERRUPTS + 63) / 64];
};

static_assert(sizeof(struct kvm_segment) == sizeof(struct kvmc_ia32_segment));
static_assert(sizeof(struct kvm_dtable) == sizeof(struct kvmc_ia32_dtable));
static_assert(sizeof(struct kvm_sregs) == sizeof(struct kvmc_ia32_sregs));
static_assert(offsetof(struct kvm_sregs, gdt) ==
	      offsetof(struct kvmc_ia32_sregs, gdt));
static_assert(offsetof(struct kvm_sregs, cr0) ==
	      offsetof(struct kvmc_ia32_sregs, cr0));
static_assert(offsetof(struct kvm_sregs, interrupt_bitmap) ==
	      offsetof(struct kvmc_ia32_sregs, interrupt_bitmap));
#endif /* CONFIG_COMPAT */

/* SVM descriptor-cache attribute bits (struct vmcb_seg.attrib). */
#define KVMC_SEG_TYPE_MASK	0xf
#define KVMC_SEG_S_SHIFT	4
#define KVMC_SEG_DPL_SHIFT	5
#define KVMC_SEG_P_SHIFT	7
#define KVMC_SEG_AVL_SHIFT	8
#define KVMC_SEG_L_SHIFT	9
#define KVMC_SEG_DB_SHIFT	10
#define KVMC_SEG_G_SHIFT	11

#define KVMC_SEG_P		BIT(KVMC_SEG_P_SHIFT)
#define KVMC_SEG_S		BIT(KVMC_SEG_S_SHIFT)
#define KVMC_SEG_TYPE_RW	0x2	/* data, read/write */
#define KVMC_SEG_TYPE_CODE_R	0xa	/* code, execute/read */
#define KVMC_SEG_TYPE_LDT	0x2
#define KVMC_SEG_TYPE_BUSY_TSS16 0x3

/*
 * The CR4 bits KVM accepts whatever the guest CPUID says; those that need
 * a CPUID feature (OSXSAVE, SMEP, FSGSBASE, ...) are never accepted, as
 * kvm_compat supports none of them.  EFER and the guest MAXPHYADDR follow
 * the guest CPUID (x86_cpuid.c).
 */
#define KVMC_CR4_VALID	(X86_CR4_VME | X86_CR4_PVI | X86_CR4_TSD | \
			 X86_CR4_DE | X86_CR4_PSE | X86_CR4_PAE | \
			 X86_CR4_MCE | X86_CR4_PGE | X86_CR4_PCE | \
			 X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT)
#define KVMC_CR8_VALID		0xfUL

/*
 * The host's MAXPHYADDR, as kvm_get_host_maxphyaddr() reads it
 * (arch/x86/kvm/mmu/spte.c): from CPUID, since boot_cpu_data.x86_phys_bits
 * is reduced by the key bits of SME and MKTME.
 */
u8 kvmc_host_maxphyaddr __ro_after_init;

void kvmc_arch_init(void)
{
	if (boot_cpu_data.extended_cpuid_level >= 0x80000008)
		kvmc_host_maxphyaddr = cpuid_eax(0x80000008) & 0xff;
	else
		kvmc_host_maxphyaddr = boot_cpu_data.x86_phys_bits;
	kvmc_x86_cpuid_init(kvmc_host_maxphyaddr);
}

/*
 * As kvm_arch_prepare_memory_region() for KVM_MR_CREATE and KVM_MR_MOVE:
 * no gfn above kvm_mmu_max_gfn(), which with TDP (kvm_compat has no
 * shadow paging) is the host's MAXPHYADDR.
 */
int kvmc_arch_prepare_memory_region(struct kvmc_vm *vm, u64 base_gfn,
				    u64 npages)
{
	u64 max_gfn = (1ULL << (kvmc_host_maxphyaddr - PAGE_SHIFT)) - 1;

	lockdep_assert_held(&vm->slots_lock);
	return base_gfn + npages - 1 > max_gfn ? -EINVAL : 0;
}

static void kvmc_seg_init(struct kvmc_seg *s, u16 selector, u64 base,
			  u16 attrib)
{
	s->selector = selector;
	s->base = base;
	s->limit = 0xffff;
	s->attrib = attrib;
}

void kvmc_arch_vcpu_reset(struct kvmc_vcpu *vcpu)
{
	struct kvmc_vcpu_arch *a = &vcpu->arch;
	u16 data = KVMC_SEG_P | KVMC_SEG_S | KVMC_SEG_TYPE_RW;
	int i;

	memset(a, 0, sizeof(*a));
	a->regs.rdx = 0x600;	/* CPUID.1.EAX when the guest has no CPUID */
	a->regs.rip = 0xfff0;
	a->regs.rflags = X86_EFLAGS_FIXED;

	for (i = KVMC_SREG_DS; i <= KVMC_SREG_SS; i++)
		kvmc_seg_init(&a->seg[i], 0, 0, data);
	kvmc_seg_init(&a->seg[KVMC_SREG_CS], 0xf000, 0xffff0000,
		      KVMC_SEG_P | KVMC_SEG_S | KVMC_SEG_TYPE_CODE_R);
	kvmc_seg_init(&a->seg[KVMC_SREG_LDTR], 0, 0,
		      KVMC_SEG_P | KVMC_SEG_TYPE_LDT);
	kvmc_seg_init(&a->seg[KVMC_SREG_TR], 0, 0,
		      KVMC_SEG_P | KVMC_SEG_TYPE_BUSY_TSS16);
	a->gdt.limit = 0xffff;
	a->idt.limit = 0xffff;

	a->cr0 = X86_CR0_ET | X86_CR0_NW | X86_CR0_CD;
	a->apic_base = APIC_DEFAULT_PHYS_BASE | MSR_IA32_APICBASE_ENABLE;
	if (vcpu->vcpu_id == 0)
		a->apic_base |= MSR_IA32_APICBASE_BSP;
	kvmc_x86_cpuid_reset(a);
}

/**
 * kvmc_x86_vcpu_init_event() - INIT the vCPU, as kvm-amd does on shutdown
 * @vcpu: the vCPU, its mutex held
 *
 * kvm_vcpu_reset(vcpu, true), which kvm-amd's shutdown_interception()
 * calls after a triple fault: the RESET state, except that the guest
 * CPUID, IA32_APIC_BASE, CR8 and CR0's CD and NW stay, and RDX is
 * CPUID.1:EAX of the guest CPUID.
 */
void kvmc_x86_vcpu_init_event(struct kvmc_vcpu *vcpu)
{
	struct kvmc_vcpu_arch *a = &vcpu->arch, keep = *a;

	kvmc_arch_vcpu_reset(vcpu);
	a->cpuid_entries = keep.cpuid_entries;
	a->cpuid_nent = keep.cpuid_nent;
	kvmc_x86_cpuid_reset(a);
	a->has_run = keep.has_run;
	a->apic_base = keep.apic_base;
	a->cr8 = keep.cr8;
	a->cr0 = X86_CR0_ET | (keep.cr0 & (X86_CR0_CD | X86_CR0_NW));
	a->regs.rdx = kvmc_x86_cpuid_1_eax(a);
}

void kvmc_arch_vcpu_destroy(struct kvmc_vcpu *vcpu)
{
	kvmc_x86_free_cpuid(&vcpu->arch);
}

/* As svm_set_segment(): what the descriptor cache can hold. */
static void kvmc_set_seg(struct kvmc_vcpu_arch *a, int seg,
			 const struct kvm_segment *var)
{
	struct kvmc_seg *s = &a->seg[seg];

	s->base = var->base;
	s->limit = var->limit;
	s->selector = var->selector;
	s->attrib = (var->type & KVMC_SEG_TYPE_MASK) |
		    (var->s & 1) << KVMC_SEG_S_SHIFT |
		    (var->dpl & 3) << KVMC_SEG_DPL_SHIFT |
		    ((var->present & 1) && !var->unusable) << KVMC_SEG_P_SHIFT |
		    (var->avl & 1) << KVMC_SEG_AVL_SHIFT |
		    (var->l & 1) << KVMC_SEG_L_SHIFT |
		    (var->db & 1) << KVMC_SEG_DB_SHIFT |
		    (var->g & 1) << KVMC_SEG_G_SHIFT;
	if (seg == KVMC_SREG_SS)
		a->cpl = var->dpl & 3;
}

/* As svm_get_segment(), including its cross-vendor fix-ups. */
static void kvmc_get_seg(const struct kvmc_vcpu_arch *a, int seg,
			 struct kvm_segment *var)
{
	const struct kvmc_seg *s = &a->seg[seg];

	var->base = s->base;
	var->limit = s->limit;
	var->selector = s->selector;
	var->type = s->attrib & KVMC_SEG_TYPE_MASK;
	var->s = (s->attrib >> KVMC_SEG_S_SHIFT) & 1;
	var->dpl = (s->attrib >> KVMC_SEG_DPL_SHIFT) & 3;
	var->present = (s->attrib >> KVMC_SEG_P_SHIFT) & 1;
	var->avl = (s->attrib >> KVMC_SEG_AVL_SHIFT) & 1;
	var->l = (s->attrib >> KVMC_SEG_L_SHIFT) & 1;
	var->db = (s->attrib >> KVMC_SEG_DB_SHIFT) & 1;
	var->g = s->limit > 0xfffff;
	var->unusable = !var->present;

	switch (seg) {
	case KVMC_SREG_TR:
		var->type |= 0x2;	/* busy */
		break;
	case KVMC_SREG_DS:
	case KVMC_SREG_ES:
	case KVMC_SREG_FS:
	case KVMC_SREG_GS:
		if (!var->unusable)
			var->type |= 0x1;	/* accessed */
		break;
	case KVMC_SREG_SS:
		if (var->unusable)
			var->db = 0;
		var->dpl = a->cpl;
		break;
	}
}

/* Where struct kvm_sregs keeps each segment, in enum kvmc_sreg order. */
static const size_t kvmc_sregs_seg_offset[KVMC_NR_SREGS] = {
	offsetof(struct kvm_sregs, cs), offsetof(struct kvm_sregs, ds),
	offsetof(struct kvm_sregs, es), offsetof(struct kvm_sregs, fs),
	offsetof(struct kvm_sregs, gs), offsetof(struct kvm_sregs, ss),
	offsetof(struct kvm_sregs, tr), offsetof(struct kvm_sregs, ldt),
};

static void kvmc_get_sregs(const struct kvmc_vcpu_arch *a,
			   struct kvm_sregs *sregs)
{
	int i;

	memset(sregs, 0, sizeof(*sregs));
	for (i = 0; i < KVMC_NR_SREGS; i++)
		kvmc_get_seg(a, i, (void *)sregs + kvmc_sregs_seg_offset[i]);
	sregs->gdt.base = a->gdt.base;
	sregs->gdt.limit = a->gdt.limit;
	sregs->idt.base = a->idt.base;
	sregs->idt.limit = a->idt.limit;
	sregs->cr0 = a->cr0;
	sregs->cr2 = a->cr2;
	sregs->cr3 = a->cr3;
	sregs->cr4 = a->cr4;
	sregs->cr8 = a->cr8;
	sregs->efer = a->efer;
	sregs->apic_base = a->apic_base;
	if (a->events.irq_injected && !a->events.irq_soft)
		__set_bit(a->events.irq_nr,
			  (unsigned long *)sregs->interrupt_bitmap);
}

/* As kvm_is_valid_sregs() and kvm_apic_set_base(), with the guest CPUID. */
static bool kvmc_sregs_are_valid(const struct kvmc_vcpu_arch *a,
				 const struct kvm_sregs *sregs)
{
	/* As rsvd_bits(): a MAXPHYADDR above 63 reserves nothing. */
	u64 gpa_rsvd = a->maxphyaddr > 63 ? 0 : GENMASK_ULL(63, a->maxphyaddr);
	u64 apic_rsvd = gpa_rsvd | 0x2ff | (a->x2apic ? 0 : X2APIC_ENABLE);

	if ((sregs->efer & EFER_LME) && (sregs->cr0 & X86_CR0_PG)) {
		/* Long mode: needs CR4.PAE, EFER.LMA and a legal CR3. */
		if (!(sregs->cr4 & X86_CR4_PAE) || !(sregs->efer & EFER_LMA) ||
		    (sregs->cr3 & gpa_rsvd))
			return false;
	} else if ((sregs->efer & EFER_LMA) || sregs->cs.l) {
		return false;
	}

	if (sregs->cr4 & ~KVMC_CR4_VALID)
		return false;
	if (upper_32_bits(sregs->cr0) ||
	    ((sregs->cr0 & X86_CR0_NW) && !(sregs->cr0 & X86_CR0_CD)) ||
	    ((sregs->cr0 & X86_CR0_PG) && !(sregs->cr0 & X86_CR0_PE)))
		return false;
	if (sregs->efer & ~a->efer_valid)
		return false;
	/* x2APIC mode without xAPIC enabled is LAPIC_MODE_INVALID. */
	if ((sregs->apic_base & X2APIC_ENABLE) &&
	    !(sregs->apic_base & MSR_IA32_APICBASE_ENABLE))
		return false;
	return !(sregs->apic_base & apic_rsvd);
}

static int kvmc_set_sregs(struct kvmc_vcpu_arch *a,
			  const struct kvm_sregs *sregs)
{
	u64 old_apic_base = a->apic_base;
	unsigned long vec;
	int i;

	if (!kvmc_sregs_are_valid(a, sregs))
		return -EINVAL;

	for (i = 0; i < KVMC_NR_SREGS; i++)
		kvmc_set_seg(a, i,
			     (const void *)sregs + kvmc_sregs_seg_offset[i]);
	a->gdt.base = sregs->gdt.base;
	a->gdt.limit = sregs->gdt.limit;
	a->idt.base = sregs->idt.base;
	a->idt.limit = sregs->idt.limit;
	a->cr0 = sregs->cr0;
	a->cr2 = sregs->cr2;
	a->cr3 = sregs->cr3;
	a->cr4 = sregs->cr4;
	/* kvm_set_cr8() refuses reserved bits and KVM ignores its answer. */
	if (!(sregs->cr8 & ~KVMC_CR8_VALID))
		a->cr8 = sregs->cr8;
	a->efer = sregs->efer;
	a->apic_base = sregs->apic_base;
	/* __kvm_apic_set_base(): CPUID.1:EDX.APIC follows the enable bit. */
	if ((old_apic_base ^ a->apic_base) & MSR_IA32_APICBASE_ENABLE)
		kvmc_x86_cpuid_update_runtime(a);

	/*
	 * The lowest set bit of interrupt_bitmap is queued for injection
	 * (kvm_queue_interrupt(vcpu, vec, false)); none leaves it as it is.
	 */
	vec = find_first_bit((const unsigned long *)sregs->interrupt_bitmap,
			     KVM_NR_INTERRUPTS);
	if (vec < KVM_NR_INTERRUPTS) {
		a->events.irq_injected = true;
		a->events.irq_soft = false;
		a->events.irq_nr = vec;
	}
	return 0;
}

static long kvmc_ioctl_get_regs(struct kvmc_vcpu *vcpu, void __user *argp)
{
	if (copy_to_user(argp, &vcpu->arch.regs, sizeof(vcpu->arch.regs)))
		return -EFAULT;
	return 0;
}

static long kvmc_ioctl_set_regs(struct kvmc_vcpu *vcpu, void __user *argp)
{
	struct kvm_regs regs;

	if (copy_from_user(&regs, argp, sizeof(regs)))
		return -EFAULT;

	regs.rflags |= X86_EFLAGS_FIXED;
	vcpu->arch.regs = regs;
	/*
	 * __set_regs(): "vcpu->arch.exception.pending = false".  An
	 * exception restored by KVM_SET_VCPU_EVENTS is "injected" and stays.
	 */
	vcpu->arch.events.exception.pending = false;
	/* A byte kept for an MMIO read that a signal interrupted: abandoned. */
	vcpu->arch.mmio_read_valid = false;
	return 0;
}

static long kvmc_ioctl_get_sregs(struct kvmc_vcpu *vcpu, void __user *argp)
{
	struct kvm_sregs sregs;

	kvmc_get_sregs(&vcpu->arch, &sregs);
	if (copy_to_user(argp, &sregs, sizeof(sregs)))
		return -EFAULT;
	return 0;
}

static long kvmc_ioctl_set_sregs(struct kvmc_vcpu *vcpu, void __user *argp)
{
	struct kvm_sregs sregs;

	if (copy_from_user(&sregs, argp, sizeof(sregs)))
		return -EFAULT;

	vcpu->arch.mmio_read_valid = false;
	return kvmc_set_sregs(&vcpu->arch, &sregs);
}

long kvmc_arch_vcpu_ioctl(struct kvmc_vcpu *vcpu, unsigned int cmd,
			  void __user *argp)
{
	lockdep_assert_held(&vcpu->mutex);

	switch (cmd) {
	case KVM_GET_REGS:
		return kvmc_ioctl_get_regs(vcpu, argp);
	case KVM_SET_REGS:
		return kvmc_ioctl_set_regs(vcpu, argp);
	case KVM_GET_SREGS:
		return kvmc_ioctl_get_sregs(vcpu, argp);
	case KVM_SET_SREGS:
		return kvmc_ioctl_set_sregs(vcpu, argp);
	case KVM_GET_VCPU_EVENTS:
		return kvmc_x86_get_vcpu_events(vcpu, argp);
	case KVM_SET_VCPU_EVENTS:
		return kvmc_x86_set_vcpu_events(vcpu, argp);
	case KVM_GET_MP_STATE:
		return kvmc_x86_get_mp_state(vcpu, argp);
	case KVM_SET_MP_STATE:
		return kvmc_x86_set_mp_state(vcpu, argp);
	case KVM_SET_CPUID2:
		return kvmc_x86_set_cpuid2(vcpu, argp);
	case KVM_GET_CPUID2:
		return kvmc_x86_get_cpuid2(vcpu, argp);
	case KVM_MEMORY_ENCRYPT_OP:
		/*
		 * Upstream's answer since it has a vCPU case, when the vendor
		 * module has no vcpu_mem_enc_ioctl (kvm-amd; kvm-intel
		 * without CONFIG_KVM_INTEL_TDX, else EINVAL for a non-TD
		 * vCPU).  The compat number falls to the default, as
		 * upstream's does.
		 */
		return -ENOTTY;
	default:
		return -EINVAL;
	}
}

long kvmc_arch_dev_ioctl(unsigned int cmd, void __user *argp)
{
	switch (cmd) {
	case KVM_GET_SUPPORTED_CPUID:
		return kvmc_x86_get_supported_cpuid(argp);
	default:
		return -EINVAL;
	}
}

/*
 * KVM_SET_TSS_ADDR, as kvm_vm_ioctl_set_tss_addr(): the three pages must
 * end below 4 GiB.  kvm-amd has no use for them (set_tss_addr is
 * KVM_X86_OP_OPTIONAL_RET0, svm_set_tss_addr() before 6.1), and neither
 * has kvm_compat: the address is checked and forgotten.  Only kvm-intel
 * without unrestricted guest maps a TSS there.
 */
static long kvmc_vm_ioctl_set_tss_addr(unsigned long addr)
{
	return addr > (unsigned int)(-3 * PAGE_SIZE) ? -EINVAL : 0;
}

/*
 * KVM_SET_IDENTITY_MAP_ADDR, as kvm_arch_vm_ioctl(): refused once a vCPU
 * exists or is being created (checked before the argument is read), and
 * otherwise, on kvm-amd as here, accepted and unused (only kvm-intel's EPT
 * identity map for real mode lives there).
 */
static long kvmc_vm_ioctl_set_identity_map_addr(struct kvmc_vm *vm,
						void __user *argp)
{
	u64 ident_addr;
	long r;

	mutex_lock(&vm->lock);
	r = -EINVAL;
	if (vm->created_vcpus)
		goto out;
	r = -EFAULT;
	if (copy_from_user(&ident_addr, argp, sizeof(ident_addr)))
		goto out;
	r = 0;
out:
	mutex_unlock(&vm->lock);
	return r;
}

long kvmc_arch_vm_ioctl(struct kvmc_vm *vm, unsigned int cmd,
			void __user *argp)
{
	struct kvm_msr_filter filter;

	switch (cmd) {
	case KVM_X86_SET_MSR_FILTER:
		if (copy_from_user(&filter, argp, sizeof(filter)))
			return -EFAULT;
		return kvmc_x86_set_msr_filter(vm, &filter);
	case KVM_SET_TSS_ADDR:
		/* An _IO command: the argument is the address itself. */
		return kvmc_vm_ioctl_set_tss_addr((unsigned long)argp);
	case KVM_SET_IDENTITY_MAP_ADDR:
		return kvmc_vm_ioctl_set_identity_map_addr(vm, argp);
	default:
		return -ENOTTY;
	}
}

#define KVMC_MSR_EXIT_REASON_VALID	(KVM_MSR_EXIT_REASON_INVAL | \
					 KVM_MSR_EXIT_REASON_UNKNOWN | \
					 KVM_MSR_EXIT_REASON_FILTER)

int kvmc_arch_vm_enable_cap(struct kvmc_vm *vm, const struct kvm_enable_cap *cap)
{
	if (cap->flags)
		return -EINVAL;

	switch (cap->cap) {
	case KVM_CAP_X86_USER_SPACE_MSR:
		if (cap->args[0] & ~KVMC_MSR_EXIT_REASON_VALID)
			return -EINVAL;
		/* Unlocked, as upstream (plain there); vCPUs READ_ONCE() it. */
		WRITE_ONCE(vm->arch.user_space_msr_mask, cap->args[0]);
		return 0;
	case KVM_CAP_DISABLE_QUIRKS:
	case KVMC_CAP_DISABLE_QUIRKS2:
		return kvmc_x86_disable_quirks(vm, cap);
	default:
		return -EINVAL;
	}
}

long kvmc_arch_check_extension(unsigned long cap)
{
	switch (cap) {
	case KVM_CAP_X86_USER_SPACE_MSR:
	case KVM_CAP_X86_MSR_FILTER:
	case KVM_CAP_VCPU_EVENTS:
	case KVM_CAP_MP_STATE:
	case KVM_CAP_DISABLE_QUIRKS:
	case KVM_CAP_SET_TSS_ADDR:
	case KVM_CAP_SET_IDENTITY_MAP_ADDR:
	case KVM_CAP_EXT_CPUID:
		return 1;
	case KVMC_CAP_DISABLE_QUIRKS2:
		return KVMC_X86_SUPPORTED_QUIRKS;
	default:
		return 0;
	}
}

void kvmc_arch_vm_destroy(struct kvmc_vm *vm)
{
	/* The last reference is gone: no reader, no writer is left. */
	kvmc_x86_free_msr_filter(rcu_dereference_protected(vm->arch.msr_filter,
							   !refcount_read(&vm->users)));
}
