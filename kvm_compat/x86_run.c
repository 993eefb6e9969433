// SPDX-License-Identifier: GPL-2.0
/*
 * kvm_compat: the x86 vCPU behind KVM_RUN, a tiny real-mode interpreter.
 *
 * Guest code and data are read through the memslots' userspace_addr, in
 * the VM owner's address space: for a compat caller that is the address
 * the compat handler made with compat_ptr(), so a wrong translation shows
 * as wrong guest behaviour.
 *
 * The subset (16-bit real mode, CR0.PE clear, no prefixes):
 *
 *   B0+r ib   mov r8, imm8        B8+r iw   mov r16, imm16
 *   00 /r     add r/m8, r8        04 ib     add al, imm8
 *   A0 iw     mov al, [moffs16]   A2 iw     mov [moffs16], al
 *   E4 ib     in al, imm8         E6 ib     out imm8, al
 *   EC        in al, dx           EE        out dx, al
 *   F4        hlt                 0F 30     wrmsr
 *   0F 32     rdmsr
 *
 * Exits follow x86 KVM without an in-kernel irqchip: KVM_EXIT_IO with rip
 * left on the IN/OUT until the next KVM_RUN completes it (port 0x7e
 * excepted, KVM_X86_QUIRK_OUT_7E_INC_RIP); KVM_EXIT_HLT with rip past the
 * HLT; KVM_EXIT_MMIO for a data access no memslot backs, or a write to a
 * read-only one; KVM_EXIT_X86_RDMSR/WRMSR for MSRs the filter denies
 * (KVM_CAP_X86_USER_SPACE_MSR); #GP delivered through the real-mode IVT;
 * KVM_EXIT_INTERNAL_ERROR (KVM_INTERNAL_ERROR_EMULATION) for anything
 * else, including code fetched from outside every memslot.
 */

#include <linux/kvm.h>
#include <linux/string.h>
#include <asm/processor-flags.h>

#include <kvm_compat/kvmc.h>
#include <kvm_compat/version_shims.h>

#define KVMC_GP_VECTOR		13
#define KVMC_ADD_FLAGS		(X86_EFLAGS_CF | X86_EFLAGS_PF | X86_EFLAGS_AF | \
				 X86_EFLAGS_ZF | X86_EFLAGS_SF | X86_EFLAGS_OF)
#define KVMC_OUT_7E_PORT	0x7e

/* One instruction being decoded: its bytes as fetched so far. */
struct kvmc_insn {
	u8 bytes[15];
	u8 len;
};

/* General purpose registers in x86 encoding order (AX CX DX BX SP BP SI DI). */
static u64 *kvmc_gpr(struct kvm_regs *regs, unsigned int enc)
{
	u64 *gpr[8] = {
		&regs->rax, &regs->rcx, &regs->rdx, &regs->rbx,
		&regs->rsp, &regs->rbp, &regs->rsi, &regs->rdi,
	};

	return gpr[enc & 7];
}

/* 8-bit registers: AL CL DL BL are bits 7:0, AH CH DH BH bits 15:8. */
static u8 kvmc_get_reg8(struct kvm_regs *regs, unsigned int enc)
{
	return *kvmc_gpr(regs, enc & 3) >> (enc & 4 ? 8 : 0);
}

static void kvmc_set_reg8(struct kvm_regs *regs, unsigned int enc, u8 val)
{
	unsigned int shift = enc & 4 ? 8 : 0;
	u64 *r = kvmc_gpr(regs, enc & 3);

	*r = (*r & ~(0xffULL << shift)) | (u64)val << shift;
}

static void kvmc_set_reg16(struct kvm_regs *regs, unsigned int enc, u16 val)
{
	u64 *r = kvmc_gpr(regs, enc);

	*r = (*r & ~0xffffULL) | val;
}

static u64 kvmc_linear(struct kvmc_vcpu *vcpu, int seg, u16 offset)
{
	return vcpu->arch.seg[seg].base + offset;
}

static int kvmc_internal_error(struct kvmc_vcpu *vcpu, struct kvmc_insn *insn)
{
	struct kvm_run *run = vcpu->run;
	struct kvmc_emulation_failure *ef = kvmc_emulation_failure(run);

	run->exit_reason = KVM_EXIT_INTERNAL_ERROR;
	memset(ef, 0, sizeof(*ef));
	ef->suberror = KVM_INTERNAL_ERROR_EMULATION;
	if (insn && insn->len) {
		/* flags, then insn_size and insn_bytes: three __u64 of data */
		ef->ndata = 3;
		ef->flags = KVMC_EMULATION_FLAG_INSTRUCTION_BYTES;
		ef->insn_size = insn->len;
		memcpy(ef->insn_bytes, insn->bytes, insn->len);
	} else {
		ef->ndata = 1;
	}
	return 0;
}

/*
 * Fetch the instruction's next @n bytes into *@val (little endian).
 * Return: 0, -ENOENT when no memslot backs them, -EFAULT.
 */
static int kvmc_fetch(struct kvmc_vcpu *vcpu, struct kvmc_insn *insn,
		      unsigned int n, u32 *val)
{
	u16 ip = vcpu->arch.regs.rip + insn->len;
	unsigned int i;
	int r;

	if (insn->len + n > sizeof(insn->bytes))
		return -ENOENT;

	*val = 0;
	for (i = 0; i < n; i++) {
		u8 *b = &insn->bytes[insn->len];

		r = kvmc_read_guest(vcpu->vm,
				    kvmc_linear(vcpu, KVMC_SREG_CS, ip + i), b, 1);
		if (r)
			return r;
		*val |= (u32)*b << (8 * i);
		insn->len++;
	}
	return 0;
}

static void kvmc_complete(struct kvmc_vcpu *vcpu, struct kvmc_insn *insn)
{
	vcpu->arch.regs.rip = (u16)(vcpu->arch.regs.rip + insn->len);
	kvmc_x86_insn_done(vcpu);
}

/* Leave an exit for userspace that the next KVM_RUN finishes. */
static int kvmc_exit_pending(struct kvmc_vcpu *vcpu, struct kvmc_insn *insn,
			     enum kvmc_x86_exit exit)
{
	vcpu->arch.exit = exit;
	vcpu->arch.exit_rip = vcpu->arch.regs.rip;
	vcpu->arch.exit_len = insn->len;
	return 0;
}

static int kvmc_mmio_exit(struct kvmc_vcpu *vcpu, u64 gpa, bool write, u8 val)
{
	struct kvm_run *run = vcpu->run;

	run->exit_reason = KVM_EXIT_MMIO;
	run->mmio.phys_addr = gpa;
	memset(run->mmio.data, 0, sizeof(run->mmio.data));
	run->mmio.data[0] = val;
	run->mmio.len = 1;
	run->mmio.is_write = write;
	return 0;
}

/*
 * Read a data byte.  Return: 1 with *@val, 0 with an MMIO exit (the
 * instruction runs again once userspace has supplied the byte), -EFAULT.
 */
static int kvmc_read8(struct kvmc_vcpu *vcpu, struct kvmc_insn *insn,
		      u64 gpa, u8 *val)
{
	struct kvmc_vcpu_arch *a = &vcpu->arch;
	int r;

	/* Kept until the instruction is done: it may have to start again. */
	if (a->mmio_read_valid && a->mmio_read_gpa == gpa) {
		*val = a->mmio_read_data;
		return 1;
	}

	r = kvmc_read_guest(vcpu->vm, gpa, val, 1);
	if (r != -ENOENT)
		return r ? r : 1;

	a->mmio_read_gpa = gpa;
	kvmc_exit_pending(vcpu, insn, KVMC_X86_EXIT_MMIO_READ);
	return kvmc_mmio_exit(vcpu, gpa, false, 0);
}

/* Write a data byte, the last thing an instruction does: rip moves on. */
static int kvmc_write8(struct kvmc_vcpu *vcpu, struct kvmc_insn *insn,
		       u64 gpa, u8 val)
{
	int r;

	r = kvmc_write_guest(vcpu->vm, gpa, &val, 1);
	if (r && r != -ENOENT)
		return r;

	kvmc_complete(vcpu, insn);
	return r ? kvmc_mmio_exit(vcpu, gpa, true, val) : 1;
}

static void kvmc_add8(struct kvmc_vcpu *vcpu, u8 a, u8 b, u8 *res)
{
	unsigned int sum = a + b;
	u8 r = sum;
	u64 f = vcpu->arch.regs.rflags & ~(u64)KVMC_ADD_FLAGS;

	if (sum > 0xff)
		f |= X86_EFLAGS_CF;
	if (!(hweight8(r) & 1))
		f |= X86_EFLAGS_PF;
	if ((a ^ b ^ r) & 0x10)
		f |= X86_EFLAGS_AF;
	if (!r)
		f |= X86_EFLAGS_ZF;
	if (r & 0x80)
		f |= X86_EFLAGS_SF;
	if ((a ^ r) & (b ^ r) & 0x80)
		f |= X86_EFLAGS_OF;

	vcpu->arch.regs.rflags = f;
	*res = r;
}

/* The 16-bit ModRM memory operand: its linear address. */
static int kvmc_modrm_addr(struct kvmc_vcpu *vcpu, struct kvmc_insn *insn,
			   u8 modrm, u64 *addr)
{
	struct kvm_regs *regs = &vcpu->arch.regs;
	unsigned int mod = modrm >> 6, rm = modrm & 7;
	int seg = KVMC_SREG_DS;
	u16 off = 0;
	u32 disp = 0;
	int r;

	/* base registers: [bx+si] [bx+di] [bp+si] [bp+di] [si] [di] [bp] [bx] */
	if (rm < 4)
		off = (rm & 2 ? regs->rbp : regs->rbx) +
		      (rm & 1 ? regs->rdi : regs->rsi);
	else if (rm == 4)
		off = regs->rsi;
	else if (rm == 5)
		off = regs->rdi;
	else if (rm == 6 && mod)
		off = regs->rbp;
	else if (rm == 7)
		off = regs->rbx;
	if (rm == 2 || rm == 3 || (rm == 6 && mod))
		seg = KVMC_SREG_SS;

	if (mod == 1) {
		r = kvmc_fetch(vcpu, insn, 1, &disp);
		disp = (s8)disp;
	} else if (mod == 2 || (mod == 0 && rm == 6)) {
		r = kvmc_fetch(vcpu, insn, 2, &disp);
	} else {
		r = 0;
	}
	if (r)
		return r;

	*addr = kvmc_linear(vcpu, seg, off + disp);
	return 0;
}

static int kvmc_op_add_rm8_r8(struct kvmc_vcpu *vcpu, struct kvmc_insn *insn)
{
	struct kvm_regs *regs = &vcpu->arch.regs;
	u32 modrm;
	u64 gpa;
	u8 dst, res;
	int r;

	r = kvmc_fetch(vcpu, insn, 1, &modrm);
	if (r)
		return r;

	if (modrm >> 6 == 3) {
		kvmc_add8(vcpu, kvmc_get_reg8(regs, modrm & 7),
			  kvmc_get_reg8(regs, modrm >> 3), &res);
		kvmc_set_reg8(regs, modrm & 7, res);
		kvmc_complete(vcpu, insn);
		return 1;
	}

	r = kvmc_modrm_addr(vcpu, insn, modrm, &gpa);
	if (r)
		return r;
	r = kvmc_read8(vcpu, insn, gpa, &dst);
	if (r <= 0)
		return r;
	kvmc_add8(vcpu, dst, kvmc_get_reg8(regs, modrm >> 3), &res);
	return kvmc_write8(vcpu, insn, gpa, res);
}

static int kvmc_op_pio(struct kvmc_vcpu *vcpu, struct kvmc_insn *insn,
		       u16 port, bool in)
{
	struct kvm_run *run = vcpu->run;

	run->exit_reason = KVM_EXIT_IO;
	run->io.direction = in ? KVM_EXIT_IO_IN : KVM_EXIT_IO_OUT;
	run->io.size = 1;
	run->io.port = port;
	run->io.count = 1;
	run->io.data_offset = KVMC_PIO_PAGE_OFFSET * PAGE_SIZE;

	if (in)
		return kvmc_exit_pending(vcpu, insn, KVMC_X86_EXIT_PIO_IN);

	*(u8 *)vcpu->pio_data = vcpu->arch.regs.rax;
	if (port == KVMC_OUT_7E_PORT &&
	    kvmc_x86_has_quirk(vcpu->vm, KVM_X86_QUIRK_OUT_7E_INC_RIP)) {
		kvmc_complete(vcpu, insn);
		return 0;
	}
	return kvmc_exit_pending(vcpu, insn, KVMC_X86_EXIT_PIO_OUT);
}

/*
 * Deliver an exception or interrupt through the real-mode IVT, as the CPU
 * would.  Return: 1, 0 with an internal error exit (the IVT or the stack
 * not in RAM), a negative errno.
 */
int kvmc_real_mode_exception(struct kvmc_vcpu *vcpu, u8 vector)
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
		r = kvmc_write_guest(vcpu->vm, kvmc_linear(vcpu, KVMC_SREG_SS, sp),
				     &frame[i], 2);
	}
	if (r == -ENOENT)
		return kvmc_internal_error(vcpu, NULL);
	if (r)
		return r;

	a->regs.rsp = (a->regs.rsp & ~0xffffULL) | sp;
	a->regs.rflags &= ~(u64)(X86_EFLAGS_IF | X86_EFLAGS_TF | X86_EFLAGS_AC);
	a->regs.rip = ivt[0];
	a->seg[KVMC_SREG_CS].selector = ivt[1];
	a->seg[KVMC_SREG_CS].base = (u64)ivt[1] << 4;
	return 1;
}

static int kvmc_msr_exit(struct kvmc_vcpu *vcpu, struct kvmc_insn *insn,
			 bool write, u32 index, u64 data, u64 reason)
{
	struct kvm_run *run = vcpu->run;

	run->exit_reason = write ? KVM_EXIT_X86_WRMSR : KVM_EXIT_X86_RDMSR;
	run->msr.error = 0;
	memset(run->msr.pad, 0, sizeof(run->msr.pad));
	run->msr.reason = reason;
	run->msr.index = index;
	run->msr.data = data;
	return kvmc_exit_pending(vcpu, insn, write ? KVMC_X86_EXIT_WRMSR :
						    KVMC_X86_EXIT_RDMSR);
}

/*
 * RDMSR/WRMSR.  kvm_compat emulates no MSR itself: a filtered one goes to
 * userspace with KVM_MSR_EXIT_REASON_FILTER, any other with
 * KVM_MSR_EXIT_REASON_UNKNOWN, each if KVM_CAP_X86_USER_SPACE_MSR asked
 * for it; otherwise the guest gets #GP.
 */
static int kvmc_op_msr(struct kvmc_vcpu *vcpu, struct kvmc_insn *insn,
		       bool write)
{
	struct kvm_regs *regs = &vcpu->arch.regs;
	u32 index = regs->rcx;
	u64 data = (u64)(u32)regs->rdx << 32 | (u32)regs->rax;
	u32 type = write ? KVM_MSR_FILTER_WRITE : KVM_MSR_FILTER_READ;
	u64 reason = kvmc_x86_msr_allowed(vcpu->vm, index, type) ?
		     KVM_MSR_EXIT_REASON_UNKNOWN : KVM_MSR_EXIT_REASON_FILTER;

	if (READ_ONCE(vcpu->vm->arch.user_space_msr_mask) & reason)
		return kvmc_msr_exit(vcpu, insn, write, index,
				     write ? data : 0, reason);

	return kvmc_real_mode_exception(vcpu, KVMC_GP_VECTOR);
}

static int kvmc_op_0f(struct kvmc_vcpu *vcpu, struct kvmc_insn *insn)
{
	u32 op;
	int r;

	r = kvmc_fetch(vcpu, insn, 1, &op);
	if (r)
		return r;

	switch (op) {
	case 0x30:
		return kvmc_op_msr(vcpu, insn, true);
	case 0x32:
		return kvmc_op_msr(vcpu, insn, false);
	default:
		return kvmc_internal_error(vcpu, insn);
	}
}

static int kvmc_execute(struct kvmc_vcpu *vcpu, struct kvmc_insn *insn)
{
	struct kvm_regs *regs = &vcpu->arch.regs;
	u32 op, imm;
	u8 val;
	int r;

	r = kvmc_fetch(vcpu, insn, 1, &op);
	if (r)
		return r;

	switch (op) {
	case 0xb0 ... 0xb7:
		r = kvmc_fetch(vcpu, insn, 1, &imm);
		if (r)
			return r;
		kvmc_set_reg8(regs, op & 7, imm);
		break;
	case 0xb8 ... 0xbf:
		r = kvmc_fetch(vcpu, insn, 2, &imm);
		if (r)
			return r;
		kvmc_set_reg16(regs, op & 7, imm);
		break;
	case 0x00:
		return kvmc_op_add_rm8_r8(vcpu, insn);
	case 0x04:
		r = kvmc_fetch(vcpu, insn, 1, &imm);
		if (r)
			return r;
		kvmc_add8(vcpu, regs->rax, imm, &val);
		kvmc_set_reg8(regs, 0, val);
		break;
	case 0xa0:
		r = kvmc_fetch(vcpu, insn, 2, &imm);
		if (r)
			return r;
		r = kvmc_read8(vcpu, insn, kvmc_linear(vcpu, KVMC_SREG_DS, imm),
			       &val);
		if (r <= 0)
			return r;
		kvmc_set_reg8(regs, 0, val);
		break;
	case 0xa2:
		r = kvmc_fetch(vcpu, insn, 2, &imm);
		if (r)
			return r;
		return kvmc_write8(vcpu, insn, kvmc_linear(vcpu, KVMC_SREG_DS, imm),
				   regs->rax);
	case 0xe4:
	case 0xe6:
		r = kvmc_fetch(vcpu, insn, 1, &imm);
		if (r)
			return r;
		return kvmc_op_pio(vcpu, insn, imm, op == 0xe4);
	case 0xec:
	case 0xee:
		return kvmc_op_pio(vcpu, insn, regs->rdx, op == 0xec);
	case 0xf4:
		kvmc_complete(vcpu, insn);
		vcpu->run->exit_reason = KVM_EXIT_HLT;
		return 0;
	case 0x0f:
		return kvmc_op_0f(vcpu, insn);
	default:
		return kvmc_internal_error(vcpu, insn);
	}

	kvmc_complete(vcpu, insn);
	return 1;
}

/* Run the instruction at rip: as kvmc_arch_vcpu_step() returns. */
static int kvmc_run_insn(struct kvmc_vcpu *vcpu)
{
	struct kvmc_insn insn = { .len = 0 };
	int r;

	r = kvmc_execute(vcpu, &insn);
	if (r == -ENOENT)	/* code or operand bytes outside guest RAM */
		r = kvmc_internal_error(vcpu, &insn);

	/* A guest page was waited for: the instruction starts again. */
	if (r == -EAGAIN)
		return 1;
	if (r != -EINTR)
		vcpu->arch.mmio_read_valid = false;
	return r;
}

int kvmc_arch_vcpu_step(struct kvmc_vcpu *vcpu)
{
	int r;

	lockdep_assert_held(&vcpu->mutex);
	RCU_LOCKDEP_WARN(!srcu_read_lock_held(&vcpu->vm->srcu),
			 "kvm_compat: a vCPU step outside the VM's srcu");

	if (vcpu->arch.cr0 & X86_CR0_PE)
		return kvmc_internal_error(vcpu, NULL);

	/* An exception, NMI or interrupt first (x86_events.c). */
	r = kvmc_x86_inject_events(vcpu);
	if (r == KVMC_X86_NO_EVENT)
		return kvmc_run_insn(vcpu);

	/* Still on its way if it could not be pushed yet. */
	if (r == -EAGAIN)
		return 1;
	if (r != -EINTR)
		vcpu->arch.mmio_read_valid = false;
	return r;
}

/*
 * Finish the exit userspace has served, as KVM's complete_userspace_io
 * callbacks do.  An MSR access is completed wherever userspace left rip,
 * as complete_fast_rdmsr() and complete_fast_msr_access() do, and rip
 * then goes to the instruction after the RDMSR/WRMSR, as kvm-amd's
 * __svm_skip_emulated_instruction() takes it from the VMCB's next_rip.
 * Port I/O is abandoned if userspace moved rip (complete_fast_pio_in()
 * and complete_fast_pio_out() check kvm_is_linear_rip()).
 */
static int kvmc_complete_exit(struct kvmc_vcpu *vcpu)
{
	struct kvmc_vcpu_arch *a = &vcpu->arch;
	struct kvm_run *run = vcpu->run;
	struct kvmc_insn insn = { .len = a->exit_len };
	enum kvmc_x86_exit exit = a->exit;

	a->exit = KVMC_X86_EXIT_NONE;

	switch (exit) {
	case KVMC_X86_EXIT_RDMSR:
		if (!run->msr.error) {
			a->regs.rax = (u32)run->msr.data;
			a->regs.rdx = run->msr.data >> 32;
		}
		fallthrough;
	case KVMC_X86_EXIT_WRMSR:
		/* Queued, as kvm_inject_gp(): delivered before the next step. */
		if (run->msr.error) {
			kvmc_x86_queue_exception(vcpu, KVMC_GP_VECTOR, true, 0);
			return 0;
		}
		a->regs.rip = (u16)(a->exit_rip + a->exit_len);
		kvmc_x86_insn_done(vcpu);
		return 0;
	default:
		break;
	}

	/* Userspace moved rip: the instruction is abandoned. */
	if (a->regs.rip != a->exit_rip)
		return 0;

	switch (exit) {
	case KVMC_X86_EXIT_PIO_IN:
		kvmc_set_reg8(&a->regs, 0, *(u8 *)vcpu->pio_data);
		fallthrough;
	case KVMC_X86_EXIT_PIO_OUT:
		kvmc_complete(vcpu, &insn);
		return 0;
	case KVMC_X86_EXIT_MMIO_READ:
		/* The instruction runs again and finds the byte. */
		a->mmio_read_data = run->mmio.data[0];
		a->mmio_read_valid = true;
		return 0;
	default:
		return 0;
	}
}

int kvmc_arch_vcpu_enter(struct kvmc_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	u64 cr8 = READ_ONCE(run->cr8);

	lockdep_assert_held(&vcpu->mutex);

	/* kvm_compat has no KVM_CAP_SYNC_REGS: no register set is valid. */
	if (READ_ONCE(run->kvm_valid_regs) || READ_ONCE(run->kvm_dirty_regs))
		return -EINVAL;

	/* As kvm_set_cr8() on the TPR userspace left in kvm_run. */
	if (cr8 & ~0xfULL)
		return -EINVAL;
	vcpu->arch.cr8 = cr8;

	return kvmc_complete_exit(vcpu);
}

void kvmc_arch_vcpu_leave(struct kvmc_vcpu *vcpu)
{
	struct kvmc_vcpu_arch *a = &vcpu->arch;
	struct kvm_run *run = vcpu->run;
	bool if_flag = a->regs.rflags & X86_EFLAGS_IF;

	lockdep_assert_held(&vcpu->mutex);

	run->if_flag = if_flag;
	run->cr8 = a->cr8;
	run->apic_base = a->apic_base;
	run->ready_for_interrupt_injection = kvmc_x86_ready_for_interrupt(vcpu);
}
