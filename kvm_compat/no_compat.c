// SPDX-License-Identifier: GPL-2.0
/*
 * kvm_compat: compat callers refused (CONFIG_KVM_COMPAT_REF_TRANSLATE=n).
 *
 * The two lines of defence of upstream KVM without CONFIG_KVM_COMPAT
 * (kvm_no_compat_open() and kvm_no_compat_ioctl() in virt/kvm/kvm_main.c):
 * a compat task cannot open the device, and a compat task that got an fd
 * from a 64-bit process anyway (inherited across exec, or passed over a
 * unix socket) has every ioctl on it refused.  Upstream asks
 * is_compat_task(); in_compat_syscall() is the portable question, and on
 * x86 it is true for x32 as well as ia32.
 */

#include <linux/compat.h>
#include <linux/fs.h>

#include <kvm_compat/kvmc.h>

/**
 * kvmc_no_compat_ioctl() - refuse an ioctl from a compat task
 * @filp: any kvm_compat file
 * @cmd: ignored
 * @arg: ignored
 *
 * Return: -EINVAL, always.
 */
long kvmc_no_compat_ioctl(struct file *filp, unsigned int cmd,
			  unsigned long arg)
{
	return -EINVAL;
}

/**
 * kvmc_no_compat_open() - refuse to open /dev/kvm_compat for a compat task
 * @inode: the device inode
 * @filp: the file being opened
 *
 * Return: -ENODEV for a compat (ia32 or x32) caller, 0 otherwise.
 */
int kvmc_no_compat_open(struct inode *inode, struct file *filp)
{
	return in_compat_syscall() ? -ENODEV : 0;
}
