// SPDX-License-Identifier: GPL-2.0
/*
 * kvm_compat: a vCPU's accesses to guest memory.
 *
 * Guest physical addresses go through the memslots (read under the VM's
 * srcu) to host addresses in the VM owner's address space, which is the
 * caller's: every vCPU ioctl checks that current->mm is the VM's.
 *
 * How a byte of guest memory is reached, as upstream KVM reaches a guest
 * page in hva_to_pfn() (virt/kvm/kvm_main.c):
 *
 * 1. The access is tried without faulting (copy_{from,to}_user_nofault()).
 * 2. If that fails, the page is taken with get_user_pages_unlocked() and
 *    hva_to_pfn_slow()'s flags.  FOLL_INTERRUPTIBLE, as KVM's vCPU page
 *    fault uses it since 6.2 ("kvm: x86: Allow to respond to generic
 *    signals during slow page faults"): a userfaultfd wait or a slow
 *    swap-in ends on any signal with -EINTR, and KVM_RUN fails with EINTR
 *    and KVM_EXIT_INTR (kvm_handle_error_pfn(): KVM_PFN_ERR_SIGPENDING).
 *    A plain copy_from_user() would not do: a kernel-mode fault gives up
 *    only for a fatal signal (fault_signal_pending() in
 *    arch/x86/mm/fault.c).  Before 6.2 gup has no FOLL_INTERRUPTIBLE and
 *    waits killably, as that kernel's own KVM does.
 *    FOLL_HONOR_NUMA_FAULT, so that a NUMA-hinting entry is resolved, not
 *    followed; FOLL_HWPOISON, so that a poisoned page is told apart.
 *    The byte is then read or written through the page gup returned and
 *    holds, as KVM maps the pfn it got, not by trying the user copy again:
 *    the page may be gone again by then (reclaim, a racing
 *    MADV_DONTNEED), and the retry could go on for ever.  If a signal came
 *    during the wait,
 *    KVM_RUN ends with EINTR before the instruction runs, as a vCPU whose
 *    fault was fixed stops before it re-enters the guest.
 * 3. A poisoned page sends the vCPU thread SIGBUS (BUS_MCEERR_AR, with the
 *    host address) and the access returns -EAGAIN: the run loop then sees
 *    the signal and KVM_RUN fails with EINTR, as kvm_send_hwpoison_signal()
 *    makes it upstream.
 * 4. Memory gup cannot take is reached with a plain user copy only in a
 *    VM_IO or VM_PFNMAP mapping, where upstream's hva_to_pfn_remapped()
 *    goes; any other failure is -EFAULT (memfd_secret() memory, which gup
 *    refuses so that KVM cannot use it, stays out of reach).
 */

#include <linux/highmem.h>
#include <linux/kvm.h>
#include <linux/mm.h>
#include <linux/mmap_lock.h>
#include <linux/sched/signal.h>
#include <linux/uaccess.h>

#include <kvm_compat/kvmc.h>
#include <kvm_compat/version_shims.h>

static void __user *kvmc_gpa_to_hva(const struct kvmc_memslot *s, u64 gpa)
{
	return u64_to_user_ptr(s->userspace_addr +
			       (gpa - (s->base_gfn << PAGE_SHIFT)));
}

/* Whether @hva is in a VM_IO or VM_PFNMAP mapping (hva_to_pfn_remapped()). */
static bool kvmc_hva_is_remapped(unsigned long hva)
{
	struct vm_area_struct *vma;
	bool remapped;

	mmap_read_lock(current->mm);
	vma = find_vma(current->mm, hva);
	remapped = vma && vma->vm_start <= hva &&
		   (vma->vm_flags & (VM_IO | VM_PFNMAP));
	mmap_read_unlock(current->mm);
	return remapped;
}

/*
 * One byte at @hva through the page gup gives, waiting as KVM's vCPUs
 * wait.  Return: 0; -EINTR when a signal ended the wait; -EAGAIN after a
 * poisoned page sent SIGBUS; -EFAULT.
 */
static int kvmc_access_byte_slow(void __user *hva, u8 *byte, bool write)
{
	unsigned long addr = (unsigned long)hva;
	unsigned int flags = KVMC_FOLL_INTERRUPTIBLE | KVMC_FOLL_HONOR_NUMA_FAULT |
			     FOLL_HWPOISON | (write ? FOLL_WRITE : 0);
	struct page *page;
	u8 *kaddr;
	long n;

	n = get_user_pages_unlocked(addr & PAGE_MASK, 1, &page, flags);
	if (n == 1 && signal_pending(current)) {
		/*
		 * The page is there now, but a signal came meanwhile: as a
		 * vCPU whose fault was fixed looks for pending work before it
		 * re-enters the guest, KVM_RUN ends, the instruction not run.
		 */
		put_page(page);
		return -EINTR;
	}
	if (n == 1) {
		kaddr = kvmc_kmap_local_page(page);
		if (write)
			kaddr[offset_in_page(addr)] = *byte;
		else
			*byte = kaddr[offset_in_page(addr)];
		kvmc_kunmap_local(kaddr);
		if (write)
			set_page_dirty_lock(page);
		put_page(page);
		return 0;
	}
	if (n == -EINTR)
		return -EINTR;
	if (n == -EHWPOISON) {
		send_sig_mceerr(BUS_MCEERR_AR, hva, PAGE_SHIFT, current);
		return -EAGAIN;
	}
	if (!kvmc_hva_is_remapped(addr))
		return -EFAULT;
	if (write)
		return copy_to_user(hva, byte, 1) ? -EFAULT : 0;
	return copy_from_user(byte, hva, 1) ? -EFAULT : 0;
}

/* One byte at host address @hva. */
static int kvmc_access_byte(void __user *hva, u8 *byte, bool write)
{
	int r;

	if (write)
		r = copy_to_user_nofault(hva, byte, 1);
	else
		r = copy_from_user_nofault(byte, hva, 1);
	return r ? kvmc_access_byte_slow(hva, byte, write) : 0;
}

/**
 * kvmc_read_guest() - read guest physical memory through the memslots
 * @vm: the VM, in a read-side critical section of its srcu, called from
 *	its owner's process
 * @gpa: guest physical address
 * @data: where to put the bytes
 * @len: how many
 *
 * Return: 0; -ENOENT when a byte is outside every memslot (MMIO); -EINTR
 * when a signal ended the wait for a page; -EAGAIN after a poisoned page
 * sent the thread SIGBUS (the caller's instruction starts again, once the
 * run loop has seen the signal); -EFAULT when the memslot's host memory
 * cannot be read.
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
