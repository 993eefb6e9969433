// SPDX-License-Identifier: GPL-2.0
/*
 * kvm_compat: x86 quirks, KVM_CAP_DISABLE_QUIRKS and
 * KVM_CAP_DISABLE_QUIRKS2 on a VM fd.
 *
 * A quirk is an old KVM behaviour kept by default so that old userspace
 * keeps working; userspace that wants the architectural behaviour
 * disables it.  As the newest upstream (arch/x86/kvm/x86.c
 * kvm_vm_ioctl_enable_cap()): version 1 drops the bits it does not know,
 * version 2 refuses them with EINVAL, and neither can enable a quirk
 * again.  kvm_compat implements the quirks its guest or VMM can observe;
 * the supported mask says which (Documentation/migration.rst, "Quirks",
 * says why each of upstream's is in or out).
 */

#include <linux/kvm.h>
#include <linux/mutex.h>

#include <kvm_compat/kvmc.h>
#include <kvm_compat/version_shims.h>

/**
 * kvmc_x86_disable_quirks() - KVM_ENABLE_CAP(KVM_CAP_DISABLE_QUIRKS{,2})
 * @vm: the VM
 * @cap: the capability, flags already checked to be 0; args[0] the quirks
 *
 * Return: 0; -EINVAL for KVM_CAP_DISABLE_QUIRKS2 with a quirk this device
 * does not implement (nothing is disabled then).
 */
int kvmc_x86_disable_quirks(struct kvmc_vm *vm, const struct kvm_enable_cap *cap)
{
	u64 quirks = cap->args[0];

	if (cap->cap == KVMC_CAP_DISABLE_QUIRKS2 &&
	    (quirks & ~KVMC_X86_SUPPORTED_QUIRKS))
		return -EINVAL;

	mutex_lock(&vm->lock);
	WRITE_ONCE(vm->arch.disabled_quirks,
		   vm->arch.disabled_quirks | (quirks & KVMC_X86_SUPPORTED_QUIRKS));
	mutex_unlock(&vm->lock);
	return 0;
}

/**
 * kvmc_x86_has_quirk() - is @quirk still in force in @vm?
 * @vm: the VM
 * @quirk: a KVM_X86_QUIRK_* bit
 *
 * Return: true unless userspace disabled it, as kvm_check_has_quirk().
 */
bool kvmc_x86_has_quirk(struct kvmc_vm *vm, u64 quirk)
{
	return !(READ_ONCE(vm->arch.disabled_quirks) & quirk);
}

u64 kvmc_arch_supported_quirks(void)
{
	return KVMC_X86_SUPPORTED_QUIRKS;
}
