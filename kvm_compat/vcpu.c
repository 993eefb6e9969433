// SPDX-License-Identifier: GPL-2.0
/*
 * kvm_compat: vCPU fds, KVM_CREATE_VCPU and the mmap'ed struct kvm_run.
 *
 * A vCPU belongs to its VM: closing the vCPU fd drops a reference on the
 * VM, and the vCPU itself lives until the VM goes, as in KVM.
 */

#include <linux/anon_inodes.h>
#include <linux/fs.h>
#include <linux/kvm.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/slab.h>

#include <kvm_compat/kvmc.h>

static vm_fault_t kvmc_vcpu_fault(struct vm_fault *vmf)
{
	struct kvmc_vcpu *vcpu = vmf->vma->vm_file->private_data;
	void *addr;

	switch (vmf->pgoff) {
	case KVMC_RUN_PAGE_OFFSET:
		addr = vcpu->run;
		break;
	case KVMC_PIO_PAGE_OFFSET:
		addr = vcpu->pio_data;
		break;
	case KVMC_COALESCED_MMIO_PAGE_OFFSET:
		addr = vcpu->vm->coalesced_mmio_ring;
		break;
	default:
		return VM_FAULT_SIGBUS;
	}

	vmf->page = virt_to_page(addr);
	get_page(vmf->page);
	return 0;
}

static const struct vm_operations_struct kvmc_vcpu_vm_ops = {
	.fault = kvmc_vcpu_fault,
};

static int kvmc_vcpu_mmap(struct file *filp, struct vm_area_struct *vma)
{
	vma->vm_ops = &kvmc_vcpu_vm_ops;
	return 0;
}

static int kvmc_vcpu_release(struct inode *inode, struct file *filp)
{
	struct kvmc_vcpu *vcpu = filp->private_data;

	kvmc_vm_put(vcpu->vm);
	return 0;
}

/*
 * KVM_SET_SIGNAL_MASK from a native caller, its mutex held: parse a
 * sigset_t and install it (run.c).
 */
static long kvmc_vcpu_ioctl_set_sigmask(struct kvmc_vcpu *vcpu,
					void __user *argp)
{
	struct kvm_signal_mask __user *sigmask_arg = argp;
	struct kvm_signal_mask kvm_sigmask;
	sigset_t sigset;

	if (!argp) {
		kvmc_vcpu_install_sigmask(vcpu, NULL);
		return 0;
	}

	if (copy_from_user(&kvm_sigmask, argp, sizeof(kvm_sigmask)))
		return -EFAULT;
	if (kvm_sigmask.len != sizeof(sigset))
		return -EINVAL;
	if (copy_from_user(&sigset, sigmask_arg->sigset, sizeof(sigset)))
		return -EFAULT;
	kvmc_vcpu_install_sigmask(vcpu, &sigset);
	return 0;
}

static long kvmc_vcpu_ioctl_locked(struct kvmc_vcpu *vcpu, unsigned int cmd,
				   unsigned long arg)
{
	switch (cmd) {
	case KVM_RUN:
		if (arg)
			return -EINVAL;
		return kvmc_vcpu_run(vcpu);
	case KVM_SET_SIGNAL_MASK:
		return kvmc_vcpu_ioctl_set_sigmask(vcpu, (void __user *)arg);
	default:
		return kvmc_arch_vcpu_ioctl(vcpu, cmd, (void __user *)arg);
	}
}

/**
 * kvmc_vcpu_ioctl() - ioctls on a vCPU fd
 * @filp: the vCPU file
 * @cmd: KVM_RUN, KVM_SET_SIGNAL_MASK or an architecture vCPU ioctl
 *	 (register state)
 * @arg: 0 for KVM_RUN, else a pointer to the command's structure
 *
 * Return: the command's result; -EIO from a process other than the VM's
 * creator; -EINVAL for a command that is not KVM's (wrong ioctl type) or
 * that the architecture does not know; -EINTR if a fatal signal arrives
 * while waiting for another ioctl on the same vCPU.
 */
long kvmc_vcpu_ioctl(struct file *filp, unsigned int cmd, unsigned long arg)
{
	struct kvmc_vcpu *vcpu = filp->private_data;
	long r;

	if (vcpu->vm->mm != current->mm)
		return -EIO;
	if (_IOC_TYPE(cmd) != KVMIO)
		return -EINVAL;

	if (mutex_lock_killable(&vcpu->mutex))
		return -EINTR;
	r = kvmc_vcpu_ioctl_locked(vcpu, cmd, arg);
	mutex_unlock(&vcpu->mutex);
	return r;
}

static const struct file_operations kvmc_vcpu_fops = {
	.owner		= THIS_MODULE,
	.release	= kvmc_vcpu_release,
	.unlocked_ioctl	= kvmc_vcpu_ioctl,
	.mmap		= kvmc_vcpu_mmap,
	.llseek		= noop_llseek,
	KVMC_COMPAT(kvmc_vcpu_compat_ioctl),
};

static struct kvmc_vcpu *kvmc_vcpu_alloc(struct kvmc_vm *vm, u32 id)
{
	struct kvmc_vcpu *vcpu;

	vcpu = kzalloc(sizeof(*vcpu), GFP_KERNEL_ACCOUNT);
	if (!vcpu)
		return NULL;

	vcpu->run = (void *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	if (!vcpu->run)
		goto free_vcpu;
	vcpu->pio_data = (void *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	if (!vcpu->pio_data)
		goto free_run;

	vcpu->vm = vm;
	vcpu->vcpu_id = id;
	mutex_init(&vcpu->mutex);
	kvmc_arch_vcpu_reset(vcpu);
	return vcpu;

free_run:
	free_page((unsigned long)vcpu->run);
free_vcpu:
	kfree(vcpu);
	return NULL;
}

void kvmc_vcpu_destroy(struct kvmc_vcpu *vcpu)
{
	kvmc_arch_vcpu_destroy(vcpu);
	free_page((unsigned long)vcpu->pio_data);
	free_page((unsigned long)vcpu->run);
	kfree(vcpu);
}

/**
 * kvmc_vm_create_vcpu() - KVM_CREATE_VCPU
 * @vm: the VM
 * @id: the new vCPU's id (a scalar, never a pointer)
 *
 * In the order of 7.3's kvm_vm_ioctl_create_vcpu(), all under the VM's
 * lock: the id, the vCPU limit, the id's uniqueness, and only then the
 * allocations.  So a full VM answers -EINVAL and a duplicate id -EEXIST
 * whatever the memory (Documentation/by-version.rst: before 7.3 upstream
 * found the duplicate after allocating).
 *
 * Return: a new vCPU fd; -EINVAL if @id is at least KVM_CAP_MAX_VCPU_ID or
 * the VM already has KVM_CAP_MAX_VCPUS vCPUs; -EEXIST if @id is taken;
 * -ENOMEM; another negative errno when the fd cannot be made.
 */
int kvmc_vm_create_vcpu(struct kvmc_vm *vm, unsigned long id)
{
	struct kvmc_vcpu *vcpu;
	char name[sizeof("kvm-vcpu:") + 10];
	int r;

	if (id >= KVMC_MAX_VCPU_IDS)
		return -EINVAL;

	mutex_lock(&vm->lock);
	r = -EINVAL;
	if (vm->created_vcpus >= KVMC_MAX_VCPUS)
		goto unlock;
	r = -EEXIST;
	if (xa_load(&vm->vcpus, id))
		goto unlock;

	r = -ENOMEM;
	vcpu = kvmc_vcpu_alloc(vm, id);
	if (!vcpu)
		goto unlock;

	r = xa_insert(&vm->vcpus, id, vcpu, GFP_KERNEL_ACCOUNT);
	if (r)
		goto destroy_vcpu;
	vm->created_vcpus++;

	/* The vCPU fd's reference; its release drops it. */
	kvmc_vm_get(vm);
	snprintf(name, sizeof(name), "kvm-vcpu:%u", vcpu->vcpu_id);
	r = anon_inode_getfd(name, &kvmc_vcpu_fops, vcpu, O_RDWR | O_CLOEXEC);
	if (r < 0)
		goto put_vm_erase_vcpu;
	mutex_unlock(&vm->lock);
	return r;

put_vm_erase_vcpu:
	kvmc_vm_put(vm);
	vm->created_vcpus--;
	xa_erase(&vm->vcpus, id);
destroy_vcpu:
	kvmc_vcpu_destroy(vcpu);
unlock:
	mutex_unlock(&vm->lock);
	return r;
}
