// SPDX-License-Identifier: GPL-2.0
/*
 * KVM_GET/SET_VCPU_EVENTS and KVM_GET/SET_MP_STATE: the vCPU state a VMM
 * saves and restores beside the registers, and what the guest sees of it
 * on the next KVM_RUN.  Compared with upstream x86 KVM without an
 * in-kernel irqchip (arch/x86/kvm/x86.c kvm_vcpu_ioctl_x86_get_vcpu_events(),
 * kvm_vcpu_ioctl_x86_set_vcpu_events(), kvm_check_and_inject_events(),
 * process_nmi(), kvm_arch_vcpu_ioctl_get_mpstate(),
 * kvm_arch_vcpu_ioctl_set_mpstate(); svm/svm.c for the interrupt shadow
 * and NMI masking).
 *
 * The guest runs in real mode: an event is delivered through the IVT,
 * FLAGS, CS and IP pushed on SS:SP, IF cleared.  Handlers are one OUT
 * (to name themselves) and a HLT.
 *
 *   events_test_{64,32,x32} [DEVICE] [kselftest_harness options]
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "kvm_compat_util.h"

#define NPAGES		4
#define STACK_TOP	0x3800
#define DATA_GPA	0x3000
#define GP_VECTOR	13
#define NMI_VECTOR	2
#define IRQ_VECTOR	0x20
#define GP_HANDLER	0x2000		/* out 0x0d, al; hlt */
#define NMI_HANDLER	0x2100		/* out 0x02, al; hlt */
#define IRQ_HANDLER	0x2200		/* out 0x20, al; hlt */
#define UD_HANDLER	0x2300		/* out 0x06, al; hlt */
#define RFLAGS_IF	0x202ULL
#define MSR_GOO		0x474f4f00U

#define FLAGS_REPORTED	(KVM_VCPUEVENT_VALID_NMI_PENDING | \
			 KVM_VCPUEVENT_VALID_SHADOW | KVM_VCPUEVENT_VALID_SMM)
#ifndef KVM_VCPUEVENT_VALID_TRIPLE_FAULT
#define KVM_VCPUEVENT_VALID_TRIPLE_FAULT	0x00000020
#endif

FIXTURE(events)
{
	struct kvmc_guest g;
};

static void set_ivt(struct kvmc_guest *g, int vector, uint16_t ip,
		    uint8_t port)
{
	static const uint8_t handler[] = { 0xe6, 0x00, 0xf4 };

	g->mem[vector * 4] = ip & 0xff;
	g->mem[vector * 4 + 1] = ip >> 8;
	g->mem[vector * 4 + 2] = 0;
	g->mem[vector * 4 + 3] = 0;
	memcpy(g->mem + ip, handler, sizeof(handler));
	g->mem[ip + 1] = port;
}

FIXTURE_SETUP(events)
{
	/* The main code: mov al, 0x42; out 0x10, al; hlt. */
	static const uint8_t code[] = { 0xb0, 0x42, 0xe6, 0x10, 0xf4 };
	struct kvm_regs r;

	KVMC_GUEST_SETUP(&self->g, NPAGES);
	set_ivt(&self->g, GP_VECTOR, GP_HANDLER, GP_VECTOR);
	set_ivt(&self->g, NMI_VECTOR, NMI_HANDLER, NMI_VECTOR);
	set_ivt(&self->g, IRQ_VECTOR, IRQ_HANDLER, IRQ_VECTOR);
	set_ivt(&self->g, 6, UD_HANDLER, 6);
	ASSERT_EQ(0, kvmc_guest_load(&self->g, KVMC_CODE_GPA, code, sizeof(code)));
	ASSERT_EQ(0, ioctl(self->g.vcpu, KVM_GET_REGS, &r));
	r.rsp = STACK_TOP;
	ASSERT_EQ(0, ioctl(self->g.vcpu, KVM_SET_REGS, &r));
}

FIXTURE_TEARDOWN(events)
{
	kvmc_guest_destroy(&self->g);
}

#define GET_EVENTS(e) ASSERT_EQ(0, ioctl(self->g.vcpu, KVM_GET_VCPU_EVENTS, (e)))
#define SET_EVENTS(e) ASSERT_EQ(0, ioctl(self->g.vcpu, KVM_SET_VCPU_EVENTS, (e)))
#define GET_REGS(r) ASSERT_EQ(0, ioctl(self->g.vcpu, KVM_GET_REGS, (r)))
#define SET_REGS(r) ASSERT_EQ(0, ioctl(self->g.vcpu, KVM_SET_REGS, (r)))

static int set_events(int vcpu, struct kvm_vcpu_events *e)
{
	return kvmc_ioctl(vcpu, KVM_SET_VCPU_EVENTS, (unsigned long)e);
}

/* The handler at @handler ran: its OUT to @port exited with rip on it. */
static void expect_handler(struct __test_metadata *_metadata,
			   struct kvmc_guest *g, uint16_t handler, uint8_t port)
{
	struct kvm_regs r;

	KVMC_RUN_EXPECT(g, KVM_EXIT_IO);
	EXPECT_EQ(port, g->run->io.port);
	ASSERT_EQ(0, ioctl(g->vcpu, KVM_GET_REGS, &r));
	EXPECT_EQ(handler, r.rip);
}

/* The real-mode frame on the stack: IP, CS, FLAGS. */
static void expect_frame(struct __test_metadata *_metadata,
			 struct kvmc_guest *g, uint16_t ip, uint16_t flags)
{
	uint16_t frame[3];
	struct kvm_regs r;

	ASSERT_EQ(0, ioctl(g->vcpu, KVM_GET_REGS, &r));
	EXPECT_EQ(STACK_TOP - sizeof(frame), r.rsp);
	memcpy(frame, g->mem + STACK_TOP - sizeof(frame), sizeof(frame));
	EXPECT_EQ(ip, frame[0]);
	EXPECT_EQ(0, frame[1]);
	EXPECT_EQ(flags, frame[2]);
	EXPECT_EQ(0, r.rflags & 0x200) TH_LOG("IF still set");
}

/* A new vCPU: nothing on its way, every byte but the flags zero. */
TEST_F(events, reset_state)
{
	struct kvm_vcpu_events e, want;
	struct kvm_mp_state mp = { .mp_state = 0xdead };

	memset(&e, 0xaa, sizeof(e));
	GET_EVENTS(&e);
	memset(&want, 0, sizeof(want));
	want.flags = FLAGS_REPORTED;
	EXPECT_EQ(0, memcmp(&want, &e, sizeof(e)))
		TH_LOG("flags %#x exception %u/%u nmi %u/%u/%u", e.flags,
		       e.exception.injected, e.exception.nr, e.nmi.injected,
		       e.nmi.pending, e.nmi.masked);
	ASSERT_EQ(0, ioctl(self->g.vcpu, KVM_GET_MP_STATE, &mp));
	EXPECT_EQ(KVM_MP_STATE_RUNNABLE, mp.mp_state);
}

TEST_F(events, caps)
{
	EXPECT_EQ(1, kvmc_check_ext(self->g.sys, KVM_CAP_VCPU_EVENTS));
	EXPECT_EQ(1, kvmc_check_ext(self->g.sys, KVM_CAP_MP_STATE));
	EXPECT_EQ(1, kvmc_check_ext(self->g.vm, KVM_CAP_VCPU_EVENTS));
	EXPECT_EQ(1, kvmc_check_ext(self->g.vm, KVM_CAP_MP_STATE));
}

/*
 * Unknown flags, and KVM_VCPUEVENT_VALID_PAYLOAD without
 * KVM_CAP_EXCEPTION_PAYLOAD: EINVAL before anything is applied.
 */
TEST_F(events, flags_einval)
{
	static const uint32_t bad[] = {
		0x40, 0x80000000, KVM_VCPUEVENT_VALID_PAYLOAD,
		KVM_VCPUEVENT_VALID_PAYLOAD | KVM_VCPUEVENT_VALID_NMI_PENDING,
	};
	struct kvm_vcpu_events e;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		GET_EVENTS(&e);
		e.flags = bad[i];
		e.nmi.masked = 1;
		EXPECT_EQ(-EINVAL, set_events(self->g.vcpu, &e))
			TH_LOG("flags %#x", bad[i]);
		GET_EVENTS(&e);
		EXPECT_EQ(0, e.nmi.masked) TH_LOG("flags %#x applied", bad[i]);
	}
}

/*
 * An exception with a vector above 31, or NMI's 2, is refused when it is
 * to be delivered, and taken as it is when not.
 */
TEST_F(events, exception_vector_einval)
{
	static const uint8_t bad[] = { 32, NMI_VECTOR, 255 };
	struct kvm_vcpu_events e;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		memset(&e, 0, sizeof(e));
		e.exception.injected = 1;
		e.exception.nr = bad[i];
		e.nmi.masked = 1;
		EXPECT_EQ(-EINVAL, set_events(self->g.vcpu, &e))
			TH_LOG("vector %u", bad[i]);
		GET_EVENTS(&e);
		EXPECT_EQ(0, e.nmi.masked);
		EXPECT_EQ(0, e.exception.nr);
	}
	memset(&e, 0, sizeof(e));
	e.exception.nr = 200;
	SET_EVENTS(&e);
	GET_EVENTS(&e);
	EXPECT_EQ(200, e.exception.nr);
	EXPECT_EQ(0, e.exception.injected);
}

/*
 * KVM_VCPUEVENT_VALID_TRIPLE_FAULT without KVM_CAP_X86_TRIPLE_FAULT_EVENT:
 * EINVAL, but only after everything else in the structure was applied
 * (the check is the last one of kvm_vcpu_ioctl_x86_set_vcpu_events()).
 */
TEST_F(events, triple_fault_einval_after_apply)
{
	struct kvm_vcpu_events e;

	GET_EVENTS(&e);
	e.flags = KVM_VCPUEVENT_VALID_TRIPLE_FAULT;
	e.nmi.masked = 1;
	e.interrupt.nr = 0x33;
	EXPECT_EQ(-EINVAL, set_events(self->g.vcpu, &e));
	GET_EVENTS(&e);
	EXPECT_EQ(1, e.nmi.masked);
	EXPECT_EQ(0x33, e.interrupt.nr);
}

/*
 * SMM: upstream (CONFIG_KVM_SMM=y) enters it; kvm_compat has no SMM and
 * refuses as a kernel without CONFIG_KVM_SMM does, with EINVAL
 * (Documentation/divergences.rst).  With smm 0 both accept VALID_SMM.
 */
TEST_F(events, smm)
{
	struct kvm_vcpu_events e;
	int r;

	GET_EVENTS(&e);
	e.flags = KVM_VCPUEVENT_VALID_SMM;
	SET_EVENTS(&e);
	e.smi.smm = 1;
	r = set_events(self->g.vcpu, &e);
	if (kvmc_is_upstream()) {
		ASSERT_EQ(0, r) TH_LOG("%s", kvmc_errname(-r));
		GET_EVENTS(&e);
		EXPECT_EQ(1, e.smi.smm);
		e.smi.smm = 0;
		SET_EVENTS(&e);
	} else {
		EXPECT_EQ(-EINVAL, r);
	}
	GET_EVENTS(&e);
	EXPECT_EQ(0, e.smi.smm);
}

/*
 * An exception restored by KVM_SET_VCPU_EVENTS is "injected": reported
 * as such, delivered by the next KVM_RUN; real mode pushes no error code,
 * and kvm_inject_exception() drops has_error_code when it delivers.  The
 * vector stays reported once delivered.  Not the error code: upstream
 * keeps it, unless the delivery was interrupted (here the first push on
 * the stack page is a nested page fault under TCG) and
 * svm_complete_interrupts() requeued the exception as it found it in
 * EXITINTINFO, without one (kvm_requeue_exception()): then it reads 0.
 */
TEST_F(events, exception_delivered)
{
	struct kvm_vcpu_events e;

	GET_EVENTS(&e);
	e.exception.injected = 1;
	e.exception.nr = GP_VECTOR;
	e.exception.has_error_code = 1;
	e.exception.error_code = 0x1234;
	e.exception.pending = 1;	/* ignored without VALID_PAYLOAD */
	SET_EVENTS(&e);
	memset(&e, 0xaa, sizeof(e));
	GET_EVENTS(&e);
	EXPECT_EQ(1, e.exception.injected);
	EXPECT_EQ(0, e.exception.pending);
	EXPECT_EQ(GP_VECTOR, e.exception.nr);
	EXPECT_EQ(1, e.exception.has_error_code);
	EXPECT_EQ(0x1234, e.exception.error_code);

	expect_handler(_metadata, &self->g, GP_HANDLER, GP_VECTOR);
	expect_frame(_metadata, &self->g, KVMC_CODE_GPA, 0x2);
	GET_EVENTS(&e);
	EXPECT_EQ(0, e.exception.injected);
	EXPECT_EQ(GP_VECTOR, e.exception.nr);
	EXPECT_EQ(0, e.exception.has_error_code);
}

/* #BP and #OF (INT3, INTO) are never reported as on their way. */
TEST_F(events, soft_exception_not_reported)
{
	struct kvm_vcpu_events e;

	GET_EVENTS(&e);
	e.exception.injected = 1;
	e.exception.nr = 3;
	SET_EVENTS(&e);
	GET_EVENTS(&e);
	EXPECT_EQ(0, e.exception.injected);
	EXPECT_EQ(3, e.exception.nr);
}

/* RDMSR of an MSR KVM does not know, answered by userspace with an error. */
static void gp_pending(struct __test_metadata *_metadata, struct kvmc_guest *g)
{
	static const uint8_t rdmsr[] = { 0x0f, 0x32, 0xf4 };
	struct kvm_regs r;

	ASSERT_EQ(0, kvmc_enable_cap(g->vm, KVM_CAP_X86_USER_SPACE_MSR,
				     KVM_MSR_EXIT_REASON_UNKNOWN));
	ASSERT_EQ(0, kvmc_guest_load(g, KVMC_CODE_GPA, rdmsr, sizeof(rdmsr)));
	ASSERT_EQ(0, ioctl(g->vcpu, KVM_GET_REGS, &r));
	r.rcx = MSR_GOO;
	ASSERT_EQ(0, ioctl(g->vcpu, KVM_SET_REGS, &r));
	KVMC_RUN_EXPECT(g, KVM_EXIT_X86_RDMSR);
	g->run->msr.error = 1;
	g->run->immediate_exit = 1;
	ASSERT_EQ(-EINTR, kvmc_run(g->vcpu));
	g->run->immediate_exit = 0;
}

/*
 * The #GP queued by an MSR exit answered with an error is "pending", and
 * reported as injected and pending both (without KVM_CAP_EXCEPTION_PAYLOAD
 * upstream conflates the two, for old userspace).
 */
TEST_F(events, gp_pending_reported)
{
	struct kvm_vcpu_events e;

	gp_pending(_metadata, &self->g);
	memset(&e, 0xaa, sizeof(e));
	GET_EVENTS(&e);
	EXPECT_EQ(1, e.exception.injected);
	EXPECT_EQ(1, e.exception.pending);
	EXPECT_EQ(GP_VECTOR, e.exception.nr);
	EXPECT_EQ(1, e.exception.has_error_code);
	EXPECT_EQ(0, e.exception.error_code);
	EXPECT_EQ(FLAGS_REPORTED, e.flags);
	expect_handler(_metadata, &self->g, GP_HANDLER, GP_VECTOR);
	expect_frame(_metadata, &self->g, KVMC_CODE_GPA, 0x2);
}

/*
 * Saved and restored, the pending #GP comes back as "injected": then
 * KVM_SET_REGS, which drops a pending exception (__set_regs(),
 * msr_filter_test's set_regs_drops_queued_gp), keeps it.  A VMM restores
 * registers before events (as QEMU does) or after: the #GP is delivered
 * either way.
 */
TEST_F(events, gp_restored_survives_set_regs)
{
	struct kvm_vcpu_events e;
	struct kvm_regs r;

	gp_pending(_metadata, &self->g);
	GET_EVENTS(&e);
	GET_REGS(&r);
	SET_EVENTS(&e);
	SET_REGS(&r);
	GET_EVENTS(&e);
	EXPECT_EQ(1, e.exception.injected);
	EXPECT_EQ(0, e.exception.pending);
	expect_handler(_metadata, &self->g, GP_HANDLER, GP_VECTOR);
	expect_frame(_metadata, &self->g, KVMC_CODE_GPA, 0x2);
}

/*
 * A pending NMI is delivered by the next KVM_RUN through IVT[2]; NMIs are
 * then masked until an IRET, which the guest never runs.
 */
TEST_F(events, nmi_delivered)
{
	struct kvm_vcpu_events e;
	struct kvm_regs r;

	GET_REGS(&r);
	r.rflags = RFLAGS_IF;
	SET_REGS(&r);
	GET_EVENTS(&e);
	e.flags = KVM_VCPUEVENT_VALID_NMI_PENDING;
	e.nmi.pending = 1;
	SET_EVENTS(&e);
	GET_EVENTS(&e);
	EXPECT_EQ(1, e.nmi.pending);
	EXPECT_EQ(0, e.nmi.masked);

	expect_handler(_metadata, &self->g, NMI_HANDLER, NMI_VECTOR);
	expect_frame(_metadata, &self->g, KVMC_CODE_GPA, RFLAGS_IF);
	GET_EVENTS(&e);
	EXPECT_EQ(0, e.nmi.pending);
	EXPECT_EQ(1, e.nmi.masked);
	EXPECT_EQ(0, e.nmi.injected);
}

/* A pending NMI waits while NMIs are masked, and is taken once they are not. */
TEST_F(events, nmi_masked_waits)
{
	struct kvm_vcpu_events e;

	GET_EVENTS(&e);
	e.flags = KVM_VCPUEVENT_VALID_NMI_PENDING;
	e.nmi.pending = 1;
	e.nmi.masked = 1;
	SET_EVENTS(&e);
	KVMC_RUN_EXPECT(&self->g, KVM_EXIT_IO);
	EXPECT_EQ(0x10, self->g.run->io.port);
	GET_EVENTS(&e);
	EXPECT_EQ(1, e.nmi.pending);
	EXPECT_EQ(1, e.nmi.masked);

	/* Without VALID_NMI_PENDING the count is kept; the mask always goes. */
	e.flags = 0;
	e.nmi.pending = 0;
	e.nmi.masked = 0;
	SET_EVENTS(&e);
	expect_handler(_metadata, &self->g, NMI_HANDLER, NMI_VECTOR);
	/* The OUT 0x10 it interrupted was completed first: rip after it. */
	expect_frame(_metadata, &self->g, KVMC_CODE_GPA + 4, 0x2);
}

/*
 * How many NMIs wait: at most two, or one while NMIs are masked
 * (process_nmi()); reported as a count.
 */
TEST_F(events, nmi_pending_capped)
{
	struct kvm_vcpu_events e;

	GET_EVENTS(&e);
	e.flags = KVM_VCPUEVENT_VALID_NMI_PENDING;
	e.nmi.pending = 5;
	SET_EVENTS(&e);
	GET_EVENTS(&e);
	EXPECT_EQ(2, e.nmi.pending);

	e.flags = KVM_VCPUEVENT_VALID_NMI_PENDING;
	e.nmi.pending = 5;
	e.nmi.masked = 1;
	SET_EVENTS(&e);
	GET_EVENTS(&e);
	EXPECT_EQ(1, e.nmi.pending);
}

/*
 * The interrupt shadow: kvm-amd keeps one bit and reports it as both STI
 * and MOV SS; it lasts one instruction.  Without VALID_SHADOW the field
 * is ignored.
 */
TEST_F(events, shadow)
{
	struct kvm_vcpu_events e;

	GET_EVENTS(&e);
	e.flags = 0;
	e.interrupt.shadow = KVM_X86_SHADOW_INT_STI;
	SET_EVENTS(&e);
	GET_EVENTS(&e);
	EXPECT_EQ(0, e.interrupt.shadow);

	e.flags = KVM_VCPUEVENT_VALID_SHADOW;
	e.interrupt.shadow = KVM_X86_SHADOW_INT_STI;
	SET_EVENTS(&e);
	GET_EVENTS(&e);
	EXPECT_EQ(KVM_X86_SHADOW_INT_STI | KVM_X86_SHADOW_INT_MOV_SS,
		  e.interrupt.shadow);

	KVMC_RUN_EXPECT(&self->g, KVM_EXIT_IO);
	GET_EVENTS(&e);
	EXPECT_EQ(0, e.interrupt.shadow);
}

/*
 * An NMI waiting behind an interrupt shadow is taken after one
 * instruction: here the MOV AL, 0x42, whose AL the handler's OUT shows.
 */
TEST_F(events, shadow_delays_nmi)
{
	struct kvm_vcpu_events e;

	GET_EVENTS(&e);
	e.flags = KVM_VCPUEVENT_VALID_NMI_PENDING | KVM_VCPUEVENT_VALID_SHADOW;
	e.nmi.pending = 1;
	e.interrupt.shadow = KVM_X86_SHADOW_INT_MOV_SS;
	SET_EVENTS(&e);
	expect_handler(_metadata, &self->g, NMI_HANDLER, NMI_VECTOR);
	EXPECT_EQ(0x42, ((uint8_t *)self->g.run)[self->g.run->io.data_offset]);
	expect_frame(_metadata, &self->g, KVMC_CODE_GPA + 2, 0x2);
}

/*
 * An interrupt restored as injected is delivered by the next KVM_RUN,
 * whatever IF says (it was already being delivered), and reported until
 * then, in KVM_GET_SREGS' interrupt_bitmap too.
 */
TEST_F(events, interrupt_injected_delivered)
{
	struct kvm_vcpu_events e;
	struct kvm_sregs s;

	GET_EVENTS(&e);
	e.interrupt.injected = 1;
	e.interrupt.nr = IRQ_VECTOR;
	SET_EVENTS(&e);
	GET_EVENTS(&e);
	EXPECT_EQ(1, e.interrupt.injected);
	EXPECT_EQ(IRQ_VECTOR, e.interrupt.nr);
	ASSERT_EQ(0, ioctl(self->g.vcpu, KVM_GET_SREGS, &s));
	EXPECT_EQ(1ULL << IRQ_VECTOR, s.interrupt_bitmap[0]);

	expect_handler(_metadata, &self->g, IRQ_HANDLER, IRQ_VECTOR);
	expect_frame(_metadata, &self->g, KVMC_CODE_GPA, 0x2);
	GET_EVENTS(&e);
	EXPECT_EQ(0, e.interrupt.injected);
	EXPECT_EQ(IRQ_VECTOR, e.interrupt.nr);
	ASSERT_EQ(0, ioctl(self->g.vcpu, KVM_GET_SREGS, &s));
	EXPECT_EQ(0, s.interrupt_bitmap[0]);
}

/* The same for one queued through KVM_SET_SREGS' interrupt_bitmap. */
TEST_F(events, interrupt_from_sregs_delivered)
{
	struct kvm_vcpu_events e;
	struct kvm_sregs s;

	ASSERT_EQ(0, ioctl(self->g.vcpu, KVM_GET_SREGS, &s));
	s.interrupt_bitmap[0] = 1ULL << IRQ_VECTOR;
	ASSERT_EQ(0, ioctl(self->g.vcpu, KVM_SET_SREGS, &s));
	GET_EVENTS(&e);
	EXPECT_EQ(1, e.interrupt.injected);
	EXPECT_EQ(IRQ_VECTOR, e.interrupt.nr);
	expect_handler(_metadata, &self->g, IRQ_HANDLER, IRQ_VECTOR);
	expect_frame(_metadata, &self->g, KVMC_CODE_GPA, 0x2);
}

/*
 * kvm_run.ready_for_interrupt_injection, written by every KVM_RUN (an
 * immediate_exit one too): IF set, no shadow, nothing on its way.
 */
TEST_F(events, ready_for_interrupt)
{
	struct kvm_vcpu_events e, none;
	struct kvm_regs r;

	GET_REGS(&r);
	r.rflags = RFLAGS_IF;
	SET_REGS(&r);
	GET_EVENTS(&none);
	self->g.run->immediate_exit = 1;
	ASSERT_EQ(-EINTR, kvmc_run(self->g.vcpu));
	EXPECT_EQ(1, self->g.run->ready_for_interrupt_injection);
	EXPECT_EQ(1, self->g.run->if_flag);

	e = none;
	e.flags = KVM_VCPUEVENT_VALID_SHADOW;
	e.interrupt.shadow = KVM_X86_SHADOW_INT_STI;
	SET_EVENTS(&e);
	ASSERT_EQ(-EINTR, kvmc_run(self->g.vcpu));
	EXPECT_EQ(0, self->g.run->ready_for_interrupt_injection);

	e = none;
	e.flags = KVM_VCPUEVENT_VALID_SHADOW;
	e.exception.injected = 1;
	e.exception.nr = 6;
	SET_EVENTS(&e);
	ASSERT_EQ(-EINTR, kvmc_run(self->g.vcpu));
	EXPECT_EQ(0, self->g.run->ready_for_interrupt_injection);

	e = none;
	e.flags = KVM_VCPUEVENT_VALID_SHADOW;
	e.interrupt.injected = 1;
	e.interrupt.nr = IRQ_VECTOR;
	SET_EVENTS(&e);
	ASSERT_EQ(-EINTR, kvmc_run(self->g.vcpu));
	EXPECT_EQ(0, self->g.run->ready_for_interrupt_injection);
	self->g.run->immediate_exit = 0;
}

TEST_F(events, efault)
{
	EXPECT_EQ(-EFAULT, kvmc_ioctl(self->g.vcpu, KVM_GET_VCPU_EVENTS, 8));
	EXPECT_EQ(-EFAULT, kvmc_ioctl(self->g.vcpu, KVM_SET_VCPU_EVENTS, 8));
	EXPECT_EQ(-EFAULT, kvmc_ioctl(self->g.vcpu, KVM_GET_MP_STATE, 8));
	EXPECT_EQ(-EFAULT, kvmc_ioctl(self->g.vcpu, KVM_SET_MP_STATE, 8));
}

/*
 * Without an in-kernel local APIC a vCPU is always runnable: HLT exits to
 * userspace instead of halting it in the kernel (__kvm_emulate_halt()),
 * and every state but RUNNABLE needs the local APIC.
 */
TEST_F(events, mp_state)
{
	static const uint32_t bad[] = {
		KVM_MP_STATE_UNINITIALIZED, KVM_MP_STATE_INIT_RECEIVED,
		KVM_MP_STATE_HALTED, KVM_MP_STATE_SIPI_RECEIVED,
		KVM_MP_STATE_AP_RESET_HOLD, 99, 0xffffffff,
	};
	struct kvm_mp_state mp;
	size_t i;

	KVMC_RUN_EXPECT(&self->g, KVM_EXIT_IO);
	KVMC_RUN_EXPECT(&self->g, KVM_EXIT_HLT);
	mp.mp_state = 0xdead;
	ASSERT_EQ(0, ioctl(self->g.vcpu, KVM_GET_MP_STATE, &mp));
	EXPECT_EQ(KVM_MP_STATE_RUNNABLE, mp.mp_state);
	mp.mp_state = KVM_MP_STATE_RUNNABLE;
	EXPECT_EQ(0, kvmc_ioctl(self->g.vcpu, KVM_SET_MP_STATE,
				(unsigned long)&mp));
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		mp.mp_state = bad[i];
		EXPECT_EQ(-EINVAL, kvmc_ioctl(self->g.vcpu, KVM_SET_MP_STATE,
					      (unsigned long)&mp))
			TH_LOG("mp_state %u", bad[i]);
	}
	ASSERT_EQ(0, ioctl(self->g.vcpu, KVM_GET_MP_STATE, &mp));
	EXPECT_EQ(KVM_MP_STATE_RUNNABLE, mp.mp_state);
}

KVMC_TEST_MAIN
