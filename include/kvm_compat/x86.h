/* SPDX-License-Identifier: GPL-2.0 */
/*
 * x86 vCPU register state, kept the way AMD SVM keeps it (the test guest's
 * real /dev/kvm is kvm-amd): segments as VMCB descriptor caches, so that
 * KVM_SET_SREGS followed by KVM_GET_SREGS gives back what kvm-amd does.
 */
#ifndef _KVM_COMPAT_X86_H
#define _KVM_COMPAT_X86_H

#include <linux/kvm.h>
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
};

#endif /* _KVM_COMPAT_X86_H */
