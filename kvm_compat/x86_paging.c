// SPDX-License-Identifier: GPL-2.0
/*
 * kvm_compat: the guest's page walks, linear to guest physical.
 *
 * On /dev/kvm the guest's own page tables are walked by the CPU (kvm-amd
 * with NPT), so the walk here is the architecture's, as AMD's APM and
 * Intel's SDM define it and QEMU's x86 MMU implements it (the test guest's
 * CPU), for the paging modes kvm_compat runs:
 *
 *   CR0.PG clear        no paging: the linear address is the physical one
 *   32-bit paging       CR4.PAE clear: 4 KiB pages, and 4 MiB pages with
 *                       CR4.PSE (PSE-36: bits 20:13 of the PDE are physical
 *                       address bits 39:32)
 *   PAE paging          CR4.PAE, EFER.LMA clear: four PDPTEs (read from
 *                       memory on every walk, as AMD does with NPT), 2 MiB
 *                       and 4 KiB pages, NX with EFER.NXE
 *   4-level paging      EFER.LMA: 1 GiB, 2 MiB and 4 KiB pages, NX
 *
 * Each level must be present (else #PF, P clear) and have no reserved bit
 * set (else #PF with P and RSVD): physical address bits from the host's
 * MAXPHYADDR to 51, bit 63 without EFER.NXE (always in a PAE PDPTE), PS
 * in a PML4E, bits 20:13 of a 2 MiB and 29:13 of a 1 GiB entry, bit 21 of
 * a 4 MiB one.  The permissions are those of every level together: a CPL 3
 * access to a supervisor page, a write to a read-only page from CPL 3 or
 * with CR0.WP, or a fetch from an NX page fault with P set.  The accessed
 * bit is set in each entry the walk goes through (before a lower level may
 * fault), and in the last one, with the dirty bit for a write, only when
 * the access is allowed.  (A PAE PDPTE has neither bit.)
 *
 * There is no TLB: every access walks the tables as they are, which a CPU
 * may also do; a guest that changes an entry sees the change at once,
 * without INVLPG.  A/D bits are set with a plain write, not a locked one.
 */

#include <linux/bits.h>
#include <linux/kvm.h>
#include <asm/msr-index.h>
#include <asm/processor-flags.h>

#include <kvm_compat/kvmc.h>
#include <kvm_compat/x86_emulate.h>

#define KVMC_PTE_P		BIT_ULL(0)
#define KVMC_PTE_RW		BIT_ULL(1)
#define KVMC_PTE_US		BIT_ULL(2)
#define KVMC_PTE_A		BIT_ULL(5)
#define KVMC_PTE_D		BIT_ULL(6)
#define KVMC_PTE_PS		BIT_ULL(7)
#define KVMC_PTE_NX		BIT_ULL(63)
#define KVMC_PTE_ADDR		GENMASK_ULL(51, 12)

/* What a walk has gathered: the permissions of the levels so far. */
struct kvmc_walk {
	u64 la;
	u32 access;
	bool writable;
	bool user;
	bool nx;
};

static int kvmc_page_fault(const struct kvmc_vcpu *vcpu,
			   const struct kvmc_walk *w, u32 error,
			   struct kvmc_fault *fault)
{
	const struct kvmc_vcpu_arch *a = &vcpu->arch;
	u32 code = error | (w->access & (KVMC_PF_WRITE | KVMC_PF_USER));

	/* I/D only where NX can be in force (the SDM's rule; QEMU's too). */
	if ((w->access & KVMC_PF_FETCH) && (a->efer & EFER_NX) &&
	    (a->cr4 & X86_CR4_PAE))
		code |= KVMC_PF_FETCH;
	*fault = (struct kvmc_fault){
		.vector = KVMC_PF_VECTOR,
		.has_error = true,
		.error_code = code,
		.cr2 = w->la,
	};
	return KVMC_X86_FAULT;
}

/* Read an entry of @size (4 or 8) bytes. */
static int kvmc_read_pte(struct kvmc_vcpu *vcpu, u64 gpa, unsigned int size,
			 u64 *pte)
{
	u32 pte32;
	int r;

	if (size == 8)
		return kvmc_read_guest(vcpu->vm, gpa, pte, 8);
	r = kvmc_read_guest(vcpu->vm, gpa, &pte32, 4);
	*pte = pte32;
	return r;
}

/* Set @bits (A, D) in the entry at @gpa if they are not set. */
static int kvmc_set_pte_bits(struct kvmc_vcpu *vcpu, u64 gpa,
			     unsigned int size, u64 pte, u64 bits)
{
	if ((pte & bits) == bits)
		return 0;
	pte |= bits;
	/* Little endian: the low four bytes hold A and D. */
	return kvmc_write_guest(vcpu->vm, gpa, &pte, size);
}

/* Gather a level's permissions; a non-leaf entry gets its accessed bit. */
static int kvmc_walk_level(struct kvmc_vcpu *vcpu, struct kvmc_walk *w,
			   u64 gpa, unsigned int size, u64 pte, bool leaf)
{
	w->writable &= !!(pte & KVMC_PTE_RW);
	w->user &= !!(pte & KVMC_PTE_US);
	if (vcpu->arch.efer & EFER_NX)
		w->nx |= !!(pte & KVMC_PTE_NX);
	return leaf ? 0 : kvmc_set_pte_bits(vcpu, gpa, size, pte, KVMC_PTE_A);
}

/* The leaf: permissions, then the accessed and dirty bits. */
static int kvmc_walk_leaf(struct kvmc_vcpu *vcpu, struct kvmc_walk *w,
			  u64 gpa, unsigned int size, u64 pte,
			  struct kvmc_fault *fault)
{
	const struct kvmc_vcpu_arch *a = &vcpu->arch;
	bool user = w->access & KVMC_PF_USER;

	kvmc_walk_level(vcpu, w, gpa, size, pte, true);
	if ((user && !w->user) ||
	    ((w->access & KVMC_PF_WRITE) && !w->writable &&
	     (user || (a->cr0 & X86_CR0_WP))) ||
	    ((w->access & KVMC_PF_FETCH) && w->nx))
		return kvmc_page_fault(vcpu, w, KVMC_PF_PRESENT, fault);
	return kvmc_set_pte_bits(vcpu, gpa, size, pte, KVMC_PTE_A |
				 (w->access & KVMC_PF_WRITE ? KVMC_PTE_D : 0));
}

/* 32-bit paging: a page directory of 1024 PDEs, then a page table. */
static int kvmc_walk32(struct kvmc_vcpu *vcpu, struct kvmc_walk *w, u64 *gpa,
		       struct kvmc_fault *fault)
{
	const struct kvmc_vcpu_arch *a = &vcpu->arch;
	u64 pde_gpa = (a->cr3 & 0xfffff000) + ((w->la >> 22) & 0x3ff) * 4;
	u64 pde, pte, pte_gpa, rsvd;
	int r;

	r = kvmc_read_pte(vcpu, pde_gpa, 4, &pde);
	if (r)
		return r;
	if (!(pde & KVMC_PTE_P))
		return kvmc_page_fault(vcpu, w, 0, fault);

	if ((pde & KVMC_PTE_PS) && (a->cr4 & X86_CR4_PSE)) {
		/* Bit 21, and PSE-36 address bits beyond MAXPHYADDR. */
		rsvd = BIT_ULL(21);
		if (kvmc_host_maxphyaddr < 40)
			rsvd |= GENMASK_ULL(20, 13 + kvmc_host_maxphyaddr - 32);
		if (pde & rsvd)
			return kvmc_page_fault(vcpu, w, KVMC_PF_PRESENT |
					       KVMC_PF_RSVD, fault);
		r = kvmc_walk_leaf(vcpu, w, pde_gpa, 4, pde, fault);
		*gpa = (pde & 0xffc00000) | ((pde >> 13) & 0xff) << 32 |
		       (w->la & 0x3fffff);
		return r;
	}

	r = kvmc_walk_level(vcpu, w, pde_gpa, 4, pde, false);
	if (r)
		return r;
	pte_gpa = (pde & 0xfffff000) + ((w->la >> 12) & 0x3ff) * 4;
	r = kvmc_read_pte(vcpu, pte_gpa, 4, &pte);
	if (r)
		return r;
	if (!(pte & KVMC_PTE_P))
		return kvmc_page_fault(vcpu, w, 0, fault);
	r = kvmc_walk_leaf(vcpu, w, pte_gpa, 4, pte, fault);
	*gpa = (pte & 0xfffff000) | (w->la & 0xfff);
	return r;
}

/* PAE and 4-level paging: 64-bit entries, 512 to a table. */
static int kvmc_walk64(struct kvmc_vcpu *vcpu, struct kvmc_walk *w, u64 *gpa,
		       struct kvmc_fault *fault)
{
	const struct kvmc_vcpu_arch *a = &vcpu->arch;
	u64 rsvd_high = 0, table, pte, pte_gpa, rsvd, page_mask;
	bool lma = a->efer & EFER_LMA;
	int level, r;

	if (kvmc_host_maxphyaddr < 52)
		rsvd_high = GENMASK_ULL(51, kvmc_host_maxphyaddr);
	if (!(a->efer & EFER_NX))
		rsvd_high |= KVMC_PTE_NX;
	/* PAE (not 4-level): bits 62:52 are reserved, not ignored. */
	if (!lma)
		rsvd_high |= GENMASK_ULL(62, 52);

	if (lma) {
		table = a->cr3 & KVMC_PTE_ADDR;
		level = 4;
	} else {
		/* The PDPTE: no A bit, no permissions, NX always reserved. */
		pte_gpa = (a->cr3 & 0xffffffe0) + ((w->la >> 30) & 3) * 8;
		r = kvmc_read_pte(vcpu, pte_gpa, 8, &pte);
		if (r)
			return r;
		if (!(pte & KVMC_PTE_P))
			return kvmc_page_fault(vcpu, w, 0, fault);
		if (pte & (rsvd_high | KVMC_PTE_NX))
			return kvmc_page_fault(vcpu, w, KVMC_PF_PRESENT |
					       KVMC_PF_RSVD, fault);
		table = pte & KVMC_PTE_ADDR;
		level = 2;
	}

	for (;; level--) {
		pte_gpa = table + ((w->la >> (12 + 9 * (level - 1))) & 511) * 8;
		r = kvmc_read_pte(vcpu, pte_gpa, 8, &pte);
		if (r)
			return r;
		if (!(pte & KVMC_PTE_P))
			return kvmc_page_fault(vcpu, w, 0, fault);

		rsvd = rsvd_high;
		if (level == 4)
			rsvd |= KVMC_PTE_PS;
		else if (level == 3 && (pte & KVMC_PTE_PS))
			rsvd |= GENMASK_ULL(29, 13);
		else if (level == 2 && (pte & KVMC_PTE_PS))
			rsvd |= GENMASK_ULL(20, 13);
		if (pte & rsvd)
			return kvmc_page_fault(vcpu, w, KVMC_PF_PRESENT |
					       KVMC_PF_RSVD, fault);

		if (level == 1 || (pte & KVMC_PTE_PS))
			break;
		r = kvmc_walk_level(vcpu, w, pte_gpa, 8, pte, false);
		if (r)
			return r;
		table = pte & KVMC_PTE_ADDR;
	}

	r = kvmc_walk_leaf(vcpu, w, pte_gpa, 8, pte, fault);
	page_mask = BIT_ULL(12 + 9 * (level - 1)) - 1;
	*gpa = (pte & KVMC_PTE_ADDR & ~page_mask) | (w->la & page_mask);
	return r;
}

/**
 * kvmc_x86_translate() - a linear address to a guest physical one
 * @vcpu: the vCPU, in its VM's srcu
 * @la: the linear address (canonical in 64-bit mode, 32 bits otherwise)
 * @access: KVMC_PF_WRITE, KVMC_PF_USER (a CPL 3 access that is not an
 *	    implicit supervisor one), KVMC_PF_FETCH, as the #PF error code
 *	    has them
 * @gpa: the guest physical address
 * @fault: filled with the #PF on KVMC_X86_FAULT
 *
 * Return: 0; KVMC_X86_FAULT; -ENOENT for a page-table entry outside guest
 * RAM, or in a read-only slot when its A or D bit is to be set; -EAGAIN,
 * -EINTR, -EFAULT from the memory accesses.
 */
int kvmc_x86_translate(struct kvmc_vcpu *vcpu, u64 la, u32 access, u64 *gpa,
		       struct kvmc_fault *fault)
{
	struct kvmc_walk w = {
		.la = la, .access = access, .writable = true, .user = true,
	};

	if (!(vcpu->arch.cr0 & X86_CR0_PG)) {
		*gpa = la;
		return 0;
	}
	if (!(vcpu->arch.cr4 & X86_CR4_PAE))
		return kvmc_walk32(vcpu, &w, gpa, fault);
	return kvmc_walk64(vcpu, &w, gpa, fault);
}
