// SPDX-License-Identifier: GPL-2.0
/*
 * The structs kvm_compat passes through unchanged have the same layout in
 * every x86 userspace ABI (x86_64, ia32, x32): checked at compile time in
 * each build, and at run time by passing them through the device.
 *
 *   layout_test_{64,32,x32} [DEVICE] [kselftest_harness options]
 */
#include <assert.h>
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

#define SA_SIZE(type, n) \
	static_assert(sizeof(type) == (n), "sizeof(" #type ") != " #n)
#define SA_OFF(type, field, n) \
	static_assert(offsetof(type, field) == (n), \
		      "offsetof(" #type ", " #field ") != " #n)

SA_SIZE(struct kvm_userspace_memory_region, 32);
SA_OFF(struct kvm_userspace_memory_region, slot, 0);
SA_OFF(struct kvm_userspace_memory_region, flags, 4);
SA_OFF(struct kvm_userspace_memory_region, guest_phys_addr, 8);
SA_OFF(struct kvm_userspace_memory_region, memory_size, 16);
SA_OFF(struct kvm_userspace_memory_region, userspace_addr, 24);

SA_SIZE(struct kvm_regs, 144);
SA_OFF(struct kvm_regs, rax, 0);
SA_OFF(struct kvm_regs, r15, 120);
SA_OFF(struct kvm_regs, rip, 128);
SA_OFF(struct kvm_regs, rflags, 136);

SA_SIZE(struct kvm_segment, 24);
SA_OFF(struct kvm_segment, limit, 8);
SA_OFF(struct kvm_segment, selector, 12);
SA_OFF(struct kvm_segment, type, 14);
SA_OFF(struct kvm_segment, unusable, 22);
SA_OFF(struct kvm_segment, padding, 23);

SA_SIZE(struct kvm_dtable, 16);
SA_OFF(struct kvm_dtable, limit, 8);
SA_OFF(struct kvm_dtable, padding, 10);

SA_SIZE(struct kvm_sregs, 312);
SA_OFF(struct kvm_sregs, cs, 0);
SA_OFF(struct kvm_sregs, ldt, 168);
SA_OFF(struct kvm_sregs, gdt, 192);
SA_OFF(struct kvm_sregs, idt, 208);
SA_OFF(struct kvm_sregs, cr0, 224);
SA_OFF(struct kvm_sregs, cr8, 256);
SA_OFF(struct kvm_sregs, efer, 264);
SA_OFF(struct kvm_sregs, apic_base, 272);
SA_OFF(struct kvm_sregs, interrupt_bitmap, 280);

/* KVM_GET_SUPPORTED_CPUID, KVM_SET_CPUID2, KVM_GET_CPUID2: no pointer. */
SA_SIZE(struct kvm_cpuid2, 8);
SA_OFF(struct kvm_cpuid2, padding, 4);
SA_OFF(struct kvm_cpuid2, entries, 8);
SA_SIZE(struct kvm_cpuid_entry2, 40);
SA_OFF(struct kvm_cpuid_entry2, flags, 8);
SA_OFF(struct kvm_cpuid_entry2, eax, 12);
SA_OFF(struct kvm_cpuid_entry2, edx, 24);
SA_OFF(struct kvm_cpuid_entry2, padding, 28);

SA_OFF(struct kvm_run, request_interrupt_window, 0);
SA_OFF(struct kvm_run, immediate_exit, 1);
SA_OFF(struct kvm_run, exit_reason, 8);
SA_OFF(struct kvm_run, ready_for_interrupt_injection, 12);
SA_OFF(struct kvm_run, if_flag, 13);
SA_OFF(struct kvm_run, flags, 14);
SA_OFF(struct kvm_run, cr8, 16);
SA_OFF(struct kvm_run, apic_base, 24);
SA_OFF(struct kvm_run, io, 32);
SA_OFF(struct kvm_run, io.data_offset, 40);
SA_OFF(struct kvm_run, mmio.len, 48);
SA_OFF(struct kvm_run, kvm_valid_regs, 288);
SA_OFF(struct kvm_run, kvm_dirty_regs, 296);
SA_OFF(struct kvm_run, s, 304);
SA_SIZE(struct kvm_run, 2352);

/* The ioctl numbers encode the sizes, so they match too. */
static_assert(KVM_GET_REGS == 0x8090ae81, "KVM_GET_REGS");
static_assert(KVM_GET_SREGS == 0x8138ae83, "KVM_GET_SREGS");
static_assert(KVM_SET_USER_MEMORY_REGION == 0x4020ae46,
	      "KVM_SET_USER_MEMORY_REGION");
static_assert(KVM_GET_SUPPORTED_CPUID == 0xc008ae05,
	      "KVM_GET_SUPPORTED_CPUID");
static_assert(KVM_SET_CPUID2 == 0x4008ae90, "KVM_SET_CPUID2");
static_assert(KVM_GET_CPUID2 == 0xc008ae91, "KVM_GET_CPUID2");
/* _IO: the address itself; _IOW of a __u64, 8 bytes on every ABI. */
static_assert(KVM_SET_TSS_ADDR == 0xae47, "KVM_SET_TSS_ADDR");
static_assert(KVM_SET_IDENTITY_MAP_ADDR == 0x4008ae48,
	      "KVM_SET_IDENTITY_MAP_ADDR");

#define PAD	16
#define FILL	0xaa

/* Number of bytes of @buf[from, to) that are not FILL. */
static size_t count_touched(const uint8_t *buf, size_t from, size_t to)
{
	size_t i, n = 0;

	for (i = from; i < to; i++)
		n += buf[i] != FILL;
	return n;
}

TEST_F(vcpu, get_regs_writes_exact_size)
{
	uint8_t buf[sizeof(struct kvm_regs) + PAD];

	memset(buf, FILL, sizeof(buf));
	ASSERT_EQ(0, ioctl(self->fds.vcpu, KVM_GET_REGS, buf));
	EXPECT_EQ(0, count_touched(buf, sizeof(struct kvm_regs), sizeof(buf)));
	/* RIP 0xfff0 at offset 128. */
	EXPECT_EQ(0xf0, buf[128]);
	EXPECT_EQ(0xff, buf[129]);
}

static void check_seg_padding(struct __test_metadata *_metadata,
			      const struct kvm_segment *s)
{
	EXPECT_EQ(0, s->padding);
}

static void check_dtable_padding(struct __test_metadata *_metadata,
				 const struct kvm_dtable *d)
{
	EXPECT_EQ(0, d->padding[0]);
	EXPECT_EQ(0, d->padding[1]);
	EXPECT_EQ(0, d->padding[2]);
}

/*
 * kvm_vcpu_ioctl() KVM_GET_SREGS fills a kzalloc()ed struct: the padding
 * comes back zero, and nothing past the struct is written.
 */
TEST_F(vcpu, get_sregs_writes_exact_size)
{
	uint8_t buf[sizeof(struct kvm_sregs) + PAD];
	struct kvm_sregs *s = (struct kvm_sregs *)buf;

	memset(buf, FILL, sizeof(buf));
	ASSERT_EQ(0, ioctl(self->fds.vcpu, KVM_GET_SREGS, buf));
	EXPECT_EQ(0, count_touched(buf, sizeof(*s), sizeof(buf)));
	check_seg_padding(_metadata, &s->cs);
	check_seg_padding(_metadata, &s->ds);
	check_seg_padding(_metadata, &s->es);
	check_seg_padding(_metadata, &s->fs);
	check_seg_padding(_metadata, &s->gs);
	check_seg_padding(_metadata, &s->ss);
	check_seg_padding(_metadata, &s->tr);
	check_seg_padding(_metadata, &s->ldt);
	check_dtable_padding(_metadata, &s->gdt);
	check_dtable_padding(_metadata, &s->idt);
	/* CS selector 0xf000 at offset 12. */
	EXPECT_EQ(0x00, buf[12]);
	EXPECT_EQ(0xf0, buf[13]);
}

/* GET -> SET -> GET of the whole struct is the identity, byte for byte. */
TEST_F(vcpu, sregs_bytewise_roundtrip)
{
	struct kvm_sregs a, b;

	memset(&a, 0, sizeof(a));
	memset(&b, FILL, sizeof(b));
	ASSERT_EQ(0, ioctl(self->fds.vcpu, KVM_GET_SREGS, &a));
	ASSERT_EQ(0, ioctl(self->fds.vcpu, KVM_SET_SREGS, &a));
	ASSERT_EQ(0, ioctl(self->fds.vcpu, KVM_GET_SREGS, &b));
	EXPECT_EQ(0, memcmp(&a, &b, sizeof(a)));
}

/* The kvm_run header, as mapped: offsets of what a fresh vCPU shows. */
TEST_F(vcpu, kvm_run_header)
{
	int size = ioctl(self->fds.sys, KVM_GET_VCPU_MMAP_SIZE, 0);
	struct kvm_run *run;
	uint8_t *p;

	ASSERT_LT(0, size);
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED,
		 self->fds.vcpu, 0);
	ASSERT_NE(MAP_FAILED, p);
	run = (struct kvm_run *)p;
	EXPECT_EQ(0, *(uint32_t *)(p + 8));	/* exit_reason */
	/* The kernel reads immediate_exit at offset 1: EINTR, no entry. */
	p[1] = 1;
	EXPECT_EQ(-EINTR, kvmc_run(self->fds.vcpu));
	EXPECT_EQ(1, run->immediate_exit);
	EXPECT_EQ(0, munmap(p, size));
}

/*
 * struct kvm_userspace_memory_region as the kernel reads it: GPA and size
 * must be where this ABI puts them, or the overlap check would not hit.
 */
TEST_F(vcpu, memory_region_fields)
{
	uint8_t *mem = kvmc_map_pages(4);
	uint64_t hva = KVMC_HVA(mem), pg = KVMC_PAGE_SIZE;

	ASSERT_NE(NULL, mem);
	ASSERT_EQ(0, kvmc_set_region(self->fds.vm, 5, 0, 0x40 * pg, 2 * pg,
				     hva));
	/* Last page of slot 5 overlaps; the page after it does not. */
	ASSERT_EQ(-EEXIST, kvmc_set_region(self->fds.vm, 6, 0, 0x41 * pg, pg,
					   hva + 2 * pg));
	ASSERT_EQ(0, kvmc_set_region(self->fds.vm, 6, 0, 0x42 * pg, pg,
				     hva + 2 * pg));
	/* Slot 5 exists: same slot, other size -> EINVAL. */
	ASSERT_EQ(-EINVAL, kvmc_set_region(self->fds.vm, 5, 0, 0x40 * pg, pg,
					   hva));
	EXPECT_EQ(0, munmap(mem, 4 * pg));
}

KVMC_TEST_MAIN
