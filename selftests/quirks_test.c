// SPDX-License-Identifier: GPL-2.0
/*
 * Selecting the previous behaviour: KVM's quirks (KVM_ENABLE_CAP of
 * KVM_CAP_DISABLE_QUIRKS and KVM_CAP_DISABLE_QUIRKS2 on a VM fd, and
 * their KVM_CHECK_EXTENSION).  Compared with
 * upstream's kvm_vm_ioctl_enable_cap() and kvm_vm_ioctl_check_extension()
 * (arch/x86/kvm/x86.c) and kvm_fast_pio_out() for the one quirk the tiny
 * guest shows, KVM_X86_QUIRK_OUT_7E_INC_RIP.
 *
 *   quirks_test_{64,32,x32} [DEVICE] [kselftest_harness options]
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "kvm_compat_util.h"
#include "kvm_compat_vcpu_fixture.h"

#define NPAGES		4
#define DATA_GPA	0x3000

/* The quirks of the newest upstream (7.3), all of them with TDP. */
#define QUIRKS_NEWEST	0xfffULL
#define QUIRKS_KVMC	KVM_X86_QUIRK_OUT_7E_INC_RIP
#define UNKNOWN_QUIRK	0x4000000000000000ULL	/* bit 62 */

#ifndef KVM_CAP_DISABLE_QUIRKS2
#define KVM_CAP_DISABLE_QUIRKS2 213
#endif

FIXTURE(quirks)
{
	struct kvmc_guest g;
};

FIXTURE_VARIANT(quirks)
{
	uint32_t cap;
};

FIXTURE_VARIANT_ADD(quirks, v1)
{
	.cap = KVM_CAP_DISABLE_QUIRKS,
};

FIXTURE_VARIANT_ADD(quirks, v2)
{
	.cap = KVM_CAP_DISABLE_QUIRKS2,
};

FIXTURE_SETUP(quirks)
{
	/* mov al, 0x11; out 0x7e, al; hlt */
	static const uint8_t code[] = { 0xb0, 0x11, 0xe6, 0x7e, 0xf4 };

	KVMC_GUEST_SETUP(&self->g, NPAGES);
	ASSERT_EQ(0, kvmc_guest_load(&self->g, KVMC_CODE_GPA, code, sizeof(code)));
}

FIXTURE_TEARDOWN(quirks)
{
	kvmc_guest_destroy(&self->g);
}

static int enable_cap(int fd, uint32_t cap, uint32_t flags, uint64_t arg0)
{
	struct kvm_enable_cap c;

	memset(&c, 0, sizeof(c));
	c.cap = cap;
	c.flags = flags;
	c.args[0] = arg0;
	return kvmc_ioctl(fd, KVM_ENABLE_CAP, (unsigned long)&c);
}

/*
 * Run the OUT to port 0x7e: with KVM_X86_QUIRK_OUT_7E_INC_RIP in force
 * rip is past it at the exit already; without it rip stays on it until
 * the next KVM_RUN completes it, as for any port.  Returns rip at the exit.
 */
static uint64_t out_7e_rip(struct __test_metadata *_metadata,
			   struct kvmc_guest *g)
{
	uint64_t rip, at_exit;

	ASSERT_EQ(0, kvmc_set_rip(g->vcpu, KVMC_CODE_GPA));
	KVMC_RUN_EXPECT(g, KVM_EXIT_IO);
	EXPECT_EQ(0x7e, g->run->io.port);
	ASSERT_EQ(0, kvmc_get_rip(g->vcpu, &at_exit));
	KVMC_RUN_EXPECT(g, KVM_EXIT_HLT);
	ASSERT_EQ(0, kvmc_get_rip(g->vcpu, &rip));
	EXPECT_EQ(KVMC_CODE_GPA + 5, rip);
	return at_exit;
}

#define QUIRK_ON	(KVMC_CODE_GPA + 4)	/* rip past the OUT */
#define QUIRK_OFF	(KVMC_CODE_GPA + 2)	/* rip on the OUT */

/*
 * KVM_CHECK_EXTENSION: version 1 is 1, version 2 the quirks the device
 * implements.  Upstream 7.3 has twelve, with TDP; kvm_compat the one its
 * guest can show (Documentation/migration.rst says why each other is
 * out).  The same on the system fd and the VM fd.
 */
TEST_F(vcpu, quirks_check_extension)
{
	long want = kvmc_is_upstream() ? QUIRKS_NEWEST : QUIRKS_KVMC;
	int v2 = kvmc_check_ext(self->fds.sys, KVM_CAP_DISABLE_QUIRKS2);

	TH_LOG("%s: KVM_CAP_DISABLE_QUIRKS2 %#x", kvmc_device(), v2);
	EXPECT_EQ(1, kvmc_check_ext(self->fds.sys, KVM_CAP_DISABLE_QUIRKS));
	EXPECT_EQ(1, kvmc_check_ext(self->fds.vm, KVM_CAP_DISABLE_QUIRKS));
	EXPECT_EQ(want, v2);
	EXPECT_EQ(v2, kvmc_check_ext(self->fds.vm, KVM_CAP_DISABLE_QUIRKS2));
	EXPECT_NE(0, v2 & KVM_X86_QUIRK_OUT_7E_INC_RIP);
}

/* On by default; disabled, an OUT to 0x7e is an OUT like any other. */
TEST_F(quirks, out_7e)
{
	EXPECT_EQ(QUIRK_ON, out_7e_rip(_metadata, &self->g));
	ASSERT_EQ(0, enable_cap(self->g.vm, variant->cap, 0,
				KVM_X86_QUIRK_OUT_7E_INC_RIP));
	EXPECT_EQ(QUIRK_OFF, out_7e_rip(_metadata, &self->g));
}

/* A quirk once disabled stays disabled: 0 does not enable it again. */
TEST_F(quirks, cannot_be_undone)
{
	ASSERT_EQ(0, enable_cap(self->g.vm, variant->cap, 0,
				KVM_X86_QUIRK_OUT_7E_INC_RIP));
	ASSERT_EQ(0, enable_cap(self->g.vm, variant->cap, 0, 0));
	EXPECT_EQ(QUIRK_OFF, out_7e_rip(_metadata, &self->g));
}

/* flags must be 0, for both versions (kvm_vm_ioctl_enable_cap()). */
TEST_F(quirks, flags_einval)
{
	EXPECT_EQ(-EINVAL, enable_cap(self->g.vm, variant->cap, 1,
				      KVM_X86_QUIRK_OUT_7E_INC_RIP));
	EXPECT_EQ(QUIRK_ON, out_7e_rip(_metadata, &self->g));
}

/*
 * A quirk the device does not have: version 1 drops it (and disables the
 * rest), version 2 refuses the whole mask with EINVAL.  "Does not have"
 * is the device's own mask: a bit no kernel defines, and each quirk
 * KVM_CHECK_EXTENSION(KVM_CAP_DISABLE_QUIRKS2) leaves out.
 */
TEST_F(quirks, unknown_quirk)
{
	int mask = kvmc_check_ext(self->g.sys, KVM_CAP_DISABLE_QUIRKS2);
	uint64_t q = KVM_X86_QUIRK_OUT_7E_INC_RIP | UNKNOWN_QUIRK;
	int bit, r;

	r = enable_cap(self->g.vm, variant->cap, 0, q);
	if (variant->cap == KVM_CAP_DISABLE_QUIRKS) {
		EXPECT_EQ(0, r);
		EXPECT_EQ(QUIRK_OFF, out_7e_rip(_metadata, &self->g));
	} else {
		EXPECT_EQ(-EINVAL, r);
		EXPECT_EQ(QUIRK_ON, out_7e_rip(_metadata, &self->g));
	}

	for (bit = 0; bit < 16; bit++) {
		bool refused = variant->cap == KVM_CAP_DISABLE_QUIRKS2 &&
			       !(mask & (1 << bit));

		r = enable_cap(self->g.vm, variant->cap, 0, 1ULL << bit);
		EXPECT_EQ(refused ? -EINVAL : 0, r) TH_LOG("quirk bit %d", bit);
	}
}

KVMC_TEST_MAIN
