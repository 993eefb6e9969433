/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every seed the gate ("make check", .ci/run) uses, in one place. No
 * selftest draws a seed from the clock: each run of the gate makes the
 * same seeded choices (thread interleavings stay the scheduler's; they
 * change no case and no expected outcome). Random exploration, with fresh
 * seeds, is "make fuzz" (Documentation/testing.rst, "Fuzz seeds").
 */
#ifndef KVM_COMPAT_SEEDS_H
#define KVM_COMPAT_SEEDS_H

/* stress_test (KVMC_STRESS_SEED overrides it): 2026-12-05, /dev/urandom. */
#define KVMC_STRESS_SEED	0x7af3a2c56aeb9f5eULL

/* ioctl_fuzz_test's fuzz.close_race: 2026-12-05, /dev/urandom. */
#define KVMC_RACE_SEED		0x4b86a1e329dc857aULL

/*
 * ioctl_fuzz_test's fuzz_seed.<seed>.random_calls cases: one variant per
 * seed, { seed, first batch, number of batches }. A batch is 250 calls
 * made in a child process of its own from the seed and the batch number
 * alone, so a seed may run just the batch that found something. The gate
 * runs every variant from every ABI against both devices.
 *
 * A seed joins this list when it finds something (a bug, or an upstream
 * behaviour the fuzzer did not know), with the batch "make fuzz" printed
 * and a comment saying where it was found and what it found; it stays
 * after the fix, as a regression test. Mind make check's run time when
 * adding batches: about 0.25 s each per ABI against Debian 6.1's /dev/kvm
 * (nested SVM under TCG), a fifth of that against /dev/kvm_compat.
 *
 * Only ioctl_fuzz_test.c defines KVMC_FUZZ_SEED_VARIANTS, after its
 * fuzz_seed fixture.
 */
#ifdef KVMC_FUZZ_SEED_VARIANTS

/*
 * The gate's coverage: drawn from /dev/urandom on 2026-12-05, when the
 * gate stopped drawing seeds from the clock.
 */
FIXTURE_VARIANT_ADD(fuzz_seed, 5a749571af35c6d4)
{
	.seed = 0x5a749571af35c6d4ULL, .first = 0, .batches = 24,
};

/*
 * Found by a make check that drew its seed from the clock (issue 8):
 * ioctl_fuzz_test_x32 against Debian 6.1's /dev/kvm, batch 13, call 31:
 * KVM_GET_NR_MMU_PAGES "returned -1, errno 3 (ESRCH)" after call 26 set
 * 0xfffffffd pages with KVM_SET_NR_MMU_PAGES. Upstream behaviour (the
 * count comes back through an int; nr_mmu_pages_test), which the fuzzer
 * now tells apart from an error.
 */
FIXTURE_VARIANT_ADD(fuzz_seed, a6a8c5f705783239)
{
	.seed = 0xa6a8c5f705783239ULL, .first = 13, .batches = 1,
};

#endif /* KVMC_FUZZ_SEED_VARIANTS */

#endif /* KVM_COMPAT_SEEDS_H */
