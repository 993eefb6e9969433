// SPDX-License-Identifier: GPL-2.0
/*
 * What the kernel writes to userspace beyond the fields the ABI defines.
 * For every ioctl that writes a structure back (KVM_GET_REGS,
 * KVM_GET_SREGS, the bitmap of KVM_GET_DIRTY_LOG) and for the mmap'ed
 * kvm_run of a fresh vCPU, the caller's buffer is pre-filled with a
 * pattern, twice (runs of 0xA5, then of 0x5A), and:
 *  - every byte of a defined field is written (both runs agree on it);
 *  - every byte the ABI leaves undefined inside the structure, the named
 *    padding (kvm_segment.padding, kvm_dtable.padding[3]) and any gap the
 *    compiler left (from offsetof/sizeof, none hard-coded), comes back 0;
 *  - the bytes after the structure (sizeof onwards) are left untouched;
 *  - a dirty bitmap's bits beyond the slot's pages are 0 and nothing
 *    after the kernel's unsigned longs is written.
 * Built _64, _32 and _x32: the compat paths must behave as the native one.
 * Upstream (virt/kvm/kvm_main.c, arch/x86/kvm/x86.c) kzalloc()s what it
 * copies out, so it passes all of this; so must kvm_compat.
 *
 *   padding_test_{64,32,x32} [DEVICE] [kselftest_harness options]
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "kvm_compat_util.h"
#include "kvm_compat_vcpu_fixture.h"

#define FILL_A		0xa5
#define FILL_B		0x5a
#define TRAILER		64	/* bytes checked after each structure */
/* This ABI's sizes of the structures checked, for the log. */
#define SIZES_FMT \
	"%s: kvm_regs %zu, kvm_sregs %zu, kvm_segment %zu, kvm_dtable %zu, kvm_dirty_log %zu"

/* One member of a structure: where it is and whether the ABI defines it. */
struct pad_field {
	const char *name;
	size_t off, size;
	bool padding;		/* a named "padding" member: must be 0 */
};

#define FIELD(type, m)	{ #m, offsetof(type, m), sizeof(((type *)0)->m), false }
#define PADDING(type, m) { #m, offsetof(type, m), sizeof(((type *)0)->m), true }

static const struct pad_field regs_fields[] = {
	FIELD(struct kvm_regs, rax), FIELD(struct kvm_regs, rbx),
	FIELD(struct kvm_regs, rcx), FIELD(struct kvm_regs, rdx),
	FIELD(struct kvm_regs, rsi), FIELD(struct kvm_regs, rdi),
	FIELD(struct kvm_regs, rsp), FIELD(struct kvm_regs, rbp),
	FIELD(struct kvm_regs, r8), FIELD(struct kvm_regs, r9),
	FIELD(struct kvm_regs, r10), FIELD(struct kvm_regs, r11),
	FIELD(struct kvm_regs, r12), FIELD(struct kvm_regs, r13),
	FIELD(struct kvm_regs, r14), FIELD(struct kvm_regs, r15),
	FIELD(struct kvm_regs, rip), FIELD(struct kvm_regs, rflags),
};

static const struct pad_field seg_fields[] = {
	FIELD(struct kvm_segment, base), FIELD(struct kvm_segment, limit),
	FIELD(struct kvm_segment, selector), FIELD(struct kvm_segment, type),
	FIELD(struct kvm_segment, present), FIELD(struct kvm_segment, dpl),
	FIELD(struct kvm_segment, db), FIELD(struct kvm_segment, s),
	FIELD(struct kvm_segment, l), FIELD(struct kvm_segment, g),
	FIELD(struct kvm_segment, avl), FIELD(struct kvm_segment, unusable),
	PADDING(struct kvm_segment, padding),
};

static const struct pad_field dtable_fields[] = {
	FIELD(struct kvm_dtable, base), FIELD(struct kvm_dtable, limit),
	PADDING(struct kvm_dtable, padding),
};

/* struct kvm_sregs: its segments and tables are expanded below. */
static const struct pad_field sregs_scalars[] = {
	FIELD(struct kvm_sregs, cr0), FIELD(struct kvm_sregs, cr2),
	FIELD(struct kvm_sregs, cr3), FIELD(struct kvm_sregs, cr4),
	FIELD(struct kvm_sregs, cr8), FIELD(struct kvm_sregs, efer),
	FIELD(struct kvm_sregs, apic_base),
	FIELD(struct kvm_sregs, interrupt_bitmap),
};

static const struct {
	const char *name;
	size_t off;
} sregs_segs[] = {
	{ "cs", offsetof(struct kvm_sregs, cs) },
	{ "ds", offsetof(struct kvm_sregs, ds) },
	{ "es", offsetof(struct kvm_sregs, es) },
	{ "fs", offsetof(struct kvm_sregs, fs) },
	{ "gs", offsetof(struct kvm_sregs, gs) },
	{ "ss", offsetof(struct kvm_sregs, ss) },
	{ "tr", offsetof(struct kvm_sregs, tr) },
	{ "ldt", offsetof(struct kvm_sregs, ldt) },
}, sregs_tables[] = {
	{ "gdt", offsetof(struct kvm_sregs, gdt) },
	{ "idt", offsetof(struct kvm_sregs, idt) },
};

#define MAX_FIELDS	160

/* A structure's layout, flattened: fields with absolute offsets. */
struct pad_layout {
	const char *what;
	size_t size;
	unsigned int n;
	struct pad_field f[MAX_FIELDS];
	char names[MAX_FIELDS][32];
};

static void layout_add(struct pad_layout *l, const char *prefix, size_t base,
		       const struct pad_field *f, size_t n)
{
	size_t i;

	for (i = 0; i < n && l->n < MAX_FIELDS; i++, l->n++) {
		snprintf(l->names[l->n], sizeof(l->names[0]), "%s%s%s",
			 prefix, *prefix ? "." : "", f[i].name);
		l->f[l->n] = f[i];
		l->f[l->n].name = l->names[l->n];
		l->f[l->n].off += base;
	}
}

static void layout_regs(struct pad_layout *l)
{
	memset(l, 0, sizeof(*l));
	l->what = "struct kvm_regs";
	l->size = sizeof(struct kvm_regs);
	layout_add(l, "", 0, regs_fields, ARRAY_SIZE(regs_fields));
}

static void layout_sregs(struct pad_layout *l)
{
	size_t i;

	memset(l, 0, sizeof(*l));
	l->what = "struct kvm_sregs";
	l->size = sizeof(struct kvm_sregs);
	for (i = 0; i < ARRAY_SIZE(sregs_segs); i++)
		layout_add(l, sregs_segs[i].name, sregs_segs[i].off, seg_fields,
			   ARRAY_SIZE(seg_fields));
	for (i = 0; i < ARRAY_SIZE(sregs_tables); i++)
		layout_add(l, sregs_tables[i].name, sregs_tables[i].off,
			   dtable_fields, ARRAY_SIZE(dtable_fields));
	layout_add(l, "", 0, sregs_scalars, ARRAY_SIZE(sregs_scalars));
}

/* Per byte: the field that holds it, or -1 for a gap between fields. */
static void layout_owner(const struct pad_layout *l, int *owner)
{
	unsigned int i;
	size_t b;

	for (b = 0; b < l->size; b++)
		owner[b] = -1;
	for (i = 0; i < l->n; i++)
		for (b = l->f[i].off; b < l->f[i].off + l->f[i].size; b++)
			owner[b] = (int)i;
}

/*
 * @a and @b: the same call's output after pre-filling the buffer with
 * FILL_A and FILL_B; each is l->size + TRAILER bytes.
 */
static void check_output(struct __test_metadata *_metadata,
			 const struct pad_layout *l, const uint8_t *a,
			 const uint8_t *b)
{
	int owner[4096];
	unsigned int i, gaps = 0;
	size_t k;

	ASSERT_GE(ARRAY_SIZE(owner), l->size);
	layout_owner(l, owner);
	for (i = 0; i < l->n; i++) {
		const struct pad_field *f = &l->f[i];
		bool written = !memcmp(a + f->off, b + f->off, f->size);
		bool zero = true;

		for (k = 0; k < f->size; k++)
			zero &= !a[f->off + k] && !b[f->off + k];
		if (f->padding) {
			EXPECT_TRUE(zero)
				TH_LOG("%s: %s (offset %zu, %zu bytes) is not zeroed",
				       l->what, f->name, f->off, f->size);
		} else {
			EXPECT_TRUE(written)
				TH_LOG("%s: %s (offset %zu, %zu bytes) not written",
				       l->what, f->name, f->off, f->size);
		}
	}
	for (k = 0; k < l->size; k++) {
		if (owner[k] >= 0)
			continue;
		gaps++;
		EXPECT_TRUE(!a[k] && !b[k])
			TH_LOG("%s: gap byte %zu is %#x / %#x, not 0", l->what,
			       k, a[k], b[k]);
	}
	for (k = l->size; k < l->size + TRAILER; k++) {
		EXPECT_EQ(FILL_A, a[k]) TH_LOG("%s: byte %zu after it written",
					       l->what, k - l->size);
		EXPECT_EQ(FILL_B, b[k]) TH_LOG("%s: byte %zu after it written",
					       l->what, k - l->size);
	}
	TH_LOG("%s: %zu bytes, %u fields, %u gap bytes, %d trailer bytes",
	       l->what, l->size, l->n, gaps, TRAILER);
}

/* The layout tables cover each structure the way the compiler sees it. */
TEST(layouts_cover_structs)
{
	struct pad_layout l;
	size_t named = 0;
	unsigned int i;

	layout_regs(&l);
	for (i = 0; i < l.n; i++)
		named += l.f[i].size;
	EXPECT_EQ(sizeof(struct kvm_regs), named);
	layout_sregs(&l);
	for (i = 0, named = 0; i < l.n; i++)
		named += l.f[i].size;
	/* Every byte of kvm_sregs is a member; the padding is named. */
	EXPECT_EQ(sizeof(struct kvm_sregs), named);
	EXPECT_EQ(1, sizeof(((struct kvm_segment *)0)->padding));
	EXPECT_EQ(6, sizeof(((struct kvm_dtable *)0)->padding));
	TH_LOG(SIZES_FMT, kvmc_abi_name(), sizeof(struct kvm_regs),
	       sizeof(struct kvm_sregs), sizeof(struct kvm_segment),
	       sizeof(struct kvm_dtable), sizeof(struct kvm_dirty_log));
}

static void get_twice(struct __test_metadata *_metadata, int fd,
		      unsigned long cmd, size_t size, uint8_t *a, uint8_t *b)
{
	memset(a, FILL_A, size + TRAILER);
	ASSERT_EQ(0, ioctl(fd, cmd, a)) TH_LOG("%s", kvmc_errname(errno));
	memset(b, FILL_B, size + TRAILER);
	ASSERT_EQ(0, ioctl(fd, cmd, b)) TH_LOG("%s", kvmc_errname(errno));
}

TEST_F(vcpu, get_regs)
{
	uint8_t a[sizeof(struct kvm_regs) + TRAILER];
	uint8_t b[sizeof(struct kvm_regs) + TRAILER];
	struct pad_layout l;

	layout_regs(&l);
	get_twice(_metadata, self->fds.vcpu, KVM_GET_REGS, l.size, a, b);
	check_output(_metadata, &l, a, b);
}

static void get_sregs_check(struct __test_metadata *_metadata, int fd)
{
	uint8_t a[sizeof(struct kvm_sregs) + TRAILER];
	uint8_t b[sizeof(struct kvm_sregs) + TRAILER];
	struct pad_layout l;

	layout_sregs(&l);
	get_twice(_metadata, fd, KVM_GET_SREGS, l.size, a, b);
	check_output(_metadata, &l, a, b);
}

TEST_F(vcpu, get_sregs)
{
	get_sregs_check(_metadata, self->fds.vcpu);
}

/*
 * Padding the caller sent in KVM_SET_SREGS (the pattern) does not come
 * back from KVM_GET_SREGS either.
 */
TEST_F(vcpu, get_sregs_after_set_with_garbage_padding)
{
	struct kvm_sregs s;
	size_t i;

	ASSERT_EQ(0, ioctl(self->fds.vcpu, KVM_GET_SREGS, &s));
	for (i = 0; i < ARRAY_SIZE(sregs_segs); i++) {
		struct kvm_segment *seg = (void *)((uint8_t *)&s + sregs_segs[i].off);

		memset(&seg->padding, FILL_A, sizeof(seg->padding));
	}
	memset(s.gdt.padding, FILL_A, sizeof(s.gdt.padding));
	memset(s.idt.padding, FILL_B, sizeof(s.idt.padding));
	ASSERT_EQ(0, ioctl(self->fds.vcpu, KVM_SET_SREGS, &s))
		TH_LOG("KVM_SET_SREGS with garbage padding: %s", kvmc_errname(errno));
	get_sregs_check(_metadata, self->fds.vcpu);
}

/*
 * A fresh vCPU's kvm_run: nothing is set until the first KVM_RUN
 * (kvm_vm_ioctl_create_vcpu() takes a zeroed page and x86 writes none of
 * it at creation), so the whole page is 0, and so is the PIO page.
 */
static const struct pad_field run_fields[] = {
	FIELD(struct kvm_run, request_interrupt_window),
	FIELD(struct kvm_run, exit_reason),
	FIELD(struct kvm_run, ready_for_interrupt_injection),
	FIELD(struct kvm_run, if_flag),
	FIELD(struct kvm_run, flags),
	FIELD(struct kvm_run, cr8),
	FIELD(struct kvm_run, apic_base),
	FIELD(struct kvm_run, hw),
	FIELD(struct kvm_run, kvm_valid_regs),
	FIELD(struct kvm_run, kvm_dirty_regs),
	FIELD(struct kvm_run, s),
};

static const char *run_field_at(size_t off)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(run_fields); i++)
		if (off >= run_fields[i].off &&
		    off < run_fields[i].off + run_fields[i].size)
			return run_fields[i].name;
	return off < sizeof(struct kvm_run) ? "(other kvm_run byte)" :
					       "(after struct kvm_run)";
}

TEST_F(vcpu, fresh_kvm_run_page)
{
	int size = ioctl(self->fds.sys, KVM_GET_VCPU_MMAP_SIZE, 0);
	unsigned int bad = 0;
	uint8_t *p;
	size_t k;

	ASSERT_LE((int)(2 * KVMC_PAGE_SIZE), size);
	p = mmap(NULL, size, PROT_READ, MAP_SHARED, self->fds.vcpu, 0);
	ASSERT_NE(MAP_FAILED, p);
	for (k = 0; k < 2 * KVMC_PAGE_SIZE; k++) {
		if (!p[k])
			continue;
		bad++;
		EXPECT_EQ(0, p[k]) TH_LOG("%s byte %zu: %#x (%s)",
					  k < KVMC_PAGE_SIZE ? "kvm_run" : "PIO page",
					  (size_t)(k % KVMC_PAGE_SIZE), p[k],
					  k < KVMC_PAGE_SIZE ? run_field_at(k) : "-");
		if (bad > 16)
			break;
	}
	TH_LOG("sizeof(struct kvm_run) %zu, mmap size %d", sizeof(struct kvm_run),
	       size);
	EXPECT_EQ(0, munmap(p, size));
}

/*
 * KVM_GET_DIRTY_LOG copies the bitmap in whole unsigned longs of the
 * kernel (64 bits, whatever the caller's ABI): bits beyond the slot's
 * pages are 0 and nothing after those longs is written. The struct itself
 * is an input (_IOW): untouched. Its padding1, and for a compat caller
 * the upper half of the dirty_bitmap/padding2 union, are not looked at.
 */
static void dirty_log_check(struct __test_metadata *_metadata, int vm,
			    uint32_t slot, uint64_t npages)
{
	size_t written = (npages + 63) / 64 * 8, len = written + TRAILER, k;
	uint8_t fills[2] = { FILL_A, FILL_B };
	struct kvm_dirty_log log, before;
	uint8_t buf[2][256];
	int i, r;

	ASSERT_GE(sizeof(buf[0]), len);
	for (i = 0; i < 2; i++) {
		memset(buf[i], fills[i], len);
		memset(&log, fills[i], sizeof(log));
		log.slot = slot;
		log.dirty_bitmap = buf[i];	/* on ia32/x32: the low half */
		before = log;
		r = ioctl(vm, KVM_GET_DIRTY_LOG, &log);
		ASSERT_EQ(0, r)
			TH_LOG("slot %u, padding1 %#x%s: %s", slot, log.padding1,
			       sizeof(void *) == 4 ? " and upper half of the union" : "",
			       kvmc_errname(errno));
		EXPECT_EQ(0, memcmp(&before, &log, sizeof(log)))
			TH_LOG("struct kvm_dirty_log written back");
		for (k = npages; k < written * 8; k++)
			EXPECT_EQ(0, (buf[i][k / 8] >> (k % 8)) & 1)
				TH_LOG("fill %#x: bit %zu set beyond the slot's %llu pages",
				       fills[i], k, (unsigned long long)npages);
		for (k = written; k < len; k++)
			EXPECT_EQ(fills[i], buf[i][k])
				TH_LOG("fill %#x: bitmap byte %zu (after %zu) written",
				       fills[i], k, written);
	}
	TH_LOG("slot %u: %llu pages, %zu bitmap bytes written", slot,
	       (unsigned long long)npages, written);
}

TEST(dirty_log_bitmap_tail)
{
	static const uint64_t sizes[] = { 1, 3, 64, 65 };
	int sys, vm, r;
	size_t i, total = 0;
	uint64_t gpa = 0;
	uint8_t *mem;

	KVMC_OPEN_OR_SKIP(sys);
	vm = kvmc_create_vm(sys);
	ASSERT_LE(0, vm);
	for (i = 0; i < ARRAY_SIZE(sizes); i++)
		total += sizes[i];
	mem = kvmc_map_pages(total);
	ASSERT_NE(NULL, mem);
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		r = kvmc_set_region(vm, (uint32_t)i, KVM_MEM_LOG_DIRTY_PAGES, gpa,
				    sizes[i] * KVMC_PAGE_SIZE,
				    KVMC_HVA(mem + gpa));
		ASSERT_EQ(0, r) TH_LOG("slot %zu: %s", i, kvmc_errname(-r));
		gpa += sizes[i] * KVMC_PAGE_SIZE;
	}
	for (i = 0; i < ARRAY_SIZE(sizes); i++)
		dirty_log_check(_metadata, vm, (uint32_t)i, sizes[i]);
	close(vm);
	close(sys);
	munmap(mem, total * KVMC_PAGE_SIZE);
}

KVMC_TEST_MAIN
