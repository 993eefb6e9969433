/* SPDX-License-Identifier: GPL-2.0 */
/*
 * FIXTURE(vcpu) of layout_test, padding_test and vcpu_test: a VM with
 * vCPU 0 (struct kvmc_vcpu_fds fds), or the test is skipped when the
 * device cannot be opened. Include after kselftest_harness.h and
 * kvm_compat_util.h.
 */
#ifndef KVM_COMPAT_VCPU_FIXTURE_H
#define KVM_COMPAT_VCPU_FIXTURE_H

FIXTURE(vcpu)
{
	struct kvmc_vcpu_fds fds;
};

FIXTURE_SETUP(vcpu)
{
	KVMC_VCPU_FDS_SETUP(&self->fds);
}

FIXTURE_TEARDOWN(vcpu)
{
	kvmc_vcpu_fds_close(&self->fds);
}

#endif /* KVM_COMPAT_VCPU_FIXTURE_H */
