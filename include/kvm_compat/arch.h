/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The architecture-specific half of kvm_compat: register state, the
 * instructions a vCPU can run, and the architecture's VM and vCPU ioctls.
 * Each architecture provides struct kvmc_vm_arch, struct kvmc_vcpu_arch
 * and the hooks below.
 */
#ifndef _KVM_COMPAT_ARCH_H
#define _KVM_COMPAT_ARCH_H

#include <linux/kvm.h>
#include <linux/types.h>

#ifdef CONFIG_X86
#include <kvm_compat/x86.h>
#else
#error "kvm_compat: no architecture support for this target yet"
#endif

struct kvmc_vcpu;
struct kvmc_vm;

/**
 * kvmc_arch_init() - module load: what the architecture reads once
 */
void kvmc_arch_init(void);

/**
 * kvmc_arch_vcpu_reset() - put a new vCPU in its architectural reset state
 * @vcpu: the vCPU, not yet visible to userspace
 */
void kvmc_arch_vcpu_reset(struct kvmc_vcpu *vcpu);

/**
 * kvmc_arch_vcpu_destroy() - free a vCPU's architecture state
 * @vcpu: the vCPU, no longer reachable
 */
void kvmc_arch_vcpu_destroy(struct kvmc_vcpu *vcpu);

/**
 * kvmc_arch_dev_ioctl() - an architecture ioctl on the system fd
 * @cmd: the ioctl command
 * @argp: the (native) user pointer argument
 *
 * Return: the command's result, or -EINVAL for a command the architecture
 * does not know (x86's kvm_arch_dev_ioctl()).
 */
long kvmc_arch_dev_ioctl(unsigned int cmd, void __user *argp);

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

/**
 * kvmc_arch_vcpu_enter() - start of KVM_RUN, before anything runs
 * @vcpu: the vCPU, its mutex held
 *
 * Reads what userspace may have left in struct kvm_run for the
 * architecture and completes an exit that userspace has now served (the
 * data of an IN, an MMIO read or a RDMSR goes into the registers).
 *
 * Return: 0 to go on; 1 when finishing the served exit made another
 * (KVM_RUN returns it, whatever immediate_exit says); a negative errno to
 * fail KVM_RUN (-EINTR as from the run loop).
 */
int kvmc_arch_vcpu_enter(struct kvmc_vcpu *vcpu);

/**
 * kvmc_arch_vcpu_step() - run one guest instruction
 * @vcpu: the vCPU, its mutex held, in a read-side critical section of the
 *	  VM's srcu
 *
 * An instruction whose guest page had to be waited for is not run: it
 * starts again on the next step, after the caller has looked for signals.
 *
 * Return: 1 to go on, 0 when struct kvm_run holds an exit for userspace,
 * -EINTR when a signal ended the wait for a guest page (the instruction
 * not run), another negative errno to fail KVM_RUN.
 */
int kvmc_arch_vcpu_step(struct kvmc_vcpu *vcpu);

/**
 * kvmc_arch_vcpu_leave() - end of KVM_RUN: fill struct kvm_run's state
 * @vcpu: the vCPU, its mutex held
 */
void kvmc_arch_vcpu_leave(struct kvmc_vcpu *vcpu);

/**
 * kvmc_arch_vm_ioctl() - an architecture VM ioctl
 * @vm: the VM
 * @cmd: the ioctl command
 * @argp: the (native) user pointer argument
 *
 * Return: the command's result, or -ENOTTY for a command the architecture
 * does not know (x86's kvm_arch_vm_ioctl()).
 */
long kvmc_arch_vm_ioctl(struct kvmc_vm *vm, unsigned int cmd,
			void __user *argp);

#ifdef CONFIG_KVM_COMPAT_REF_TRANSLATE
/**
 * kvmc_arch_vm_compat_ioctl() - an architecture VM ioctl from a compat caller
 * @vm: the VM, called from its owner's process
 * @cmd: the ioctl command
 * @arg: the caller's argument, as it came (a pointer command puts it
 *	 through compat_ptr() itself)
 *
 * For the commands whose compat structure differs from the native one.
 *
 * Return: the command's result, or -ENOIOCTLCMD to hand @cmd to the
 * native handler.
 */
long kvmc_arch_vm_compat_ioctl(struct kvmc_vm *vm, unsigned int cmd,
			       unsigned long arg);
#endif

/**
 * kvmc_arch_vm_enable_cap() - KVM_ENABLE_CAP on a VM, architecture part
 * @vm: the VM
 * @cap: the capability and its arguments
 *
 * Return: 0, or -EINVAL for flags, arguments or capabilities it refuses.
 */
int kvmc_arch_vm_enable_cap(struct kvmc_vm *vm, const struct kvm_enable_cap *cap);

/**
 * kvmc_arch_prepare_memory_region() - may a memslot be created or moved here?
 * @vm: the VM, its slots_lock held
 * @base_gfn: the slot's first guest frame
 * @npages: its size in pages
 *
 * Called after the overlap check (-EEXIST) and the new slot's
 * allocations (-ENOMEM), as upstream calls kvm_arch_prepare_memory_region()
 * after both.
 *
 * Return: 0, or -EINVAL for a range the architecture cannot map (x86:
 * beyond kvm_mmu_max_gfn(), the host's MAXPHYADDR).
 */
int kvmc_arch_prepare_memory_region(struct kvmc_vm *vm, u64 base_gfn,
				    u64 npages);

/**
 * kvmc_arch_check_extension() - the architecture's KVM_CHECK_EXTENSION
 * @cap: a KVM_CAP_* number
 *
 * Return: the capability's value, 0 if unsupported.
 */
long kvmc_arch_check_extension(unsigned long cap);

/**
 * kvmc_arch_vm_destroy() - free a VM's architecture state
 * @vm: the VM, its last reference gone
 */
void kvmc_arch_vm_destroy(struct kvmc_vm *vm);

#endif /* _KVM_COMPAT_ARCH_H */
