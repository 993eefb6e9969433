// SPDX-License-Identifier: GPL-2.0
/*
 * kvm_compat: delivering an exception to the guest, as the CPU does.
 *
 * Real mode: FLAGS, CS and IP pushed on SS:SP, IF, TF and AC cleared, CS:IP
 * from the IVT at vector * 4.
 *
 * Protected mode and long mode, through the IDT (IDTR), without a change
 * of privilege: the gate (8 bytes, a 32-bit interrupt or trap gate; 16
 * bytes in long mode, a 64-bit one with IST 0) names a code segment in the
 * GDT whose DPL is the CPL (or a conforming one), which CS is loaded from.
 * On the stack at SS:ESP, EFLAGS, CS, EIP and the error code, 32 bits
 * each; in long mode, RSP first aligned down to 16, SS, RSP, RFLAGS, CS,
 * RIP and the error code, 64 bits each.  The RFLAGS image has RF set for
 * a #GP that KVM itself injects (RDMSR, WRMSR: inject_pending_event()),
 * and as it was for the exceptions the test guest's CPU delivers.  Then
 * TF, NT, RF and VM are cleared, and IF for an interrupt gate.  A vector beyond the IDT's limit,
 * a gate of another type, a selector outside the GDT or not a code
 * segment of the right kind is #GP; a gate or segment not present #NP.
 * 16-bit and task gates, the IST, a privilege change and the LDT are
 * outside the subset: KVM_EXIT_INTERNAL_ERROR.
 *
 * A fault while delivering an exception is handled as the CPU does: after
 * a #PF, a #PF or a contributory exception (#GP, #NP, #SS) makes a double
 * fault (#DF, error code 0); after a contributory one, another
 * contributory one does; any fault while delivering #DF is a triple
 * fault.  On a triple fault kvm-amd INITs the vCPU (shutdown_interception()
 * calls kvm_vcpu_reset(vcpu, true)) and exits with KVM_EXIT_SHUTDOWN; so
 * does kvm_compat.
 */

#include <linux/kvm.h>
#include <linux/string.h>
#include <asm/msr-index.h>
#include <asm/processor-flags.h>

#include <kvm_compat/kvmc.h>
#include <kvm_compat/x86_emulate.h>

/* Descriptor bits (the high half of a gate or segment descriptor). */
#define KVMC_DESC_TYPE(d)	(((d) >> 40) & 0xf)
#define KVMC_DESC_S		BIT_ULL(44)
#define KVMC_DESC_DPL(d)	(((d) >> 45) & 3)
#define KVMC_DESC_P		BIT_ULL(47)
#define KVMC_DESC_L		BIT_ULL(53)
#define KVMC_DESC_DB		BIT_ULL(54)
#define KVMC_DESC_G		BIT_ULL(55)
#define KVMC_DESC_CODE		0x8	/* type: code segment */
#define KVMC_DESC_CONFORMING	0x4
#define KVMC_GATE_INTR		0xe	/* 32- or 64-bit interrupt gate */
#define KVMC_GATE_TRAP		0xf
#define KVMC_GATE_TASK		0x5
#define KVMC_GATE_INTR16	0x6
#define KVMC_GATE_TRAP16	0x7
/* The EXT bit of an error code naming a selector or an IDT entry. */
#define KVMC_ERR_EXT		BIT(0)
#define KVMC_ERR_IDT		BIT(1)

/**
 * kvmc_x86_real_mode_exception() - deliver an exception through the IVT
 * @vcpu: the vCPU, in real mode
 * @vector: the vector
 *
 * Return: 1 to go on; 0 with KVM_EXIT_INTERNAL_ERROR when the IVT entry or
 * the stack is not in RAM; -EAGAIN, -EINTR, -EFAULT.
 */
int kvmc_x86_real_mode_exception(struct kvmc_vcpu *vcpu, u8 vector)
{
	struct kvmc_vcpu_arch *a = &vcpu->arch;
	u16 frame[3] = { a->regs.rip, a->seg[KVMC_SREG_CS].selector,
			 a->regs.rflags };
	u16 sp = a->regs.rsp;
	u16 ivt[2];
	int i, r;

	r = kvmc_read_guest(vcpu->vm, vector * 4, ivt, sizeof(ivt));
	for (i = 2; !r && i >= 0; i--) {
		sp -= 2;
		r = kvmc_write_guest(vcpu->vm,
				     a->seg[KVMC_SREG_SS].base + sp,
				     &frame[i], 2);
	}
	if (r == -ENOENT)
		return kvmc_x86_internal_error(vcpu, NULL);
	if (r)
		return r;

	a->regs.rsp = (a->regs.rsp & ~0xffffULL) | sp;
	a->regs.rflags &= ~(u64)(X86_EFLAGS_IF | X86_EFLAGS_TF | X86_EFLAGS_AC);
	a->regs.rip = ivt[0];
	a->seg[KVMC_SREG_CS].selector = ivt[1];
	a->seg[KVMC_SREG_CS].base = (u64)ivt[1] << 4;
	return 1;
}

static int kvmc_raise(struct kvmc_fault *f, u8 vector, u32 error_code)
{
	*f = (struct kvmc_fault){
		.vector = vector, .has_error = true, .error_code = error_code,
	};
	return KVMC_X86_FAULT;
}

/*
 * The code segment a gate names, checked as the CPU checks it for a
 * delivery without a privilege change; @seg gets its descriptor cache.
 */
static int kvmc_load_gate_cs(struct kvmc_vcpu *vcpu, u16 sel, bool lm,
			     struct kvmc_seg *seg, struct kvmc_fault *nested)
{
	const struct kvmc_vcpu_arch *a = &vcpu->arch;
	u32 err = (sel & ~3) | KVMC_ERR_EXT;
	unsigned int type, dpl;
	u64 d;
	int r;

	if (!(sel & ~3))
		return kvmc_raise(nested, KVMC_GP_VECTOR, KVMC_ERR_EXT);
	if (sel & 4)		/* the LDT */
		return KVMC_X86_UNSUPPORTED;
	if ((sel | 7) > a->gdt.limit)
		return kvmc_raise(nested, KVMC_GP_VECTOR, err);
	r = kvmc_x86_read_system(vcpu, nested, a->gdt.base + (sel & ~7), &d,
				 sizeof(d));
	if (r)
		return r;

	type = KVMC_DESC_TYPE(d);
	dpl = KVMC_DESC_DPL(d);
	if (!(d & KVMC_DESC_S) || !(type & KVMC_DESC_CODE) ||
	    (lm && (!(d & KVMC_DESC_L) || (d & KVMC_DESC_DB))))
		return kvmc_raise(nested, KVMC_GP_VECTOR, err);
	if (dpl > a->cpl)
		return kvmc_raise(nested, KVMC_GP_VECTOR, err);
	if (dpl < a->cpl && !(type & KVMC_DESC_CONFORMING))
		return KVMC_X86_UNSUPPORTED;	/* a privilege change */
	if (!(d & KVMC_DESC_P))
		return kvmc_raise(nested, KVMC_NP_VECTOR, err);

	seg->selector = (sel & ~3) | a->cpl;
	seg->base = ((d >> 16) & 0xffffff) | ((d >> 56) << 24);
	seg->limit = (d & 0xffff) | (((d >> 48) & 0xf) << 16);
	if (d & KVMC_DESC_G)
		seg->limit = seg->limit << 12 | 0xfff;
	seg->attrib = ((d >> 40) & 0xff) | ((d >> 52) & 0xf) << 8;
	return 0;
}

/* One attempt at delivering @f through the IDT; a fault goes to @nested. */
static int kvmc_deliver_idt(struct kvmc_vcpu *vcpu, const struct kvmc_fault *f,
			    struct kvmc_fault *nested)
{
	struct kvmc_vcpu_arch *a = &vcpu->arch;
	bool lm = a->efer & EFER_LMA, ss32 = a->seg[KVMC_SREG_SS].attrib & BIT(10);
	unsigned int gate_size = lm ? 16 : 8, n = 0, size = lm ? 8 : 4, type;
	u32 err = f->vector * 8 | KVMC_ERR_IDT | KVMC_ERR_EXT;
	u64 gate[2] = { 0, 0 }, frame[6], rsp, sp_mask, la, rip;
	struct kvmc_seg cs;
	u32 frame32[4];
	int r, i;

	if (f->vector * gate_size + gate_size - 1 > a->idt.limit)
		return kvmc_raise(nested, KVMC_GP_VECTOR, err);
	r = kvmc_x86_read_system(vcpu, nested,
				 a->idt.base + f->vector * gate_size, gate,
				 gate_size);
	if (r)
		return r;

	type = KVMC_DESC_TYPE(gate[0]);
	if (!lm && (type == KVMC_GATE_TASK || type == KVMC_GATE_INTR16 ||
		    type == KVMC_GATE_TRAP16))
		return KVMC_X86_UNSUPPORTED;
	if (type != KVMC_GATE_INTR && type != KVMC_GATE_TRAP)
		return kvmc_raise(nested, KVMC_GP_VECTOR, err);
	if (!(gate[0] & KVMC_DESC_P))
		return kvmc_raise(nested, KVMC_NP_VECTOR, err);
	if (lm && (gate[0] >> 32) & 7)		/* IST */
		return KVMC_X86_UNSUPPORTED;
	r = kvmc_load_gate_cs(vcpu, gate[0] >> 16, lm, &cs, nested);
	if (r)
		return r;
	rip = (gate[0] & 0xffff) | ((gate[0] >> 32) & 0xffff0000);
	if (lm)
		rip |= gate[1] << 32;

	/* The frame, from its lowest address up. */
	frame[n++] = a->regs.rip;
	frame[n++] = a->seg[KVMC_SREG_CS].selector;
	frame[n++] = a->regs.rflags | (f->injected ? X86_EFLAGS_RF : 0);
	if (lm) {
		frame[n++] = a->regs.rsp;
		frame[n++] = a->seg[KVMC_SREG_SS].selector;
	}
	if (f->has_error) {
		memmove(frame + 1, frame, n * sizeof(frame[0]));
		frame[0] = f->error_code;
		n++;
	}

	if (lm) {
		sp_mask = ~0ULL;
		rsp = (a->regs.rsp & ~0xfULL) - n * size;
		la = rsp;
		r = kvmc_x86_write_system(vcpu, nested, la, frame, n * size);
	} else {
		sp_mask = ss32 ? 0xffffffff : 0xffff;
		rsp = (a->regs.rsp - n * size) & sp_mask;
		la = (u32)(a->seg[KVMC_SREG_SS].base + rsp);
		for (i = 0; i < n; i++)
			frame32[i] = frame[i];
		r = kvmc_x86_write_system(vcpu, nested, la, frame32, n * size);
	}
	if (r)
		return r;

	/* Done: commit. */
	if (lm || ss32)
		a->regs.rsp = rsp;
	else
		a->regs.rsp = (a->regs.rsp & ~0xffffULL) | rsp;
	a->regs.rip = lm ? rip : (u32)rip;
	a->regs.rflags &= ~(u64)(X86_EFLAGS_TF | X86_EFLAGS_NT | X86_EFLAGS_RF |
				 X86_EFLAGS_VM);
	if (type == KVMC_GATE_INTR)
		a->regs.rflags &= ~(u64)X86_EFLAGS_IF;
	a->seg[KVMC_SREG_CS] = cs;
	return 0;
}

static bool kvmc_contributory(u8 vector)
{
	return vector == 0 || (vector >= 10 && vector <= 13);
}

/* A triple fault: KVM_EXIT_SHUTDOWN, and the vCPU INIT as kvm-amd does. */
static int kvmc_shutdown(struct kvmc_vcpu *vcpu)
{
	vcpu->run->exit_reason = KVM_EXIT_SHUTDOWN;
	kvmc_x86_vcpu_init_event(vcpu);
	return 0;
}

/**
 * kvmc_x86_deliver() - deliver an exception, as the CPU would
 * @vcpu: the vCPU
 * @fault: the exception (#PF: CR2 is loaded with @fault->cr2)
 *
 * Return: 1 to go on (the guest is at its handler); 0 with an exit in
 * kvm_run (KVM_EXIT_SHUTDOWN after a triple fault,
 * KVM_EXIT_INTERNAL_ERROR for a delivery outside the subset or with the
 * IDT, GDT or stack outside guest RAM); -EAGAIN (the instruction and the
 * delivery start again), -EINTR, -EFAULT.
 */
int kvmc_x86_deliver(struct kvmc_vcpu *vcpu, const struct kvmc_fault *fault)
{
	struct kvmc_fault f = *fault, nested = {};
	int r;

	if (!(vcpu->arch.cr0 & X86_CR0_PE))
		return kvmc_x86_real_mode_exception(vcpu, f.vector);

	for (;;) {
		if (f.vector == KVMC_PF_VECTOR && !f.keep_cr2)
			vcpu->arch.cr2 = f.cr2;
		r = kvmc_deliver_idt(vcpu, &f, &nested);
		if (r == 0)
			return 1;
		if (r == -ENOENT || r == KVMC_X86_UNSUPPORTED)
			return kvmc_x86_internal_error(vcpu, NULL);
		if (r != KVMC_X86_FAULT)
			return r;

		/* A #PF loads CR2 when it is detected, even if it ends in #DF. */
		if (nested.vector == KVMC_PF_VECTOR)
			vcpu->arch.cr2 = nested.cr2;
		if (f.external) {
			f = nested;
			continue;
		}
		if (f.vector == KVMC_DF_VECTOR)
			return kvmc_shutdown(vcpu);
		if ((f.vector == KVMC_PF_VECTOR &&
		     (nested.vector == KVMC_PF_VECTOR ||
		      kvmc_contributory(nested.vector))) ||
		    (kvmc_contributory(f.vector) &&
		     kvmc_contributory(nested.vector)))
			kvmc_raise(&f, KVMC_DF_VECTOR, 0);
		else
			f = nested;
	}
}
