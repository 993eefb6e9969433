/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kvm_compat internals: the objects behind the three kinds of file
 * descriptor (system, VM, vCPU) and the calls between the files that
 * implement them.
 *
 * Every object is named kvmc_*: the running kernel's KVM already owns the
 * kvm_* names.
 */
#ifndef _KVM_COMPAT_KVMC_H
#define _KVM_COMPAT_KVMC_H

#include <linux/fs.h>
#include <linux/kvm.h>
#include <linux/mutex.h>
#include <linux/refcount.h>
#include <linux/signal.h>
#include <linux/srcu.h>
#include <linux/types.h>
#include <linux/xarray.h>

#include <kvm_compat/arch.h>

/*
 * Limits, as x86 KVM has them where a test can observe the difference:
 * KVM_USER_MEM_SLOTS is SHRT_MAX minus KVM's three internal slots, and
 * with SMM there are two memslot address spaces.  The vCPU limits are
 * kvm_compat's own and are reported through KVM_CHECK_EXTENSION.
 */
#define KVMC_USER_MEM_SLOTS	32764
#define KVMC_ADDRESS_SPACE_NUM	2
#define KVMC_MEM_MAX_NR_PAGES	((1UL << 31) - 1)
#define KVMC_MAX_VCPUS		256
#define KVMC_MAX_VCPU_IDS	1024

/* Offsets, in pages, of what a vCPU fd maps (the x86 layout). */
#define KVMC_RUN_PAGE_OFFSET		0
#define KVMC_PIO_PAGE_OFFSET		1
#define KVMC_COALESCED_MMIO_PAGE_OFFSET	2
#define KVMC_VCPU_MMAP_PAGES		3

/* KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2: what KVM_ENABLE_CAP accepts. */
#define KVMC_DIRTY_LOG_MANUAL_CAPS	(KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE | \
					 KVM_DIRTY_LOG_INITIALLY_SET)

/**
 * enum kvmc_guest_rev - revisions of what a guest can observe
 * @KVMC_GUEST_REV_REAL_MODE: the real-mode instruction subset of
 *	Documentation/guest.rst as first released
 * @KVMC_GUEST_REV_PROTECTED_MODE: the grown subset: prefixes, 32- and
 *	64-bit operands and addresses, protected mode, 32-bit, PAE and
 *	4-level paging with their page faults, long mode, exceptions through
 *	the IDT, and KVM_EXIT_SHUTDOWN on a triple fault
 * @KVMC_GUEST_REV_LATEST: what a new VM runs
 *
 * Whenever kvm_compat changes what a guest or its VMM can observe (the
 * instruction subset grows, an exit changes), the change gets a new
 * revision and is made only where kvmc_guest_rev() is at least that
 * revision, so that a VM saved under an older one keeps its behaviour.
 */
enum kvmc_guest_rev {
	KVMC_GUEST_REV_REAL_MODE = 1,
	KVMC_GUEST_REV_PROTECTED_MODE = 2,
	KVMC_GUEST_REV_LATEST = KVMC_GUEST_REV_PROTECTED_MODE,
};

/**
 * struct kvmc_memslot - one guest physical range backed by user memory
 * @base_gfn:	first guest frame
 * @npages:	number of pages
 * @userspace_addr: host virtual address of the first page, in the VM
 *		owner's address space (already compat_ptr()-translated)
 * @dirty_bitmap: with KVM_MEM_LOG_DIRTY_PAGES, one bit per page, followed
 *		by a second bitmap of the same size that KVM_GET_DIRTY_LOG and
 *		KVM_CLEAR_DIRTY_LOG use as their buffer (under the VM's
 *		slots_lock); NULL otherwise
 * @flags:	KVM_MEM_* flags
 * @id:		slot number within its address space
 *
 * Never changed once published in a struct kvmc_memslots (only the bits of
 * @dirty_bitmap change): moving a slot or changing its flags publishes a
 * new copy, which takes over @dirty_bitmap while logging stays on.
 */
struct kvmc_memslot {
	u64 base_gfn;
	u64 npages;
	u64 userspace_addr;
	unsigned long *dirty_bitmap;
	u32 flags;
	u16 id;
};

/**
 * struct kvmc_memslots - the memslots of one address space
 * @nr:		number of slots
 * @slots:	the slots, sorted by @base_gfn (they never overlap)
 *
 * What vCPUs read under the VM's srcu.  Never changed once published: an
 * update builds a new one under slots_lock, publishes it and frees the old
 * one after synchronize_srcu_expedited(), as upstream's
 * kvm_swap_active_memslots() does.
 */
struct kvmc_memslots {
	unsigned int nr;
	struct kvmc_memslot *slots[];
};

/**
 * struct kvmc_vm - what a VM fd refers to
 * @mm:		the creating process's mm; other processes get -EIO, as in
 *		KVM (a VM's memslots name addresses in this mm only)
 * @users:	one for the VM fd, one for each vCPU fd
 * @srcu:	the read side of @memslots and of the x86 MSR filter: a vCPU
 *		holds it while it runs an instruction, which may sleep on a
 *		guest page (a user fault).  Writers publish a new version and
 *		wait for the readers (synchronize_srcu_expedited()) before
 *		freeing the old one.
 * @lock:	protects @vcpus and @created_vcpus, and serialises the writers
 *		of the x86 MSR filter and KVM_SET_IDENTITY_MAP_ADDR against
 *		vCPU creation
 * @slots_lock:	serialises the writers of @memslots (KVM_SET_USER_MEMORY_REGION)
 *		and the dirty-log ioctls; protects @manual_dirty_log_protect
 *		and the buffer half of each slot's dirty bitmap.  vCPUs never
 *		take it.
 * @memslots:	per address space, NULL when it has no slot; read under
 *		@srcu or @slots_lock, written under @slots_lock
 * @vcpus:	vCPU id -> struct kvmc_vcpu; the VM owns its vCPUs
 * @created_vcpus: vCPUs created (KVM_CREATE_VCPU holds @lock from its
 *		checks to its fd, as upstream 7.3 holds kvm->lock)
 * @coalesced_mmio_ring: the page vCPU mmaps show at
 *		KVMC_COALESCED_MMIO_PAGE_OFFSET (always empty here)
 * @manual_dirty_log_protect: KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 options
 * @guest_rev:	the revision of the guest's observable behaviour this VM runs
 *		(enum kvmc_guest_rev), KVMC_GUEST_REV_LATEST unless userspace
 *		selected an older one
 * @arch:	architecture state (x86: MSR filter)
 */
struct kvmc_vm {
	struct mm_struct *mm;
	refcount_t users;
	struct srcu_struct srcu;
	struct mutex lock;		/* vcpus, created_vcpus */
	struct mutex slots_lock;	/* memslot writers, dirty logs */
	struct kvmc_memslots __rcu *memslots[KVMC_ADDRESS_SPACE_NUM];
	struct xarray vcpus;
	unsigned int created_vcpus;
	void *coalesced_mmio_ring;
	u64 manual_dirty_log_protect;
	u32 guest_rev;
	struct kvmc_vm_arch arch;
};

/* The guest revision @vm runs: gate every guest-visible change on it. */
static inline u32 kvmc_guest_rev(const struct kvmc_vm *vm)
{
	return READ_ONCE(vm->guest_rev);
}

/**
 * struct kvmc_vcpu - what a vCPU fd refers to
 * @vm:		the VM that owns it
 * @vcpu_id:	the id given to KVM_CREATE_VCPU
 * @mutex:	one ioctl at a time, like KVM's vcpu->mutex; protects
 *		everything below (a compat KVM_SET_SIGNAL_MASK takes it too)
 * @run:	the shared struct kvm_run page
 * @pio_data:	the page at KVMC_PIO_PAGE_OFFSET
 * @sigset_active: KVM_SET_SIGNAL_MASK gave @sigset
 * @sigset:	the signal mask in force during KVM_RUN
 * @arch:	architectural register state
 */
struct kvmc_vcpu {
	struct kvmc_vm *vm;
	u32 vcpu_id;
	struct mutex mutex;		/* one ioctl at a time */
	struct kvm_run *run;
	void *pio_data;
	bool sigset_active;
	sigset_t sigset;
	struct kvmc_vcpu_arch arch;
};

/* dev.c: the system fd (/dev/kvm_compat) */
long kvmc_dev_ioctl(struct file *filp, unsigned int cmd, unsigned long arg);
long kvmc_check_extension(unsigned long cap);
extern const struct file_operations kvmc_dev_fops;

/* vm.c: VM fds */
int kvmc_create_vm(unsigned long type);
long kvmc_vm_ioctl(struct file *filp, unsigned int cmd, unsigned long arg);
void kvmc_vm_get(struct kvmc_vm *vm);
void kvmc_vm_put(struct kvmc_vm *vm);

/* memslot.c: KVM_SET_USER_MEMORY_REGION and the memslot lookups */
bool kvmc_memslot_id_valid(u32 slot);
int kvmc_set_memory_region(struct kvmc_vm *vm,
			   const struct kvm_userspace_memory_region *mem);
void kvmc_free_memslots(struct kvmc_vm *vm);
struct kvmc_memslot *kvmc_id_to_memslot(struct kvmc_vm *vm, u32 slot);
struct kvmc_memslot *kvmc_gfn_to_memslot(struct kvmc_vm *vm, u64 gfn);

/* guest_memory.c: a vCPU's accesses to guest memory */
int kvmc_read_guest(struct kvmc_vm *vm, u64 gpa, void *data,
		    unsigned int len);
int kvmc_write_guest(struct kvmc_vm *vm, u64 gpa, const void *data,
		     unsigned int len);

/* dirty_log.c: KVM_GET_DIRTY_LOG, KVM_CLEAR_DIRTY_LOG */
int kvmc_alloc_dirty_bitmap(struct kvmc_vm *vm, struct kvmc_memslot *slot);
void kvmc_free_dirty_bitmap(struct kvmc_memslot *slot);
void kvmc_mark_page_dirty(struct kvmc_memslot *slot, u64 gfn);
int kvmc_get_dirty_log(struct kvmc_vm *vm, const struct kvm_dirty_log *log);
int kvmc_clear_dirty_log(struct kvmc_vm *vm,
			 const struct kvm_clear_dirty_log *log);

/* vcpu.c: vCPU fds */
int kvmc_vm_create_vcpu(struct kvmc_vm *vm, unsigned long id);
long kvmc_vcpu_ioctl(struct file *filp, unsigned int cmd, unsigned long arg);
void kvmc_vcpu_destroy(struct kvmc_vcpu *vcpu);

/* run.c: KVM_RUN, and the signal mask KVM_SET_SIGNAL_MASK installs for it */
int kvmc_vcpu_run(struct kvmc_vcpu *vcpu);
void kvmc_vcpu_install_sigmask(struct kvmc_vcpu *vcpu, const sigset_t *sigset);

/*
 * compat_ioctl.c (CONFIG_KVM_COMPAT_REF_TRANSLATE=y) or no_compat.c (=n):
 * KVMC_COMPAT() fills in a file_operations' compat entries, as
 * KVM_COMPAT() does in virt/kvm/kvm_main.c: with translation on, the
 * handler it is given; with translation off, it ignores that handler
 * (variadic, so that checkpatch sees no unused argument; an argument a
 * macro never expands is never compiled, so the handler need not exist)
 * and installs the two refusals.
 */
#ifdef CONFIG_KVM_COMPAT_REF_TRANSLATE
long kvmc_dev_compat_ioctl(struct file *filp, unsigned int cmd,
			   unsigned long arg);
long kvmc_vm_compat_ioctl(struct file *filp, unsigned int cmd,
			  unsigned long arg);
long kvmc_vcpu_compat_ioctl(struct file *filp, unsigned int cmd,
			    unsigned long arg);
#define KVMC_COMPAT(c)	.compat_ioctl	= (c)
#else
long kvmc_no_compat_ioctl(struct file *filp, unsigned int cmd,
			  unsigned long arg);
int kvmc_no_compat_open(struct inode *inode, struct file *filp);
#define KVMC_COMPAT(...)	.compat_ioctl	= kvmc_no_compat_ioctl,	\
				.open		= kvmc_no_compat_open
#endif

#endif /* _KVM_COMPAT_KVMC_H */
