/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The x86 guest interpreter's internals, shared by the files that make it
 * (Documentation/guest.rst describes what it runs):
 *
 *   x86_run.c        one step (kvmc_arch_vcpu_step()), the exits to
 *                    userspace and their completion by the next KVM_RUN
 *   x86_decode.c     an instruction's bytes: prefixes, opcode, ModRM, SIB,
 *                    displacement, immediate, and its effective address
 *   x86_emulate.c    what each instruction does
 *   x86_access.c     the guest's accesses to linear memory: segments,
 *                    canonical checks, paging, MMIO
 *   x86_paging.c     linear to guest physical: the page walks and their
 *                    page faults
 *   x86_exception.c  delivering an exception, the double fault, and the
 *                    triple fault (KVM_EXIT_SHUTDOWN)
 *
 * An instruction runs against a copy of the registers in its struct
 * kvmc_insn and changes nothing in the vCPU until it is done (committed):
 * a page that had to be waited for, an MMIO read that needs userspace or
 * an exception abandons it, and running it again is running it once.  It
 * writes guest memory at most once, as its last access.
 */
#ifndef _KVM_COMPAT_X86_EMULATE_H
#define _KVM_COMPAT_X86_EMULATE_H

#include <linux/kvm.h>
#include <linux/types.h>

struct kvmc_vcpu;

/* Exception vectors kvm_compat's instructions and their delivery raise. */
#define KVMC_DF_VECTOR		8
#define KVMC_NP_VECTOR		11
#define KVMC_SS_VECTOR		12
#define KVMC_GP_VECTOR		13
#define KVMC_PF_VECTOR		14

/* #PF error code bits (and the access a page walk checks). */
#define KVMC_PF_PRESENT		BIT(0)
#define KVMC_PF_WRITE		BIT(1)
#define KVMC_PF_USER		BIT(2)
#define KVMC_PF_RSVD		BIT(3)
#define KVMC_PF_FETCH		BIT(4)

/*
 * What the interpreter's functions return besides 0 (done) and a negative
 * errno: -ENOENT for code, a page table or an exception frame outside
 * guest RAM (KVM_EXIT_INTERNAL_ERROR), -EAGAIN when a page was waited for
 * (the instruction starts again), -EINTR, -EFAULT.
 */
#define KVMC_X86_EXIT		1	/* kvm_run holds an exit for userspace */
#define KVMC_X86_FAULT		2	/* the instruction raised insn->fault */
#define KVMC_X86_UNSUPPORTED	3	/* outside the subset: internal error */

/**
 * struct kvmc_fault - an exception an instruction raised
 * @vector:	the vector
 * @has_error:	it pushes an error code
 * @error_code:	the error code
 * @cr2:	for #PF, the linear address
 * @injected:	raised by what upstream KVM emulates itself (RDMSR, WRMSR)
 *		and injects: the RFLAGS image pushed for it has RF set, as
 *		inject_pending_event() sets it for a fault-class exception
 * @keep_cr2:	an event on its way (KVM_SET_VCPU_EVENTS, an MSR exit's
 *		#GP): CR2 is left as it is, as svm_inject_exception() does
 *		without a payload
 * @external:	an NMI or an interrupt: a fault while delivering it is
 *		delivered alone, never combined into a double fault (the
 *		SDM's table applies to a first exception only)
 */
struct kvmc_fault {
	u8 vector;
	bool has_error;
	u32 error_code;
	u64 cr2;
	bool injected;
	bool keep_cr2;
	bool external;
};

/**
 * struct kvmc_insn - one instruction, from its first byte to its commit
 * @bytes:	the bytes fetched so far
 * @len:	how many
 * @code_size:	default operand and address size of the code: 2, 4 or 8
 * @stack_size:	stack address size: 2, 4 or 8
 * @op_size:	operand size: 1, 2, 4 or 8 (1 for the byte forms)
 * @ad_size:	address size: 2, 4 or 8
 * @rex:	the REX prefix (64-bit mode), or 0
 * @seg:	the segment of a memory operand (override or default)
 * @seg_override: a segment override prefix was given
 * @opcode:	the opcode byte (the second one after 0x0f)
 * @twobyte:	@opcode follows 0x0f
 * @modrm:	the ModRM byte
 * @has_modrm:	there is one
 * @mem:	the ModRM operand is memory (mod != 3), at offset @ea
 * @rip_rel:	@ea is relative to the next instruction (64-bit mode)
 * @ea:		the memory operand's offset in @seg
 * @imm:	the immediate, sign-extended to 64 bits where the opcode
 *		sign-extends it
 * @regs:	the registers the instruction works on, committed at its end
 * @fault:	the exception it raised (KVMC_X86_FAULT)
 * @wr_len:	length of the memory write to do at its end, 0 for none
 * @wr_seg:	its segment
 * @wr_off:	its offset
 * @wr_val:	its value
 * @fetch_valid: @fetch_la and @fetch_gpa translate the code page last
 *		fetched from, for this instruction only
 * @fetch_la:	that page's linear address
 * @fetch_gpa:	its guest physical address
 */
struct kvmc_insn {
	u8 bytes[15];
	u8 len;
	u8 code_size;
	u8 stack_size;
	u8 op_size;
	u8 ad_size;
	u8 rex;
	u8 seg;
	bool seg_override;
	u8 opcode;
	bool twobyte;
	u8 modrm;
	bool has_modrm;
	bool mem;
	bool rip_rel;
	u64 ea;
	u64 imm;
	struct kvm_regs regs;
	struct kvmc_fault fault;
	u8 wr_len;
	u8 wr_seg;
	u64 wr_off;
	u64 wr_val;
	bool fetch_valid;
	u64 fetch_la;
	u64 fetch_gpa;
};

/* rip after the instruction, wrapped as the code size wraps it */
u64 kvmc_x86_next_rip(const struct kvmc_insn *insn);
/* Does @vcpu run 64-bit code? */
bool kvmc_x86_long_mode(const struct kvmc_vcpu *vcpu);
/* The CPL: SS.DPL (0 in guest revision 1) */
unsigned int kvmc_x86_cpl(const struct kvmc_vcpu *vcpu);

/* x86_decode.c */
int kvmc_x86_decode(struct kvmc_vcpu *vcpu, struct kvmc_insn *insn);
int kvmc_x86_fetch(struct kvmc_vcpu *vcpu, struct kvmc_insn *insn,
		   unsigned int n, u64 *val);

/* x86_emulate.c */
int kvmc_x86_execute(struct kvmc_vcpu *vcpu, struct kvmc_insn *insn);
u64 kvmc_x86_get_reg(const struct kvmc_insn *insn, unsigned int reg,
		     unsigned int size);
void kvmc_x86_set_reg(struct kvmc_insn *insn, unsigned int reg,
		      unsigned int size, u64 val);

/* x86_access.c */
int kvmc_x86_linear(struct kvmc_vcpu *vcpu, struct kvmc_insn *insn, int seg,
		    u64 off, u64 *la);
int kvmc_x86_read(struct kvmc_vcpu *vcpu, struct kvmc_insn *insn, int seg,
		  u64 off, unsigned int len, u64 *val);
int kvmc_x86_write(struct kvmc_vcpu *vcpu, struct kvmc_insn *insn, int seg,
		   u64 off, unsigned int len, u64 val);
int kvmc_x86_read_system(struct kvmc_vcpu *vcpu, struct kvmc_fault *fault,
			 u64 la, void *data, unsigned int len);
int kvmc_x86_write_system(struct kvmc_vcpu *vcpu, struct kvmc_fault *fault,
			  u64 la, const void *data, unsigned int len);

/* x86_paging.c */
int kvmc_x86_translate(struct kvmc_vcpu *vcpu, u64 la, u32 access, u64 *gpa,
		       struct kvmc_fault *fault);

/* x86_exception.c */
int kvmc_x86_deliver(struct kvmc_vcpu *vcpu, const struct kvmc_fault *fault);
int kvmc_x86_real_mode_exception(struct kvmc_vcpu *vcpu, u8 vector);

/* x86_run.c: exits to userspace, for the instructions that make them */
int kvmc_x86_internal_error(struct kvmc_vcpu *vcpu,
			    const struct kvmc_insn *insn);
int kvmc_x86_mmio_exit(struct kvmc_vcpu *vcpu, struct kvmc_insn *insn,
		       u64 gpa, bool write, unsigned int len, u64 val);
int kvmc_x86_pio(struct kvmc_vcpu *vcpu, struct kvmc_insn *insn, u16 port,
		 unsigned int size, bool in);
int kvmc_x86_msr(struct kvmc_vcpu *vcpu, struct kvmc_insn *insn, bool write);
void kvmc_x86_commit(struct kvmc_vcpu *vcpu, struct kvmc_insn *insn);

#endif /* _KVM_COMPAT_X86_EMULATE_H */
