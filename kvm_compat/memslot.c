// SPDX-License-Identifier: GPL-2.0
/*
 * kvm_compat: memslots, KVM_SET_USER_MEMORY_REGION.
 *
 * The checks and their order follow kvm_vm_ioctl_set_memory_region() and
 * __kvm_set_memory_region() in virt/kvm/kvm_main.c, so that every bad
 * region gets the errno KVM gives it.  The caller hands in a region whose
 * userspace_addr is already a native pointer value: the compat handler has
 * translated it.
 */

#include <linux/kvm.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include <kvm_compat/kvmc.h>

#define KVMC_MEM_VALID_FLAGS	(KVM_MEM_LOG_DIRTY_PAGES | KVM_MEM_READONLY)

static bool kvmc_region_is_valid(const struct kvm_userspace_memory_region *mem)
{
	if (mem->flags & ~KVMC_MEM_VALID_FLAGS)
		return false;
	if (!PAGE_ALIGNED(mem->memory_size) || !PAGE_ALIGNED(mem->guest_phys_addr))
		return false;
	/* KVM reads guest memory with __get_user() and friends later on. */
	if (!PAGE_ALIGNED(mem->userspace_addr) ||
	    !access_ok(u64_to_user_ptr(mem->userspace_addr), mem->memory_size))
		return false;
	if ((mem->slot >> 16) >= KVMC_ADDRESS_SPACE_NUM)
		return false;
	if (mem->guest_phys_addr + mem->memory_size < mem->guest_phys_addr)
		return false;
	return (mem->memory_size >> PAGE_SHIFT) <= KVMC_MEM_MAX_NR_PAGES;
}

static bool kvmc_overlaps(struct xarray *slots, u16 id, u64 base_gfn, u64 npages)
{
	struct kvmc_memslot *s;
	unsigned long i;

	xa_for_each(slots, i, s) {
		if (s->id == id)
			continue;
		if (base_gfn < s->base_gfn + s->npages &&
		    s->base_gfn < base_gfn + npages)
			return true;
	}
	return false;
}

static void kvmc_free_memslot(struct kvmc_memslot *s)
{
	kvmc_free_dirty_bitmap(s);
	kfree(s);
}

/* Start or stop dirty logging as @flags ask; a running log is kept. */
static int kvmc_update_dirty_logging(struct kvmc_vm *vm,
				     struct kvmc_memslot *s, u32 flags)
{
	if (!(flags & KVM_MEM_LOG_DIRTY_PAGES)) {
		kvmc_free_dirty_bitmap(s);
		return 0;
	}
	if (s->dirty_bitmap)
		return 0;
	return kvmc_alloc_dirty_bitmap(vm, s);
}

static int kvmc_create_memslot(struct kvmc_vm *vm, struct xarray *slots,
			       const struct kvm_userspace_memory_region *mem)
{
	struct kvmc_memslot *s;
	int r;

	s = kzalloc(sizeof(*s), GFP_KERNEL_ACCOUNT);
	if (!s)
		return -ENOMEM;

	s->id = (u16)mem->slot;
	s->flags = mem->flags;
	s->base_gfn = mem->guest_phys_addr >> PAGE_SHIFT;
	s->npages = mem->memory_size >> PAGE_SHIFT;
	s->userspace_addr = mem->userspace_addr;

	r = kvmc_update_dirty_logging(vm, s, s->flags);
	if (r)
		goto free_slot;

	r = xa_err(xa_store(slots, s->id, s, GFP_KERNEL_ACCOUNT));
	if (r)
		goto free_slot;
	return 0;

free_slot:
	kvmc_free_memslot(s);
	return r;
}

static int __kvmc_set_memory_region(struct kvmc_vm *vm,
				    const struct kvm_userspace_memory_region *mem)
{
	struct xarray *slots = &vm->memslots[mem->slot >> 16];
	u64 base_gfn = mem->guest_phys_addr >> PAGE_SHIFT;
	u64 npages = mem->memory_size >> PAGE_SHIFT;
	u16 id = (u16)mem->slot;
	struct kvmc_memslot *old;
	int r;

	old = xa_load(slots, id);

	if (!npages) {
		if (!old)
			return -EINVAL;
		xa_erase(slots, id);
		kvmc_free_memslot(old);
		return 0;
	}

	if (!old) {
		if (kvmc_overlaps(slots, id, base_gfn, npages))
			return -EEXIST;
		return kvmc_create_memslot(vm, slots, mem);
	}

	/* Only the flags and the guest address of a slot may change. */
	if (mem->userspace_addr != old->userspace_addr ||
	    npages != old->npages ||
	    ((mem->flags ^ old->flags) & KVM_MEM_READONLY))
		return -EINVAL;
	if (base_gfn != old->base_gfn &&
	    kvmc_overlaps(slots, id, base_gfn, npages))
		return -EEXIST;

	r = kvmc_update_dirty_logging(vm, old, mem->flags);
	if (r)
		return r;
	old->base_gfn = base_gfn;
	old->flags = mem->flags;
	return 0;
}

/**
 * kvmc_set_memory_region() - create, move, change the flags of or delete a
 *			      memslot
 * @vm: the VM
 * @mem: the region; userspace_addr is a native user address
 *
 * Return: 0 on success; -EINVAL for a bad slot number, flag, alignment,
 * size or address, for changing a slot's size or host address, and for
 * deleting a slot that does not exist; -EEXIST when the guest range
 * overlaps another slot of the same address space; -ENOMEM.
 */
int kvmc_set_memory_region(struct kvmc_vm *vm,
			   const struct kvm_userspace_memory_region *mem)
{
	int r;

	if ((u16)mem->slot >= KVMC_USER_MEM_SLOTS)
		return -EINVAL;
	if (!kvmc_region_is_valid(mem))
		return -EINVAL;

	mutex_lock(&vm->slots_lock);
	r = __kvmc_set_memory_region(vm, mem);
	mutex_unlock(&vm->slots_lock);
	return r;
}

void kvmc_free_memslots(struct kvmc_vm *vm)
{
	struct kvmc_memslot *s;
	unsigned long id;
	int i;

	for (i = 0; i < KVMC_ADDRESS_SPACE_NUM; i++) {
		xa_for_each(&vm->memslots[i], id, s)
			kvmc_free_memslot(s);
		xa_destroy(&vm->memslots[i]);
	}
}

/* The memslot of address space 0 that holds @gfn; slots_lock held. */
static struct kvmc_memslot *kvmc_gfn_to_memslot(struct kvmc_vm *vm, u64 gfn)
{
	struct kvmc_memslot *s;
	unsigned long id;

	xa_for_each(&vm->memslots[0], id, s) {
		if (gfn >= s->base_gfn && gfn - s->base_gfn < s->npages)
			return s;
	}
	return NULL;
}

static void __user *kvmc_gpa_to_hva(struct kvmc_memslot *s, u64 gpa)
{
	return u64_to_user_ptr(s->userspace_addr +
			       (gpa - (s->base_gfn << PAGE_SHIFT)));
}

/**
 * kvmc_read_guest() - read guest physical memory through the memslots
 * @vm: the VM, its slots_lock held, called from its owner's process
 * @gpa: guest physical address
 * @data: where to put the bytes
 * @len: how many
 *
 * Return: 0; -ENOENT when a byte is outside every memslot (MMIO);
 * -EFAULT when the memslot's host memory cannot be read.
 */
int kvmc_read_guest(struct kvmc_vm *vm, u64 gpa, void *data, unsigned int len)
{
	struct kvmc_memslot *s;
	unsigned int i;

	for (i = 0; i < len; i++) {
		s = kvmc_gfn_to_memslot(vm, (gpa + i) >> PAGE_SHIFT);
		if (!s)
			return -ENOENT;
		if (copy_from_user(data + i, kvmc_gpa_to_hva(s, gpa + i), 1))
			return -EFAULT;
	}
	return 0;
}

/**
 * kvmc_write_guest() - write guest physical memory through the memslots
 * @vm: the VM, its slots_lock held, called from its owner's process
 * @gpa: guest physical address
 * @data: the bytes
 * @len: how many
 *
 * Marks the pages dirty in slots that log them.
 *
 * Return: 0; -ENOENT when a byte is outside every memslot or in a
 * read-only one (MMIO); -EFAULT when host memory cannot be written.
 */
int kvmc_write_guest(struct kvmc_vm *vm, u64 gpa, const void *data,
		     unsigned int len)
{
	struct kvmc_memslot *s;
	unsigned int i;

	for (i = 0; i < len; i++) {
		s = kvmc_gfn_to_memslot(vm, (gpa + i) >> PAGE_SHIFT);
		if (!s || (s->flags & KVM_MEM_READONLY))
			return -ENOENT;
		if (copy_to_user(kvmc_gpa_to_hva(s, gpa + i), data + i, 1))
			return -EFAULT;
		kvmc_mark_page_dirty(s, (gpa + i) >> PAGE_SHIFT);
	}
	return 0;
}
