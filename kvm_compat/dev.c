// SPDX-License-Identifier: GPL-2.0
/*
 * kvm_compat: the system fd, what open("/dev/kvm_compat") returns.
 *
 * Mirrors kvm_dev_ioctl() in virt/kvm/kvm_main.c: the generic commands
 * take a scalar, the architecture's (x86: KVM_GET_SUPPORTED_CPUID) a
 * structure that is the same on every ABI, so the compat handler passes
 * everything through (a pointer through compat_ptr()).
 */

#include <linux/fs.h>
#include <linux/kvm.h>
#include <linux/module.h>

#include <kvm_compat/kvmc.h>

/**
 * kvmc_check_extension() - answer KVM_CHECK_EXTENSION
 * @cap: a KVM_CAP_* number
 *
 * The same answer on the system fd and on a VM fd.  Only capabilities
 * kvm_compat implements get a non-zero answer; the rest, known to KVM or
 * not, get 0 as KVM gives for unknown ones.
 *
 * Return: the capability's value, 0 if unsupported.
 */
long kvmc_check_extension(unsigned long cap)
{
	switch (cap) {
	case KVM_CAP_USER_MEMORY:
	case KVM_CAP_DESTROY_MEMORY_REGION_WORKS:
	case KVM_CAP_JOIN_MEMORY_REGIONS_WORKS:
	case KVM_CAP_CHECK_EXTENSION_VM:
	case KVM_CAP_READONLY_MEM:
	case KVM_CAP_ENABLE_CAP_VM:
	case KVM_CAP_IMMEDIATE_EXIT:
		return 1;
	case KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2:
		return KVMC_DIRTY_LOG_MANUAL_CAPS;
	case KVM_CAP_NR_MEMSLOTS:
		return KVMC_USER_MEM_SLOTS;
	case KVM_CAP_MULTI_ADDRESS_SPACE:
		return KVMC_ADDRESS_SPACE_NUM;
	case KVM_CAP_NR_VCPUS:
	case KVM_CAP_MAX_VCPUS:
		return KVMC_MAX_VCPUS;
	case KVM_CAP_MAX_VCPU_ID:
		return KVMC_MAX_VCPU_IDS;
	default:
		return kvmc_arch_check_extension(cap);
	}
}

/**
 * kvmc_dev_ioctl() - ioctls on the system fd
 * @filp: the /dev/kvm_compat file
 * @cmd: KVM_GET_API_VERSION, KVM_CREATE_VM, KVM_CHECK_EXTENSION,
 *	 KVM_GET_VCPU_MMAP_SIZE, or an architecture system ioctl
 * @arg: the command's scalar argument, or a pointer for an architecture
 *	 ioctl
 *
 * Return: the command's result, -EINVAL for a non-zero @arg where KVM
 * requires zero and for unknown commands (x86's kvm_arch_dev_ioctl()).
 */
long kvmc_dev_ioctl(struct file *filp, unsigned int cmd, unsigned long arg)
{
	switch (cmd) {
	case KVM_GET_API_VERSION:
		if (arg)
			return -EINVAL;
		return KVM_API_VERSION;
	case KVM_CREATE_VM:
		return kvmc_create_vm(arg);
	case KVM_CHECK_EXTENSION:
		return kvmc_check_extension(arg);
	case KVM_GET_VCPU_MMAP_SIZE:
		if (arg)
			return -EINVAL;
		return KVMC_VCPU_MMAP_PAGES * PAGE_SIZE;
	default:
		return kvmc_arch_dev_ioctl(cmd, (void __user *)arg);
	}
}

const struct file_operations kvmc_dev_fops = {
	.owner		= THIS_MODULE,
	.unlocked_ioctl	= kvmc_dev_ioctl,
	.llseek		= noop_llseek,
	KVMC_COMPAT(kvmc_dev_compat_ioctl),
};
