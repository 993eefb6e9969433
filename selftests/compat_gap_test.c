// SPDX-License-Identifier: GPL-2.0
/*
 * What a compat caller gets where the ABI audit (make abi-audit,
 * Documentation/abi-audit.rst) finds a difference upstream's compat path
 * does not handle on x86, asserted from every ABI on both devices. The
 * audit quotes the "abi-audit:" lines below as the observed behaviour.
 *
 *   compat_gap_test_{64,32,x32} [DEVICE] [kselftest_harness options]
 *
 * abi-audit: KVM_MEMORY_ENCRYPT_OP: ENOTTY from ia32 and x32 with their own
 *   number (0xc004aeba: no handler has a case for it); the 64-bit number
 *   (0xc008aeba) from them reaches the native case, which without SEV (as in
 *   the test guest) answers ENOTTY too, as it does for x86_64
 *   (compat_gap_test: vcpu.memory_encrypt_op_number)
 * abi-audit: kvm_run: upstream writes the KVM_EXIT_XEN hypercall exit in the
 *   64-bit layout: an ia32 caller reading run->xen.u.hcall.input gets the
 *   input shifted by 4 bytes (0x12345678 reads as 0x1234567800000000); x32
 *   and x86_64 read it right. Needs CONFIG_KVM_XEN, which Debian's 6.1 does
 *   not set (there KVM_XEN_HVM_CONFIG gives ENOTTY)
 *   (compat_gap_test: guest.xen_hcall_exit_layout)
 *
 * On the vCPU fd (not in the audit's lines, which are about the VM fd):
 * the compat number is an unknown vCPU ioctl, EINVAL; the 64-bit number
 * reaches the vCPU case TDX added, ENOTTY with kvm-amd (EINVAL before it,
 * Documentation/by-version.rst).
 *
 * The second is a matter of the header the binary is built with: the test
 * asserts what its header implies (offsetof() of the union), so that a
 * header with the union at 8 for ia32 too would read the input right.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>

#include "kselftest_harness.h"
#include "kvm_compat_util.h"
#include "kvm_compat_vcpu_fixture.h"

/* KVM_MEMORY_ENCRYPT_OP is _IOWR(KVMIO, 0xba, unsigned long). */
#define ENC_OP_64	0xc008aebaU
#define ENC_OP_32	0xc004aebaU

/* Offsets in struct kvm_run as x86_64 lays it out (and upstream writes). */
#define RUN_EXIT_UNION		32
#define XEN_HCALL_INPUT_64	(RUN_EXIT_UNION + 8 + 8)
#define XEN_INPUT		0x12345678U
/*
 * Xen's hypercall-page MSR, as upstream's xen_vmcall_test sets it: an MSR
 * is what turns the kernel's Xen hypercall path on (kvm_xen_enabled).
 */
#define XEN_HYPERCALL_MSR	0x40000200U

TEST_F(vcpu, memory_encrypt_op_number)
{
	int r;

	/* The number encodes sizeof(unsigned long). */
	EXPECT_EQ(sizeof(long) == 8 ? ENC_OP_64 : ENC_OP_32,
		  (unsigned int)KVM_MEMORY_ENCRYPT_OP);

	r = kvmc_ioctl(self->fds.vm, KVM_MEMORY_ENCRYPT_OP, 0);
	EXPECT_EQ(-ENOTTY, r) TH_LOG("%s, own number: %s", kvmc_abi_name(),
				     kvmc_errname(-r));
	if (!kvmc_is_compat_abi())
		return;
	/* The 64-bit number, hand-built: the native case (no SEV). */
	r = kvmc_ioctl(self->fds.vm, ENC_OP_64, 0);
	EXPECT_EQ(-ENOTTY, r) TH_LOG("%s, 64-bit number: %s",
				     kvmc_abi_name(), kvmc_errname(-r));
}

TEST_F(vcpu, memory_encrypt_op_number_vcpu)
{
	int r;

	/* The vCPU case (no TDX): ENOTTY. */
	r = kvmc_ioctl(self->fds.vcpu, ENC_OP_64, 0);
	EXPECT_EQ(-ENOTTY, r) TH_LOG("%s, vCPU fd, 64-bit number: %s",
				     kvmc_abi_name(), kvmc_errname(-r));
	if (!kvmc_is_compat_abi())
		return;
	/* No compat case: an unknown vCPU ioctl. */
	r = kvmc_ioctl(self->fds.vcpu, ENC_OP_32, 0);
	EXPECT_EQ(-EINVAL, r) TH_LOG("%s, vCPU fd, own number: %s",
				     kvmc_abi_name(), kvmc_errname(-r));
}

FIXTURE(guest)
{
	struct kvmc_guest g;
};

FIXTURE_SETUP(guest)
{
	KVMC_GUEST_SETUP(&self->g, 4);
}

FIXTURE_TEARDOWN(guest)
{
	kvmc_guest_destroy(&self->g);
}

/*
 * A Xen hypercall the kernel leaves to userspace: KVM_EXIT_XEN with the
 * input (EAX) in run->xen.u.hcall.input. struct kvm_xen_exit is a __u32
 * then a union of __u64s: ia32 puts the union at offset 4, x86_64 and x32
 * at 8.
 */
TEST_F(guest, xen_hcall_exit_layout)
{
	static const uint8_t code[] = {
		0x66, 0xb8, 0x78, 0x56, 0x34, 0x12,	/* mov eax, XEN_INPUT */
		0x0f, 0x01, 0xd9,			/* vmmcall */
		0xf4,					/* hlt */
	};
	struct kvm_xen_hvm_config cfg;
	uint64_t raw, seen;
	int caps, r;

	caps = kvmc_check_ext(self->g.sys, KVM_CAP_XEN_HVM);
	memset(&cfg, 0, sizeof(cfg));
	cfg.flags = KVM_XEN_HVM_CONFIG_INTERCEPT_HCALL;
	cfg.msr = XEN_HYPERCALL_MSR;
	r = kvmc_ioctl(self->g.vm, KVM_XEN_HVM_CONFIG, (unsigned long)&cfg);
	if (!caps) {
		/* No Xen emulation: kvm_compat, or a kernel without it. */
		EXPECT_EQ(-ENOTTY, r) TH_LOG("KVM_XEN_HVM_CONFIG: %s",
					     kvmc_errname(-r));
		return;
	}
	if (!(caps & KVM_XEN_HVM_CONFIG_INTERCEPT_HCALL)) {
		/*
		 * Only the hypercall page MSR (5.10: KVM_CAP_XEN_HVM is 1;
		 * the flags came in 5.12): the unknown flag is refused.
		 */
		EXPECT_EQ(-EINVAL, r) TH_LOG("KVM_XEN_HVM_CONFIG: %s",
					     kvmc_errname(-r));
		return;
	}
	ASSERT_EQ(0, r) TH_LOG("KVM_XEN_HVM_CONFIG: %s", kvmc_errname(-r));
	ASSERT_EQ(0, kvmc_guest_load(&self->g, KVMC_CODE_GPA, code,
				     sizeof(code)));
	KVMC_RUN_EXPECT(&self->g, KVM_EXIT_XEN);
	ASSERT_EQ(KVM_EXIT_XEN_HCALL, self->g.run->xen.type);

	memcpy(&raw, (uint8_t *)self->g.run + XEN_HCALL_INPUT_64, sizeof(raw));
	EXPECT_EQ(XEN_INPUT, raw);
	seen = self->g.run->xen.u.hcall.input;
	if (offsetof(struct kvm_xen_exit, u) == 8) {
		/* x86_64, x32, and ia32 with the padded header. */
		EXPECT_EQ(XEN_INPUT, seen)
			TH_LOG("%s read 0x%llx", kvmc_abi_name(),
			       (unsigned long long)seen);
	} else {
		/* ia32 with the header as upstream has it (union at 4). */
		EXPECT_STREQ("ia32", kvmc_abi_name());
		EXPECT_EQ(4, offsetof(struct kvm_xen_exit, u));
		EXPECT_EQ((uint64_t)XEN_INPUT << 32, seen)
			TH_LOG("ia32 read 0x%llx", (unsigned long long)seen);
	}
}

KVMC_TEST_MAIN
