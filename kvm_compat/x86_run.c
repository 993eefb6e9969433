// SPDX-License-Identifier: GPL-2.0
/*
 * kvm_compat: the x86 vCPU behind KVM_RUN: one instruction at a time, and
 * the exits to userspace.
 *
 * Guest code and data are read through the memslots' userspace_addr, in
 * the VM owner's address space: for a compat caller that is the address
 * the compat handler made with compat_ptr(), so a wrong translation shows
 * as wrong guest behaviour.  What the guest runs is described in
 * Documentation/guest.rst, and made by the files listed in
 * <kvm_compat/x86_emulate.h>; the first guest revision runs its 16-bit
 * real-mode subset only (KVMC_GUEST_REV_REAL_MODE: protected mode is an
 * internal error there).
 *
 * Exits follow x86 KVM without an in-kernel irqchip: KVM_EXIT_IO with rip
 * left on the IN/OUT until the next KVM_RUN completes it (port 0x7e
 * excepted, KVM_X86_QUIRK_OUT_7E_INC_RIP); KVM_EXIT_HLT with rip past the
 * HLT; KVM_EXIT_MMIO for a data access no memslot backs, or a write to a
 * read-only one; KVM_EXIT_X86_RDMSR/WRMSR for MSRs the filter denies
 * (KVM_CAP_X86_USER_SPACE_MSR); KVM_EXIT_SHUTDOWN after a triple fault;
 * KVM_EXIT_INTERNAL_ERROR (KVM_INTERNAL_ERROR_EMULATION) for anything
 * else, including code fetched from outside every memslot.
 */

#include <linux/kvm.h>
#include <linux/string.h>
#include <asm/msr-index.h>
#include <asm/processor-flags.h>

#include <kvm_compat/kvmc.h>
#include <kvm_compat/version_shims.h>
#include <kvm_compat/x86_emulate.h>

#define KVMC_OUT_7E_PORT	0x7e
#define KVMC_SEG_L		BIT(9)	/* struct kvmc_seg attrib */
#define KVMC_SEG_DB		BIT(10)

/**
 * kvmc_x86_long_mode() - does the vCPU run 64-bit code?
 * @vcpu: the vCPU
 *
 * Return: true with EFER.LMA and a 64-bit code segment.
 */
bool kvmc_x86_long_mode(const struct kvmc_vcpu *vcpu)
{
	return (vcpu->arch.efer & EFER_LMA) &&
	       (vcpu->arch.seg[KVMC_SREG_CS].attrib & KVMC_SEG_L);
}

/*
 * The current privilege level: SS.DPL as KVM_SET_SREGS gave it, as
 * svm_set_segment() stores it in VMCB.CPL and svm_get_cpl() reads it, in
 * real mode too (kvm-amd's /dev/kvm does not halt a real-mode guest whose
 * ss.dpl is 3: run_test's vcpu.real_mode_hlt_ss_dpl_3).  Checks that the
 * architecture makes in protected mode only (IOPL, RDMSR) also look at
 * CR0.PE.  Revision 1 had no privilege levels: 0.
 */
unsigned int kvmc_x86_cpl(const struct kvmc_vcpu *vcpu)
{
	if (kvmc_guest_rev(vcpu->vm) < KVMC_GUEST_REV_PROTECTED_MODE)
		return 0;
	return vcpu->arch.cpl;
}

/**
 * kvmc_x86_next_rip() - rip after the instruction, while it is decoded
 * @insn: the instruction, its registers still as the vCPU's
 *
 * Return: rip + the instruction's length, wrapped at 16 or 32 bits in
 * 16- and 32-bit code.
 */
u64 kvmc_x86_next_rip(const struct kvmc_insn *insn)
{
	u64 rip = insn->regs.rip + insn->len;

	if (insn->code_size == 2)
		return (u16)rip;
	return insn->code_size == 4 ? (u32)rip : rip;
}

/**
 * kvmc_x86_commit() - the instruction is done: its registers are the vCPU's
 * @vcpu: the vCPU
 * @insn: the instruction
 */
void kvmc_x86_commit(struct kvmc_vcpu *vcpu, struct kvmc_insn *insn)
{
	vcpu->arch.regs = insn->regs;
	kvmc_x86_insn_done(vcpu);
}

/*
 * The linear rip, as kvm_get_linear_rip(): rip in 64-bit mode, else
 * CS.base + rip in 32 bits (the first guest revision did not truncate).
 */
static u64 kvmc_linear_rip(struct kvmc_vcpu *vcpu)
{
	u64 la = vcpu->arch.seg[KVMC_SREG_CS].base + vcpu->arch.regs.rip;

	if (kvmc_guest_rev(vcpu->vm) < KVMC_GUEST_REV_PROTECTED_MODE)
		return la;
	return kvmc_x86_long_mode(vcpu) ? vcpu->arch.regs.rip : (u32)la;
}

/**
 * kvmc_x86_internal_error() - KVM_EXIT_INTERNAL_ERROR, emulation failure
 * @vcpu: the vCPU
 * @insn: the instruction, whose bytes fetched so far are reported, or NULL
 *
 * Return: 0 (an exit for userspace).
 */
int kvmc_x86_internal_error(struct kvmc_vcpu *vcpu, const struct kvmc_insn *insn)
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

/* Leave an exit for userspace that the next KVM_RUN finishes. */
static int kvmc_exit_pending(struct kvmc_vcpu *vcpu, struct kvmc_insn *insn,
			     enum kvmc_x86_exit exit)
{
	vcpu->arch.exit = exit;
	vcpu->arch.exit_rip = vcpu->arch.regs.rip;
	vcpu->arch.exit_linear_rip = kvmc_linear_rip(vcpu);
	vcpu->arch.exit_len = insn->len;
	vcpu->arch.exit_next_rip = insn->regs.rip;
	return KVMC_X86_EXIT;
}

/**
 * kvmc_x86_mmio_exit() - KVM_EXIT_MMIO
 * @vcpu: the vCPU
 * @insn: the instruction
 * @gpa: the guest physical address
 * @write: a write (the instruction is done), or a read (it runs again
 *	   once userspace has put the bytes in kvm_run.mmio.data)
 * @len: 1 to 8 bytes
 * @val: the value written
 *
 * Return: KVMC_X86_EXIT.
 */
int kvmc_x86_mmio_exit(struct kvmc_vcpu *vcpu, struct kvmc_insn *insn,
		       u64 gpa, bool write, unsigned int len, u64 val)
{
	struct kvm_run *run = vcpu->run;

	run->exit_reason = KVM_EXIT_MMIO;
	run->mmio.phys_addr = gpa;
	memset(run->mmio.data, 0, sizeof(run->mmio.data));
	memcpy(run->mmio.data, &val, len);
	run->mmio.len = len;
	run->mmio.is_write = write;
	if (!write)
		return kvmc_exit_pending(vcpu, insn, KVMC_X86_EXIT_MMIO_READ);
	return KVMC_X86_EXIT;
}

/**
 * kvmc_x86_pio() - IN or OUT: KVM_EXIT_IO
 * @vcpu: the vCPU
 * @insn: the instruction, rip past it in its registers
 * @port: the port
 * @size: 1, 2 or 4 bytes (AL, AX, EAX)
 * @in: IN rather than OUT
 *
 * Return: KVMC_X86_EXIT.
 */
int kvmc_x86_pio(struct kvmc_vcpu *vcpu, struct kvmc_insn *insn, u16 port,
		 unsigned int size, bool in)
{
	struct kvm_run *run = vcpu->run;
	u64 rax = insn->regs.rax;

	run->exit_reason = KVM_EXIT_IO;
	run->io.direction = in ? KVM_EXIT_IO_IN : KVM_EXIT_IO_OUT;
	run->io.size = size;
	run->io.port = port;
	run->io.count = 1;
	run->io.data_offset = KVMC_PIO_PAGE_OFFSET * PAGE_SIZE;
	vcpu->arch.exit_pio_size = size;

	if (in)
		return kvmc_exit_pending(vcpu, insn, KVMC_X86_EXIT_PIO_IN);

	memcpy(vcpu->pio_data, &rax, size);
	if (port == KVMC_OUT_7E_PORT &&
	    kvmc_x86_has_quirk(vcpu->vm, KVM_X86_QUIRK_OUT_7E_INC_RIP)) {
		kvmc_x86_commit(vcpu, insn);
		return KVMC_X86_EXIT;
	}
	return kvmc_exit_pending(vcpu, insn, KVMC_X86_EXIT_PIO_OUT);
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

/**
 * kvmc_x86_msr() - RDMSR/WRMSR
 * @vcpu: the vCPU
 * @insn: the instruction
 * @write: WRMSR
 *
 * kvm_compat emulates no MSR itself: a filtered one goes to userspace
 * with KVM_MSR_EXIT_REASON_FILTER, any other with
 * KVM_MSR_EXIT_REASON_UNKNOWN, each if KVM_CAP_X86_USER_SPACE_MSR asked
 * for it; otherwise, and above CPL 0, the guest gets #GP(0).
 *
 * Return: KVMC_X86_EXIT, or KVMC_X86_FAULT.
 */
int kvmc_x86_msr(struct kvmc_vcpu *vcpu, struct kvmc_insn *insn, bool write)
{
	struct kvm_regs *regs = &insn->regs;
	u32 index = regs->rcx;
	u64 data = (u64)(u32)regs->rdx << 32 | (u32)regs->rax;
	u32 type = write ? KVM_MSR_FILTER_WRITE : KVM_MSR_FILTER_READ;
	u64 reason = kvmc_x86_msr_allowed(vcpu->vm, index, type) ?
		     KVM_MSR_EXIT_REASON_UNKNOWN : KVM_MSR_EXIT_REASON_FILTER;
	bool cpl0 = !(vcpu->arch.cr0 & X86_CR0_PE) || !kvmc_x86_cpl(vcpu);

	if (cpl0 && (READ_ONCE(vcpu->vm->arch.user_space_msr_mask) & reason))
		return kvmc_msr_exit(vcpu, insn, write, index,
				     write ? data : 0, reason);

	insn->fault = (struct kvmc_fault){
		.vector = KVMC_GP_VECTOR, .has_error = true, .injected = true,
	};
	return KVMC_X86_FAULT;
}

/* The sizes of the code and the stack, from CS, SS and EFER. */
static void kvmc_insn_init(struct kvmc_vcpu *vcpu, struct kvmc_insn *insn)
{
	const struct kvmc_vcpu_arch *a = &vcpu->arch;

	memset(insn, 0, sizeof(*insn));
	insn->regs = a->regs;
	if (kvmc_guest_rev(vcpu->vm) < KVMC_GUEST_REV_PROTECTED_MODE) {
		insn->code_size = 2;
		insn->stack_size = 2;
	} else if (kvmc_x86_long_mode(vcpu)) {
		insn->code_size = 8;
		insn->stack_size = 8;
	} else {
		insn->code_size = a->seg[KVMC_SREG_CS].attrib & KVMC_SEG_DB ? 4 : 2;
		insn->stack_size = a->seg[KVMC_SREG_SS].attrib & KVMC_SEG_DB ? 4 : 2;
	}
}

/*
 * Decode, execute, write, commit: one instruction.  Return as
 * kvmc_arch_vcpu_step().
 */
static int kvmc_run_insn(struct kvmc_vcpu *vcpu, struct kvmc_insn *insn)
{
	int r;

	r = kvmc_x86_decode(vcpu, insn);
	if (!r) {
		insn->regs.rip = kvmc_x86_next_rip(insn);
		r = kvmc_x86_execute(vcpu, insn);
	}
	if (!r && insn->wr_len) {
		r = kvmc_x86_write(vcpu, insn, insn->wr_seg, insn->wr_off,
				   insn->wr_len, insn->wr_val);
		/* An MMIO write: the instruction is done, then it exits. */
		if (r == KVMC_X86_EXIT)
			kvmc_x86_commit(vcpu, insn);
	}

	switch (r) {
	case 0:
		kvmc_x86_commit(vcpu, insn);
		return 1;
	case KVMC_X86_EXIT:
		return 0;
	case KVMC_X86_FAULT:
		r = kvmc_x86_deliver(vcpu, &insn->fault);
		/* An interrupt shadow ends at the event boundary. */
		if (r == 1)
			vcpu->arch.events.shadow = false;
		return r;
	case KVMC_X86_UNSUPPORTED:
	case -ENOENT:	/* code, a page table or an operand outside RAM */
		return kvmc_x86_internal_error(vcpu, insn);
	default:
		return r;
	}
}

/*
 * One step: with @events, first an exception, NMI or interrupt on its way
 * (x86_events.c), else the instruction at rip.  Return as
 * kvmc_arch_vcpu_step().
 */
static int kvmc_step(struct kvmc_vcpu *vcpu, bool events)
{
	struct kvmc_vcpu_arch *a = &vcpu->arch;
	struct kvmc_insn insn;
	int r = KVMC_X86_NO_EVENT;

	lockdep_assert_held(&vcpu->mutex);
	RCU_LOCKDEP_WARN(!srcu_read_lock_held(&vcpu->vm->srcu),
			 "kvm_compat: a vCPU step outside the VM's srcu");

	a->has_run = true;
	if ((a->cr0 & X86_CR0_PE) &&
	    (kvmc_guest_rev(vcpu->vm) < KVMC_GUEST_REV_PROTECTED_MODE ||
	     (a->regs.rflags & X86_EFLAGS_VM)))
		return kvmc_x86_internal_error(vcpu, NULL);

	/* An event that could not be pushed yet stays on its way. */
	if (events)
		r = kvmc_x86_inject_events(vcpu);
	if (r == KVMC_X86_NO_EVENT) {
		kvmc_insn_init(vcpu, &insn);
		r = kvmc_run_insn(vcpu, &insn);
	}

	/* A guest page was waited for: the instruction starts again. */
	if (r == -EAGAIN)
		return 1;
	if (r != -EINTR)
		a->mmio_read_valid = false;
	return r;
}

int kvmc_arch_vcpu_step(struct kvmc_vcpu *vcpu)
{
	return kvmc_step(vcpu, true);
}

/*
 * Run the instruction an exit interrupted, within KVM_RUN's entry, before
 * any event is delivered (complete_userspace_io comes before
 * kvm_check_and_inject_events()).  Return: 0 when it is done, 1 when it
 * made an exit for userspace, a negative errno (-EINTR: a signal ended
 * the wait for a page; the byte stays for the run loop's next try).
 */
static int kvmc_finish_instruction(struct kvmc_vcpu *vcpu)
{
	int idx, r;

	idx = srcu_read_lock(&vcpu->vm->srcu);
	r = kvmc_step(vcpu, false);
	srcu_read_unlock(&vcpu->vm->srcu, idx);
	if (r < 0)
		return r;
	return !r;
}

/*
 * Finish the exit userspace has served, as KVM's complete_userspace_io
 * callbacks do.  An MSR access is completed wherever userspace left rip,
 * as complete_fast_rdmsr() and complete_fast_msr_access() do, and rip
 * then goes to the instruction after the RDMSR/WRMSR, as kvm-amd's
 * __svm_skip_emulated_instruction() takes it from the VMCB's next_rip.
 * Port I/O and an MMIO read are abandoned if userspace moved the linear
 * rip, CS.base + rip (complete_fast_pio_in() and complete_fast_pio_out()
 * check kvm_is_linear_rip()).
 */
static int kvmc_complete_exit(struct kvmc_vcpu *vcpu)
{
	struct kvmc_vcpu_arch *a = &vcpu->arch;
	struct kvm_run *run = vcpu->run;
	enum kvmc_x86_exit exit = a->exit;
	u64 in = 0, mask;

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
		a->regs.rip = a->exit_next_rip;
		kvmc_x86_insn_done(vcpu);
		return 0;
	default:
		break;
	}

	/* Userspace moved the linear rip: the instruction is abandoned. */
	if (kvmc_linear_rip(vcpu) != a->exit_linear_rip)
		return 0;

	switch (exit) {
	case KVMC_X86_EXIT_PIO_IN:
		/* complete_fast_pio_in(): AL and AX merge, EAX zero-extends. */
		memcpy(&in, vcpu->pio_data, a->exit_pio_size);
		mask = a->exit_pio_size == 4 ? ~0ULL :
		       BIT_ULL(8 * a->exit_pio_size) - 1;
		a->regs.rax = (a->regs.rax & ~mask) | in;
		fallthrough;
	case KVMC_X86_EXIT_PIO_OUT:
		a->regs.rip = a->exit_next_rip;
		kvmc_x86_insn_done(vcpu);
		return 0;
	case KVMC_X86_EXIT_MMIO_READ:
		/*
		 * Finished now, before immediate_exit or a pending signal
		 * can end KVM_RUN, as complete_emulated_mmio() finishes it
		 * (api.rst: "The kernel side will first finish incomplete
		 * operations"): the instruction runs again and finds the
		 * bytes.  Its write to MMIO, if it has one, is the next exit.
		 */
		memcpy(a->mmio_read_data, run->mmio.data,
		       sizeof(a->mmio_read_data));
		a->mmio_read_valid = true;
		return kvmc_finish_instruction(vcpu);
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
