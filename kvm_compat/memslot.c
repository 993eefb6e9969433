// SPDX-License-Identifier: GPL-2.0
/*
 * kvm_compat: memslots, KVM_SET_USER_MEMORY_REGION.
 *
 * The checks and their order follow kvm_vm_ioctl_set_memory_region() and
 * __kvm_set_memory_region() in virt/kvm/kvm_main.c, so that every bad
 * region gets the errno KVM gives it.  The caller hands in a region whose
 * userspace_addr is already a native pointer value: the compat handler has
 * translated it.
 *
 * How the memslots are shared, as in upstream KVM: vCPUs read them under
 * the VM's srcu and never take a lock, so a vCPU that sleeps on a guest
 * page (a user fault, e.g. userfaultfd) holds up no other vCPU and no
 * dirty-log ioctl.  A writer (under slots_lock) never changes what readers
 * may see: it builds a new struct kvmc_memslots, and a new struct
 * kvmc_memslot for a slot that moves or changes flags, publishes it with
 * rcu_assign_pointer(), waits for the readers that may still see the old
 * one (synchronize_srcu_expedited(), as kvm_swap_active_memslots()) and
 * only then frees it.  When KVM_SET_USER_MEMORY_REGION returns, no vCPU
 * sees the old layout.
 *
 * Lookups walk the used slots (kvmc_gfn_to_memslot() and
 * kvmc_id_to_memslot() are O(n)); upstream keeps a gfn-sorted rbtree and
 * an id hash, for VMMs with hundreds of slots.  The small VMMs and tests
 * this module serves use a few, where a walk is simplest; a VM that
 * fills KVMC_USER_MEM_SLOTS pays O(n) per guest access (a divergence in
 * cost, not in behaviour).
 */

#include <linux/kvm.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/slab.h>
#include <linux/srcu.h>
#include <linux/uaccess.h>

#include <kvm_compat/kvmc.h>

#define KVMC_MEM_VALID_FLAGS	(KVM_MEM_LOG_DIRTY_PAGES | KVM_MEM_READONLY)

/**
 * kvmc_memslot_id_valid() - is a memslot number in range?
 * @slot: the slot field of a memslot or dirty-log ioctl: the slot id in
 *	  bits 0-15, the address space in bits 16-31
 *
 * The check KVM makes on both (__kvm_set_memory_region(),
 * kvm_get_dirty_log_protect(), kvm_clear_dirty_log_protect()).
 *
 * Return: true if both the address space and the id exist.
 */
bool kvmc_memslot_id_valid(u32 slot)
{
	return (slot >> 16) < KVMC_ADDRESS_SPACE_NUM &&
	       (u16)slot < KVMC_USER_MEM_SLOTS;
}

static bool kvmc_region_is_valid(const struct kvm_userspace_memory_region *mem)
{
	if (mem->flags & ~KVMC_MEM_VALID_FLAGS)
		return false;
	if (!kvmc_memslot_id_valid(mem->slot))
		return false;
	if (!PAGE_ALIGNED(mem->memory_size) || !PAGE_ALIGNED(mem->guest_phys_addr))
		return false;
	/* KVM reads guest memory with __get_user() and friends later on. */
	if (!PAGE_ALIGNED(mem->userspace_addr) ||
	    !access_ok(u64_to_user_ptr(mem->userspace_addr), mem->memory_size))
		return false;
	if (mem->guest_phys_addr + mem->memory_size < mem->guest_phys_addr)
		return false;
	return (mem->memory_size >> PAGE_SHIFT) <= KVMC_MEM_MAX_NR_PAGES;
}

/* The memslots of address space @as: under the VM's srcu or slots_lock. */
static struct kvmc_memslots *kvmc_memslots(struct kvmc_vm *vm, unsigned int as)
{
	return srcu_dereference_check(vm->memslots[as], &vm->srcu,
				      lockdep_is_held(&vm->slots_lock) ||
				      !refcount_read(&vm->users));
}

static struct kvmc_memslot *kvmc_find_id(const struct kvmc_memslots *slots,
					 u16 id)
{
	unsigned int i;

	for (i = 0; slots && i < slots->nr; i++)
		if (slots->slots[i]->id == id)
			return slots->slots[i];
	return NULL;
}

/**
 * kvmc_id_to_memslot() - the memslot a dirty-log ioctl names
 * @vm: the VM, its slots_lock held
 * @slot: address space in bits 16-31, slot id in bits 0-15, both in range
 *
 * Return: the slot, or NULL if it does not exist.
 */
struct kvmc_memslot *kvmc_id_to_memslot(struct kvmc_vm *vm, u32 slot)
{
	lockdep_assert_held(&vm->slots_lock);

	return kvmc_find_id(kvmc_memslots(vm, slot >> 16), (u16)slot);
}

/**
 * kvmc_gfn_to_memslot() - the memslot of address space 0 that holds a gfn
 * @vm: the VM, in a read-side critical section of its srcu
 * @gfn: guest frame number
 *
 * Return: the slot, valid until the caller leaves the critical section, or
 * NULL when no slot holds @gfn (MMIO).
 */
struct kvmc_memslot *kvmc_gfn_to_memslot(struct kvmc_vm *vm, u64 gfn)
{
	struct kvmc_memslots *slots = kvmc_memslots(vm, 0);
	unsigned int lo = 0, hi = slots ? slots->nr : 0;

	/* The slots are sorted by base_gfn and disjoint: binary search. */
	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;
		struct kvmc_memslot *s = slots->slots[mid];

		if (gfn < s->base_gfn)
			hi = mid;
		else if (gfn - s->base_gfn >= s->npages)
			lo = mid + 1;
		else
			return s;
	}
	return NULL;
}

static bool kvmc_overlaps(const struct kvmc_memslots *slots, u16 id,
			  u64 base_gfn, u64 npages)
{
	unsigned int i;

	for (i = 0; slots && i < slots->nr; i++) {
		const struct kvmc_memslot *s = slots->slots[i];

		if (s->id == id)
			continue;
		if (base_gfn < s->base_gfn + s->npages &&
		    s->base_gfn < base_gfn + npages)
			return true;
	}
	return false;
}

/*
 * A copy of @old without @gone and with @added (either may be NULL), kept
 * sorted by base_gfn; NULL for an address space left with no slot, or
 * ERR_PTR(-ENOMEM).
 */
static struct kvmc_memslots *kvmc_memslots_edit(const struct kvmc_memslots *old,
						const struct kvmc_memslot *gone,
						struct kvmc_memslot *added)
{
	unsigned int i, n = 0, nr = old ? old->nr : 0;
	struct kvmc_memslots *new;

	nr = nr - !!gone + !!added;
	if (!nr)
		return NULL;
	new = kvmalloc(struct_size(new, slots, nr), GFP_KERNEL_ACCOUNT);
	if (!new)
		return ERR_PTR(-ENOMEM);

	for (i = 0; old && i < old->nr; i++) {
		struct kvmc_memslot *s = old->slots[i];

		if (s == gone)
			continue;
		if (added && added->base_gfn < s->base_gfn) {
			new->slots[n++] = added;
			added = NULL;
		}
		new->slots[n++] = s;
	}
	if (added)
		new->slots[n++] = added;
	new->nr = n;
	return new;
}

/*
 * Publish @new for address space @as, wait until no vCPU can see the old
 * memslots, then free them and @gone (a slot deleted or replaced; its
 * dirty bitmap too unless @replacement took it over).
 */
static void kvmc_memslots_publish(struct kvmc_vm *vm, unsigned int as,
				  struct kvmc_memslots *new,
				  struct kvmc_memslot *gone,
				  const struct kvmc_memslot *replacement)
{
	struct kvmc_memslots *old;

	old = rcu_replace_pointer(vm->memslots[as], new,
				  lockdep_is_held(&vm->slots_lock));
	synchronize_srcu_expedited(&vm->srcu);
	kvfree(old);
	if (gone) {
		if (!replacement || replacement->dirty_bitmap != gone->dirty_bitmap)
			kvmc_free_dirty_bitmap(gone);
		kfree(gone);
	}
}

/*
 * The new slot: a copy of @old (NULL to create one) at @mem's guest
 * address with @mem's flags.  Its dirty bitmap is @old's while logging
 * stays on, as kvm_prepare_memory_region() hands it over.
 */
static struct kvmc_memslot *
kvmc_new_memslot(struct kvmc_vm *vm, const struct kvmc_memslot *old,
		 const struct kvm_userspace_memory_region *mem)
{
	struct kvmc_memslot *s;
	int r;

	s = kzalloc(sizeof(*s), GFP_KERNEL_ACCOUNT);
	if (!s)
		return ERR_PTR(-ENOMEM);

	s->id = (u16)mem->slot;
	s->flags = mem->flags;
	s->base_gfn = mem->guest_phys_addr >> PAGE_SHIFT;
	s->npages = mem->memory_size >> PAGE_SHIFT;
	s->userspace_addr = mem->userspace_addr;
	if (!(s->flags & KVM_MEM_LOG_DIRTY_PAGES))
		return s;
	if (old && old->dirty_bitmap) {
		s->dirty_bitmap = old->dirty_bitmap;
		return s;
	}
	r = kvmc_alloc_dirty_bitmap(vm, s);
	if (r) {
		kfree(s);
		return ERR_PTR(r);
	}
	return s;
}

static void kvmc_free_new_memslot(struct kvmc_memslot *s,
				  const struct kvmc_memslot *old)
{
	if (!old || old->dirty_bitmap != s->dirty_bitmap)
		kvmc_free_dirty_bitmap(s);
	kfree(s);
}

static int __kvmc_set_memory_region(struct kvmc_vm *vm,
				    const struct kvm_userspace_memory_region *mem)
{
	unsigned int as = mem->slot >> 16;
	struct kvmc_memslots *slots = kvmc_memslots(vm, as), *new_slots;
	u64 base_gfn = mem->guest_phys_addr >> PAGE_SHIFT;
	u64 npages = mem->memory_size >> PAGE_SHIFT;
	u16 id = (u16)mem->slot;
	struct kvmc_memslot *old, *new;
	int r;

	lockdep_assert_held(&vm->slots_lock);
	old = kvmc_find_id(slots, id);

	if (!npages) {
		if (!old)
			return -EINVAL;
		new_slots = kvmc_memslots_edit(slots, old, NULL);
		if (IS_ERR(new_slots))
			return PTR_ERR(new_slots);
		kvmc_memslots_publish(vm, as, new_slots, old, NULL);
		return 0;
	}

	if (old) {
		/* Only the flags and the guest address of a slot may change. */
		if (mem->userspace_addr != old->userspace_addr ||
		    npages != old->npages ||
		    ((mem->flags ^ old->flags) & KVM_MEM_READONLY))
			return -EINVAL;
		if (base_gfn == old->base_gfn && mem->flags == old->flags)
			return 0;	/* Nothing to change. */
	}

	/* A create or a move must not overlap another slot. */
	if ((!old || base_gfn != old->base_gfn) &&
	    kvmc_overlaps(slots, id, base_gfn, npages))
		return -EEXIST;

	/*
	 * The slot and its dirty bitmap, then the architecture's own limits,
	 * as kvm_set_memslot() allocates before kvm_prepare_memory_region()
	 * calls kvm_arch_prepare_memory_region(): under memory pressure a
	 * range the arch refuses gets -ENOMEM, as upstream.
	 */
	new = kvmc_new_memslot(vm, old, mem);
	if (IS_ERR(new))
		return PTR_ERR(new);
	if (!old || base_gfn != old->base_gfn) {
		r = kvmc_arch_prepare_memory_region(vm, base_gfn, npages);
		if (r)
			goto free_new;
	}
	new_slots = kvmc_memslots_edit(slots, old, new);
	if (IS_ERR(new_slots)) {
		r = PTR_ERR(new_slots);
		goto free_new;
	}
	kvmc_memslots_publish(vm, as, new_slots, old, new);
	return 0;

free_new:
	kvmc_free_new_memslot(new, old);
	return r;
}

/**
 * kvmc_set_memory_region() - create, move, change the flags of or delete a
 *			      memslot
 * @vm: the VM
 * @mem: the region; userspace_addr is a native user address
 *
 * Takes the VM's slots_lock; returns once no vCPU can see the memslots as
 * they were before.
 *
 * Return: 0 on success; -EINVAL for a bad slot number, flag, alignment,
 * size or address, for changing a slot's size or host address, for
 * deleting a slot that does not exist, and for a guest range the
 * architecture cannot map (x86: beyond the host's MAXPHYADDR); -EEXIST
 * when the guest range overlaps another slot of the same address space;
 * -ENOMEM.
 */
int kvmc_set_memory_region(struct kvmc_vm *vm,
			   const struct kvm_userspace_memory_region *mem)
{
	int r;

	if (!kvmc_region_is_valid(mem))
		return -EINVAL;

	mutex_lock(&vm->slots_lock);
	r = __kvmc_set_memory_region(vm, mem);
	mutex_unlock(&vm->slots_lock);
	return r;
}

/**
 * kvmc_free_memslots() - free every memslot of a VM
 * @vm: the VM, its last reference gone (no reader is left)
 */
void kvmc_free_memslots(struct kvmc_vm *vm)
{
	struct kvmc_memslots *slots;
	unsigned int as, i;

	for (as = 0; as < KVMC_ADDRESS_SPACE_NUM; as++) {
		slots = kvmc_memslots(vm, as);
		for (i = 0; slots && i < slots->nr; i++) {
			kvmc_free_dirty_bitmap(slots->slots[i]);
			kfree(slots->slots[i]);
		}
		kvfree(slots);
		RCU_INIT_POINTER(vm->memslots[as], NULL);
	}
}
