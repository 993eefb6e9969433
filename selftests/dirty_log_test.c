// SPDX-License-Identifier: GPL-2.0
/*
 * Dirty page logging: KVM_MEM_LOG_DIRTY_PAGES, KVM_GET_DIRTY_LOG,
 * KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 and KVM_CLEAR_DIRTY_LOG, with the guest
 * dirtying pages by stores. Compared with upstream: virt/kvm/kvm_main.c
 * (kvm_get_dirty_log_protect(), kvm_clear_dirty_log_protect(),
 * kvm_vm_ioctl_enable_cap_generic(), kvm_prepare_memory_region(), and
 * kvm_vm_compat_ioctl() with struct compat_kvm_dirty_log and
 * compat_kvm_clear_dirty_log).
 *
 * struct kvm_dirty_log and struct kvm_clear_dirty_log carry the bitmap
 * pointer in a union with a __u64: the compat handler takes the low 32
 * bits (compat_ptr()) and ignores the rest, a 64-bit caller's __u64 is the
 * pointer. Their sizes, hence the ioctl numbers, are the same in every
 * ABI, so ia32 and x32 reach the compat handler with the native numbers
 * (upstream forgot KVM_CLEAR_DIRTY_LOG there once: 8750f9bbda11).
 *
 *   dirty_log_test_{64,32,x32} [DEVICE] [kselftest_harness options]
 */
#include <assert.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "kvm_compat_util.h"

#define PG		KVMC_PAGE_SIZE
#define CODE_PAGES	4		/* slot 0: GPA 0x0 - 0x3fff, not logged */
#define LOG_SLOT	1
#define LOG_GPA		0x10000ULL
#define LOG_PAGES	65		/* not a multiple of 64 */
#define LOG_DS		((uint16_t)(LOG_GPA >> 4))
#define BITMAP_WORDS	4		/* 256 bits: more than any slot here */
#define MANUAL		KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE
#define INIT_SET	KVM_DIRTY_LOG_INITIALLY_SET
/* Upper half of the bitmap __u64: ignored by compat, bad for 64-bit. */
#define BITMAP_JUNK	0xdead0000ULL

FIXTURE(dirty)
{
	struct kvmc_guest g;
	uint8_t *mem;		/* slot LOG_SLOT */
	size_t npages;
	uint64_t bm[BITMAP_WORDS];
};

FIXTURE_SETUP(dirty)
{
	self->mem = NULL;
	KVMC_GUEST_SETUP(&self->g, CODE_PAGES);
}

FIXTURE_TEARDOWN(dirty)
{
	if (self->mem)
		munmap(self->mem, self->npages * PG);
	kvmc_guest_destroy(&self->g);
}

/* Slot LOG_SLOT at LOG_GPA of @vm with dirty logging, backed by *@mem. */
static int add_log_slot(int vm, size_t npages, uint8_t **mem)
{
	*mem = kvmc_map_pages(npages);
	if (!*mem)
		return -ENOMEM;
	return kvmc_set_region(vm, LOG_SLOT, KVM_MEM_LOG_DIRTY_PAGES, LOG_GPA,
			       npages * PG, KVMC_HVA(*mem));
}

#define ADD_LOG_SLOT(n) do {						\
	int __r;							\
	self->npages = (n);						\
	__r = add_log_slot(self->g.vm, self->npages, &self->mem);	\
	ASSERT_EQ(0, __r) TH_LOG("log slot: %s", kvmc_errname(-__r));	\
} while (0)

#define ENABLE_MANUAL(arg) do {						\
	int __r = kvmc_enable_cap(self->g.vm,				\
				  KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2, (arg)); \
	ASSERT_EQ(0, __r) TH_LOG("enable %#x: %s", (unsigned int)(arg),	\
				 kvmc_errname(-__r));			\
} while (0)

/*
 * Run guest code in @g that stores @val to each page of @pages (page
 * numbers in the log slot, mapped at @mem), with DS at the slot's page
 * @pages[0] & ~15 so that every page is in reach of a 16-bit offset; the
 * pages must lie within 16 of each other.
 */
static void dirty_pages(struct __test_metadata *_metadata,
			struct kvmc_guest *g, const uint8_t *mem,
			const unsigned int *pages, size_t n, uint8_t val)
{
	uint8_t code[64];
	unsigned int base = pages[0] & ~15U;
	size_t len = 0, i;
	int r;

	code[len++] = 0xb0;			/* mov al, val */
	code[len++] = val;
	for (i = 0; i < n; i++) {
		/* A byte at an odd place in the page: offset 0x10 * page. */
		uint16_t off = (uint16_t)((pages[i] - base) * PG +
					  ((pages[i] * 0x10) & 0xff0));

		ASSERT_GE(pages[i], base);
		ASSERT_LT(pages[i] - base, 16);
		code[len++] = 0xa2;		/* mov [off], al */
		code[len++] = off & 0xff;
		code[len++] = off >> 8;
	}
	code[len++] = 0xf4;			/* hlt */
	r = kvmc_guest_load(g, KVMC_CODE_GPA, code, len);
	ASSERT_EQ(0, r);
	ASSERT_EQ(0, kvmc_set_real_seg(g->vcpu, KVMC_SEG_DS,
				       LOG_DS + base * (PG >> 4)));
	KVMC_RUN_EXPECT(g, KVM_EXIT_HLT);
	for (i = 0; i < n; i++)
		ASSERT_EQ(val, mem[pages[i] * PG + ((pages[i] * 0x10) & 0xff0)])
			TH_LOG("page %u", pages[i]);
}

#define DIRTY(...) do {							\
	static const unsigned int __p[] = { __VA_ARGS__ };		\
	dirty_pages(_metadata, &self->g, self->mem, __p,		\
		    ARRAY_SIZE(__p), 0x5a);				\
} while (0)

/* KVM_GET_DIRTY_LOG into self->bm (pre-filled with 0xff). */
#define GET_LOG() do {							\
	int __r;							\
	memset(self->bm, 0xff, sizeof(self->bm));			\
	__r = kvmc_get_dirty_log(self->g.vm, LOG_SLOT, self->bm);	\
	ASSERT_EQ(0, __r) TH_LOG("KVM_GET_DIRTY_LOG: %s",		\
				 kvmc_errname(-__r));			\
} while (0)

#define EXPECT_LOG(w0, w1) do {						\
	EXPECT_EQ((uint64_t)(w0), self->bm[0]);				\
	EXPECT_EQ((uint64_t)(w1), self->bm[1]);				\
	/* Two words for 65 pages: the rest of the buffer is untouched. */ \
	EXPECT_EQ(~0ULL, self->bm[2]);					\
	EXPECT_EQ(~0ULL, self->bm[3]);					\
} while (0)

static int clear_log(int vm, uint64_t first, uint32_t num, uint64_t w0,
		     uint64_t w1)
{
	uint64_t bm[2] = { w0, w1 };

	return kvmc_clear_dirty_log(vm, LOG_SLOT, first, num, bm);
}

TEST_F(dirty, caps)
{
	EXPECT_EQ(MANUAL | INIT_SET,
		  kvmc_check_ext(self->g.sys, KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2));
	EXPECT_EQ(MANUAL | INIT_SET,
		  kvmc_check_ext(self->g.vm, KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2));
}

/* Without manual protect, GET hands out the bits and clears them. */
TEST_F(dirty, get_and_clear)
{
	ADD_LOG_SLOT(LOG_PAGES);
	GET_LOG();
	EXPECT_LOG(0, 0);

	DIRTY(0, 2, 3);
	GET_LOG();
	EXPECT_LOG(0xd, 0);
	GET_LOG();
	EXPECT_LOG(0, 0);

	/* Written again after GET: dirty again. */
	DIRTY(2);
	DIRTY(64);
	GET_LOG();
	EXPECT_LOG(0x4, 0x1);

	DIRTY(48, 63, 60);
	GET_LOG();
	EXPECT_LOG((1ULL << 48) | (1ULL << 60) | (1ULL << 63), 0);
}

/*
 * A page the guest only reads.  Upstream maps a read fault writable when
 * the host page is writable (hva_to_pfn(): "map read fault as writable
 * if possible"), and make_spte() marks every page it maps writable in a
 * logging slot as dirty: page 2, which userspace wrote (so its host page
 * is writable), is logged; page 3, never written (the shared zero page),
 * is not.  Once KVM_GET_DIRTY_LOG has write-protected page 2, reading it
 * again logs nothing.  kvm_compat logs only pages the guest stores to
 * (Documentation/divergences.rst).
 */
TEST_F(dirty, guest_reads_logged_page)
{
	static const uint8_t code[] = {
		0xa0, 0x00, 0x20,	/* mov al, [0x2000]: page 2 */
		0xa0, 0x00, 0x30,	/* mov al, [0x3000]: page 3 */
		0xf4,			/* hlt */
	};

	ADD_LOG_SLOT(LOG_PAGES);
	self->mem[2 * PG] = 0x21;
	ASSERT_EQ(0, kvmc_guest_load(&self->g, KVMC_CODE_GPA, code,
				     sizeof(code)));
	ASSERT_EQ(0, kvmc_set_real_seg(self->g.vcpu, KVMC_SEG_DS, LOG_DS));
	GET_LOG();
	EXPECT_LOG(0, 0);

	KVMC_RUN_EXPECT(&self->g, KVM_EXIT_HLT);
	GET_LOG();
	TH_LOG("%s: after reads of pages 2 and 3: %#llx", kvmc_device(),
	       (unsigned long long)self->bm[0]);
	EXPECT_LOG(kvmc_is_upstream() ? 1ULL << 2 : 0, 0);

	ASSERT_EQ(0, kvmc_set_rip(self->g.vcpu, KVMC_CODE_GPA));
	KVMC_RUN_EXPECT(&self->g, KVM_EXIT_HLT);
	GET_LOG();
	EXPECT_LOG(0, 0);
}

/*
 * add [disp16], al (a read-modify-write) dirties its page; userspace's
 * own writes through the mapping do not.
 */
TEST_F(dirty, rmw_and_host_writes)
{
	static const uint8_t code[] = {
		0xb0, 0x03,		/* mov al, 3 */
		0x00, 0x06, 0x08, 0x50,	/* add [0x5008], al: page 5 */
		0xf4,			/* hlt */
	};

	ADD_LOG_SLOT(LOG_PAGES);
	memset(self->mem, 0x01, LOG_PAGES * PG);
	GET_LOG();
	EXPECT_LOG(0, 0);
	ASSERT_EQ(0, kvmc_guest_load(&self->g, KVMC_CODE_GPA, code,
				     sizeof(code)));
	ASSERT_EQ(0, kvmc_set_real_seg(self->g.vcpu, KVMC_SEG_DS, LOG_DS));
	KVMC_RUN_EXPECT(&self->g, KVM_EXIT_HLT);
	EXPECT_EQ(0x04, self->mem[5 * PG + 8]);
	GET_LOG();
	EXPECT_LOG(0x20, 0);
}

/*
 * The kernel copies whole longs: for 3 pages, 8 bytes (bits 3..63 zero);
 * the rest of the buffer is not written.
 */
TEST_F(dirty, bitmap_three_pages)
{
	uint8_t buf[32];
	size_t i;

	ADD_LOG_SLOT(3);
	DIRTY(1);
	memset(buf, 0xff, sizeof(buf));
	ASSERT_EQ(0, kvmc_get_dirty_log(self->g.vm, LOG_SLOT, buf));
	EXPECT_EQ(0x02, buf[0]);
	for (i = 1; i < 8; i++)
		EXPECT_EQ(0, buf[i]) TH_LOG("byte %zu", i);
	for (; i < sizeof(buf); i++)
		EXPECT_EQ(0xff, buf[i]) TH_LOG("byte %zu", i);
}

/* The bitmap need not be aligned. */
TEST_F(dirty, bitmap_unaligned)
{
	uint8_t buf[40];
	uint64_t w0, w1;

	ADD_LOG_SLOT(LOG_PAGES);
	DIRTY(1, 9);
	DIRTY(64);
	memset(buf, 0xee, sizeof(buf));
	ASSERT_EQ(0, kvmc_get_dirty_log(self->g.vm, LOG_SLOT, buf + 3));
	memcpy(&w0, buf + 3, 8);
	memcpy(&w1, buf + 11, 8);
	EXPECT_EQ(0x202, w0);
	EXPECT_EQ(1, w1);
	EXPECT_EQ(0xee, buf[2]);
	EXPECT_EQ(0xee, buf[19]);
}

/* kvm_get_dirty_log_protect(): a slot without a bitmap is ENOENT. */
TEST_F(dirty, get_slot_errors)
{
	int nr = kvmc_check_ext(self->g.vm, KVM_CAP_NR_MEMSLOTS);
	int nr_as = kvmc_nr_address_spaces(self->g.vm);

	ASSERT_LT(LOG_SLOT, nr);
	ADD_LOG_SLOT(LOG_PAGES);
	/* Slot 0 exists without KVM_MEM_LOG_DIRTY_PAGES. */
	EXPECT_EQ(-ENOENT, kvmc_get_dirty_log(self->g.vm, 0, self->bm));
	/* No such slot. */
	EXPECT_EQ(-ENOENT, kvmc_get_dirty_log(self->g.vm, 2, self->bm));
	EXPECT_EQ(-ENOENT, kvmc_get_dirty_log(self->g.vm, nr - 1, self->bm));
	/* id >= KVM_USER_MEM_SLOTS, as_id >= the number of address spaces. */
	EXPECT_EQ(-EINVAL, kvmc_get_dirty_log(self->g.vm, nr, self->bm));
	EXPECT_EQ(-EINVAL, kvmc_get_dirty_log(self->g.vm, 0xffff, self->bm));
	EXPECT_EQ(-EINVAL, kvmc_get_dirty_log(self->g.vm,
					      ((uint32_t)nr_as << 16) | LOG_SLOT,
					      self->bm));
	EXPECT_EQ(-EINVAL, kvmc_get_dirty_log(self->g.vm, ~0U, self->bm));
	if (nr_as > 1)
		EXPECT_EQ(-ENOENT, kvmc_get_dirty_log(self->g.vm,
						      (1U << 16) | LOG_SLOT,
						      self->bm));
	/* Errors come before the bitmap is looked at. */
	EXPECT_EQ(-ENOENT, kvmc_get_dirty_log(self->g.vm, 0, NULL));
	EXPECT_EQ(-EINVAL, kvmc_get_dirty_log(self->g.vm, nr, NULL));

	/* Logging turned off by a flags-only change: no bitmap. */
	ASSERT_EQ(0, kvmc_set_region(self->g.vm, LOG_SLOT, 0, LOG_GPA,
				     LOG_PAGES * PG, KVMC_HVA(self->mem)));
	EXPECT_EQ(-ENOENT, kvmc_get_dirty_log(self->g.vm, LOG_SLOT, self->bm));
	/* ... and on again: a fresh, clean bitmap. */
	ASSERT_EQ(0, kvmc_set_region(self->g.vm, LOG_SLOT,
				     KVM_MEM_LOG_DIRTY_PAGES, LOG_GPA,
				     LOG_PAGES * PG, KVMC_HVA(self->mem)));
	GET_LOG();
	EXPECT_LOG(0, 0);
	/* Deleted: ENOENT. */
	ASSERT_EQ(0, kvmc_set_region(self->g.vm, LOG_SLOT, 0, LOG_GPA, 0, 0));
	EXPECT_EQ(-ENOENT, kvmc_get_dirty_log(self->g.vm, LOG_SLOT, self->bm));
}

TEST_F(dirty, get_bad_pointers_efault)
{
	void *ro = mmap(NULL, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint8_t *edge = kvmc_map_pages(2);

	ASSERT_NE(MAP_FAILED, ro);
	ASSERT_NE(NULL, edge);
	ASSERT_EQ(0, munmap(edge + PG, PG));
	ADD_LOG_SLOT(LOG_PAGES);

	EXPECT_EQ(-1, ioctl(self->g.vm, KVM_GET_DIRTY_LOG, NULL));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ioctl(self->g.vm, KVM_GET_DIRTY_LOG, edge + PG));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-EFAULT, kvmc_get_dirty_log(self->g.vm, LOG_SLOT, NULL));
	EXPECT_EQ(-EFAULT, kvmc_get_dirty_log(self->g.vm, LOG_SLOT, ro));
	/* 16 bytes for 65 pages, 8 of them before the hole. */
	EXPECT_EQ(-EFAULT, kvmc_get_dirty_log(self->g.vm, LOG_SLOT,
					      edge + PG - 8));
	/* 8 bytes for 64 pages fit. */
	ASSERT_EQ(0, kvmc_set_region(self->g.vm, LOG_SLOT, 0, LOG_GPA, 0, 0));
	munmap(self->mem, self->npages * PG);
	self->mem = NULL;
	ADD_LOG_SLOT(64);
	EXPECT_EQ(0, kvmc_get_dirty_log(self->g.vm, LOG_SLOT, edge + PG - 8));
	munmap(ro, PG);
	munmap(edge, PG);
}

/*
 * Without manual protect, kvm_get_dirty_log_protect() takes the bits out
 * of the slot's bitmap before copying them: a GET that faults loses them.
 */
TEST_F(dirty, get_efault_consumes_bits)
{
	ADD_LOG_SLOT(LOG_PAGES);
	DIRTY(5);
	EXPECT_EQ(-EFAULT, kvmc_get_dirty_log(self->g.vm, LOG_SLOT, NULL));
	GET_LOG();
	EXPECT_LOG(0, 0);
}

/* kvm_vm_ioctl_enable_cap_generic(): the options and their order. */
TEST_F(dirty, manual_protect_enable_cap)
{
	struct kvm_enable_cap cap;

	EXPECT_EQ(-EINVAL, kvmc_enable_cap(self->g.vm,
					   KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2,
					   INIT_SET));
	EXPECT_EQ(-EINVAL, kvmc_enable_cap(self->g.vm,
					   KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2,
					   MANUAL | 4));
	EXPECT_EQ(-EINVAL, kvmc_enable_cap(self->g.vm,
					   KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2,
					   1ULL << 32 | MANUAL));
	memset(&cap, 0, sizeof(cap));
	cap.cap = KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2;
	cap.flags = 1;
	cap.args[0] = MANUAL;
	EXPECT_EQ(-1, ioctl(self->g.vm, KVM_ENABLE_CAP, &cap));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0, kvmc_enable_cap(self->g.vm,
				     KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2, 0));
	EXPECT_EQ(0, kvmc_enable_cap(self->g.vm,
				     KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2, MANUAL));
	EXPECT_EQ(0, kvmc_enable_cap(self->g.vm,
				     KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2,
				     MANUAL | INIT_SET));
	EXPECT_EQ(-1, ioctl(self->g.vm, KVM_ENABLE_CAP, NULL));
	EXPECT_EQ(EFAULT, errno);
}

/* Manual protect: GET only reads; CLEAR clears what its bitmap says. */
TEST_F(dirty, manual_protect)
{
	ENABLE_MANUAL(MANUAL);
	ADD_LOG_SLOT(LOG_PAGES);
	GET_LOG();
	EXPECT_LOG(0, 0);

	DIRTY(0, 2);
	DIRTY(64);
	GET_LOG();
	EXPECT_LOG(0x5, 1);
	GET_LOG();
	EXPECT_LOG(0x5, 1);

	ASSERT_EQ(0, clear_log(self->g.vm, 0, LOG_PAGES, 0x1, 0));
	GET_LOG();
	EXPECT_LOG(0x4, 1);
	/* Bits for clean pages and beyond the slot do no harm. */
	ASSERT_EQ(0, clear_log(self->g.vm, 0, LOG_PAGES, ~0ULL, ~0ULL));
	GET_LOG();
	EXPECT_LOG(0, 0);

	/* Cleared pages are write-protected again. */
	DIRTY(2, 7);
	GET_LOG();
	EXPECT_LOG(0x84, 0);
}

/*
 * KVM_DIRTY_LOG_INITIALLY_SET: a slot created afterwards starts with its
 * npages bits set (and no more).
 */
TEST_F(dirty, initially_set)
{
	ENABLE_MANUAL(MANUAL | INIT_SET);
	ADD_LOG_SLOT(LOG_PAGES);
	GET_LOG();
	EXPECT_LOG(~0ULL, 1);
	GET_LOG();
	EXPECT_LOG(~0ULL, 1);

	ASSERT_EQ(0, clear_log(self->g.vm, 0, 64, ~0ULL, 0));
	GET_LOG();
	EXPECT_LOG(0, 1);
	ASSERT_EQ(0, clear_log(self->g.vm, 64, 1, 1, 0));
	GET_LOG();
	EXPECT_LOG(0, 0);

	DIRTY(3);
	GET_LOG();
	EXPECT_LOG(0x8, 0);
}

/* Upstream does not require manual protect for KVM_CLEAR_DIRTY_LOG. */
TEST_F(dirty, clear_without_manual_protect)
{
	ADD_LOG_SLOT(LOG_PAGES);
	DIRTY(1, 4, 6);
	ASSERT_EQ(0, clear_log(self->g.vm, 0, LOG_PAGES, 0x10, 0));
	GET_LOG();
	EXPECT_LOG(0x42, 0);
}

/* kvm_clear_dirty_log_protect(): the checks and their order. */
TEST_F(dirty, clear_rules)
{
	int nr = kvmc_check_ext(self->g.vm, KVM_CAP_NR_MEMSLOTS);
	uint64_t bm[2] = { 0, 0 };

	ENABLE_MANUAL(MANUAL);
	ADD_LOG_SLOT(LOG_PAGES);

	/* first_page must be a multiple of 64. */
	EXPECT_EQ(-EINVAL, clear_log(self->g.vm, 1, 64, 0, 0));
	EXPECT_EQ(-EINVAL, clear_log(self->g.vm, 63, 1, 0, 0));
	EXPECT_EQ(-EINVAL, clear_log(self->g.vm, 65, 0, 0, 0));
	/* ... checked before the slot is looked up ... */
	EXPECT_EQ(-EINVAL, kvmc_clear_dirty_log(self->g.vm, 0, 1, 0, bm));
	EXPECT_EQ(-EINVAL, kvmc_clear_dirty_log(self->g.vm, 3, 1, 0, bm));
	EXPECT_EQ(-ENOENT, kvmc_clear_dirty_log(self->g.vm, 0, 0, 64, bm));
	EXPECT_EQ(-ENOENT, kvmc_clear_dirty_log(self->g.vm, 3, 128, 64, bm));
	EXPECT_EQ(-EINVAL, kvmc_clear_dirty_log(self->g.vm, nr, 0, 64, bm));
	EXPECT_EQ(-EINVAL, kvmc_clear_dirty_log(self->g.vm, nr, 1, 64, bm));
	/* ... and the range after it. */
	EXPECT_EQ(-EINVAL, clear_log(self->g.vm, 128, 0, 0, 0));
	EXPECT_EQ(-EINVAL, clear_log(self->g.vm, 1ULL << 32, 0, 0, 0));
	EXPECT_EQ(-EINVAL, clear_log(self->g.vm, 64, 2, 0, 0));
	EXPECT_EQ(-EINVAL, clear_log(self->g.vm, 0, 66, 0, 0));
	EXPECT_EQ(-EINVAL, clear_log(self->g.vm, 0, ~0U, 0, 0));
	/* num_pages: a multiple of 64 unless it reaches the slot's end. */
	EXPECT_EQ(-EINVAL, clear_log(self->g.vm, 0, 63, 0, 0));
	EXPECT_EQ(-EINVAL, clear_log(self->g.vm, 0, 1, 0, 0));
	EXPECT_EQ(0, clear_log(self->g.vm, 0, 64, 0, 0));
	EXPECT_EQ(0, clear_log(self->g.vm, 0, 65, 0, 0));
	EXPECT_EQ(0, clear_log(self->g.vm, 64, 1, 0, 0));
	EXPECT_EQ(0, clear_log(self->g.vm, 64, 0, 0, 0));
	/* Nothing to copy for 0 pages: the bitmap is not read. */
	EXPECT_EQ(0, kvmc_clear_dirty_log(self->g.vm, LOG_SLOT, 0, 0, NULL));
	EXPECT_EQ(-EFAULT, kvmc_clear_dirty_log(self->g.vm, LOG_SLOT, 0, 64,
						NULL));
	EXPECT_EQ(-EFAULT, kvmc_clear_dirty_log(self->g.vm, LOG_SLOT, 64, 1,
						NULL));
	EXPECT_EQ(-1, ioctl(self->g.vm, KVM_CLEAR_DIRTY_LOG, NULL));
	EXPECT_EQ(EFAULT, errno);
}

/*
 * CLEAR for a range: bit 0 of the user bitmap is first_page, and the
 * kernel reads ALIGN(num_pages, 64) / 8 bytes of it.
 */
TEST_F(dirty, clear_second_word)
{
	uint8_t *edge = kvmc_map_pages(2);

	ASSERT_NE(NULL, edge);
	ASSERT_EQ(0, munmap(edge + PG, PG));
	ENABLE_MANUAL(MANUAL | INIT_SET);
	ADD_LOG_SLOT(LOG_PAGES);
	memset(edge + PG - 8, 0xff, 8);
	/* 1 page from 64: 8 bytes, the last ones before the hole. */
	ASSERT_EQ(0, kvmc_clear_dirty_log(self->g.vm, LOG_SLOT, 64, 1,
					  edge + PG - 8));
	GET_LOG();
	EXPECT_LOG(~0ULL, 0);
	/* 65 pages from 0: 16 bytes, 8 of them in the hole. */
	EXPECT_EQ(-EFAULT, kvmc_clear_dirty_log(self->g.vm, LOG_SLOT, 0,
						LOG_PAGES, edge + PG - 8));
	GET_LOG();
	EXPECT_LOG(~0ULL, 0);
	ASSERT_EQ(0, clear_log(self->g.vm, 0, 64, 0x8000000000000001ULL, 0));
	GET_LOG();
	EXPECT_LOG(0x7ffffffffffffffeULL, 0);
	munmap(edge, PG);
}

/* The struct as the kernel reads it, whatever the ABI's pointer size. */
struct dirty_log_raw {
	uint32_t slot;
	uint32_t padding1;
	uint64_t bitmap;	/* union { dirty_bitmap; padding2; } */
};

struct clear_log_raw {
	uint32_t slot;
	uint32_t num_pages;
	uint64_t first_page;
	uint64_t bitmap;	/* union { dirty_bitmap; padding2; } */
};

static_assert(sizeof(struct dirty_log_raw) == sizeof(struct kvm_dirty_log),
	      "kvm_dirty_log");
static_assert(sizeof(struct clear_log_raw) ==
	      sizeof(struct kvm_clear_dirty_log), "kvm_clear_dirty_log");
/* Same ioctl numbers in every ABI: ia32 and x32 use the native ones. */
static_assert(KVM_GET_DIRTY_LOG == 0x4010ae42, "KVM_GET_DIRTY_LOG");
static_assert(KVM_CLEAR_DIRTY_LOG == 0xc018aec0, "KVM_CLEAR_DIRTY_LOG");

/* padding1 is never looked at. */
TEST_F(dirty, get_padding1_ignored)
{
	struct dirty_log_raw log = {
		.slot = LOG_SLOT,
		.padding1 = 0xffffffff,
	};

	ADD_LOG_SLOT(LOG_PAGES);
	DIRTY(9);
	memset(self->bm, 0xff, sizeof(self->bm));
	log.bitmap = KVMC_HVA(self->bm);
	ASSERT_EQ(0, ioctl(self->g.vm, KVM_GET_DIRTY_LOG, &log));
	EXPECT_LOG(0x200, 0);
}

/*
 * Junk in the upper half of the bitmap's __u64: kvm_vm_compat_ioctl()
 * takes compat_ptr() of the low 32 bits; for a 64-bit caller it is part
 * of the (then non-canonical) pointer.
 */
TEST_F(dirty, get_bitmap_upper_half)
{
	struct dirty_log_raw log = { .slot = LOG_SLOT };
	int want = kvmc_is_compat_abi() ? 0 : -EFAULT;

	ADD_LOG_SLOT(LOG_PAGES);
	DIRTY(0, 15);
	memset(self->bm, 0xff, sizeof(self->bm));
	log.bitmap = BITMAP_JUNK << 32 | (uint32_t)KVMC_HVA(self->bm);
	TH_LOG("%s: bitmap %#llx, expecting %s", kvmc_abi_name(),
	       (unsigned long long)log.bitmap, want ? "EFAULT" : "success");
	ASSERT_EQ(want, kvmc_ioctl(self->g.vm, KVM_GET_DIRTY_LOG,
				   (unsigned long)&log));
	if (want)
		return;
	EXPECT_LOG(0x8001, 0);
}

TEST_F(dirty, clear_bitmap_upper_half)
{
	struct clear_log_raw log = {
		.slot = LOG_SLOT,
		.num_pages = 64,
		.first_page = 0,
	};
	uint64_t bm[1] = { 0xf0 };
	int want = kvmc_is_compat_abi() ? 0 : -EFAULT;

	ENABLE_MANUAL(MANUAL | INIT_SET);
	ADD_LOG_SLOT(LOG_PAGES);
	log.bitmap = BITMAP_JUNK << 32 | (uint32_t)KVMC_HVA(bm);
	TH_LOG("%s: bitmap %#llx, expecting %s", kvmc_abi_name(),
	       (unsigned long long)log.bitmap, want ? "EFAULT" : "success");
	ASSERT_EQ(want, kvmc_ioctl(self->g.vm, KVM_CLEAR_DIRTY_LOG,
				   (unsigned long)&log));
	GET_LOG();
	EXPECT_LOG(want ? ~0ULL : ~0xf0ULL, 1);
}

/* first_page is a full __u64 in every ABI (no compat truncation). */
TEST_F(dirty, clear_first_page_upper_half)
{
	struct clear_log_raw log = {
		.slot = LOG_SLOT,
		.num_pages = 1,
		.first_page = 1ULL << 32 | 64,
	};
	uint64_t bm[1] = { 1 };

	ENABLE_MANUAL(MANUAL | INIT_SET);
	ADD_LOG_SLOT(LOG_PAGES);
	log.bitmap = KVMC_HVA(bm);
	EXPECT_EQ(-EINVAL, kvmc_ioctl(self->g.vm, KVM_CLEAR_DIRTY_LOG,
				      (unsigned long)&log));
	log.first_page = 64;
	EXPECT_EQ(0, kvmc_ioctl(self->g.vm, KVM_CLEAR_DIRTY_LOG,
				(unsigned long)&log));
	GET_LOG();
	EXPECT_LOG(~0ULL, 0);
}

KVMC_TEST_MAIN
