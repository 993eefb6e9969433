// SPDX-License-Identifier: GPL-2.0
/*
 * kvm_compat: KVM_RUN, the architecture-independent part.
 *
 * As kvm_arch_vcpu_ioctl_run() and vcpu_run() in KVM: install the vCPU's
 * signal mask, finish the exit userspace has served, honour
 * kvm_run.immediate_exit, then run instructions until one needs
 * userspace or a signal is pending (-EINTR, KVM_EXIT_INTR).
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
 * kvmc_vcpu_set_sigmask() - KVM_SET_SIGNAL_MASK, after translation
 * @vcpu: the vCPU, its mutex held
 * @sigset: the mask to install during KVM_RUN, or NULL for none
 *
 * SIGKILL and SIGSTOP can never be blocked.
 *
 * Return: 0.
 */
int kvmc_vcpu_set_sigmask(struct kvmc_vcpu *vcpu, const sigset_t *sigset)
{
	if (sigset) {
		vcpu->sigset = *sigset;
		sigdelsetmask(&vcpu->sigset, sigmask(SIGKILL) | sigmask(SIGSTOP));
		vcpu->sigset_active = true;
	} else {
		vcpu->sigset_active = false;
	}
	return 0;
}

static int kvmc_vcpu_run_loop(struct kvmc_vcpu *vcpu)
{
	struct kvmc_vm *vm = vcpu->vm;
	int r;

	for (;;) {
		if (signal_pending(current)) {
			vcpu->run->exit_reason = KVM_EXIT_INTR;
			return -EINTR;
		}

		mutex_lock(&vm->slots_lock);
		r = kvmc_arch_vcpu_step(vcpu);
		mutex_unlock(&vm->slots_lock);
		if (r <= 0)
			return r;

		cond_resched();
	}
}

/**
 * kvmc_vcpu_run() - KVM_RUN
 * @vcpu: the vCPU, its mutex held
 *
 * Return: 0 with an exit for userspace in the vCPU's struct kvm_run;
 * -EINTR when kvm_run.immediate_exit is set or a signal is pending
 * (exit_reason KVM_EXIT_INTR in the latter case); -EFAULT when guest
 * memory cannot be accessed; -EINVAL for bad input in struct kvm_run.
 */
int kvmc_vcpu_run(struct kvmc_vcpu *vcpu)
{
	int r;

	kvmc_sigset_activate(vcpu);
	vcpu->run->flags = 0;

	r = kvmc_arch_vcpu_enter(vcpu);
	if (!r && kvmc_immediate_exit(vcpu->run))
		r = -EINTR;
	else if (!r)
		r = kvmc_vcpu_run_loop(vcpu);

	kvmc_arch_vcpu_leave(vcpu);
	kvmc_sigset_deactivate(vcpu);
	return r;
}
