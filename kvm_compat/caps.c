// SPDX-License-Identifier: GPL-2.0
/*
 * kvm_compat: its own capabilities, beside KVM's (include/uapi/linux/
 * kvm_compat.h, Documentation/api.rst):
 *
 *   KVMC_CAP_GUEST_REV    on a VM fd: the revision of guest-visible
 *                         behaviour the VM runs (enum kvmc_guest_rev),
 *                         newest unless userspace selects an older one
 *   KVMC_GET_COMPAT_CAPS  on the system fd: what the device serves to
 *                         compat callers, in a size-checked structure
 *
 * Upstream KVM answers both as anything it does not know:
 * KVM_CHECK_EXTENSION gives 0, KVM_ENABLE_CAP and the system ioctl EINVAL.
 */

#include <linux/build_bug.h>
#include <linux/kvm.h>
#include <linux/mutex.h>
#include <linux/stddef.h>
#include <linux/uaccess.h>
#include <linux/kvm_compat.h>

#include <kvm_compat/kvmc.h>

/*
 * Only __u64 members: no offset depends on the ABI's alignment of __u64,
 * no pointer, no long, so ia32 and x32 send the same number and layout as
 * x86_64 and no compat handler is needed.
 */
static_assert(sizeof(struct kvmc_compat_caps) ==
	      (7 + KVMC_COMPAT_CAPS_MAX_IOCTLS) * sizeof(__u64));
static_assert(KVMC_GET_COMPAT_CAPS == 0xc0b8be00);
static_assert(KVMC_GUEST_REV_LATEST < 64);

/**
 * kvmc_vm_check_extension() - KVM_CHECK_EXTENSION on the system or a VM fd
 * @vm: the VM, or NULL for the system fd
 * @cap: a KVM_CAP_* or KVMC_CAP_* number
 *
 * Return: KVMC_CAP_GUEST_REV: the newest revision on the system fd, the
 * VM's on a VM fd; anything else: kvmc_check_extension().
 */
long kvmc_vm_check_extension(struct kvmc_vm *vm, unsigned long cap)
{
	if (cap == KVMC_CAP_GUEST_REV)
		return vm ? kvmc_guest_rev(vm) : KVMC_GUEST_REV_LATEST;
	return kvmc_check_extension(cap);
}

/**
 * kvmc_vm_enable_guest_rev() - KVM_ENABLE_CAP(KVMC_CAP_GUEST_REV)
 * @vm: the VM
 * @cap: args[0] the revision; flags and args[1..3] must be 0
 *
 * Like the VM-wide capabilities of upstream that change what vCPUs do
 * (KVM_CAP_X86_APIC_BUS_CYCLES_NS, which is EINVAL too once a vCPU
 * exists), only before the first vCPU is created: a vCPU never sees its
 * revision change.
 * Selecting the revision the VM already runs succeeds at any time.
 *
 * Return: 0, or -EINVAL for flags, a revision that does not exist, or a
 * change once a vCPU exists.
 */
int kvmc_vm_enable_guest_rev(struct kvmc_vm *vm, const struct kvm_enable_cap *cap)
{
	u64 rev = cap->args[0];
	int r = 0;

	if (cap->flags || cap->args[1] || cap->args[2] || cap->args[3] ||
	    rev < KVMC_GUEST_REV_REAL_MODE || rev > KVMC_GUEST_REV_LATEST)
		return -EINVAL;

	mutex_lock(&vm->lock);
	if (rev != vm->guest_rev && vm->created_vcpus)
		r = -EINVAL;
	else
		WRITE_ONCE(vm->guest_rev, rev);
	mutex_unlock(&vm->lock);
	return r;
}

/* The ioctls a compat caller's .compat_ioctl translates. */
static unsigned int kvmc_translated(u64 *ioctls, unsigned int max)
{
#ifdef CONFIG_KVM_COMPAT_REF_TRANSLATE
	return kvmc_compat_translated_ioctls(ioctls, max);
#else
	return 0;
#endif
}

static void kvmc_fill_compat_caps(struct kvmc_compat_caps *caps)
{
	bool translate = IS_ENABLED(CONFIG_KVM_COMPAT_REF_TRANSLATE);
	unsigned int i;

	caps->translate = translate;
	caps->compat_abis = 0;
	if (translate && IS_ENABLED(CONFIG_IA32_EMULATION))
		caps->compat_abis |= KVMC_COMPAT_ABI_IA32;
	if (translate && IS_ENABLED(CONFIG_X86_X32_ABI))
		caps->compat_abis |= KVMC_COMPAT_ABI_X32;
	caps->quirks = kvmc_arch_supported_quirks();
	caps->guest_revs = 0;
	for (i = KVMC_GUEST_REV_REAL_MODE; i <= KVMC_GUEST_REV_LATEST; i++)
		caps->guest_revs |= BIT_ULL(i);
	memset(caps->ioctls, 0, sizeof(caps->ioctls));
	caps->nr_ioctls = kvmc_translated(caps->ioctls, ARRAY_SIZE(caps->ioctls));
}

/**
 * kvmc_dev_ioctl_compat_caps() - KVMC_GET_COMPAT_CAPS
 * @argp: the caller's struct kvmc_compat_caps
 *
 * The contract asked of KVM_PPC_GET_COMPAT_CAPS in review: a structure of
 * __u64 only, @size first and equal to sizeof (a caller built for another
 * size gets EINVAL rather than a truncated or zero-padded answer),
 * @flags reserved, checked in this order.  The same number and layout
 * from every ABI: the compat path passes it through.
 *
 * Return: 0; -EFAULT when @size cannot be read; -EINVAL when it is not
 * sizeof(struct kvmc_compat_caps); -EFAULT when the structure cannot be
 * read; -EINVAL when @flags is not 0; -EFAULT when the answer cannot be
 * written.
 */
long kvmc_dev_ioctl_compat_caps(void __user *argp)
{
	struct kvmc_compat_caps caps;
	__u64 size;

	if (get_user(size, (__u64 __user *)argp))
		return -EFAULT;
	if (size != sizeof(caps))
		return -EINVAL;
	if (copy_from_user(&caps, argp, sizeof(caps)))
		return -EFAULT;
	if (caps.flags)
		return -EINVAL;

	kvmc_fill_compat_caps(&caps);
	if (copy_to_user(argp, &caps, sizeof(caps)))
		return -EFAULT;
	return 0;
}
