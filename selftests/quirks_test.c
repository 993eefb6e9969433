// SPDX-License-Identifier: GPL-2.0
/*
 * Selecting the previous behaviour: KVM's quirks (KVM_ENABLE_CAP of
 * KVM_CAP_DISABLE_QUIRKS and KVM_CAP_DISABLE_QUIRKS2 on a VM fd, and
 * their KVM_CHECK_EXTENSION), and kvm_compat's own guest revisions
 * (KVMC_CAP_GUEST_REV, which upstream does not know).  Compared with
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
#define IRQ_VECTOR	0x20

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

/*
 * kvm_compat's guest revisions (KVMC_CAP_GUEST_REV): KVM_CHECK_EXTENSION
 * gives the newest on the system fd and the VM's on a VM fd; upstream
 * does not know the capability (0, and EINVAL from KVM_ENABLE_CAP).
 */
TEST_F(vcpu, guest_rev_check_extension)
{
	int sys = kvmc_check_ext(self->fds.sys, KVMC_CAP_GUEST_REV);
	int vm = kvmc_check_ext(self->fds.vm, KVMC_CAP_GUEST_REV);

	TH_LOG("%s: KVMC_CAP_GUEST_REV %d, VM %d", kvmc_device(), sys, vm);
	if (kvmc_is_upstream()) {
		EXPECT_EQ(0, sys);
		EXPECT_EQ(0, vm);
		EXPECT_EQ(-EINVAL, enable_cap(self->fds.vm, KVMC_CAP_GUEST_REV, 0, 1));
		return;
	}
	EXPECT_LE(2, sys);
	EXPECT_EQ(sys, vm);
}

/*
 * A revision is chosen before the first vCPU: afterwards only the one
 * the VM runs is accepted.  0, one past the newest, flags and args[1..3]
 * are refused.
 */
TEST(guest_rev_select)
{
	struct kvmc_guest g;
	int sys, latest;

	KVMC_OPEN_OR_SKIP(sys);
	latest = kvmc_check_ext(sys, KVMC_CAP_GUEST_REV);
	if (kvmc_is_upstream()) {
		EXPECT_EQ(0, latest);
		close(sys);
		return;
	}
	ASSERT_EQ(0, kvmc_guest_create_vm(&g, sys, NPAGES, 0));
	EXPECT_EQ(-EINVAL, enable_cap(g.vm, KVMC_CAP_GUEST_REV, 0, 0));
	EXPECT_EQ(-EINVAL, enable_cap(g.vm, KVMC_CAP_GUEST_REV, 0, latest + 1));
	EXPECT_EQ(-EINVAL, enable_cap(g.vm, KVMC_CAP_GUEST_REV, 1, 1));
	EXPECT_EQ(latest, kvmc_check_ext(g.vm, KVMC_CAP_GUEST_REV));
	EXPECT_EQ(0, enable_cap(g.vm, KVMC_CAP_GUEST_REV, 0, 1));
	EXPECT_EQ(1, kvmc_check_ext(g.vm, KVMC_CAP_GUEST_REV));
	EXPECT_EQ(0, enable_cap(g.vm, KVMC_CAP_GUEST_REV, 0, latest));
	EXPECT_EQ(0, enable_cap(g.vm, KVMC_CAP_GUEST_REV, 0, 1));
	ASSERT_EQ(0, kvmc_guest_create_vcpu(&g));
	EXPECT_EQ(-EINVAL, enable_cap(g.vm, KVMC_CAP_GUEST_REV, 0, latest));
	EXPECT_EQ(0, enable_cap(g.vm, KVMC_CAP_GUEST_REV, 0, 1));
	EXPECT_EQ(1, kvmc_check_ext(g.vm, KVMC_CAP_GUEST_REV));
	/* The system fd still offers the newest. */
	EXPECT_EQ(latest, kvmc_check_ext(sys, KVMC_CAP_GUEST_REV));
	kvmc_guest_destroy(&g);
}

/*
 * Revision 1 against the newest: an interrupt queued through
 * KVM_SET_SREGS' interrupt_bitmap.  Revision 1 never delivered it; from
 * revision 2 the next KVM_RUN does, as upstream (events_test).  Returns
 * the port the guest's first OUT went to: 0x10 from the main code, 0x20
 * from the handler.
 */
static uint16_t queued_irq_port(struct __test_metadata *_metadata,
				struct kvmc_guest *g)
{
	/* main: out 0x10, al; hlt.  IVT[0x20] -> 0x2000: out 0x20, al; hlt */
	static const uint8_t code[] = { 0xe6, 0x10, 0xf4 };
	static const uint8_t handler[] = { 0xe6, 0x20, 0xf4 };
	struct kvm_sregs s;
	struct kvm_regs r;

	ASSERT_EQ(0, kvmc_guest_load(g, KVMC_CODE_GPA, code, sizeof(code)));
	memcpy(g->mem + 0x2000, handler, sizeof(handler));
	g->mem[IRQ_VECTOR * 4 + 1] = 0x20;
	ASSERT_EQ(0, ioctl(g->vcpu, KVM_GET_REGS, &r));
	r.rsp = 0x3800;
	ASSERT_EQ(0, ioctl(g->vcpu, KVM_SET_REGS, &r));
	ASSERT_EQ(0, ioctl(g->vcpu, KVM_GET_SREGS, &s));
	s.interrupt_bitmap[0] = 1ULL << IRQ_VECTOR;
	ASSERT_EQ(0, ioctl(g->vcpu, KVM_SET_SREGS, &s));
	KVMC_RUN_EXPECT(g, KVM_EXIT_IO);
	return g->run->io.port;
}

FIXTURE(rev)
{
	struct kvmc_guest g;
	bool unsupported;	/* upstream: no revision to select */
};

FIXTURE_VARIANT(rev)
{
	int rev;		/* 0: the default */
};

FIXTURE_VARIANT_ADD(rev, default)
{
	.rev = 0,
};

FIXTURE_VARIANT_ADD(rev, real_mode)
{
	.rev = 1,
};

FIXTURE_SETUP(rev)
{
	int sys;

	memset(&self->g, 0, sizeof(self->g));
	self->g.sys = -1;
	self->g.vm = -1;
	self->g.vcpu = -1;
	KVMC_OPEN_OR_SKIP(sys);
	ASSERT_EQ(0, kvmc_guest_create_vm(&self->g, sys, NPAGES, 0));
	if (variant->rev) {
		int r = enable_cap(self->g.vm, KVMC_CAP_GUEST_REV, 0,
				   variant->rev);

		/* Upstream's answer to a capability it does not know. */
		self->unsupported = kvmc_is_upstream();
		ASSERT_EQ(self->unsupported ? -EINVAL : 0, r);
	}
	ASSERT_EQ(0, kvmc_guest_create_vcpu(&self->g));
}

FIXTURE_TEARDOWN(rev)
{
	kvmc_guest_destroy(&self->g);
}

TEST_F(rev, queued_interrupt)
{
	if (self->unsupported)
		return;
	EXPECT_EQ(variant->rev == 1 ? 0x10 : 0x20,
		  queued_irq_port(_metadata, &self->g));
}

KVMC_TEST_MAIN
