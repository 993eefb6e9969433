// SPDX-License-Identifier: GPL-2.0
/*
 * kvm_compat: what is on its way to the guest, and how a VMM saves and
 * restores it: KVM_GET_VCPU_EVENTS, KVM_SET_VCPU_EVENTS,
 * KVM_GET_MP_STATE, KVM_SET_MP_STATE; and the delivery of those events
 * before the next instruction.
 *
 * As x86 KVM with kvm-amd and no in-kernel irqchip, the test guest's
 * oracle (arch/x86/kvm/x86.c kvm_vcpu_ioctl_x86_get_vcpu_events(),
 * kvm_vcpu_ioctl_x86_set_vcpu_events(), kvm_check_and_inject_events(),
 * process_nmi(), kvm_arch_vcpu_ioctl_get_mpstate() and _set_mpstate();
 * svm/svm.c for the interrupt shadow and NMI masking), and as a kernel
 * built without CONFIG_KVM_SMM where SMM is concerned: kvm_compat has no
 * SMM (Documentation/divergences.rst).
 *
 * Neither structure needs compat translation: struct kvm_vcpu_events has
 * its one __u64 at offset 56 and struct kvm_mp_state is one __u32, so the
 * ia32, x32 and x86_64 layouts are the same (asserted below).
 */

#include <linux/build_bug.h>
#include <linux/kvm.h>
#include <linux/stddef.h>
#include <linux/uaccess.h>
#include <asm/processor-flags.h>

#include <kvm_compat/kvmc.h>
#include <kvm_compat/version_shims.h>
#include <kvm_compat/x86_emulate.h>

#ifdef CONFIG_COMPAT
#include <linux/compat.h>

/* struct kvm_vcpu_events as an ia32 compiler lays it out. */
struct kvmc_ia32_vcpu_events {
	__u8 exception[8];
	__u8 interrupt[4];
	__u8 nmi[4];
	__u32 sipi_vector;
	__u32 flags;
	__u8 smi[4];
	__u8 reserved[27];
	__u8 exception_has_payload;
	compat_u64 exception_payload;
};

static_assert(sizeof(struct kvm_vcpu_events) ==
	      sizeof(struct kvmc_ia32_vcpu_events));
static_assert(offsetof(struct kvm_vcpu_events, exception_payload) ==
	      offsetof(struct kvmc_ia32_vcpu_events, exception_payload));
static_assert(offsetof(struct kvm_vcpu_events, exception_has_payload) ==
	      offsetof(struct kvmc_ia32_vcpu_events, exception_has_payload));
static_assert(offsetof(struct kvm_vcpu_events, flags) ==
	      offsetof(struct kvmc_ia32_vcpu_events, flags));
static_assert(sizeof(struct kvm_mp_state) == sizeof(__u32));
#endif /* CONFIG_COMPAT */

#define KVMC_NMI_VECTOR		2
#define KVMC_BP_VECTOR		3
#define KVMC_OF_VECTOR		4

/* The flags KVM_SET_VCPU_EVENTS knows. */
#define KVMC_VCPUEVENT_VALID	(KVM_VCPUEVENT_VALID_NMI_PENDING |	\
				 KVM_VCPUEVENT_VALID_SIPI_VECTOR |	\
				 KVM_VCPUEVENT_VALID_SHADOW |		\
				 KVM_VCPUEVENT_VALID_SMM |		\
				 KVM_VCPUEVENT_VALID_PAYLOAD |		\
				 KVMC_VCPUEVENT_VALID_TRIPLE_FAULT)

/* As exception_type() == EXCPT_FAULT: not #DB, #BP, #OF, #DF, #MC. */
static bool kvmc_exception_is_fault(u8 vector)
{
	return !(BIT(vector) & (BIT(1) | BIT(KVMC_BP_VECTOR) | BIT(KVMC_OF_VECTOR) |
				BIT(KVMC_DF_VECTOR) | BIT(18)));
}

/* #BP and #OF come from INT3 and INTO: upstream does not report them. */
static bool kvmc_exception_is_soft(u8 vector)
{
	return vector == KVMC_BP_VECTOR || vector == KVMC_OF_VECTOR;
}

/*
 * As process_nmi(): at most two NMIs wait, or one while NMIs are masked
 * or one is being delivered.
 */
static void kvmc_process_nmi(struct kvmc_x86_events *ev)
{
	unsigned int limit = ev->nmi_masked || ev->nmi_injected ? 1 : 2;

	ev->nmi_pending = min(ev->nmi_pending, limit);
}

/**
 * kvmc_x86_queue_exception() - queue an exception, as kvm_queue_exception_e()
 * @vcpu: the vCPU, its mutex held
 * @vector: the exception
 * @has_error_code: whether it has an error code
 * @error_code: the error code
 *
 * For an exception kvm_compat raises while completing an exit (an MSR
 * exit answered with an error): nothing else can be on its way then, an
 * event being delivered before the instruction that exited ran.
 */
void kvmc_x86_queue_exception(struct kvmc_vcpu *vcpu, u8 vector,
			      bool has_error_code, u32 error_code)
{
	struct kvmc_x86_exception *ex = &vcpu->arch.events.exception;

	lockdep_assert_held(&vcpu->mutex);
	ex->pending = true;
	ex->injected = false;
	ex->vector = vector;
	ex->has_error_code = has_error_code;
	ex->error_code = error_code;
}

/**
 * kvmc_x86_insn_done() - an instruction has completed
 * @vcpu: the vCPU, its mutex held
 *
 * The interrupt shadow covers one instruction; kvm-amd clears it when it
 * skips an instruction it emulated (svm_set_interrupt_shadow(vcpu, 0)).
 */
void kvmc_x86_insn_done(struct kvmc_vcpu *vcpu)
{
	vcpu->arch.events.shadow = false;
}

/*
 * Deliver @fault through the IVT or the IDT (x86_exception.c); on success
 * nothing is being delivered any more.
 */
static int kvmc_deliver(struct kvmc_vcpu *vcpu, const struct kvmc_fault *fault)
{
	struct kvmc_x86_events *ev = &vcpu->arch.events;
	int r = kvmc_x86_deliver(vcpu, fault);

	if (r != 1)
		return r;
	/*
	 * svm_complete_interrupts() clears every "injected" event at the
	 * next exit; only one went through the VMCB's EVENTINJ.
	 */
	ev->exception.pending = false;
	ev->exception.injected = false;
	ev->nmi_injected = false;
	/* Before guest revision 3 a queued interrupt stayed queued. */
	if (kvmc_guest_rev(vcpu->vm) >= KVMC_GUEST_REV_EVENTS)
		ev->irq_injected = false;
	ev->shadow = false;
	return 1;
}

/**
 * kvmc_x86_inject_events() - deliver what is on its way, before an instruction
 * @vcpu: the vCPU, its mutex held, in the VM's srcu
 *
 * As kvm_check_and_inject_events(), one event per call, through the IVT
 * or the IDT (kvmc_x86_deliver()): an exception (injected or pending;
 * real mode pushes no error code, so kvm_inject_exception() drops it),
 * else an NMI or an interrupt being re-injected, else a pending NMI if
 * NMIs are not masked and no interrupt shadow blocks it (then the next
 * instruction runs first, as kvm-amd single-steps over the shadow).  An
 * interrupt is delivered from guest revision KVMC_GUEST_REV_EVENTS on
 * (before, it stayed queued); a software interrupt (interrupt.soft) never
 * is: kvm-amd finds its return address by decoding the INTn at rip,
 * which is outside the subset.
 *
 * Return: 1 when an event was delivered, KVMC_X86_NO_EVENT when the
 * instruction at rip should run, 0 with an exit for userspace (an
 * internal error, or KVM_EXIT_SHUTDOWN after a triple fault), a negative
 * errno (the event stays on its way).
 */
int kvmc_x86_inject_events(struct kvmc_vcpu *vcpu)
{
	struct kvmc_x86_events *ev = &vcpu->arch.events;
	struct kvmc_x86_exception *ex = &ev->exception;
	struct kvmc_fault fault = { .keep_cr2 = true };
	int r;

	kvmc_process_nmi(ev);

	if (ex->injected || ex->pending) {
		/* kvm_inject_exception(): real mode pushes no error code. */
		if (!(vcpu->arch.cr0 & X86_CR0_PE))
			ex->has_error_code = false;
		/*
		 * inject_pending_event() sets RF in the image of a pending
		 * fault-class exception, not of an injected one.
		 */
		fault.vector = ex->vector;
		fault.has_error = ex->has_error_code;
		fault.error_code = ex->error_code;
		fault.injected = ex->pending && kvmc_exception_is_fault(ex->vector);
		return kvmc_deliver(vcpu, &fault);
	}
	fault.external = true;
	if (ev->nmi_injected) {
		fault.vector = KVMC_NMI_VECTOR;
		r = kvmc_deliver(vcpu, &fault);
		if (r == 1)
			ev->nmi_masked = true;
		return r;
	}
	if (ev->irq_injected && !ev->irq_soft &&
	    kvmc_guest_rev(vcpu->vm) >= KVMC_GUEST_REV_EVENTS) {
		fault.vector = ev->irq_nr;
		return kvmc_deliver(vcpu, &fault);
	}
	if (ev->irq_injected)
		return KVMC_X86_NO_EVENT;

	if (ev->nmi_pending && !ev->nmi_masked && !ev->shadow) {
		fault.vector = KVMC_NMI_VECTOR;
		r = kvmc_deliver(vcpu, &fault);
		if (r == 1) {
			ev->nmi_pending--;
			ev->nmi_masked = true;
		}
		return r;
	}
	return KVMC_X86_NO_EVENT;
}

/**
 * kvmc_x86_ready_for_interrupt() - kvm_run.ready_for_interrupt_injection
 * @vcpu: the vCPU, its mutex held
 *
 * As kvm_vcpu_ready_for_interrupt_injection() without an in-kernel
 * irqchip: IF set, no interrupt shadow, nothing being delivered.
 *
 * Return: whether userspace may inject an interrupt now.
 */
bool kvmc_x86_ready_for_interrupt(struct kvmc_vcpu *vcpu)
{
	const struct kvmc_x86_events *ev = &vcpu->arch.events;

	return (vcpu->arch.regs.rflags & X86_EFLAGS_IF) && !ev->shadow &&
	       !ev->exception.injected && !ev->exception.pending &&
	       !ev->irq_injected && !ev->nmi_injected;
}

static void kvmc_get_vcpu_events(struct kvmc_vcpu *vcpu,
				 struct kvm_vcpu_events *events)
{
	struct kvmc_x86_events *ev = &vcpu->arch.events;
	const struct kvmc_x86_exception *ex = &ev->exception;

	kvmc_process_nmi(ev);
	memset(events, 0, sizeof(*events));

	/*
	 * Without KVM_CAP_EXCEPTION_PAYLOAD "pending" is reported as
	 * "injected" too, for the userspace of before that capability.
	 */
	if (!kvmc_exception_is_soft(ex->vector)) {
		events->exception.injected = ex->injected || ex->pending;
		events->exception.pending = ex->pending;
	}
	events->exception.nr = ex->vector;
	events->exception.has_error_code = ex->has_error_code;
	events->exception.error_code = ex->error_code;

	events->interrupt.injected = ev->irq_injected && !ev->irq_soft;
	events->interrupt.nr = ev->irq_nr;
	/* The VMCB has one shadow bit: svm_get_interrupt_shadow(). */
	if (ev->shadow)
		events->interrupt.shadow = KVM_X86_SHADOW_INT_MOV_SS |
					   KVM_X86_SHADOW_INT_STI;

	events->nmi.injected = ev->nmi_injected;
	events->nmi.pending = ev->nmi_pending;
	events->nmi.masked = ev->nmi_masked;

	events->flags = KVM_VCPUEVENT_VALID_NMI_PENDING |
			KVM_VCPUEVENT_VALID_SHADOW | KVM_VCPUEVENT_VALID_SMM;
}

/**
 * kvmc_x86_get_vcpu_events() - KVM_GET_VCPU_EVENTS
 * @vcpu: the vCPU, its mutex held
 * @argp: the caller's struct kvm_vcpu_events
 *
 * Return: 0, or -EFAULT when the structure cannot be written.
 */
long kvmc_x86_get_vcpu_events(struct kvmc_vcpu *vcpu, void __user *argp)
{
	struct kvm_vcpu_events events;

	lockdep_assert_held(&vcpu->mutex);
	kvmc_get_vcpu_events(vcpu, &events);
	if (copy_to_user(argp, &events, sizeof(events)))
		return -EFAULT;
	return 0;
}

/*
 * In upstream's order, including where it fails only after applying
 * what came before: the SMM check of a kernel without CONFIG_KVM_SMM,
 * and the triple-fault flag without KVM_CAP_X86_TRIPLE_FAULT_EVENT.
 */
static int kvmc_set_vcpu_events(struct kvmc_vcpu *vcpu,
				struct kvm_vcpu_events *events)
{
	struct kvmc_x86_events *ev = &vcpu->arch.events;
	struct kvmc_x86_exception *ex = &ev->exception;

	if (events->flags & ~KVMC_VCPUEVENT_VALID)
		return -EINVAL;
	/* No KVM_CAP_EXCEPTION_PAYLOAD: "pending" cannot be said. */
	if (events->flags & KVM_VCPUEVENT_VALID_PAYLOAD)
		return -EINVAL;
	events->exception.pending = 0;
	events->exception_has_payload = 0;

	if (events->exception.injected &&
	    (events->exception.nr > 31 || events->exception.nr == KVMC_NMI_VECTOR))
		return -EINVAL;

	kvmc_process_nmi(ev);

	ex->injected = events->exception.injected;
	ex->pending = false;
	ex->vector = events->exception.nr;
	ex->has_error_code = events->exception.has_error_code;
	ex->error_code = events->exception.error_code;

	ev->irq_injected = events->interrupt.injected;
	ev->irq_nr = events->interrupt.nr;
	ev->irq_soft = events->interrupt.soft;
	if (events->flags & KVM_VCPUEVENT_VALID_SHADOW)
		ev->shadow = events->interrupt.shadow;

	ev->nmi_injected = events->nmi.injected;
	if (events->flags & KVM_VCPUEVENT_VALID_NMI_PENDING)
		ev->nmi_pending = events->nmi.pending;
	ev->nmi_masked = events->nmi.masked;

	/* sipi_vector and smi.latched_init need an in-kernel local APIC. */
	if ((events->flags & KVM_VCPUEVENT_VALID_SMM) &&
	    (events->smi.smm || events->smi.pending || events->smi.smm_inside_nmi))
		return -EINVAL;

	if (events->flags & KVMC_VCPUEVENT_VALID_TRIPLE_FAULT)
		return -EINVAL;
	return 0;
}

/**
 * kvmc_x86_set_vcpu_events() - KVM_SET_VCPU_EVENTS
 * @vcpu: the vCPU, its mutex held
 * @argp: the caller's struct kvm_vcpu_events
 *
 * Return: 0; -EFAULT when the structure cannot be read; -EINVAL for
 * unknown flags, KVM_VCPUEVENT_VALID_PAYLOAD (no
 * KVM_CAP_EXCEPTION_PAYLOAD), an exception vector above 31 or 2 (NMI),
 * SMM state, KVM_VCPUEVENT_VALID_TRIPLE_FAULT (no
 * KVM_CAP_X86_TRIPLE_FAULT_EVENT); the last two after the rest has been
 * applied, as upstream.
 */
long kvmc_x86_set_vcpu_events(struct kvmc_vcpu *vcpu, void __user *argp)
{
	struct kvm_vcpu_events events;

	lockdep_assert_held(&vcpu->mutex);
	if (copy_from_user(&events, argp, sizeof(events)))
		return -EFAULT;
	return kvmc_set_vcpu_events(vcpu, &events);
}

/**
 * kvmc_x86_get_mp_state() - KVM_GET_MP_STATE
 * @vcpu: the vCPU, its mutex held
 * @argp: the caller's struct kvm_mp_state
 *
 * Without an in-kernel local APIC a vCPU is always runnable: HLT exits to
 * userspace (KVM_EXIT_HLT) instead of halting the vCPU in the kernel
 * (__kvm_emulate_halt()).
 *
 * Return: 0, or -EFAULT when the structure cannot be written.
 */
long kvmc_x86_get_mp_state(struct kvmc_vcpu *vcpu, void __user *argp)
{
	struct kvm_mp_state mp_state = { .mp_state = KVM_MP_STATE_RUNNABLE };

	lockdep_assert_held(&vcpu->mutex);
	if (copy_to_user(argp, &mp_state, sizeof(mp_state)))
		return -EFAULT;
	return 0;
}

/**
 * kvmc_x86_set_mp_state() - KVM_SET_MP_STATE
 * @vcpu: the vCPU, its mutex held
 * @argp: the caller's struct kvm_mp_state
 *
 * Return: 0 for KVM_MP_STATE_RUNNABLE; -EINVAL for any other state (every
 * other one needs an in-kernel local APIC, kvm_arch_vcpu_ioctl_set_mpstate());
 * -EFAULT when the structure cannot be read.
 */
long kvmc_x86_set_mp_state(struct kvmc_vcpu *vcpu, void __user *argp)
{
	struct kvm_mp_state mp_state;

	lockdep_assert_held(&vcpu->mutex);
	if (copy_from_user(&mp_state, argp, sizeof(mp_state)))
		return -EFAULT;
	return mp_state.mp_state == KVM_MP_STATE_RUNNABLE ? 0 : -EINVAL;
}
