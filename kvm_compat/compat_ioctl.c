// SPDX-License-Identifier: GPL-2.0
/*
 * kvm_compat: the .compat_ioctl handlers (CONFIG_KVM_COMPAT_REF_TRANSLATE=y).
 *
 * A compat (ia32 or x32) caller's ioctl arrives here.  Each handler
 * translates what differs for such a caller and hands everything else to
 * the native handler, as kvm_vm_compat_ioctl() and
 * kvm_vcpu_compat_ioctl() do in virt/kvm/kvm_main.c.
 *
 * Per ioctl, for ia32 and x32 alike (every structure below is made of
 * fixed-width fields with each __u64 at a multiple of 8, so ia32's 4-byte
 * __u64 alignment changes nothing and x32 matches x86_64):
 *
 *   system fd   all commands      scalar argument, passed through
 *   VM fd       KVM_SET_USER_MEMORY_REGION
 *                                 userspace_addr through compat_ptr(),
 *                                 refused if a compat task cannot reach it
 *               KVM_GET_DIRTY_LOG, KVM_CLEAR_DIRTY_LOG
 *                                 compat structure: dirty_bitmap is a
 *                                 compat_uptr_t in a union with a __u64
 *               KVM_X86_SET_MSR_FILTER (its compat number)
 *                                 compat structure, see x86_compat_ioctl.c
 *               KVM_CREATE_VCPU, KVM_CHECK_EXTENSION
 *                                 scalar argument, passed through
 *               KVM_ENABLE_CAP    pointer, structure passed through
 *   vCPU fd     KVM_SET_SIGNAL_MASK
 *                                 the mask is a compat_sigset_t
 *               KVM_RUN           scalar argument, passed through
 *               KVM_{GET,SET}_{REGS,SREGS}
 *                                 pointer through compat_ptr(), structure
 *                                 passed through
 */

#include <linux/build_bug.h>
#include <linux/compat.h>
#include <linux/fs.h>
#include <linux/kvm.h>
#include <linux/stddef.h>
#include <linux/uaccess.h>

#include <kvm_compat/kvmc.h>

/* struct kvm_userspace_memory_region as an ia32 compiler lays it out. */
struct kvmc_ia32_userspace_memory_region {
	__u32 slot;
	__u32 flags;
	compat_u64 guest_phys_addr;
	compat_u64 memory_size;
	compat_u64 userspace_addr;
};

static_assert(sizeof(struct kvm_userspace_memory_region) ==
	      sizeof(struct kvmc_ia32_userspace_memory_region));
static_assert(offsetof(struct kvm_userspace_memory_region, userspace_addr) ==
	      offsetof(struct kvmc_ia32_userspace_memory_region, userspace_addr));

/*
 * struct kvm_dirty_log and struct kvm_clear_dirty_log as a compat caller
 * sends them: the bitmap pointer shares a union with a __u64, so it is a
 * compat_uptr_t in the union's first four bytes.
 */
struct kvmc_compat_dirty_log {
	__u32 slot;
	__u32 padding1;
	union {
		compat_uptr_t dirty_bitmap;
		__u64 padding2;
	};
};

struct kvmc_compat_clear_dirty_log {
	__u32 slot;
	__u32 num_pages;
	__u64 first_page;
	union {
		compat_uptr_t dirty_bitmap;
		__u64 padding2;
	};
};

static_assert(sizeof(struct kvmc_compat_dirty_log) == sizeof(struct kvm_dirty_log));
static_assert(sizeof(struct kvmc_compat_clear_dirty_log) ==
	      sizeof(struct kvm_clear_dirty_log));

/**
 * kvmc_compat_arg() - a compat caller's ioctl argument, made native
 * @cmd: the ioctl command
 * @arg: the caller's 32-bit argument, zero-extended
 *
 * KVM's ioctl numbers say whether the argument is a pointer: _IOR, _IOW
 * and _IOWR commands take one, _IO commands take a scalar (a VM type, a
 * vCPU id, a capability).  Only a pointer goes through compat_ptr(); a
 * scalar must not, since compat_ptr() may change bits (s390 clears the
 * top one).
 *
 * Return: the argument to hand to the native handler.
 */
static unsigned long kvmc_compat_arg(unsigned int cmd, unsigned long arg)
{
	if (_IOC_DIR(cmd) == _IOC_NONE)
		return arg;
	return (unsigned long)compat_ptr((compat_uptr_t)arg);
}

/**
 * kvmc_compat_reaches() - can a compat task address [hva, hva + size)?
 * @hva: first byte, as the caller gave it
 * @size: length in bytes
 *
 * True when the range lies within what a compat pointer can name: every
 * byte fits in compat_uptr_t and compat_ptr() maps it to itself.
 *
 * Return: true if the whole range is reachable.
 */
static bool kvmc_compat_reaches(u64 hva, u64 size)
{
	u64 last = size ? hva + size - 1 : hva;

	return last >= hva && last == (compat_uptr_t)last &&
	       (u64)(unsigned long)compat_ptr(last) == last &&
	       (u64)(unsigned long)compat_ptr(hva) == hva;
}

static long kvmc_compat_set_memory_region(struct kvmc_vm *vm,
					  void __user *argp)
{
	struct kvm_userspace_memory_region mem;

	if (copy_from_user(&mem, argp, sizeof(mem)))
		return -EFAULT;

	if (!kvmc_compat_reaches(mem.userspace_addr, mem.memory_size))
		return -EINVAL;
	mem.userspace_addr = (u64)(unsigned long)compat_ptr(mem.userspace_addr);

	return kvmc_set_memory_region(vm, &mem);
}

static long kvmc_compat_get_dirty_log(struct kvmc_vm *vm, void __user *argp)
{
	struct kvmc_compat_dirty_log compat_log;
	struct kvm_dirty_log log;

	if (copy_from_user(&compat_log, argp, sizeof(compat_log)))
		return -EFAULT;

	memset(&log, 0, sizeof(log));
	log.slot = compat_log.slot;
	log.padding1 = compat_log.padding1;
	log.dirty_bitmap = compat_ptr(compat_log.dirty_bitmap);
	return kvmc_get_dirty_log(vm, &log);
}

static long kvmc_compat_clear_dirty_log(struct kvmc_vm *vm, void __user *argp)
{
	struct kvmc_compat_clear_dirty_log compat_log;
	struct kvm_clear_dirty_log log;

	if (copy_from_user(&compat_log, argp, sizeof(compat_log)))
		return -EFAULT;

	memset(&log, 0, sizeof(log));
	log.slot = compat_log.slot;
	log.num_pages = compat_log.num_pages;
	log.first_page = compat_log.first_page;
	log.dirty_bitmap = compat_ptr(compat_log.dirty_bitmap);
	return kvmc_clear_dirty_log(vm, &log);
}

/*
 * KVM_SET_SIGNAL_MASK: the mask is a compat_sigset_t, and len must be its
 * size (kvm_vcpu_compat_ioctl()).  Parsed here, then installed under the
 * vCPU's mutex, which this handler takes itself (run.c tells the whole
 * story).  Upstream installs a compat caller's mask without the mutex.
 */
static long kvmc_compat_vcpu_set_sigmask(struct kvmc_vcpu *vcpu,
					 void __user *argp)
{
	struct kvm_signal_mask __user *sigmask_arg = argp;
	struct kvm_signal_mask kvm_sigmask;
	sigset_t sigset;

	if (argp) {
		if (copy_from_user(&kvm_sigmask, argp, sizeof(kvm_sigmask)))
			return -EFAULT;
		if (kvm_sigmask.len != sizeof(compat_sigset_t))
			return -EINVAL;
		if (get_compat_sigset(&sigset,
				      (compat_sigset_t __user *)sigmask_arg->sigset))
			return -EFAULT;
	}

	if (mutex_lock_killable(&vcpu->mutex))
		return -EINTR;
	kvmc_vcpu_install_sigmask(vcpu, argp ? &sigset : NULL);
	mutex_unlock(&vcpu->mutex);
	return 0;
}

/**
 * kvmc_compat_translated_ioctls() - the ioctls this file translates
 * @ioctls: where to put their numbers, as a compat caller issues them
 * @max: room in @ioctls
 *
 * For KVMC_GET_COMPAT_CAPS: the commands kvmc_vm_compat_ioctl() and
 * kvmc_vcpu_compat_ioctl() have their own case for, then the
 * architecture's.
 *
 * Return: how many it put (at most @max).
 */
unsigned int kvmc_compat_translated_ioctls(u64 *ioctls, unsigned int max)
{
	static const u32 translated[] = {
		KVM_SET_USER_MEMORY_REGION, KVM_GET_DIRTY_LOG,
		KVM_CLEAR_DIRTY_LOG, KVM_SET_SIGNAL_MASK,
	};
	unsigned int i, n = 0;

	for (i = 0; i < ARRAY_SIZE(translated) && n < max; i++)
		ioctls[n++] = translated[i];
	return n + kvmc_arch_compat_translated_ioctls(ioctls + n, max - n);
}

/**
 * kvmc_dev_compat_ioctl() - compat ioctls on the system fd
 * @filp: the /dev/kvm_compat file
 * @cmd: the ioctl command
 * @arg: the caller's argument
 *
 * Return: as kvmc_dev_ioctl().
 */
long kvmc_dev_compat_ioctl(struct file *filp, unsigned int cmd,
			   unsigned long arg)
{
	return kvmc_dev_ioctl(filp, cmd, kvmc_compat_arg(cmd, arg));
}

/**
 * kvmc_vm_compat_ioctl() - compat ioctls on a VM fd
 * @filp: the VM file
 * @cmd: the ioctl command
 * @arg: the caller's argument
 *
 * As kvm_vm_compat_ioctl(): the caller's mm is checked first, then the
 * commands whose structure differs for a compat caller are translated,
 * and the rest go to the native handler with the argument
 * kvmc_compat_arg() makes of @arg (a scalar is passed as it is).
 *
 * Return: as kvmc_vm_ioctl(); KVM_SET_USER_MEMORY_REGION also fails with
 * -EINVAL for a region beyond the compat address space.
 */
long kvmc_vm_compat_ioctl(struct file *filp, unsigned int cmd,
			  unsigned long arg)
{
	struct kvmc_vm *vm = filp->private_data;
	long r;

	if (vm->mm != current->mm)
		return -EIO;

	switch (cmd) {
	case KVM_SET_USER_MEMORY_REGION:
		return kvmc_compat_set_memory_region(vm, compat_ptr(arg));
	case KVM_GET_DIRTY_LOG:
		return kvmc_compat_get_dirty_log(vm, compat_ptr(arg));
	case KVM_CLEAR_DIRTY_LOG:
		return kvmc_compat_clear_dirty_log(vm, compat_ptr(arg));
	default:
		r = kvmc_arch_vm_compat_ioctl(vm, cmd, arg);
		if (r != -ENOIOCTLCMD)
			return r;
		return kvmc_vm_ioctl(filp, cmd, kvmc_compat_arg(cmd, arg));
	}
}

/**
 * kvmc_vcpu_compat_ioctl() - compat ioctls on a vCPU fd
 * @filp: the vCPU file
 * @cmd: the ioctl command
 * @arg: the caller's argument
 *
 * As kvm_vcpu_compat_ioctl(): the caller's mm is checked first, for every
 * command; KVM_SET_SIGNAL_MASK takes a compat_sigset_t and is installed
 * under the vCPU's mutex, as the native one.
 *
 * Return: as kvmc_vcpu_ioctl().
 */
long kvmc_vcpu_compat_ioctl(struct file *filp, unsigned int cmd,
			    unsigned long arg)
{
	struct kvmc_vcpu *vcpu = filp->private_data;

	if (vcpu->vm->mm != current->mm)
		return -EIO;

	switch (cmd) {
	case KVM_SET_SIGNAL_MASK:
		return kvmc_compat_vcpu_set_sigmask(vcpu, compat_ptr(arg));
	default:
		return kvmc_vcpu_ioctl(filp, cmd, kvmc_compat_arg(cmd, arg));
	}
}
