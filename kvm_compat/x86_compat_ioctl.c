// SPDX-License-Identifier: GPL-2.0
/*
 * kvm_compat: x86 VM ioctls whose compat callers need their own structure
 * (CONFIG_KVM_COMPAT_REF_TRANSLATE=y).
 *
 * KVM_X86_SET_MSR_FILTER: struct kvm_msr_filter_range ends in a
 * "__u8 *bitmap", so with 4-byte pointers a range is 16 bytes instead of
 * 24 and the whole filter 260 bytes instead of 392: the ioctl number, which
 * encodes the size, is 0x4104aec6 rather than 0x4188aec6.  ia32 and x32
 * both have 4-byte pointers and no __u64 here, so both send the compat
 * number with the same layout.  A 64-bit caller sending the compat number
 * gets -ENOTTY (it reaches the native handler, which does not know it); a
 * compat caller sending the native number reaches the native handler, as
 * upstream.
 */

#include <linux/build_bug.h>
#include <linux/compat.h>
#include <linux/kvm.h>
#include <linux/uaccess.h>

#include <kvm_compat/kvmc.h>

struct kvmc_compat_msr_filter_range {
	__u32 flags;
	__u32 nmsrs;
	__u32 base;
	compat_uptr_t bitmap;
};

struct kvmc_compat_msr_filter {
	__u32 flags;
	struct kvmc_compat_msr_filter_range ranges[KVM_MSR_FILTER_MAX_RANGES];
};

#define KVMC_X86_SET_MSR_FILTER_COMPAT \
	_IOW(KVMIO, 0xc6, struct kvmc_compat_msr_filter)

static_assert(KVMC_X86_SET_MSR_FILTER_COMPAT == 0x4104aec6);
static_assert(KVM_X86_SET_MSR_FILTER == 0x4188aec6);

static long kvmc_compat_set_msr_filter(struct kvmc_vm *vm, void __user *argp)
{
	struct kvmc_compat_msr_filter compat_filter;
	struct kvm_msr_filter filter;
	unsigned int i;

	if (copy_from_user(&compat_filter, argp, sizeof(compat_filter)))
		return -EFAULT;

	/* Every field is set below: no memset of the 392 bytes. */
	filter.flags = compat_filter.flags;
	for (i = 0; i < ARRAY_SIZE(filter.ranges); i++) {
		const struct kvmc_compat_msr_filter_range *cr =
			&compat_filter.ranges[i];

		filter.ranges[i].flags = cr->flags;
		filter.ranges[i].nmsrs = cr->nmsrs;
		filter.ranges[i].base = cr->base;
		/* The uapi field is a plain "__u8 *" holding a user pointer. */
		filter.ranges[i].bitmap = (__force __u8 *)compat_ptr(cr->bitmap);
	}
	return kvmc_x86_set_msr_filter(vm, &filter);
}

unsigned int kvmc_arch_compat_translated_ioctls(u64 *ioctls, unsigned int max)
{
	if (!max)
		return 0;
	ioctls[0] = KVMC_X86_SET_MSR_FILTER_COMPAT;
	return 1;
}

long kvmc_arch_vm_compat_ioctl(struct kvmc_vm *vm, unsigned int cmd,
			       unsigned long arg)
{
	switch (cmd) {
	case KVMC_X86_SET_MSR_FILTER_COMPAT:
		return kvmc_compat_set_msr_filter(vm, compat_ptr(arg));
	default:
		return -ENOIOCTLCMD;
	}
}
