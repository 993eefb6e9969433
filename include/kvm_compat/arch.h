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

/**
 * kvmc_arch_vcpu_reset() - put a new vCPU in its architectural reset state
 * @vcpu: the vCPU, not yet visible to userspace
 */
void kvmc_arch_vcpu_reset(struct kvmc_vcpu *vcpu);

/**
 * kvmc_arch_vcpu_ioctl() - an architecture vCPU ioctl
 * @vcpu: the vCPU, its mutex held
 * @cmd: the ioctl command
 * @argp: the (native) user pointer argument
 *
 * Return: the command's result; for a command the architecture does not
 * know, the errno its KVM gives (x86: -EINVAL, as kvm_arch_vcpu_ioctl()).
 */
long kvmc_arch_vcpu_ioctl(struct kvmc_vcpu *vcpu, unsigned int cmd,
			  void __user *argp);

#endif /* _KVM_COMPAT_ARCH_H */
