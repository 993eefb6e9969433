// SPDX-License-Identifier: GPL-2.0
/*
 * kvm_compat: VM fds.
 *
 * A VM belongs to the process that created it (its mm) and holds its
 * vCPUs and memslots.  The VM fd and every vCPU fd each hold a reference;
 * the last one to go frees everything, as kvm_put_kvm() does.
 */

#include <linux/anon_inodes.h>
#include <linux/fs.h>
#include <linux/kvm.h>
#include <linux/kvm_compat.h>
#include <linux/module.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/srcu.h>

#include <kvm_compat/kvmc.h>

void kvmc_vm_get(struct kvmc_vm *vm)
{
	refcount_inc(&vm->users);
}

static void kvmc_destroy_vm(struct kvmc_vm *vm)
{
	struct kvmc_vcpu *vcpu;
	unsigned long id;

	xa_for_each(&vm->vcpus, id, vcpu)
		kvmc_vcpu_destroy(vcpu);
	xa_destroy(&vm->vcpus);
	kvmc_free_memslots(vm);
	kvmc_arch_vm_destroy(vm);
	cleanup_srcu_struct(&vm->srcu);
	free_page((unsigned long)vm->coalesced_mmio_ring);
	mmdrop(vm->mm);
	kfree(vm);
}

void kvmc_vm_put(struct kvmc_vm *vm)
{
	if (refcount_dec_and_test(&vm->users))
		kvmc_destroy_vm(vm);
}

static int kvmc_vm_release(struct inode *inode, struct file *filp)
{
	kvmc_vm_put(filp->private_data);
	return 0;
}

static long kvmc_vm_ioctl_set_memory_region(struct kvmc_vm *vm,
					    void __user *argp)
{
	struct kvm_userspace_memory_region mem;

	if (copy_from_user(&mem, argp, sizeof(mem)))
		return -EFAULT;

	return kvmc_set_memory_region(vm, &mem);
}

static long kvmc_vm_ioctl_get_dirty_log(struct kvmc_vm *vm, void __user *argp)
{
	struct kvm_dirty_log log;

	if (copy_from_user(&log, argp, sizeof(log)))
		return -EFAULT;

	return kvmc_get_dirty_log(vm, &log);
}

static long kvmc_vm_ioctl_clear_dirty_log(struct kvmc_vm *vm,
					  void __user *argp)
{
	struct kvm_clear_dirty_log log;

	if (copy_from_user(&log, argp, sizeof(log)))
		return -EFAULT;

	return kvmc_clear_dirty_log(vm, &log);
}

static long kvmc_vm_ioctl_enable_cap(struct kvmc_vm *vm, void __user *argp)
{
	struct kvm_enable_cap cap;
	u64 allowed;

	if (copy_from_user(&cap, argp, sizeof(cap)))
		return -EFAULT;

	if (cap.cap == KVMC_CAP_GUEST_REV)
		return kvmc_vm_enable_guest_rev(vm, &cap);
	if (cap.cap != KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2)
		return kvmc_arch_vm_enable_cap(vm, &cap);

	allowed = KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE;
	if (cap.args[0] & KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE)
		allowed = KVMC_DIRTY_LOG_MANUAL_CAPS;
	if (cap.flags || (cap.args[0] & ~allowed))
		return -EINVAL;
	/* Read by the dirty-log ioctls and new logging slots, under it. */
	mutex_lock(&vm->slots_lock);
	vm->manual_dirty_log_protect = cap.args[0];
	mutex_unlock(&vm->slots_lock);
	return 0;
}

/**
 * kvmc_vm_ioctl() - ioctls on a VM fd
 * @filp: the VM file
 * @cmd: KVM_CREATE_VCPU, KVM_SET_USER_MEMORY_REGION, KVM_CHECK_EXTENSION,
 *	 KVM_GET_DIRTY_LOG, KVM_CLEAR_DIRTY_LOG, KVM_ENABLE_CAP, or an
 *	 architecture VM ioctl
 * @arg: a vCPU id or capability number, or a pointer to the command's
 *	 structure
 *
 * Return: the command's result; -EIO from a process other than the VM's
 * creator; -ENOTTY for unknown commands (x86's kvm_arch_vm_ioctl()).
 */
long kvmc_vm_ioctl(struct file *filp, unsigned int cmd, unsigned long arg)
{
	struct kvmc_vm *vm = filp->private_data;

	if (vm->mm != current->mm)
		return -EIO;

	switch (cmd) {
	case KVM_CREATE_VCPU:
		return kvmc_vm_create_vcpu(vm, arg);
	case KVM_SET_USER_MEMORY_REGION:
		return kvmc_vm_ioctl_set_memory_region(vm, (void __user *)arg);
	case KVM_CHECK_EXTENSION:
		return kvmc_vm_check_extension(vm, arg);
	case KVM_GET_DIRTY_LOG:
		return kvmc_vm_ioctl_get_dirty_log(vm, (void __user *)arg);
	case KVM_CLEAR_DIRTY_LOG:
		return kvmc_vm_ioctl_clear_dirty_log(vm, (void __user *)arg);
	case KVM_ENABLE_CAP:
		return kvmc_vm_ioctl_enable_cap(vm, (void __user *)arg);
	default:
		return kvmc_arch_vm_ioctl(vm, cmd, (void __user *)arg);
	}
}

static const struct file_operations kvmc_vm_fops = {
	.owner		= THIS_MODULE,
	.release	= kvmc_vm_release,
	.unlocked_ioctl	= kvmc_vm_ioctl,
	.llseek		= noop_llseek,
	KVMC_COMPAT(kvmc_vm_compat_ioctl),
};

static struct kvmc_vm *kvmc_alloc_vm(void)
{
	struct kvmc_vm *vm;

	vm = kzalloc(sizeof(*vm), GFP_KERNEL_ACCOUNT);
	if (!vm)
		return NULL;

	vm->coalesced_mmio_ring = (void *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	if (!vm->coalesced_mmio_ring)
		goto free_vm;
	if (init_srcu_struct(&vm->srcu))
		goto free_ring;

	vm->guest_rev = KVMC_GUEST_REV_LATEST;
	refcount_set(&vm->users, 1);
	mutex_init(&vm->lock);
	mutex_init(&vm->slots_lock);
	xa_init(&vm->vcpus);
	mmgrab(current->mm);
	vm->mm = current->mm;
	return vm;

free_ring:
	free_page((unsigned long)vm->coalesced_mmio_ring);
free_vm:
	kfree(vm);
	return NULL;
}

/**
 * kvmc_create_vm() - KVM_CREATE_VM
 * @type: machine type; x86 KVM's default VM, 0, is the only one
 *
 * Return: a new VM fd, -EINVAL for another @type, -ENOMEM or another
 * negative errno when the fd cannot be made.
 */
int kvmc_create_vm(unsigned long type)
{
	struct kvmc_vm *vm;
	int fd;

	if (type)
		return -EINVAL;

	vm = kvmc_alloc_vm();
	if (!vm)
		return -ENOMEM;

	fd = anon_inode_getfd("kvm-vm", &kvmc_vm_fops, vm, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		kvmc_vm_put(vm);
	return fd;
}
