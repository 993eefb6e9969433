/* SPDX-License-Identifier: GPL-2.0 */
/*
 * x86 vCPU register state, kept the way AMD SVM keeps it (the test guest's
 * real /dev/kvm is kvm-amd): segments as VMCB descriptor caches, so that
 * KVM_SET_SREGS followed by KVM_GET_SREGS gives back what kvm-amd does.
 */
#ifndef _KVM_COMPAT_X86_H
#define _KVM_COMPAT_X86_H

#include <linux/kvm.h>
#include <linux/rcupdate.h>
#include <linux/types.h>

enum kvmc_sreg {
	KVMC_SREG_CS,
	KVMC_SREG_DS,
	KVMC_SREG_ES,
	KVMC_SREG_FS,
	KVMC_SREG_GS,
	KVMC_SREG_SS,
	KVMC_SREG_TR,
	KVMC_SREG_LDTR,
	KVMC_NR_SREGS
};

struct kvmc_vm;
struct kvmc_vcpu;

/* What a vCPU's last exit to userspace left to finish. */
enum kvmc_x86_exit {
	KVMC_X86_EXIT_NONE,
	KVMC_X86_EXIT_PIO_OUT,
	KVMC_X86_EXIT_PIO_IN,
	KVMC_X86_EXIT_MMIO_READ,
	KVMC_X86_EXIT_RDMSR,
	KVMC_X86_EXIT_WRMSR,
};

/**
 * struct kvmc_seg - a segment descriptor cache, as in the SVM VMCB
 * @base:	segment base
 * @limit:	segment limit
 * @selector:	selector
 * @attrib:	type[3:0] S[4] DPL[6:5] P[7] AVL[8] L[9] DB[10] G[11]
 */
struct kvmc_seg {
	u64 base;
	u32 limit;
	u16 selector;
	u16 attrib;
};

/**
 * struct kvmc_dtable - GDTR or IDTR
 * @base:	table base
 * @limit:	table limit
 */
struct kvmc_dtable {
	u64 base;
	u16 limit;
};

/**
 * struct kvmc_vcpu_arch - x86 register state of a vCPU
 * @regs:	general purpose registers, rip and rflags
 * @seg:	segment registers, TR and LDTR
 * @cpl:	current privilege level (SS.DPL, as SVM keeps it)
 * @gdt:	GDTR
 * @idt:	IDTR
 * @cr0:	CR0
 * @cr2:	CR2
 * @cr3:	CR3
 * @cr4:	CR4
 * @cr8:	CR8 (TPR; there is no in-kernel local APIC)
 * @efer:	EFER
 * @apic_base:	IA32_APIC_BASE
 * @pending_irq: vector queued through kvm_sregs.interrupt_bitmap, or -1
 * @gp_pending:	a #GP to deliver before the next instruction (userspace
 *		answered an MSR exit with an error); KVM_SET_REGS drops it,
 *		as __set_regs() drops a pending exception
 * @exit:	the exit userspace is serving, completed by the next KVM_RUN
 * @exit_rip:	rip of the instruction that made @exit
 * @exit_linear_rip: the linear rip of @exit_rip, what kvm_is_linear_rip()
 *		compares
 * @exit_len:	its length
 * @exit_next_rip: rip after it, wrapped as the code size wraps it
 * @exit_pio_size: the size of a port I/O exit's access (1, 2 or 4)
 * @mmio_read_valid: @mmio_read_data holds the bytes userspace supplied for
 *		an MMIO read at @mmio_read_gpa; the instruction runs again
 * @mmio_read_gpa: guest physical address of that read
 * @mmio_read_len: its length in bytes (1, 2, 4 or 8)
 * @mmio_read_data: the bytes
 * @has_run:	KVM_RUN has run an instruction (upstream's
 *		kvm_vcpu_has_run()): guest CPUID can no longer change
 * @cpuid_entries: the guest CPUID of KVM_SET_CPUID2 (kvmalloc'd), NULL
 *		before it
 * @cpuid_nent:	how many
 * @maxphyaddr:	the guest's MAXPHYADDR (CPUID 0x80000008, else 36)
 * @efer_valid:	the EFER bits KVM_SET_SREGS accepts (guest CPUID: LM, NX)
 * @x2apic:	the guest CPUID has x2APIC (IA32_APIC_BASE bit 10 is valid)
 */
struct kvmc_vcpu_arch {
	struct kvm_regs regs;
	struct kvmc_seg seg[KVMC_NR_SREGS];
	u8 cpl;
	struct kvmc_dtable gdt;
	struct kvmc_dtable idt;
	u64 cr0;
	u64 cr2;
	u64 cr3;
	u64 cr4;
	u64 cr8;
	u64 efer;
	u64 apic_base;
	int pending_irq;
	bool gp_pending;
	enum kvmc_x86_exit exit;
	u64 exit_rip;
	u64 exit_linear_rip;
	u8 exit_len;
	u64 exit_next_rip;
	u8 exit_pio_size;
	bool mmio_read_valid;
	u64 mmio_read_gpa;
	u8 mmio_read_len;
	u8 mmio_read_data[8];
	bool has_run;
	struct kvm_cpuid_entry2 *cpuid_entries;
	u32 cpuid_nent;
	u8 maxphyaddr;
	u64 efer_valid;
	bool x2apic;
};

/**
 * struct kvmc_msr_filter_range - one range of a KVM_X86_SET_MSR_FILTER
 * @flags:	KVM_MSR_FILTER_READ and/or KVM_MSR_FILTER_WRITE
 * @base:	first MSR index
 * @nmsrs:	number of MSRs
 * @bitmap:	one bit per MSR, set = allowed (a kernel copy)
 */
struct kvmc_msr_filter_range {
	u32 flags;
	u32 base;
	u32 nmsrs;
	unsigned long *bitmap;
};

/**
 * struct kvmc_msr_filter - an installed MSR filter, never changed once
 *			    installed
 * @default_allow: what an MSR outside every range gets
 * @count:	ranges in use
 * @ranges:	the non-empty ranges, in the order userspace gave them
 */
struct kvmc_msr_filter {
	bool default_allow;
	unsigned int count;
	struct kvmc_msr_filter_range ranges[KVM_MSR_FILTER_MAX_RANGES];
};

/**
 * struct kvmc_vm_arch - x86 VM state
 * @user_space_msr_mask: KVM_CAP_X86_USER_SPACE_MSR's KVM_MSR_EXIT_REASON_*;
 *		one word, written and read without a lock, as upstream
 *		(which uses plain accesses; here WRITE_ONCE()/READ_ONCE()
 *		say so to the compiler and to KCSAN)
 * @msr_filter:	the KVM_X86_SET_MSR_FILTER filter, NULL for none; replaced
 *		under the VM's lock, read under the VM's srcu
 */
struct kvmc_vm_arch {
	u64 user_space_msr_mask;
	struct kvmc_msr_filter __rcu *msr_filter;
};

int kvmc_x86_set_msr_filter(struct kvmc_vm *vm, const struct kvm_msr_filter *filter);
void kvmc_x86_vcpu_init_event(struct kvmc_vcpu *vcpu);
/* The host's MAXPHYADDR: the reserved bits of the guest's page walks. */
extern u8 kvmc_host_maxphyaddr;

/* x86_cpuid.c: KVM_GET_SUPPORTED_CPUID, KVM_SET_CPUID2, the guest's CPUID */
void kvmc_x86_cpuid_init(u8 host_maxphyaddr);
long kvmc_x86_get_supported_cpuid(struct kvm_cpuid2 __user *argp);
long kvmc_x86_set_cpuid2(struct kvmc_vcpu *vcpu, struct kvm_cpuid2 __user *argp);
long kvmc_x86_get_cpuid2(struct kvmc_vcpu *vcpu, struct kvm_cpuid2 __user *argp);
void kvmc_x86_cpuid_reset(struct kvmc_vcpu_arch *a);
void kvmc_x86_cpuid_update_runtime(struct kvmc_vcpu_arch *a);
u32 kvmc_x86_cpuid_1_eax(const struct kvmc_vcpu_arch *a);
void kvmc_x86_free_cpuid(struct kvmc_vcpu_arch *a);
bool kvmc_x86_msr_allowed(struct kvmc_vm *vm, u32 index, u32 type);
void kvmc_x86_free_msr_filter(struct kvmc_msr_filter *filter);

#endif /* _KVM_COMPAT_X86_H */
