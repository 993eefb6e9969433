// SPDX-License-Identifier: GPL-2.0
/*
 * kvm_compat: KVM_RUN, the architecture-independent part.
 *
 * As kvm_arch_vcpu_ioctl_run() and vcpu_run() in KVM: activate the vCPU's
 * signal mask, finish the exit userspace has served, honour
 * kvm_run.immediate_exit, then run instructions until one needs
 * userspace or a signal is pending (-EINTR, KVM_EXIT_INTR).
 *
 * The signal mask, in three steps, each under the vCPU's mutex:
 *  1. KVM_SET_SIGNAL_MASK parses the caller's structure: the native
 *     ioctl in vcpu.c (the mutex taken by kvmc_vcpu_ioctl()), the compat
 *     one in compat_ioctl.c (which takes the mutex itself);
 *  2. kvmc_vcpu_install_sigmask() keeps it in the vCPU;
 *  3. KVM_RUN activates it for its own duration and puts the thread's
 *     back after (kvmc_sigset_activate(), kvmc_sigset_deactivate()), as
 *     kvm_sigset_activate() and kvm_sigset_deactivate() do.
 */

#include <linux/kvm.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/signal.h>

#include <kvm_compat/kvmc.h>
#include <kvm_compat/version_shims.h>

static void kvmc_sigset_activate(struct kvmc_vcpu *vcpu)
{
	if (vcpu->sigset_active)
		sigprocmask(SIG_SETMASK, &vcpu->sigset, &current->real_blocked);
}

static void kvmc_sigset_deactivate(struct kvmc_vcpu *vcpu)
{
	if (!vcpu->sigset_active)
		return;
	sigprocmask(SIG_SETMASK, &current->real_blocked, NULL);
	sigemptyset(&current->real_blocked);
}

/**
 * kvmc_vcpu_install_sigmask() - keep the mask KVM_RUN will run with
 * @vcpu: the vCPU, its mutex held by the caller
 * @sigset: the parsed mask, or NULL to run with the thread's own
 *
 * SIGKILL and SIGSTOP can never be blocked.
 */
void kvmc_vcpu_install_sigmask(struct kvmc_vcpu *vcpu, const sigset_t *sigset)
{
	lockdep_assert_held(&vcpu->mutex);

	if (sigset) {
		vcpu->sigset = *sigset;
		sigdelsetmask(&vcpu->sigset, sigmask(SIGKILL) | sigmask(SIGSTOP));
		vcpu->sigset_active = true;
	} else {
		vcpu->sigset_active = false;
	}
}

/*
 * Each instruction runs in a read-side critical section of the VM's srcu,
 * as upstream's vCPUs run under kvm->srcu: it may sleep on a guest page,
 * and holds up no one but a memslot or MSR filter update, which waits for
 * it.  A signal ends KVM_RUN between two instructions, or during the wait
 * for a page (-EINTR from the access): KVM_EXIT_INTR either way, the
 * instruction not run.
 */
static int kvmc_vcpu_run_loop(struct kvmc_vcpu *vcpu)
{
	struct kvmc_vm *vm = vcpu->vm;
	int idx, r;

	for (;;) {
		if (signal_pending(current)) {
			r = -EINTR;
			break;
		}

		idx = srcu_read_lock(&vm->srcu);
		r = kvmc_arch_vcpu_step(vcpu);
		srcu_read_unlock(&vm->srcu, idx);
		if (r <= 0)
			break;

		cond_resched();
	}
	if (r == -EINTR)
		vcpu->run->exit_reason = KVM_EXIT_INTR;
	return r;
}

/**
 * kvmc_vcpu_run() - KVM_RUN
 * @vcpu: the vCPU, its mutex held
 *
 * Return: 0 with an exit for userspace in the vCPU's struct kvm_run;
 * -EINTR when kvm_run.immediate_exit is set, or when a signal is pending
 * or interrupts the wait for a guest page (exit_reason KVM_EXIT_INTR in
 * the latter cases); -EFAULT when guest memory cannot be accessed;
 * -EINVAL for bad input in struct kvm_run.
 */
int kvmc_vcpu_run(struct kvmc_vcpu *vcpu)
{
	int r;

	lockdep_assert_held(&vcpu->mutex);

	kvmc_sigset_activate(vcpu);
	vcpu->run->flags = 0;

	/* The served exit is finished first, then immediate_exit is read. */
	r = kvmc_arch_vcpu_enter(vcpu);
	if (r > 0)
		r = 0;
	else if (r == -EINTR)
		vcpu->run->exit_reason = KVM_EXIT_INTR;
	else if (!r && kvmc_immediate_exit(vcpu->run))
		r = -EINTR;
	else if (!r)
		r = kvmc_vcpu_run_loop(vcpu);

	kvmc_arch_vcpu_leave(vcpu);
	kvmc_sigset_deactivate(vcpu);
	return r;
}
