// SPDX-License-Identifier: GPL-2.0
/*
 * kvm_compat: dirty page logging, KVM_GET_DIRTY_LOG and KVM_CLEAR_DIRTY_LOG.
 *
 * As kvm_get_dirty_log_protect() and kvm_clear_dirty_log_protect() in
 * virt/kvm/kvm_main.c: a memslot with KVM_MEM_LOG_DIRTY_PAGES has a bitmap
 * of one bit per page, in unsigned longs, followed by a second one used as
 * the buffer for userspace.  Without KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2,
 * KVM_GET_DIRTY_LOG hands out the bits and clears them; with it, GET only
 * reads and KVM_CLEAR_DIRTY_LOG clears.  The compat handlers translate
 * the bitmap pointer and call the same functions.
 *
 * Both ioctls hold the VM's slots_lock while they copy the bitmap to or
 * from userspace, as kvm_vm_ioctl_get_dirty_log() and
 * kvm_vm_ioctl_clear_dirty_log() do: a copy that waits for a page (a
 * userfaultfd fault, a swap-in) holds up memslot updates, never a vCPU,
 * which marks pages dirty through the memslots it reads under the VM's
 * srcu.  A bitmap is freed only once no vCPU can see its slot.
 */

#include <linux/bitmap.h>
#include <linux/kvm.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include <kvm_compat/kvmc.h>

/* Bytes of one bitmap: whole unsigned longs, as KVM copies them. */
static unsigned long kvmc_dirty_bitmap_bytes(const struct kvmc_memslot *s)
{
	return ALIGN(s->npages, BITS_PER_LONG) / 8;
}

/**
 * kvmc_alloc_dirty_bitmap() - give a new slot its dirty bitmap
 * @vm: the VM, its slots_lock held
 * @s: the slot, not yet published
 *
 * Return: 0, or -ENOMEM.
 */
int kvmc_alloc_dirty_bitmap(struct kvmc_vm *vm, struct kvmc_memslot *s)
{
	lockdep_assert_held(&vm->slots_lock);

	s->dirty_bitmap = kvzalloc(2 * kvmc_dirty_bitmap_bytes(s),
				   GFP_KERNEL_ACCOUNT);
	if (!s->dirty_bitmap)
		return -ENOMEM;

	if (vm->manual_dirty_log_protect & KVM_DIRTY_LOG_INITIALLY_SET)
		bitmap_set(s->dirty_bitmap, 0, s->npages);
	return 0;
}

void kvmc_free_dirty_bitmap(struct kvmc_memslot *s)
{
	kvfree(s->dirty_bitmap);
	s->dirty_bitmap = NULL;
}

/* A vCPU wrote to @gfn of @s, a slot it found under the VM's srcu. */
void kvmc_mark_page_dirty(struct kvmc_memslot *s, u64 gfn)
{
	if (s->dirty_bitmap)
		set_bit(gfn - s->base_gfn, s->dirty_bitmap);
}

static unsigned long *kvmc_second_bitmap(const struct kvmc_memslot *s)
{
	return s->dirty_bitmap + kvmc_dirty_bitmap_bytes(s) / sizeof(long);
}

/* The slot a dirty-log ioctl names, if it exists and logs; slots_lock held. */
static struct kvmc_memslot *kvmc_logging_slot(struct kvmc_vm *vm, u32 slot)
{
	struct kvmc_memslot *s = kvmc_id_to_memslot(vm, slot);

	return s && s->dirty_bitmap ? s : NULL;
}

static int __kvmc_get_dirty_log(struct kvmc_vm *vm,
				const struct kvm_dirty_log *log)
{
	unsigned long *buf, n, i;
	struct kvmc_memslot *s;

	if (!kvmc_memslot_id_valid(log->slot))
		return -EINVAL;
	s = kvmc_logging_slot(vm, log->slot);
	if (!s)
		return -ENOENT;

	n = kvmc_dirty_bitmap_bytes(s);
	if (vm->manual_dirty_log_protect) {
		buf = s->dirty_bitmap;
	} else {
		buf = kvmc_second_bitmap(s);
		/* Only words with bits set need the atomic exchange. */
		for (i = 0; i < n / sizeof(long); i++)
			buf[i] = READ_ONCE(s->dirty_bitmap[i]) ?
				 xchg(&s->dirty_bitmap[i], 0) : 0;
	}

	if (copy_to_user(log->dirty_bitmap, buf, n))
		return -EFAULT;
	return 0;
}

/**
 * kvmc_get_dirty_log() - KVM_GET_DIRTY_LOG, after translation
 * @vm: the VM
 * @log: slot and a native user pointer to the bitmap
 *
 * Return: 0; -EINVAL for a bad slot number; -ENOENT for a slot that does
 * not exist or does not log; -EFAULT when the bitmap cannot be written.
 */
int kvmc_get_dirty_log(struct kvmc_vm *vm, const struct kvm_dirty_log *log)
{
	int r;

	mutex_lock(&vm->slots_lock);
	r = __kvmc_get_dirty_log(vm, log);
	mutex_unlock(&vm->slots_lock);
	return r;
}

static int __kvmc_clear_dirty_log(struct kvmc_vm *vm,
				  const struct kvm_clear_dirty_log *log)
{
	unsigned long *buf, i, n;
	struct kvmc_memslot *s;

	if (!kvmc_memslot_id_valid(log->slot) || (log->first_page & 63))
		return -EINVAL;
	s = kvmc_logging_slot(vm, log->slot);
	if (!s)
		return -ENOENT;

	if (log->first_page > s->npages ||
	    log->num_pages > s->npages - log->first_page ||
	    (log->num_pages < s->npages - log->first_page &&
	     (log->num_pages & 63)))
		return -EINVAL;

	n = ALIGN(log->num_pages, BITS_PER_LONG) / 8;
	buf = kvmc_second_bitmap(s);
	if (copy_from_user(buf, log->dirty_bitmap, n))
		return -EFAULT;

	for (i = 0; i < n / sizeof(long); i++)
		atomic_long_andnot(buf[i], (atomic_long_t *)
				   &s->dirty_bitmap[log->first_page / BITS_PER_LONG + i]);
	return 0;
}

/**
 * kvmc_clear_dirty_log() - KVM_CLEAR_DIRTY_LOG, after translation
 * @vm: the VM
 * @log: slot, page range and a native user pointer to the bits to clear
 *
 * Return: 0; -EINVAL for a bad slot number, a first_page that is not a
 * multiple of 64 or a range outside the slot (num_pages must be a
 * multiple of 64 unless the range ends at the slot's end); -ENOENT for a
 * slot that does not exist or does not log; -EFAULT when the bitmap
 * cannot be read.
 */
int kvmc_clear_dirty_log(struct kvmc_vm *vm,
			 const struct kvm_clear_dirty_log *log)
{
	int r;

	mutex_lock(&vm->slots_lock);
	r = __kvmc_clear_dirty_log(vm, log);
	mutex_unlock(&vm->slots_lock);
	return r;
}
