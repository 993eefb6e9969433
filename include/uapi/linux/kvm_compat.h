/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * kvm_compat's own ABI, beside the KVM API of <linux/kvm.h> that
 * /dev/kvm_compat speaks: what only this device has, and what upstream
 * KVM answers as it answers anything it does not know (KVM_CHECK_EXTENSION
 * gives 0, KVM_ENABLE_CAP and unknown system ioctls EINVAL).
 * Documentation/api.rst describes each; Documentation/migration.rst why
 * they exist.
 *
 * Every structure here is made of __u64 only: the same size and offsets
 * for x86_64, ia32 and x32, so the same ioctl number and no compat
 * handler.
 */
#ifndef _UAPI_LINUX_KVM_COMPAT_H
#define _UAPI_LINUX_KVM_COMPAT_H

#include <linux/ioctl.h>
#include <linux/types.h>

/*
 * KVM_ENABLE_CAP on a VM fd, args[0] = a guest revision: the VM runs the
 * guest-visible behaviour of that revision (1 up to the newest; before
 * any vCPU exists).  KVM_CHECK_EXTENSION gives the newest revision on the
 * system fd and the VM's own on a VM fd.  A number far above KVM's own
 * capabilities (a few hundred), which KVM allocates from 0 up.
 */
#define KVMC_CAP_GUEST_REV		0x4b430001

/*
 * KVMC_GET_COMPAT_CAPS on the system fd: what this device serves to
 * compat (ia32, x32) callers.  The caller sets size and flags, the
 * device fills the rest.  Checked in this order: size not readable
 * (EFAULT), size != sizeof(struct kvmc_compat_caps) (EINVAL), the
 * structure not readable (EFAULT), flags != 0 (EINVAL), the structure
 * not writable (EFAULT).
 *
 * Type 0xBE: no block of Documentation/userspace-api/ioctl/ioctl-number.rst
 * (7.3) has it, and it is not KVM's 0xAE, so no KVM ioctl of any kernel
 * can ever have this number.
 */
#define KVMC_IOCTL_TYPE			0xBE

/* compat_abis: the compat ABIs whose callers the device translates. */
#define KVMC_COMPAT_ABI_IA32		(1ULL << 0)
#define KVMC_COMPAT_ABI_X32		(1ULL << 1)

#define KVMC_COMPAT_CAPS_MAX_IOCTLS	16

/**
 * struct kvmc_compat_caps - what /dev/kvm_compat serves to compat callers
 * @size:	in: sizeof(struct kvmc_compat_caps), 184
 * @flags:	in: 0 (reserved)
 * @translate:	1 when compat callers' ioctls are translated
 *		(CONFIG_KVM_COMPAT_REF_TRANSLATE=y), 0 when they are refused
 * @compat_abis: KVMC_COMPAT_ABI_* served: the kernel was built with the
 *		ABI and @translate is 1 (whether the running kernel execs
 *		such binaries, ia32_emulation= and syscall.x32=, is the
 *		kernel's business)
 * @quirks:	the KVM_X86_QUIRK_* this device implements, as
 *		KVM_CHECK_EXTENSION(KVM_CAP_DISABLE_QUIRKS2) reports them
 * @guest_revs:	bit n set: guest revision n can be selected with
 *		KVMC_CAP_GUEST_REV
 * @nr_ioctls:	entries of @ioctls in use
 * @ioctls:	the ioctl numbers, as a compat caller issues them, that the
 *		device's .compat_ioctl translates rather than passes through
 */
struct kvmc_compat_caps {
	__u64 size;
	__u64 flags;
	__u64 translate;
	__u64 compat_abis;
	__u64 quirks;
	__u64 guest_revs;
	__u64 nr_ioctls;
	__u64 ioctls[KVMC_COMPAT_CAPS_MAX_IOCTLS];
};

#define KVMC_GET_COMPAT_CAPS	_IOWR(KVMC_IOCTL_TYPE, 0x00, struct kvmc_compat_caps)

#endif /* _UAPI_LINUX_KVM_COMPAT_H */
