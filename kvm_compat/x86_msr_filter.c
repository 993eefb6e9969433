// SPDX-License-Identifier: GPL-2.0
/*
 * kvm_compat: x86 MSR filtering, KVM_X86_SET_MSR_FILTER.
 *
 * As kvm_vm_ioctl_set_msr_filter() and kvm_msr_allowed() in
 * arch/x86/kvm/x86.c.  struct kvm_msr_filter_range holds a pointer, so the
 * ioctl has two numbers (0x4188aec6 for x86_64, 0x4104aec6 for ia32 and
 * x32, which both lay the range out in 16 bytes); the compat handler
 * rebuilds the native structure and calls kvmc_x86_set_msr_filter().
 *
 * The filter is shared as upstream shares it: vCPUs read it under the VM's
 * srcu; a new filter replaces the old under the VM's lock, and
 * KVM_X86_SET_MSR_FILTER waits for the readers and frees the old one
 * before it returns.  So each call frees what it replaces: however fast
 * userspace calls, a VM holds its filter plus the new one of each call in
 * progress, and the module leaves nothing behind when it is unloaded.
 * Upstream waits with synchronize_srcu(); kvm_compat with
 * synchronize_srcu_expedited(), as both do for memslots: the same
 * guarantee, but a plain grace period that starts within 25 us of the
 * last one (srcu_might_be_idle()'s exp_holdoff) waits a jiffy, and calls
 * in a row then take milliseconds each (Documentation/bench.rst).
 */

#include <linux/bitmap.h>
#include <linux/kvm.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/srcu.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include <kvm_compat/kvmc.h>

#define KVMC_MSR_FILTER_RANGE_VALID	(KVM_MSR_FILTER_READ | KVM_MSR_FILTER_WRITE)
#define KVMC_X2APIC_MSR_FIRST		0x800
#define KVMC_X2APIC_MSR_LAST		0x8ff

void kvmc_x86_free_msr_filter(struct kvmc_msr_filter *filter)
{
	unsigned int i;

	if (!filter)
		return;
	for (i = 0; i < filter->count; i++)
		kfree(filter->ranges[i].bitmap);
	kfree(filter);
}

static int kvmc_add_msr_range(struct kvmc_msr_filter *filter,
			      const struct kvm_msr_filter_range *range)
{
	struct kvmc_msr_filter_range *r = &filter->ranges[filter->count];
	size_t bytes;

	if (!range->nmsrs)
		return 0;
	if (!range->flags || (range->flags & ~KVMC_MSR_FILTER_RANGE_VALID))
		return -EINVAL;

	bytes = BITS_TO_LONGS(range->nmsrs) * sizeof(long);
	if (bytes > KVM_MSR_FILTER_MAX_BITMAP_SIZE)
		return -EINVAL;

	r->bitmap = memdup_user((const void __user *)range->bitmap, bytes);
	if (IS_ERR(r->bitmap)) {
		int err = PTR_ERR(r->bitmap);

		r->bitmap = NULL;
		return err;
	}
	r->flags = range->flags;
	r->base = range->base;
	r->nmsrs = range->nmsrs;
	filter->count++;
	return 0;
}

/**
 * kvmc_x86_set_msr_filter() - KVM_X86_SET_MSR_FILTER, after translation
 * @vm: the VM
 * @filter: the filter; each range's bitmap is a native user pointer
 *
 * Replaces the VM's filter, and returns once no vCPU uses the old one,
 * which it frees.  A set bit allows the MSR; an MSR in no range gets the
 * default (KVM_MSR_FILTER_DEFAULT_DENY or allow).
 *
 * Return: 0; -EINVAL for unknown flags, a default-deny filter with no
 * range, a non-empty range with no or unknown flags, a bitmap larger than
 * KVM_MSR_FILTER_MAX_BITMAP_SIZE; -EFAULT when a bitmap cannot be read;
 * -ENOMEM.
 */
int kvmc_x86_set_msr_filter(struct kvmc_vm *vm, const struct kvm_msr_filter *filter)
{
	struct kvmc_msr_filter *new, *old;
	bool empty = true;
	unsigned int i;
	int r;

	if (filter->flags & ~KVM_MSR_FILTER_DEFAULT_DENY)
		return -EINVAL;
	for (i = 0; i < ARRAY_SIZE(filter->ranges); i++)
		empty &= !filter->ranges[i].nmsrs;
	if (empty && (filter->flags & KVM_MSR_FILTER_DEFAULT_DENY))
		return -EINVAL;

	new = kzalloc(sizeof(*new), GFP_KERNEL_ACCOUNT);
	if (!new)
		return -ENOMEM;
	new->default_allow = !(filter->flags & KVM_MSR_FILTER_DEFAULT_DENY);

	for (i = 0; i < ARRAY_SIZE(filter->ranges); i++) {
		r = kvmc_add_msr_range(new, &filter->ranges[i]);
		if (r) {
			kvmc_x86_free_msr_filter(new);
			return r;
		}
	}

	mutex_lock(&vm->lock);
	old = rcu_replace_pointer(vm->arch.msr_filter, new,
				  lockdep_is_held(&vm->lock));
	mutex_unlock(&vm->lock);
	synchronize_srcu_expedited(&vm->srcu);
	kvmc_x86_free_msr_filter(old);
	return 0;
}

/**
 * kvmc_x86_msr_allowed() - does the VM's filter let the guest at an MSR?
 * @vm: the VM, in a read-side critical section of its srcu (a vCPU step)
 * @index: MSR index
 * @type: KVM_MSR_FILTER_READ or KVM_MSR_FILTER_WRITE
 *
 * x2APIC MSRs are never filtered; the first range holding @index for
 * @type decides; otherwise the filter's default, and without a filter
 * everything is allowed.
 *
 * Return: true if allowed.
 */
bool kvmc_x86_msr_allowed(struct kvmc_vm *vm, u32 index, u32 type)
{
	struct kvmc_msr_filter *filter;
	bool allowed = true;
	unsigned int i;

	if (index >= KVMC_X2APIC_MSR_FIRST && index <= KVMC_X2APIC_MSR_LAST)
		return true;

	filter = srcu_dereference(vm->arch.msr_filter, &vm->srcu);
	if (filter) {
		allowed = filter->default_allow;
		for (i = 0; i < filter->count; i++) {
			const struct kvmc_msr_filter_range *r = &filter->ranges[i];
			u32 end = r->base + r->nmsrs;	/* may wrap, as in KVM */

			if (index >= r->base && index < end && (r->flags & type)) {
				allowed = test_bit(index - r->base, r->bitmap);
				break;
			}
		}
	}
	return allowed;
}
