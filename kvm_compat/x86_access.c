// SPDX-License-Identifier: GPL-2.0
/*
 * kvm_compat: the guest's accesses to linear memory.
 *
 * An operand's segment and offset become a linear address: the segment's
 * base plus the offset, truncated to 32 bits outside 64-bit mode; in
 * 64-bit mode only FS and GS have a base, and a non-canonical address
 * (48 bits) is #GP(0), or #SS(0) through SS.  Segment limits and access
 * rights are not checked: a guest with flat segments cannot tell.  The
 * linear address goes through paging (x86_paging.c) to a guest physical
 * one, and that through the memslots to the VM owner's memory.
 *
 * An operand outside every memslot is MMIO: a read exits to userspace
 * (KVM_EXIT_MMIO) and the instruction runs again with the bytes userspace
 * supplied; a write, the instruction's last access, exits after the
 * instruction is done.  An operand split across two pages must be in RAM
 * on both (KVM would make two MMIO fragments of it; kvm_compat ends in
 * KVM_EXIT_INTERNAL_ERROR), and so must whatever the CPU itself reads or
 * writes: page tables, the IDT, the GDT, an exception's stack frame.
 */

#include <linux/kvm.h>
#include <linux/string.h>
#include <asm/msr-index.h>
#include <asm/processor-flags.h>

#include <kvm_compat/kvmc.h>
#include <kvm_compat/x86_emulate.h>

/* Where a linear access lands: up to two pages. */
struct kvmc_span {
	unsigned int n;
	u64 gpa[2];
	unsigned int len[2];
};

static bool kvmc_canonical(u64 la)
{
	return (u64)(((s64)la << 16) >> 16) == la;
}

/**
 * kvmc_x86_linear() - an operand's linear address
 * @vcpu: the vCPU
 * @insn: the instruction (its code size), and where a fault goes
 * @seg: the segment (enum kvmc_sreg)
 * @off: the offset, already truncated to the address size
 * @la: the linear address
 *
 * Return: 0, or KVMC_X86_FAULT with #GP(0) or #SS(0) in @insn->fault for a
 * non-canonical address in 64-bit mode.
 */
int kvmc_x86_linear(struct kvmc_vcpu *vcpu, struct kvmc_insn *insn, int seg,
		    u64 off, u64 *la)
{
	u64 base = vcpu->arch.seg[seg].base;

	if (insn->code_size != 8) {
		*la = base + off;
		/* The first revision kept the segment base's upper half. */
		if (kvmc_guest_rev(vcpu->vm) >= KVMC_GUEST_REV_PROTECTED_MODE)
			*la = (u32)*la;
		return 0;
	}

	*la = (seg == KVMC_SREG_FS || seg == KVMC_SREG_GS ? base : 0) + off;
	if (kvmc_canonical(*la))
		return 0;
	insn->fault = (struct kvmc_fault){
		.vector = seg == KVMC_SREG_SS ? KVMC_SS_VECTOR : KVMC_GP_VECTOR,
		.has_error = true,
	};
	return KVMC_X86_FAULT;
}

/* Translate the pages of [la, la + len) for @access. */
static int kvmc_span(struct kvmc_vcpu *vcpu, struct kvmc_fault *fault,
		     u64 la, unsigned int len, u32 access,
		     struct kvmc_span *span)
{
	bool wrap32 = !kvmc_x86_long_mode(vcpu);
	unsigned int first = min_t(u64, len, PAGE_SIZE - (la & ~PAGE_MASK));
	int r;

	span->n = first < len ? 2 : 1;
	span->len[0] = first;
	span->len[1] = len - first;
	r = kvmc_x86_translate(vcpu, la, access, &span->gpa[0], fault);
	if (r || span->n == 1)
		return r;
	la += first;
	return kvmc_x86_translate(vcpu, wrap32 ? (u32)la : la, access,
				  &span->gpa[1], fault);
}

/* Both pieces of a split access must be writable RAM before either is. */
static bool kvmc_span_is_ram(struct kvmc_vcpu *vcpu,
			     const struct kvmc_span *span, bool write)
{
	struct kvmc_memslot *s;
	unsigned int i;

	for (i = 0; i < span->n; i++) {
		s = kvmc_gfn_to_memslot(vcpu->vm, span->gpa[i] >> PAGE_SHIFT);
		if (!s || (write && (s->flags & KVM_MEM_READONLY)))
			return false;
	}
	return true;
}

static int kvmc_span_copy(struct kvmc_vcpu *vcpu, const struct kvmc_span *span,
			  void *data, bool write)
{
	unsigned int i, done = 0;
	int r;

	if (span->n > 1 && !kvmc_span_is_ram(vcpu, span, write))
		return -ENOENT;
	for (i = 0; i < span->n; i++) {
		if (write)
			r = kvmc_write_guest(vcpu->vm, span->gpa[i], data + done,
					     span->len[i]);
		else
			r = kvmc_read_guest(vcpu->vm, span->gpa[i], data + done,
					    span->len[i]);
		if (r)
			return r;
		done += span->len[i];
	}
	return 0;
}

static u32 kvmc_cpl_access(const struct kvmc_vcpu *vcpu)
{
	return kvmc_x86_cpl(vcpu) == 3 ? KVMC_PF_USER : 0;
}

/**
 * kvmc_x86_read() - read an instruction's memory operand
 * @vcpu: the vCPU
 * @insn: the instruction
 * @seg: the operand's segment
 * @off: its offset
 * @len: its size, 1 to 8 bytes
 * @val: the value (little endian, zero-extended)
 *
 * Return: 0; KVMC_X86_EXIT with KVM_EXIT_MMIO for an operand outside
 * guest RAM (the instruction runs again with the bytes userspace puts in
 * kvm_run.mmio.data); KVMC_X86_FAULT; -ENOENT for a split operand not all
 * in RAM, or a page table outside it; -EAGAIN, -EINTR, -EFAULT.
 */
int kvmc_x86_read(struct kvmc_vcpu *vcpu, struct kvmc_insn *insn, int seg,
		  u64 off, unsigned int len, u64 *val)
{
	struct kvmc_vcpu_arch *a = &vcpu->arch;
	struct kvmc_span span;
	u64 la;
	int r;

	r = kvmc_x86_linear(vcpu, insn, seg, off, &la);
	if (!r)
		r = kvmc_span(vcpu, &insn->fault, la, len, kvmc_cpl_access(vcpu),
			      &span);
	if (r)
		return r;

	*val = 0;
	/* Kept until the instruction is done: it may have to start again. */
	if (a->mmio_read_valid && a->mmio_read_gpa == span.gpa[0] &&
	    a->mmio_read_len == len && span.n == 1) {
		memcpy(val, a->mmio_read_data, len);
		return 0;
	}

	r = kvmc_span_copy(vcpu, &span, val, false);
	if (r != -ENOENT || span.n > 1)
		return r;

	a->mmio_read_gpa = span.gpa[0];
	a->mmio_read_len = len;
	return kvmc_x86_mmio_exit(vcpu, insn, span.gpa[0], false, len, 0);
}

/**
 * kvmc_x86_write() - write an instruction's memory operand, its last access
 * @vcpu: the vCPU
 * @insn: the instruction, done but not committed
 * @seg: the operand's segment
 * @off: its offset
 * @len: its size, 1 to 8 bytes
 * @val: the value
 *
 * Return: 0; KVMC_X86_EXIT with KVM_EXIT_MMIO for an operand outside
 * guest RAM or in a read-only memslot (the caller commits the instruction
 * before the exit); KVMC_X86_FAULT; -ENOENT, -EAGAIN, -EINTR, -EFAULT as
 * kvmc_x86_read().
 */
int kvmc_x86_write(struct kvmc_vcpu *vcpu, struct kvmc_insn *insn, int seg,
		   u64 off, unsigned int len, u64 val)
{
	struct kvmc_span span;
	u64 la;
	int r;

	r = kvmc_x86_linear(vcpu, insn, seg, off, &la);
	if (!r)
		r = kvmc_span(vcpu, &insn->fault, la, len,
			      kvmc_cpl_access(vcpu) | KVMC_PF_WRITE, &span);
	if (r)
		return r;

	r = kvmc_span_copy(vcpu, &span, &val, true);
	if (r != -ENOENT || span.n > 1)
		return r;
	return kvmc_x86_mmio_exit(vcpu, insn, span.gpa[0], true, len, val);
}

/**
 * kvmc_x86_read_system() - a read the CPU makes itself (IDT, GDT)
 * @vcpu: the vCPU
 * @fault: filled on KVMC_X86_FAULT
 * @la: the linear address
 * @data: where to put the bytes
 * @len: how many
 *
 * A supervisor access whatever the CPL.
 *
 * Return: 0; KVMC_X86_FAULT; -ENOENT when the bytes are not all in RAM;
 * -EAGAIN, -EINTR, -EFAULT.
 */
int kvmc_x86_read_system(struct kvmc_vcpu *vcpu, struct kvmc_fault *fault,
			 u64 la, void *data, unsigned int len)
{
	struct kvmc_span span;
	int r;

	r = kvmc_span(vcpu, fault, la, len, 0, &span);
	return r ? r : kvmc_span_copy(vcpu, &span, data, false);
}

/**
 * kvmc_x86_write_system() - an exception's stack frame
 * @vcpu: the vCPU
 * @fault: filled on KVMC_X86_FAULT
 * @la: the linear address
 * @data: the bytes
 * @len: how many
 *
 * An access at the CPL (an exception is delivered without a privilege
 * change here).
 *
 * Return: as kvmc_x86_read_system(); nothing is written unless all of it
 * can be.
 */
int kvmc_x86_write_system(struct kvmc_vcpu *vcpu, struct kvmc_fault *fault,
			  u64 la, const void *data, unsigned int len)
{
	struct kvmc_span span;
	int r;

	r = kvmc_span(vcpu, fault, la, len,
		      kvmc_cpl_access(vcpu) | KVMC_PF_WRITE, &span);
	if (r)
		return r;
	if (!kvmc_span_is_ram(vcpu, &span, true))
		return -ENOENT;
	return kvmc_span_copy(vcpu, &span, (void *)data, true);
}
