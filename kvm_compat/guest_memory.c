// SPDX-License-Identifier: GPL-2.0
/*
 * kvm_compat: a vCPU's accesses to guest memory.
 *
 * Guest physical addresses go through the memslots (read under the VM's
 * srcu) to host addresses in the VM owner's address space, which is the
 * caller's: every vCPU ioctl checks that current->mm is the VM's.
 *
 * How a page that is not there is waited for, as upstream KVM waits for
 * it in hva_to_pfn_slow() (virt/kvm/kvm_main.c):
 *
 * 1. The access is tried without faulting (copy_{from,to}_user_nofault()).
 * 2. If that fails, the page is faulted in with get_user_pages_unlocked()
 *    and FOLL_INTERRUPTIBLE, as KVM's vCPU page fault does since 6.2
 *    ("kvm: x86: Allow to respond to generic signals during slow page
 *    faults"): a userfaultfd wait or a slow swap-in then ends on any
 *    signal with -EINTR, and KVM_RUN fails with EINTR and KVM_EXIT_INTR
 *    (kvm_handle_error_pfn(): KVM_PFN_ERR_SIGPENDING).  A plain
 *    copy_from_user() would not do: a kernel-mode fault gives up only for
 *    a fatal signal (fault_signal_pending() in arch/x86/mm/fault.c), so a
 *    vCPU waiting for a userfaultfd page could not be kicked out of
 *    KVM_RUN.  Before 6.2, gup has no FOLL_INTERRUPTIBLE and waits
 *    killably, as that kernel's own KVM does.
 * 3. A page that had to be waited for makes the access return -EAGAIN:
 *    the instruction starts again from scratch on the next step, after
 *    the run loop has looked for signals, as a vCPU re-enters the guest
 *    after a nested page fault and runs the faulting instruction again.
 *    Nothing an instruction does is kept before its last access, so
 *    running it again is the same as running it once.
 *
 * Memory that gup cannot take (VM_IO or VM_PFNMAP mappings) is accessed
 * with a plain copy_{from,to}_user(), as KVM's hva_to_pfn_remapped()
 * falls back to follow_pfn() for it.
 */

#include <linux/kvm.h>
#include <linux/mm.h>
#include <linux/uaccess.h>

#include <kvm_compat/kvmc.h>
#include <kvm_compat/version_shims.h>

static void __user *kvmc_gpa_to_hva(const struct kvmc_memslot *s, u64 gpa)
{
	return u64_to_user_ptr(s->userspace_addr +
			       (gpa - (s->base_gfn << PAGE_SHIFT)));
}

/*
 * Fault in the page at @hva for a read or a write, waiting as KVM's vCPUs
 * wait.  Return: -EAGAIN once it is there (the instruction starts again),
 * -EINTR when a signal ended the wait, else -EFAULT.
 */
static int kvmc_fault_in(void __user *hva, bool write)
{
	unsigned int flags = KVMC_FOLL_INTERRUPTIBLE | (write ? FOLL_WRITE : 0);
	struct page *page;
	long n;

	n = get_user_pages_unlocked((unsigned long)hva & PAGE_MASK, 1, &page,
				    flags);
	if (n == 1) {
		put_page(page);
		return -EAGAIN;
	}
	return n == -EINTR ? -EINTR : -EFAULT;
}

/* One byte, through the slot that holds it. */
static int kvmc_access_byte(void __user *hva, u8 *byte, bool write)
{
	int r;

	if (write)
		r = copy_to_user_nofault(hva, byte, 1);
	else
		r = copy_from_user_nofault(byte, hva, 1);
	if (!r)
		return 0;

	r = kvmc_fault_in(hva, write);
	if (r != -EFAULT)
		return r;
	/* Not for gup (VM_IO, VM_PFNMAP): the plain user copy. */
	if (write)
		return copy_to_user(hva, byte, 1) ? -EFAULT : 0;
	return copy_from_user(byte, hva, 1) ? -EFAULT : 0;
}

/**
 * kvmc_read_guest() - read guest physical memory through the memslots
 * @vm: the VM, in a read-side critical section of its srcu, called from
 *	its owner's process
 * @gpa: guest physical address
 * @data: where to put the bytes
 * @len: how many
 *
 * Return: 0; -ENOENT when a byte is outside every memslot (MMIO); -EAGAIN
 * when a page had to be waited for (nothing is lost: the caller's
 * instruction starts again); -EINTR when a signal ended that wait; -EFAULT
 * when the memslot's host memory cannot be read.
 */
int kvmc_read_guest(struct kvmc_vm *vm, u64 gpa, void *data, unsigned int len)
{
	struct kvmc_memslot *s;
	unsigned int i;
	int r;

	for (i = 0; i < len; i++) {
		s = kvmc_gfn_to_memslot(vm, (gpa + i) >> PAGE_SHIFT);
		if (!s)
			return -ENOENT;
		r = kvmc_access_byte(kvmc_gpa_to_hva(s, gpa + i), data + i,
				     false);
		if (r)
			return r;
	}
	return 0;
}

/**
 * kvmc_write_guest() - write guest physical memory through the memslots
 * @vm: the VM, in a read-side critical section of its srcu, called from
 *	its owner's process
 * @gpa: guest physical address
 * @data: the bytes
 * @len: how many
 *
 * Marks the pages dirty in slots that log them.  After -EAGAIN or -EINTR
 * some of the bytes may be written; the instruction that runs again
 * writes them again, with the same values.
 *
 * Return: 0; -ENOENT when a byte is outside every memslot or in a
 * read-only one (MMIO); -EAGAIN, -EINTR as kvmc_read_guest(); -EFAULT
 * when host memory cannot be written.
 */
int kvmc_write_guest(struct kvmc_vm *vm, u64 gpa, const void *data,
		     unsigned int len)
{
	struct kvmc_memslot *s;
	unsigned int i;
	u8 byte;
	int r;

	for (i = 0; i < len; i++) {
		s = kvmc_gfn_to_memslot(vm, (gpa + i) >> PAGE_SHIFT);
		if (!s || (s->flags & KVM_MEM_READONLY))
			return -ENOENT;
		byte = ((const u8 *)data)[i];
		r = kvmc_access_byte(kvmc_gpa_to_hva(s, gpa + i), &byte, true);
		if (r)
			return r;
		kvmc_mark_page_dirty(s, (gpa + i) >> PAGE_SHIFT);
	}
	return 0;
}
