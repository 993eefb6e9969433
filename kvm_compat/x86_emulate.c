// SPDX-License-Identifier: GPL-2.0
/*
 * kvm_compat: what each instruction of the subset does, once decoded
 * (x86_decode.c).  Documentation/guest.rst lists them.
 *
 * Results go to the instruction's copy of the registers; a memory result
 * is left in insn->wr_* for kvmc_arch_vcpu_step() to write last.  Flags
 * are the architecture's: CF PF AF ZF SF OF as the CPU sets them for
 * add, adc, sub, sbb, cmp, inc, dec and neg; logic operations and test
 * clear CF, OF and AF (AF is undefined there; QEMU clears it, as here).
 * A 32-bit register result clears bits 63:32, in every mode, as the test
 * guest's CPU does; 8- and 16-bit ones keep the rest of the register.
 */

#include <linux/bits.h>
#include <linux/bitops.h>
#include <linux/kvm.h>
#include <asm/processor-flags.h>

#include <kvm_compat/kvmc.h>
#include <kvm_compat/x86_emulate.h>

#define KVMC_ARITH_FLAGS	(X86_EFLAGS_CF | X86_EFLAGS_PF | X86_EFLAGS_AF | \
				 X86_EFLAGS_ZF | X86_EFLAGS_SF | X86_EFLAGS_OF)

enum kvmc_alu_op {
	KVMC_ADD, KVMC_OR, KVMC_ADC, KVMC_SBB,
	KVMC_AND, KVMC_SUB, KVMC_XOR, KVMC_CMP,
};

/* struct kvm_regs in x86 register encoding order (AX CX DX BX SP BP SI DI). */
static const u8 kvmc_gpr_offset[16] = {
	offsetof(struct kvm_regs, rax) / 8, offsetof(struct kvm_regs, rcx) / 8,
	offsetof(struct kvm_regs, rdx) / 8, offsetof(struct kvm_regs, rbx) / 8,
	offsetof(struct kvm_regs, rsp) / 8, offsetof(struct kvm_regs, rbp) / 8,
	offsetof(struct kvm_regs, rsi) / 8, offsetof(struct kvm_regs, rdi) / 8,
	offsetof(struct kvm_regs, r8) / 8, offsetof(struct kvm_regs, r9) / 8,
	offsetof(struct kvm_regs, r10) / 8, offsetof(struct kvm_regs, r11) / 8,
	offsetof(struct kvm_regs, r12) / 8, offsetof(struct kvm_regs, r13) / 8,
	offsetof(struct kvm_regs, r14) / 8, offsetof(struct kvm_regs, r15) / 8,
};

static u64 *kvmc_gpr(struct kvm_regs *regs, unsigned int reg)
{
	return (u64 *)regs + kvmc_gpr_offset[reg & 15];
}

static u64 kvmc_gpr_val(const struct kvm_regs *regs, unsigned int reg)
{
	return ((const u64 *)regs)[kvmc_gpr_offset[reg & 15]];
}

static u64 kvmc_mask(unsigned int size)
{
	return size == 8 ? ~0ULL : BIT_ULL(8 * size) - 1;
}

/*
 * Byte registers: AL CL DL BL, then AH CH DH BH, or with a REX prefix SPL
 * BPL SIL DIL and R8B-R15B.
 */
static bool kvmc_high_byte(const struct kvmc_insn *insn, unsigned int reg)
{
	return !insn->rex && reg >= 4 && reg < 8;
}

/**
 * kvmc_x86_get_reg() - a general purpose register, as an operand
 * @insn: the instruction (its registers, its REX prefix)
 * @reg: the register number, 0 to 15
 * @size: 1, 2, 4 or 8 bytes
 *
 * Return: the value, zero-extended.
 */
u64 kvmc_x86_get_reg(const struct kvmc_insn *insn, unsigned int reg,
		     unsigned int size)
{
	if (size == 1 && kvmc_high_byte(insn, reg))
		return (kvmc_gpr_val(&insn->regs, reg - 4) >> 8) & 0xff;
	return kvmc_gpr_val(&insn->regs, reg) & kvmc_mask(size);
}

/**
 * kvmc_x86_set_reg() - write a general purpose register
 * @insn: the instruction
 * @reg: the register number, 0 to 15
 * @size: 1, 2, 4 or 8 bytes: 4 clears bits 63:32, 1 and 2 keep the rest
 * @val: the value
 */
void kvmc_x86_set_reg(struct kvmc_insn *insn, unsigned int reg,
		      unsigned int size, u64 val)
{
	unsigned int shift = 0;
	u64 *r, mask;

	if (size == 1 && kvmc_high_byte(insn, reg)) {
		reg -= 4;
		shift = 8;
	}
	r = kvmc_gpr(&insn->regs, reg);
	if (size >= 4) {
		*r = val & kvmc_mask(size);
		return;
	}
	mask = kvmc_mask(size) << shift;
	*r = (*r & ~mask) | ((val << shift) & mask);
}

static unsigned int kvmc_modrm_reg(const struct kvmc_insn *insn)
{
	return ((insn->modrm >> 3) & 7) | (insn->rex & 4 ? 8 : 0);
}

static unsigned int kvmc_modrm_rm(const struct kvmc_insn *insn)
{
	return (insn->modrm & 7) | (insn->rex & 1 ? 8 : 0);
}

/* The ModRM r/m operand, register or memory, of @size bytes. */
static int kvmc_rm_read(struct kvmc_vcpu *vcpu, struct kvmc_insn *insn,
			unsigned int size, u64 *val)
{
	if (!insn->mem) {
		*val = kvmc_x86_get_reg(insn, kvmc_modrm_rm(insn), size);
		return 0;
	}
	return kvmc_x86_read(vcpu, insn, insn->seg, insn->ea, size, val);
}

/* Write the r/m operand: a register now, memory as the last access. */
static void kvmc_rm_write(struct kvmc_insn *insn, unsigned int size, u64 val)
{
	if (!insn->mem) {
		kvmc_x86_set_reg(insn, kvmc_modrm_rm(insn), size, val);
		return;
	}
	insn->wr_len = size;
	insn->wr_seg = insn->seg;
	insn->wr_off = insn->ea;
	insn->wr_val = val & kvmc_mask(size);
}

static void kvmc_set_flags(struct kvmc_insn *insn, unsigned int size,
			   u64 res, bool cf, bool af, bool of, u64 keep)
{
	u64 f = insn->regs.rflags & ~(KVMC_ARITH_FLAGS & ~keep);

	res &= kvmc_mask(size);
	if (cf && !(keep & X86_EFLAGS_CF))
		f |= X86_EFLAGS_CF;
	if (!(hweight8(res & 0xff) & 1))
		f |= X86_EFLAGS_PF;
	if (af)
		f |= X86_EFLAGS_AF;
	if (!res)
		f |= X86_EFLAGS_ZF;
	if (res & BIT_ULL(8 * size - 1))
		f |= X86_EFLAGS_SF;
	if (of)
		f |= X86_EFLAGS_OF;
	insn->regs.rflags = f;
}

/* a + b + c, or a - b - c, with their flags; @keep: flags left alone. */
static u64 kvmc_addsub(struct kvmc_insn *insn, unsigned int size, u64 a, u64 b,
		       u64 c, bool sub, u64 keep)
{
	u64 m = kvmc_mask(size), sign = BIT_ULL(8 * size - 1), res;
	bool cf;

	a &= m;
	b &= m;
	if (sub) {
		res = a - b - c;
		cf = a < b || (c && a == b);
	} else {
		res = a + b + c;
		cf = (res & m) < a || (c && (res & m) == a);
	}
	res &= m;
	kvmc_set_flags(insn, size, res, cf, (a ^ b ^ res) & 0x10,
		       sub ? (a ^ b) & (a ^ res) & sign :
			     (a ^ res) & (b ^ res) & sign, keep);
	return res;
}

static u64 kvmc_alu(struct kvmc_insn *insn, unsigned int op, unsigned int size,
		    u64 a, u64 b)
{
	u64 carry = insn->regs.rflags & X86_EFLAGS_CF ? 1 : 0, res;

	switch (op) {
	case KVMC_ADD:
		return kvmc_addsub(insn, size, a, b, 0, false, 0);
	case KVMC_ADC:
		return kvmc_addsub(insn, size, a, b, carry, false, 0);
	case KVMC_SBB:
		return kvmc_addsub(insn, size, a, b, carry, true, 0);
	case KVMC_SUB:
	case KVMC_CMP:
		return kvmc_addsub(insn, size, a, b, 0, true, 0);
	case KVMC_OR:
		res = a | b;
		break;
	case KVMC_AND:
		res = a & b;
		break;
	default:	/* KVMC_XOR */
		res = a ^ b;
		break;
	}
	kvmc_set_flags(insn, size, res, false, false, false, 0);
	return res & kvmc_mask(size);
}

/* The ALU forms 0x00-0x3d and group 1 (0x80, 0x81, 0x83). */
static int kvmc_op_alu(struct kvmc_vcpu *vcpu, struct kvmc_insn *insn,
		       unsigned int op, unsigned int form)
{
	unsigned int size = insn->op_size, reg = kvmc_modrm_reg(insn);
	u64 dst, src, res;
	int r;

	switch (form) {
	case 0:		/* r/m, r */
		r = kvmc_rm_read(vcpu, insn, size, &dst);
		src = kvmc_x86_get_reg(insn, reg, size);
		break;
	case 1:		/* r, r/m */
		r = kvmc_rm_read(vcpu, insn, size, &src);
		dst = kvmc_x86_get_reg(insn, reg, size);
		break;
	case 2:		/* al/ax/eax/rax, imm */
		r = 0;
		dst = kvmc_x86_get_reg(insn, 0, size);
		src = insn->imm;
		break;
	default:	/* r/m, imm */
		r = kvmc_rm_read(vcpu, insn, size, &dst);
		src = insn->imm;
		break;
	}
	if (r)
		return r;

	res = kvmc_alu(insn, op, size, dst, src);
	if (op == KVMC_CMP)
		return 0;
	if (form == 1 || form == 2)
		kvmc_x86_set_reg(insn, form == 1 ? reg : 0, size, res);
	else
		kvmc_rm_write(insn, size, res);
	return 0;
}

/* F6/F7: test r/m, imm; not; neg (mul, div and the rest are outside). */
static int kvmc_op_grp3(struct kvmc_vcpu *vcpu, struct kvmc_insn *insn)
{
	unsigned int size = insn->op_size, op = (insn->modrm >> 3) & 7;
	u64 val;
	int r;

	if (op > 3 || op == 1)
		return KVMC_X86_UNSUPPORTED;
	r = kvmc_rm_read(vcpu, insn, size, &val);
	if (r)
		return r;
	switch (op) {
	case 0:		/* test */
		kvmc_alu(insn, KVMC_AND, size, val, insn->imm);
		return 0;
	case 2:		/* not: no flags */
		kvmc_rm_write(insn, size, ~val);
		return 0;
	default:	/* neg: 0 - val */
		kvmc_rm_write(insn, size,
			      kvmc_addsub(insn, size, 0, val, 0, true, 0));
		return 0;
	}
}

/* FE/FF /0 /1 and 40-4F: inc and dec leave CF alone. */
static int kvmc_op_incdec(struct kvmc_vcpu *vcpu, struct kvmc_insn *insn,
			  bool dec)
{
	unsigned int size = insn->op_size;
	u64 val;
	int r;

	if (!insn->has_modrm) {
		unsigned int reg = insn->opcode & 7;

		val = kvmc_x86_get_reg(insn, reg, size);
		kvmc_x86_set_reg(insn, reg, size,
				 kvmc_addsub(insn, size, val, 1, 0, dec,
					     X86_EFLAGS_CF));
		return 0;
	}
	r = kvmc_rm_read(vcpu, insn, size, &val);
	if (r)
		return r;
	kvmc_rm_write(insn, size,
		      kvmc_addsub(insn, size, val, 1, 0, dec, X86_EFLAGS_CF));
	return 0;
}

static u64 kvmc_sp_mask(const struct kvmc_insn *insn)
{
	return kvmc_mask(insn->stack_size);
}

/* rsp after moving it by @delta, in the stack's address size. */
static u64 kvmc_sp_add(const struct kvmc_insn *insn, s64 delta)
{
	u64 m = kvmc_sp_mask(insn), rsp = insn->regs.rsp;

	if (insn->stack_size == 4)
		return (u32)(rsp + delta);
	return (rsp & ~m) | ((rsp + delta) & m);
}

/* Push @val (@size bytes): the instruction's memory write. */
static void kvmc_push(struct kvmc_insn *insn, unsigned int size, u64 val)
{
	insn->regs.rsp = kvmc_sp_add(insn, -(s64)size);
	insn->wr_len = size;
	insn->wr_seg = KVMC_SREG_SS;
	insn->wr_off = insn->regs.rsp & kvmc_sp_mask(insn);
	insn->wr_val = val & kvmc_mask(size);
}

static int kvmc_pop(struct kvmc_vcpu *vcpu, struct kvmc_insn *insn,
		    unsigned int size, u64 *val)
{
	int r = kvmc_x86_read(vcpu, insn, KVMC_SREG_SS,
			      insn->regs.rsp & kvmc_sp_mask(insn), size, val);

	if (!r)
		insn->regs.rsp = kvmc_sp_add(insn, size);
	return r;
}

static bool kvmc_condition(u64 f, unsigned int cc)
{
	bool of = f & X86_EFLAGS_OF, sf = f & X86_EFLAGS_SF;
	bool zf = f & X86_EFLAGS_ZF, cf = f & X86_EFLAGS_CF;
	bool r;

	switch (cc >> 1) {
	case 0:
		r = of;
		break;
	case 1:
		r = cf;
		break;
	case 2:
		r = zf;
		break;
	case 3:
		r = cf || zf;
		break;
	case 4:
		r = sf;
		break;
	case 5:
		r = f & X86_EFLAGS_PF;
		break;
	case 6:
		r = sf != of;
		break;
	default:
		r = zf || sf != of;
		break;
	}
	return r ^ (cc & 1);
}

/*
 * A near jump or call: rip = next rip + the immediate, in the operand
 * size.  0x66 on a branch in 64-bit mode is outside the subset (AMD and
 * Intel disagree on it).
 */
static int kvmc_branch(struct kvmc_insn *insn, bool call)
{
	unsigned int size = insn->op_size;
	u64 next = insn->regs.rip;

	if (insn->code_size == 8 && size != 8)
		return KVMC_X86_UNSUPPORTED;
	if (call)
		kvmc_push(insn, size, next);
	insn->regs.rip = (next + insn->imm) & kvmc_mask(size);
	return 0;
}

/* mov, movzx, movsx, movsxd, lea: a register from an operand. */
static int kvmc_op_load(struct kvmc_vcpu *vcpu, struct kvmc_insn *insn,
			unsigned int src_size, bool sign)
{
	unsigned int size = insn->op_size;
	u64 val;
	int r;

	r = kvmc_rm_read(vcpu, insn, src_size, &val);
	if (r)
		return r;
	if (sign)
		val = sign_extend64(val, 8 * src_size - 1);
	kvmc_x86_set_reg(insn, kvmc_modrm_reg(insn), size, val);
	return 0;
}

/* A privileged instruction at too high a CPL: #GP(0), not executed. */
static int kvmc_gp0(struct kvmc_insn *insn)
{
	insn->fault = (struct kvmc_fault){
		.vector = KVMC_GP_VECTOR, .has_error = true,
	};
	return KVMC_X86_FAULT;
}

/* in/out: AL, AX or EAX with a port from the immediate or DX. */
static int kvmc_op_io(struct kvmc_vcpu *vcpu, struct kvmc_insn *insn)
{
	u8 op = insn->opcode;
	unsigned int size = op & 1 ? min_t(unsigned int, insn->op_size, 4) : 1;
	u16 port = op & 8 ? (u16)insn->regs.rdx : (u8)insn->imm;

	/* Above IOPL the TSS's I/O bitmap decides: outside the subset. */
	if ((vcpu->arch.cr0 & X86_CR0_PE) &&
	    kvmc_x86_cpl(vcpu) > ((insn->regs.rflags & X86_EFLAGS_IOPL) >> 12))
		return KVMC_X86_UNSUPPORTED;
	return kvmc_x86_pio(vcpu, insn, port, size, !(op & 2));
}

static int kvmc_execute_0f(struct kvmc_vcpu *vcpu, struct kvmc_insn *insn)
{
	u8 op = insn->opcode;

	switch (op) {
	case 0x1f:		/* nop r/m: nothing is read */
		return 0;
	case 0x30:
	case 0x32:
		return kvmc_x86_msr(vcpu, insn, op == 0x30);
	case 0x80 ... 0x8f:
		if (!kvmc_condition(insn->regs.rflags, op & 0xf))
			return 0;
		return kvmc_branch(insn, false);
	default:		/* movzx, movsx */
		return kvmc_op_load(vcpu, insn, op & 1 ? 2 : 1, op & 8);
	}
}

/**
 * kvmc_x86_execute() - run a decoded instruction
 * @vcpu: the vCPU
 * @insn: the instruction, its @regs a copy of the vCPU's with rip already
 *	  past it
 *
 * Return: 0 when done (insn->wr_len may hold the memory write to do, then
 * the commit); KVMC_X86_EXIT when kvm_run holds an exit (whatever is to be
 * committed is); KVMC_X86_FAULT; KVMC_X86_UNSUPPORTED; -ENOENT, -EAGAIN,
 * -EINTR, -EFAULT from memory.
 */
int kvmc_x86_execute(struct kvmc_vcpu *vcpu, struct kvmc_insn *insn)
{
	unsigned int size = insn->op_size, reg = insn->opcode & 7;
	u8 op = insn->opcode;
	u64 val;
	int r;

	if (insn->twobyte)
		return kvmc_execute_0f(vcpu, insn);

	switch (op) {
	case 0x00 ... 0x3f:
		return kvmc_op_alu(vcpu, insn, op >> 3,
				   (op & 7) < 4 ? (op & 2) >> 1 : 2);
	case 0x40 ... 0x4f:
		return kvmc_op_incdec(vcpu, insn, op & 8);
	case 0x50 ... 0x57:
		kvmc_push(insn, size,
			  kvmc_x86_get_reg(insn, reg | (insn->rex & 1) << 3, 8));
		return 0;
	case 0x58 ... 0x5f:
		r = kvmc_pop(vcpu, insn, size, &val);
		if (!r)
			kvmc_x86_set_reg(insn, reg | (insn->rex & 1) << 3, size,
					 val);
		return r;
	case 0x63:
		return kvmc_op_load(vcpu, insn, 4, size == 8);
	case 0x68:
	case 0x6a:
		kvmc_push(insn, size, insn->imm);
		return 0;
	case 0x70 ... 0x7f:
		if (!kvmc_condition(insn->regs.rflags, op & 0xf))
			return 0;
		fallthrough;
	case 0xeb:
	case 0xe9:
		return kvmc_branch(insn, false);
	case 0xe8:
		return kvmc_branch(insn, true);
	case 0x80 ... 0x83:
		return kvmc_op_alu(vcpu, insn, (insn->modrm >> 3) & 7, 3);
	case 0x84:
	case 0x85:
		r = kvmc_rm_read(vcpu, insn, size, &val);
		if (!r)
			kvmc_alu(insn, KVMC_AND, size, val,
				 kvmc_x86_get_reg(insn, kvmc_modrm_reg(insn),
						  size));
		return r;
	case 0x88:
	case 0x89:
		kvmc_rm_write(insn, size,
			      kvmc_x86_get_reg(insn, kvmc_modrm_reg(insn), size));
		return 0;
	case 0x8a:
	case 0x8b:
		return kvmc_op_load(vcpu, insn, size, false);
	case 0x8d:
		if (!insn->mem)
			return KVMC_X86_UNSUPPORTED;
		kvmc_x86_set_reg(insn, kvmc_modrm_reg(insn), size, insn->ea);
		return 0;
	case 0x90:
		/* With REX.B it is xchg r8, rax. */
		return insn->rex & 1 ? KVMC_X86_UNSUPPORTED : 0;
	case 0xa0:
	case 0xa1:
		r = kvmc_x86_read(vcpu, insn, insn->seg, insn->ea, size, &val);
		if (!r)
			kvmc_x86_set_reg(insn, 0, size, val);
		return r;
	case 0xa2:
	case 0xa3:
		insn->mem = true;
		kvmc_rm_write(insn, size, kvmc_x86_get_reg(insn, 0, size));
		return 0;
	case 0xa8:
	case 0xa9:
		kvmc_alu(insn, KVMC_AND, size, kvmc_x86_get_reg(insn, 0, size),
			 insn->imm);
		return 0;
	case 0xb0 ... 0xbf:
		kvmc_x86_set_reg(insn, reg | (insn->rex & 1) << 3, size,
				 insn->imm);
		return 0;
	case 0xc3:
		if (insn->code_size == 8 && size != 8)
			return KVMC_X86_UNSUPPORTED;
		r = kvmc_pop(vcpu, insn, size, &val);
		if (!r)
			insn->regs.rip = val;
		return r;
	case 0xc6:
	case 0xc7:
		if ((insn->modrm >> 3) & 7)
			return KVMC_X86_UNSUPPORTED;
		kvmc_rm_write(insn, size, insn->imm);
		return 0;
	case 0xe4 ... 0xe7:
	case 0xec ... 0xef:
		return kvmc_op_io(vcpu, insn);
	case 0xf4:
		if (kvmc_x86_cpl(vcpu))
			return kvmc_gp0(insn);
		kvmc_x86_commit(vcpu, insn);
		vcpu->run->exit_reason = KVM_EXIT_HLT;
		return KVMC_X86_EXIT;
	case 0xf6:
	case 0xf7:
		return kvmc_op_grp3(vcpu, insn);
	case 0xfa:
		if (kvmc_x86_cpl(vcpu) >
		    ((insn->regs.rflags & X86_EFLAGS_IOPL) >> 12))
			return kvmc_gp0(insn);
		insn->regs.rflags &= ~(u64)X86_EFLAGS_IF;
		return 0;
	default:		/* 0xfe, 0xff */
		if ((insn->modrm >> 3) & 6)
			return KVMC_X86_UNSUPPORTED;
		return kvmc_op_incdec(vcpu, insn, insn->modrm & 0x08);
	}
}
