// SPDX-License-Identifier: GPL-2.0
/*
 * KVMC_GET_COMPAT_CAPS, kvm_compat's size-checked query on the system fd:
 * what the device serves to compat callers (<linux/kvm_compat.h>).
 * Upstream does not know it: x86's kvm_arch_dev_ioctl() answers every
 * system ioctl it does not know with EINVAL.
 *
 * The contract: a structure of __u64 only (the same number, 0xc0b8be00,
 * and layout from x86_64, ia32 and x32, no compat handler), size first
 * and exactly sizeof, flags reserved, checked in this order: size
 * unreadable EFAULT, size != sizeof EINVAL, structure unreadable EFAULT,
 * flags != 0 EINVAL, answer unwritable EFAULT.
 *
 * The other convention, copy_struct_from_user() (include/linux/uaccess.h),
 * is shown on a system call that uses it, openat2(): a smaller size is
 * zero-filled, a larger one accepted only with a zero tail, else E2BIG.
 * Documentation/api.rst says why the query does not use it.
 *
 *   caps_test_{64,32,x32} [DEVICE] [kselftest_harness options]
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/openat2.h>

#include "kselftest_harness.h"
#include "kvm_compat_util.h"

#define CAPS_SIZE	184

/* The same on every ABI: only __u64, so only one number. */
static_assert(sizeof(struct kvmc_compat_caps) == CAPS_SIZE, "size");
static_assert(offsetof(struct kvmc_compat_caps, size) == 0, "size first");
static_assert(offsetof(struct kvmc_compat_caps, flags) == 8, "flags");
static_assert(offsetof(struct kvmc_compat_caps, translate) == 16, "translate");
static_assert(offsetof(struct kvmc_compat_caps, compat_abis) == 24, "abis");
static_assert(offsetof(struct kvmc_compat_caps, quirks) == 32, "quirks");
static_assert(offsetof(struct kvmc_compat_caps, guest_revs) == 40, "revs");
static_assert(offsetof(struct kvmc_compat_caps, nr_ioctls) == 48, "nr_ioctls");
static_assert(offsetof(struct kvmc_compat_caps, ioctls) == 56, "ioctls");
static_assert(KVMC_GET_COMPAT_CAPS == 0xc0b8be00, "number");

/*
 * What the compat handlers translate (Documentation/compat.rst), as ia32
 * and x32 issue them: KVM_X86_SET_MSR_FILTER by its compat number.
 */
static const uint64_t translated[] = {
	0x4020ae46,	/* KVM_SET_USER_MEMORY_REGION */
	0x4010ae42,	/* KVM_GET_DIRTY_LOG */
	0xc018aec0,	/* KVM_CLEAR_DIRTY_LOG */
	0x4004ae8b,	/* KVM_SET_SIGNAL_MASK */
	0x4104aec6,	/* KVM_X86_SET_MSR_FILTER, ia32/x32 */
};

#define SENTINEL	0x5a5a5a5a5a5a5a5aULL

FIXTURE(caps)
{
	int sys;
	uint8_t *pages;		/* two pages, the second PROT_NONE */
};

FIXTURE_SETUP(caps)
{
	KVMC_OPEN_OR_SKIP(self->sys);
	self->pages = kvmc_map_pages(2);
	ASSERT_NE(NULL, self->pages);
	ASSERT_EQ(0, mprotect(self->pages + KVMC_PAGE_SIZE, KVMC_PAGE_SIZE,
			      PROT_NONE));
}

FIXTURE_TEARDOWN(caps)
{
	if (self->pages)
		munmap(self->pages, 2 * KVMC_PAGE_SIZE);
	if (self->sys >= 0)
		close(self->sys);
}

static int query(int sys, void *p)
{
	return kvmc_ioctl(sys, KVMC_GET_COMPAT_CAPS, (unsigned long)p);
}

static void fill(struct kvmc_compat_caps *c, uint64_t size)
{
	memset(c, 0x5a, sizeof(*c));
	c->size = size;
	c->flags = 0;
}

/*
 * The answer: translation as the harness built the module (KVMC_COMPAT),
 * both compat ABIs with it (Debian's kernels have IA32_EMULATION and
 * X86_X32_ABI), the quirk mask of KVM_CHECK_EXTENSION, revisions 1 to the
 * newest, the translated ioctls.  Upstream: EINVAL, the structure left alone.
 */
TEST_F(caps, query)
{
	struct kvmc_compat_caps c;
	bool translate = kvmc_compat_served_env();
	int latest, r;
	size_t i;

	fill(&c, sizeof(c));
	r = query(self->sys, &c);
	if (kvmc_is_upstream()) {
		EXPECT_EQ(-EINVAL, r);
		EXPECT_EQ(SENTINEL, c.translate);
		return;
	}
	ASSERT_EQ(0, r) TH_LOG("KVMC_GET_COMPAT_CAPS: %s", kvmc_errname(-r));
	TH_LOG("translate %llu abis %#llx quirks %#llx revs %#llx ioctls %llu",
	       (unsigned long long)c.translate,
	       (unsigned long long)c.compat_abis, (unsigned long long)c.quirks,
	       (unsigned long long)c.guest_revs,
	       (unsigned long long)c.nr_ioctls);
	EXPECT_EQ(CAPS_SIZE, c.size);
	EXPECT_EQ(0, c.flags);
	EXPECT_EQ(translate, c.translate);
	EXPECT_EQ(translate ? KVMC_COMPAT_ABI_IA32 | KVMC_COMPAT_ABI_X32 : 0,
		  c.compat_abis);
	EXPECT_EQ((uint64_t)kvmc_check_ext(self->sys, KVM_CAP_DISABLE_QUIRKS2),
		  c.quirks);
	latest = kvmc_check_ext(self->sys, KVMC_CAP_GUEST_REV);
	ASSERT_LE(2, latest);
	EXPECT_EQ((1ULL << (latest + 1)) - 2, c.guest_revs);
	EXPECT_EQ(translate ? ARRAY_SIZE(translated) : 0, c.nr_ioctls);
	for (i = 0; i < KVMC_COMPAT_CAPS_MAX_IOCTLS; i++) {
		uint64_t want = translate && i < ARRAY_SIZE(translated) ?
				translated[i] : 0;

		EXPECT_EQ(want, c.ioctls[i]) TH_LOG("ioctls[%zu]", i);
	}
}

/*
 * Strict equality: any other size is EINVAL, smaller (an older binary)
 * or larger (a newer one) alike, and nothing is written.
 */
TEST_F(caps, size_einval)
{
	static const uint64_t sizes[] = {
		0, 8, CAPS_SIZE - 8, CAPS_SIZE - 1, CAPS_SIZE + 1,
		CAPS_SIZE + 8, 4096, 1ULL << 32 | CAPS_SIZE, ~0ULL,
	};
	struct kvmc_compat_caps c;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		fill(&c, sizes[i]);
		EXPECT_EQ(-EINVAL, query(self->sys, &c))
			TH_LOG("size %#llx", (unsigned long long)sizes[i]);
		EXPECT_EQ(sizes[i], c.size);
		EXPECT_EQ(SENTINEL, c.translate);
	}
}

TEST_F(caps, flags_einval)
{
	struct kvmc_compat_caps c;
	int bit;

	for (bit = 0; bit < 64; bit += 9) {
		fill(&c, sizeof(c));
		c.flags = 1ULL << bit;
		EXPECT_EQ(-EINVAL, query(self->sys, &c)) TH_LOG("flags bit %d", bit);
		EXPECT_EQ(SENTINEL, c.translate);
	}
}

/*
 * The order of the checks, on a structure that ends on a PROT_NONE page
 * or sits in a read-only one: size unreadable EFAULT; a wrong size EINVAL
 * even when the rest is unreadable; the rest unreadable EFAULT; flags
 * EINVAL even when the answer could not be written; the answer
 * unwritable EFAULT.  Upstream never reads the argument: EINVAL each time.
 */
TEST_F(caps, order_of_checks)
{
	uint8_t *guard = self->pages + KVMC_PAGE_SIZE;
	struct kvmc_compat_caps *tail = (void *)(guard - 16);
	struct kvmc_compat_caps *ro = (void *)self->pages;
	int efault = kvmc_is_upstream() ? -EINVAL : -EFAULT;

	EXPECT_EQ(efault, query(self->sys, NULL));
	EXPECT_EQ(efault, query(self->sys, guard));

	tail->size = CAPS_SIZE + 8;
	tail->flags = 1;
	EXPECT_EQ(-EINVAL, query(self->sys, tail));
	tail->size = CAPS_SIZE;
	EXPECT_EQ(efault, query(self->sys, tail));

	memset(ro, 0, sizeof(*ro));
	ro->size = CAPS_SIZE;
	ro->flags = 1;
	ASSERT_EQ(0, mprotect(self->pages, KVMC_PAGE_SIZE, PROT_READ));
	EXPECT_EQ(-EINVAL, query(self->sys, ro));
	ASSERT_EQ(0, mprotect(self->pages, KVMC_PAGE_SIZE, PROT_READ | PROT_WRITE));
	ro->flags = 0;
	ASSERT_EQ(0, mprotect(self->pages, KVMC_PAGE_SIZE, PROT_READ));
	EXPECT_EQ(efault, query(self->sys, ro));
	ASSERT_EQ(0, mprotect(self->pages, KVMC_PAGE_SIZE, PROT_READ | PROT_WRITE));
	EXPECT_EQ(0, ro->translate);
}

/*
 * The selftests ask the device whether it serves compat callers
 * (kvmc_compat_served()) and fall back on the harness's KVMC_COMPAT only
 * where the device cannot be asked.  Where both can answer they agree.
 */
TEST_F(caps, compat_served_agrees_with_harness)
{
	bool served = kvmc_compat_served();

	TH_LOG("%s from %s: compat callers %s (asked: %s; KVMC_COMPAT=%s)",
	       kvmc_device(), kvmc_abi_name(), served ? "served" : "refused",
	       kvmc_compat_served_source(),
	       getenv("KVMC_COMPAT") ? getenv("KVMC_COMPAT") : "unset");
	EXPECT_STREQ(kvmc_is_upstream() ? "environment" : "device",
		     kvmc_compat_served_source());
	if (getenv("KVMC_COMPAT"))
		EXPECT_EQ(kvmc_compat_served_env(), served);
}

/*
 * The same query from every ABI: no compat handler, so a compat caller
 * reaches the native one with its pointer put through compat_ptr().
 */
TEST_F(caps, same_answer_from_every_abi)
{
	struct kvmc_compat_caps c;
	int r;

	fill(&c, sizeof(c));
	r = query(self->sys, &c);
	TH_LOG("%s: %s", kvmc_abi_name(), r ? kvmc_errname(-r) : "ok");
	EXPECT_EQ(kvmc_is_upstream() ? -EINVAL : 0, r);
	if (!r && kvmc_is_compat_abi())
		EXPECT_NE(0, c.compat_abis & kvmc_compat_abi_bit());
}

/*
 * copy_struct_from_user(), as openat2() uses it on struct open_how (24
 * bytes): a smaller size than the first version is EINVAL, a larger one
 * is accepted when the bytes beyond the kernel's struct are zero, E2BIG
 * otherwise; more than a page E2BIG.  Had KVMC_GET_COMPAT_CAPS used it, an
 * old binary's smaller structure would have been answered in part and a
 * new binary's larger one with a zero tail it could not tell from "no
 * such feature"; strict equality refuses both (caps.size_einval).
 */
TEST(copy_struct_from_user_convention)
{
	uint64_t how[5] = { O_RDONLY | O_DIRECTORY, 0, 0, 0, 0 };
	long fd;

	errno = 0;
	EXPECT_EQ(-1, syscall(SYS_openat2, AT_FDCWD, "/", how, 16));
	EXPECT_EQ(EINVAL, errno);

	fd = syscall(SYS_openat2, AT_FDCWD, "/", how, sizeof(struct open_how));
	ASSERT_LE(0, fd) TH_LOG("openat2: %s", kvmc_errname(errno));
	close(fd);

	fd = syscall(SYS_openat2, AT_FDCWD, "/", how, 40);
	ASSERT_LE(0, fd) TH_LOG("openat2, zero tail: %s", kvmc_errname(errno));
	close(fd);

	how[4] = 1;
	errno = 0;
	EXPECT_EQ(-1, syscall(SYS_openat2, AT_FDCWD, "/", how, 40));
	EXPECT_EQ(E2BIG, errno);

	errno = 0;
	EXPECT_EQ(-1, syscall(SYS_openat2, AT_FDCWD, "/", how, 8192));
	EXPECT_EQ(E2BIG, errno);
}

KVMC_TEST_MAIN
