// SPDX-License-Identifier: GPL-2.0
/*
 * kvm_compat: decoding one instruction.
 *
 * Bytes are fetched one at a time at CS:rip (through paging, as an
 * instruction fetch), in the order the CPU reads them: legacy prefixes
 * (0x66 operand size, 0x67 address size, the six segment overrides), a
 * REX prefix in 64-bit mode, the opcode (one byte, or two after 0x0f),
 * ModRM, SIB, displacement, immediate.  The opcode is looked up before
 * anything after it is fetched: an instruction outside the subset
 * (Documentation/guest.rst) ends in KVM_EXIT_INTERNAL_ERROR with the bytes
 * read up to its opcode, and code outside guest RAM with those read so far.
 *
 * The first guest revision (KVMC_GUEST_REV_REAL_MODE) knows no prefix and
 * only its thirteen opcodes; everything else needs
 * KVMC_GUEST_REV_PROTECTED_MODE.
 */

#include <linux/kvm.h>
#include <asm/msr-index.h>
#include <asm/processor-flags.h>

#include <kvm_compat/kvmc.h>
#include <kvm_compat/x86_emulate.h>

/* What an opcode takes after it. */
#define OP_MODRM	BIT(0)	/* a ModRM byte */
#define OP_BYTE		BIT(1)	/* operates on bytes */
#define OP_IMM8		BIT(2)	/* an 8-bit immediate, sign-extended */
#define OP_IMMZ		BIT(3)	/* a 16- or 32-bit one, sign-extended */
#define OP_IMMV		BIT(4)	/* 16, 32 or 64 bits: the operand size */
#define OP_MOFFS	BIT(5)	/* an offset of the address size */
#define OP_D64		BIT(6)	/* 64-bit operands by default in 64-bit mode */
#define OP_REV1		BIT(7)	/* in the first guest revision's subset */
#define OP_GRP3		BIT(8)	/* F6/F7: an immediate only for TEST */
#define OP_SUPPORTED	BIT(15)

/* The one-byte opcodes kvm_compat runs, and what follows each. */
static u32 kvmc_opcode_flags(u8 op, bool lm)
{
	/* add or adc sbb and sub xor cmp: six forms each */
	if (op < 0x40 && (op & 7) < 6) {
		static const u32 form[6] = {
			OP_MODRM | OP_BYTE, OP_MODRM, OP_MODRM | OP_BYTE,
			OP_MODRM, OP_BYTE | OP_IMM8, OP_IMMZ,
		};

		return form[op & 7] | (op == 0x00 || op == 0x04 ? OP_REV1 : 0);
	}

	switch (op) {
	case 0x40 ... 0x4f:	/* inc, dec r16/32: REX in 64-bit mode */
		return lm ? 0 : OP_SUPPORTED;
	case 0x50 ... 0x5f:	/* push, pop r */
		return OP_D64;
	case 0x63:		/* movsxd r, r/m32: arpl outside 64-bit mode */
		return lm ? OP_MODRM : 0;
	case 0x68:		/* push imm */
		return OP_IMMZ | OP_D64;
	case 0x6a:		/* push imm8 */
		return OP_IMM8 | OP_D64;
	case 0x70 ... 0x7f:	/* jcc rel8 */
	case 0xeb:		/* jmp rel8 */
		return OP_IMM8 | OP_D64;
	case 0x80:		/* grp1 r/m8, imm8 */
		return OP_MODRM | OP_BYTE | OP_IMM8;
	case 0x81:		/* grp1 r/m, imm */
		return OP_MODRM | OP_IMMZ;
	case 0x83:		/* grp1 r/m, imm8 */
		return OP_MODRM | OP_IMM8;
	case 0x84:		/* test r/m8, r8 */
	case 0x88:		/* mov r/m8, r8 */
	case 0x8a:		/* mov r8, r/m8 */
	case 0xfe:		/* inc, dec r/m8 */
		return OP_MODRM | OP_BYTE;
	case 0x85:		/* test r/m, r */
	case 0x89:		/* mov r/m, r */
	case 0x8b:		/* mov r, r/m */
	case 0x8d:		/* lea */
	case 0xff:		/* inc, dec r/m */
		return OP_MODRM;
	case 0x90:		/* nop */
	case 0xfa:		/* cli */
		return OP_SUPPORTED;
	case 0xa0:		/* mov al, moffs */
	case 0xa2:		/* mov moffs, al */
		return OP_MOFFS | OP_BYTE | OP_REV1;
	case 0xa1:		/* mov eax, moffs */
	case 0xa3:		/* mov moffs, eax */
		return OP_MOFFS;
	case 0xa8:		/* test al, imm8 */
		return OP_BYTE | OP_IMM8;
	case 0xa9:		/* test eax, imm */
		return OP_IMMZ;
	case 0xb0 ... 0xb7:	/* mov r8, imm8 */
		return OP_BYTE | OP_IMM8 | OP_REV1;
	case 0xb8 ... 0xbf:	/* mov r, imm */
		return OP_IMMV | OP_REV1;
	case 0xc3:		/* ret */
		return OP_D64;
	case 0xc6:		/* mov r/m8, imm8 */
		return OP_MODRM | OP_BYTE | OP_IMM8;
	case 0xc7:		/* mov r/m, imm */
		return OP_MODRM | OP_IMMZ;
	case 0xe4:		/* in al, imm8 */
	case 0xe6:		/* out imm8, al */
		return OP_BYTE | OP_IMM8 | OP_REV1;
	case 0xe5:		/* in eax, imm8 */
	case 0xe7:		/* out imm8, eax */
		return OP_IMM8;
	case 0xe8:		/* call rel */
	case 0xe9:		/* jmp rel */
		return OP_IMMZ | OP_D64;
	case 0xec:		/* in al, dx */
	case 0xee:		/* out dx, al */
		return OP_BYTE | OP_REV1;
	case 0xed:		/* in eax, dx */
	case 0xef:		/* out dx, eax */
		return OP_SUPPORTED;
	case 0xf4:		/* hlt */
		return OP_REV1;
	case 0xf6:		/* test, not, neg r/m8 */
		return OP_MODRM | OP_BYTE | OP_GRP3;
	case 0xf7:		/* test, not, neg r/m */
		return OP_MODRM | OP_GRP3;
	default:
		return 0;
	}
}

/* The two-byte opcodes (0x0f xx). */
static u32 kvmc_opcode_flags_0f(u8 op)
{
	switch (op) {
	case 0x1f:		/* nop r/m */
	case 0xb6:		/* movzx r, r/m8 */
	case 0xb7:		/* movzx r, r/m16 */
	case 0xbe:		/* movsx r, r/m8 */
	case 0xbf:		/* movsx r, r/m16 */
		return OP_MODRM;
	case 0x30:		/* wrmsr */
	case 0x32:		/* rdmsr */
		return OP_REV1;
	case 0x80 ... 0x8f:	/* jcc rel */
		return OP_IMMZ | OP_D64;
	default:
		return 0;
	}
}

/**
 * kvmc_x86_fetch() - fetch the instruction's next bytes
 * @vcpu: the vCPU
 * @insn: the instruction so far
 * @n: how many bytes, 1 to 8
 * @val: their value, little endian
 *
 * Return: 0; KVMC_X86_FAULT (#PF, or #GP for a non-canonical rip);
 * -ENOENT when a byte is outside guest RAM (or the instruction would be
 * longer than 15 bytes); -EAGAIN, -EINTR, -EFAULT.
 */
int kvmc_x86_fetch(struct kvmc_vcpu *vcpu, struct kvmc_insn *insn,
		   unsigned int n, u64 *val)
{
	u32 access = KVMC_PF_FETCH |
		     (kvmc_x86_cpl(vcpu) == 3 ? KVMC_PF_USER : 0);
	u64 ip, la, gpa;
	unsigned int i;
	int r;

	if (insn->len + n > sizeof(insn->bytes))
		return -ENOENT;

	*val = 0;
	for (i = 0; i < n; i++) {
		u8 *b = &insn->bytes[insn->len];

		ip = vcpu->arch.regs.rip + insn->len;
		if (insn->code_size == 2)
			ip = (u16)ip;
		else if (insn->code_size == 4)
			ip = (u32)ip;
		r = kvmc_x86_linear(vcpu, insn, KVMC_SREG_CS, ip, &la);
		if (r)
			return r;
		if (!insn->fetch_valid || (la & PAGE_MASK) != insn->fetch_la) {
			r = kvmc_x86_translate(vcpu, la, access, &gpa,
					       &insn->fault);
			if (r)
				return r;
			insn->fetch_valid = true;
			insn->fetch_la = la & PAGE_MASK;
			insn->fetch_gpa = gpa & PAGE_MASK;
		}
		r = kvmc_read_guest(vcpu->vm,
				    insn->fetch_gpa + (la & ~PAGE_MASK), b, 1);
		if (r)
			return r;
		*val |= (u64)*b << (8 * i);
		insn->len++;
	}
	return 0;
}

static int kvmc_fetch_s(struct kvmc_vcpu *vcpu, struct kvmc_insn *insn,
			unsigned int n, u64 *val)
{
	int r = kvmc_x86_fetch(vcpu, insn, n, val);

	if (!r && n < 8)
		*val = sign_extend64(*val, 8 * n - 1);
	return r;
}

/* The 16-bit ModRM memory operand: [bx+si] ... [bx], SS for [bp...]. */
static int kvmc_modrm16(struct kvmc_vcpu *vcpu, struct kvmc_insn *insn,
			unsigned int mod, unsigned int rm)
{
	const struct kvm_regs *regs = &insn->regs;
	u64 disp = 0;
	u16 off = 0;
	int r = 0;

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
	if ((rm == 2 || rm == 3 || (rm == 6 && mod)) && !insn->seg_override)
		insn->seg = KVMC_SREG_SS;

	if (mod == 1)
		r = kvmc_fetch_s(vcpu, insn, 1, &disp);
	else if (mod == 2 || (mod == 0 && rm == 6))
		r = kvmc_x86_fetch(vcpu, insn, 2, &disp);
	insn->ea = (u16)(off + disp);
	return r;
}

/* The 32- and 64-bit ModRM memory operand, with SIB and rip-relative. */
static int kvmc_modrm32(struct kvmc_vcpu *vcpu, struct kvmc_insn *insn,
			unsigned int mod, unsigned int rm)
{
	unsigned int base = rm, index = 4, scale = 0;
	bool has_base = true, has_index = false;
	u64 disp = 0, sib, ea = 0;
	int r = 0;

	if ((rm & 7) == 4) {
		r = kvmc_x86_fetch(vcpu, insn, 1, &sib);
		if (r)
			return r;
		scale = sib >> 6;
		index = ((sib >> 3) & 7) | (insn->rex & 2 ? 8 : 0);
		base = (sib & 7) | (insn->rex & 1 ? 8 : 0);
		has_index = index != 4;
		if ((base & 7) == 5 && mod == 0)
			has_base = false;
	} else if ((rm & 7) == 5 && mod == 0) {
		has_base = false;
		insn->rip_rel = insn->code_size == 8;
	}

	if (mod == 1)
		r = kvmc_fetch_s(vcpu, insn, 1, &disp);
	else if (mod == 2 || !has_base)
		r = kvmc_fetch_s(vcpu, insn, 4, &disp);
	if (r)
		return r;

	if (has_base) {
		ea = kvmc_x86_get_reg(insn, base, 8);
		if ((base == 4 || base == 5) && !insn->seg_override)
			insn->seg = KVMC_SREG_SS;
	}
	if (has_index)
		ea += kvmc_x86_get_reg(insn, index, 8) << scale;
	insn->ea = ea + disp;
	return 0;
}

static u64 kvmc_size_mask(unsigned int size)
{
	return size == 8 ? ~0ULL : BIT_ULL(8 * size) - 1;
}

static int kvmc_decode_modrm(struct kvmc_vcpu *vcpu, struct kvmc_insn *insn)
{
	unsigned int mod, rm;
	u64 modrm;
	int r;

	r = kvmc_x86_fetch(vcpu, insn, 1, &modrm);
	if (r)
		return r;
	insn->modrm = modrm;
	insn->has_modrm = true;
	mod = modrm >> 6;
	rm = modrm & 7;
	if (mod == 3)
		return 0;

	insn->mem = true;
	if (insn->ad_size == 2)
		r = kvmc_modrm16(vcpu, insn, mod, rm);
	else
		r = kvmc_modrm32(vcpu, insn, mod,
				 rm | (insn->rex & 1 ? 8 : 0));
	return r;
}

/*
 * Prefixes, then the opcode.  A REX prefix counts only right before the
 * opcode: a legacy prefix after it cancels it.
 */
static int kvmc_decode_prefixes(struct kvmc_vcpu *vcpu, struct kvmc_insn *insn,
				bool rev1, bool *opsize)
{
	bool lm = insn->code_size == 8;
	u64 b;
	int r;

	for (;;) {
		r = kvmc_x86_fetch(vcpu, insn, 1, &b);
		if (r)
			return r;
		insn->opcode = b;
		if (rev1)
			return 0;
		if (lm && (b & 0xf0) == 0x40) {
			insn->rex = b;
			continue;
		}

		switch (b) {
		case 0x66:
			*opsize = true;
			break;
		case 0x67:
			/* Repeated, it is still one prefix. */
			insn->ad_size = lm ? 4 : 6 - insn->code_size;
			break;
		case 0x26:
		case 0x2e:
		case 0x36:
		case 0x3e:
			/* ES CS SS DS: no effect in 64-bit mode */
			if (!lm) {
				insn->seg = b == 0x26 ? KVMC_SREG_ES :
					    b == 0x2e ? KVMC_SREG_CS :
					    b == 0x36 ? KVMC_SREG_SS :
					    KVMC_SREG_DS;
				insn->seg_override = true;
			}
			break;
		case 0x64:
		case 0x65:
			insn->seg = b == 0x64 ? KVMC_SREG_FS : KVMC_SREG_GS;
			insn->seg_override = true;
			break;
		default:
			return 0;
		}
		insn->rex = 0;
	}
}

/**
 * kvmc_x86_decode() - fetch and decode the instruction at CS:rip
 * @vcpu: the vCPU
 * @insn: zeroed but for @code_size and @stack_size, and @regs a copy of
 *	  the vCPU's
 *
 * Return: 0; KVMC_X86_UNSUPPORTED for an instruction outside the subset
 * (of the VM's guest revision); KVMC_X86_FAULT; -ENOENT, -EAGAIN, -EINTR,
 * -EFAULT as kvmc_x86_fetch().
 */
int kvmc_x86_decode(struct kvmc_vcpu *vcpu, struct kvmc_insn *insn)
{
	bool rev1 = kvmc_guest_rev(vcpu->vm) < KVMC_GUEST_REV_PROTECTED_MODE;
	bool lm = insn->code_size == 8, opsize = false;
	unsigned int imm_size = 0;
	u64 b, imm = 0;
	u32 flags;
	int r;

	insn->seg = KVMC_SREG_DS;
	insn->ad_size = insn->code_size;
	r = kvmc_decode_prefixes(vcpu, insn, rev1, &opsize);
	if (r)
		return r;

	if (insn->opcode == 0x0f) {
		r = kvmc_x86_fetch(vcpu, insn, 1, &b);
		if (r)
			return r;
		insn->opcode = b;
		insn->twobyte = true;
		flags = kvmc_opcode_flags_0f(b);
	} else {
		flags = kvmc_opcode_flags(insn->opcode, lm);
	}
	if (!flags || (rev1 && !(flags & OP_REV1)))
		return KVMC_X86_UNSUPPORTED;

	/* Operand size: 16 or 32 (0x66 swaps them), 64 with REX.W. */
	insn->op_size = lm ? 4 : insn->code_size;
	if (opsize)
		insn->op_size = insn->op_size == 2 ? 4 : 2;
	if ((insn->rex & 8) || (lm && (flags & OP_D64) && !opsize))
		insn->op_size = 8;
	if (flags & OP_BYTE)
		insn->op_size = 1;

	if (flags & OP_MODRM) {
		r = kvmc_decode_modrm(vcpu, insn);
		if (r)
			return r;
	}

	if (flags & OP_IMM8)
		imm_size = 1;
	else if ((flags & OP_IMMZ) ||
		 ((flags & OP_GRP3) && ((insn->modrm >> 3) & 7) < 2))
		imm_size = insn->op_size == 2 ? 2 : 4;
	else if (flags & OP_IMMV)
		imm_size = insn->op_size;
	else if (flags & OP_MOFFS)
		imm_size = insn->ad_size;
	if ((flags & OP_GRP3) && (flags & OP_BYTE) && imm_size)
		imm_size = 1;
	if (imm_size) {
		r = kvmc_fetch_s(vcpu, insn, imm_size, &imm);
		if (r)
			return r;
		insn->imm = imm;
	}

	if (flags & OP_MOFFS)
		insn->ea = imm;
	if (insn->rip_rel)
		insn->ea += kvmc_x86_next_rip(insn);
	insn->ea &= kvmc_size_mask(insn->ad_size);
	return 0;
}
