/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The architecture-specific half of a vCPU: its register state and the
 * vCPU ioctls that read and write it.  Each architecture provides
 * struct kvmc_vcpu_arch and the two hooks below.
 */
#ifndef _KVM_COMPAT_ARCH_H
#define _KVM_COMPAT_ARCH_H

#include <linux/types.h>

#ifdef CONFIG_X86
#include <kvm_compat/x86.h>
#else
#error "kvm_compat: no architecture support for this target yet"
#endif

struct kvmc_vcpu;

/* Put a new vCPU in its architectural reset state. */
void kvmc_arch_vcpu_reset(struct kvmc_vcpu *vcpu);

/*
 * Handle an architecture vCPU ioctl, called with vcpu->mutex held.
 * Returns the errno the architecture gives for a command it does not
 * know (x86: -EINVAL, like kvm_arch_vcpu_ioctl()).
 */
long kvmc_arch_vcpu_ioctl(struct kvmc_vcpu *vcpu, unsigned int cmd,
			  void __user *argp);

#endif /* _KVM_COMPAT_ARCH_H */
