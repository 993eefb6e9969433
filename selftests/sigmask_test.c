// SPDX-License-Identifier: GPL-2.0
/*
 * KVM_SET_SIGNAL_MASK on a vCPU fd and the mask in force during KVM_RUN.
 * Compared with upstream: virt/kvm/kvm_main.c (kvm_vcpu_ioctl() and
 * kvm_vcpu_compat_ioctl() KVM_SET_SIGNAL_MASK, kvm_vcpu_ioctl_set_sigmask(),
 * kvm_sigset_activate(), kvm_sigset_deactivate()), arch/x86/kvm/x86.c
 * (vcpu_run(): a pending signal is KVM_EXIT_INTR, -EINTR).
 *
 * struct kvm_signal_mask { __u32 len; __u8 sigset[]; }: the native handler
 * wants len == sizeof(sigset_t) (8, the kernel's, not glibc's 128), the
 * compat one (ia32 and x32) len == sizeof(compat_sigset_t) (8 too) and reads
 * two 32-bit words; on x86 (little endian) the bytes are the same.
 *
 *   sigmask_test_{64,32,x32} [DEVICE] [kselftest_harness options]
 */
#include <assert.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "kvm_compat_util.h"

#define NPAGES		4
#define DATA_GPA	0x3000
#define KSIGSET_SIZE	8		/* the kernel's sigset_t on x86-64 */
#define SIG_HIGH	40		/* a signal in the second 32-bit word */
#define KSIG(n)		(1ULL << ((n) - 1))

static volatile sig_atomic_t delivered;

static void count_signal(int sig)
{
	(void)sig;
	delivered++;
}

/* struct kvm_signal_mask followed by an 8-byte kernel sigset. */
struct sigmask_buf {
	uint32_t len;
	uint8_t sigset[KSIGSET_SIZE];
};

static_assert(sizeof(struct kvm_signal_mask) == 4, "kvm_signal_mask");
static_assert(sizeof(struct sigmask_buf) == 12, "sigmask_buf");
static_assert(KVM_SET_SIGNAL_MASK == 0x4004ae8b, "KVM_SET_SIGNAL_MASK");

static int set_kvm_mask_len(int vcpu, uint32_t len, uint64_t set)
{
	struct sigmask_buf b;

	b.len = len;
	memcpy(b.sigset, &set, sizeof(set));
	return kvmc_ioctl(vcpu, KVM_SET_SIGNAL_MASK, (unsigned long)&b);
}

static int set_kvm_mask(int vcpu, uint64_t set)
{
	return set_kvm_mask_len(vcpu, KSIGSET_SIZE, set);
}

FIXTURE(sig)
{
	struct kvmc_guest g;
};

FIXTURE_SETUP(sig)
{
	static const uint8_t code[] = {
		0xb0, 0x42,		/* 0x1000 mov al, 0x42 */
		0xa2, 0x00, 0x30,	/* 0x1002 mov [0x3000], al */
		0xf4,			/* 0x1005 hlt */
	};
	struct sigaction sa;
	sigset_t block;

	KVMC_GUEST_SETUP(&self->g, NPAGES);
	ASSERT_EQ(0, kvmc_guest_load(&self->g, KVMC_CODE_GPA, code,
				     sizeof(code)));
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = count_signal;
	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));
	ASSERT_EQ(0, sigaction(SIG_HIGH, &sa, NULL));
	delivered = 0;
	/* The thread blocks both; raise() makes them pending. */
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigaddset(&block, SIG_HIGH);
	ASSERT_EQ(0, sigprocmask(SIG_BLOCK, &block, NULL));
}

FIXTURE_TEARDOWN(sig)
{
	kvmc_guest_destroy(&self->g);
}

/* Take @sig off the pending set: 1 if it was pending, else 0. */
static int consume(int sig)
{
	struct timespec zero = { 0, 0 };
	sigset_t s;

	sigemptyset(&s);
	sigaddset(&s, sig);
	return sigtimedwait(&s, NULL, &zero) == sig;
}

static int is_pending(int sig)
{
	sigset_t s;

	if (sigpending(&s))
		return -1;
	return sigismember(&s, sig);
}

/* KVM_RUN must stop at once with KVM_EXIT_INTR, the guest untouched. */
#define EXPECT_INTR() do {						\
	uint64_t __rip;							\
	self->g.run->exit_reason = KVM_EXIT_UNKNOWN;			\
	ASSERT_EQ(-EINTR, kvmc_run(self->g.vcpu))			\
		TH_LOG("exit %s", kvmc_exit_name(self->g.run->exit_reason)); \
	EXPECT_EQ(KVM_EXIT_INTR, self->g.run->exit_reason)		\
		TH_LOG("got %s", kvmc_exit_name(self->g.run->exit_reason)); \
	ASSERT_EQ(0, kvmc_get_rip(self->g.vcpu, &__rip));		\
	EXPECT_EQ(KVMC_CODE_GPA, __rip);				\
	EXPECT_EQ(0, self->g.mem[DATA_GPA]);				\
} while (0)

#define EXPECT_RUNS() do {						\
	KVMC_RUN_EXPECT(&self->g, KVM_EXIT_HLT);			\
	EXPECT_EQ(0x42, self->g.mem[DATA_GPA]);				\
	self->g.mem[DATA_GPA] = 0;					\
	ASSERT_EQ(0, kvmc_set_rip(self->g.vcpu, KVMC_CODE_GPA));	\
} while (0)

/* len must be the kernel's sigset size (8), glibc's 128 is wrong. */
TEST_F(sig, len_einval)
{
	static const uint32_t bad[] = { 0, 4, 7, 9, 16, 128, ~0U };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad); i++)
		EXPECT_EQ(-EINVAL, set_kvm_mask_len(self->g.vcpu, bad[i], 0))
			TH_LOG("len %u", bad[i]);
	EXPECT_EQ(128, sizeof(sigset_t));
	EXPECT_EQ(0, set_kvm_mask(self->g.vcpu, 0));
	EXPECT_EQ(0, kvmc_ioctl(self->g.vcpu, KVM_SET_SIGNAL_MASK, 0));
}

TEST_F(sig, bad_pointer_efault)
{
	uint8_t *edge = kvmc_map_pages(2);
	uint32_t len = KSIGSET_SIZE;

	ASSERT_NE(NULL, edge);
	ASSERT_EQ(0, munmap(edge + KVMC_PAGE_SIZE, KVMC_PAGE_SIZE));
	/* The header unreadable. */
	EXPECT_EQ(-EFAULT, kvmc_ioctl(self->g.vcpu, KVM_SET_SIGNAL_MASK,
				      (unsigned long)(edge + KVMC_PAGE_SIZE)));
	EXPECT_EQ(-EFAULT, kvmc_ioctl(self->g.vcpu, KVM_SET_SIGNAL_MASK,
				      (unsigned long)(edge + KVMC_PAGE_SIZE - 2)));
	/* len readable, the set not: EFAULT; a bad len is found first. */
	memcpy(edge + KVMC_PAGE_SIZE - 4, &len, 4);
	EXPECT_EQ(-EFAULT, kvmc_ioctl(self->g.vcpu, KVM_SET_SIGNAL_MASK,
				      (unsigned long)(edge + KVMC_PAGE_SIZE - 4)));
	memcpy(edge + KVMC_PAGE_SIZE - 8, &len, 4);
	memset(edge + KVMC_PAGE_SIZE - 4, 0, 4);
	EXPECT_EQ(-EFAULT, kvmc_ioctl(self->g.vcpu, KVM_SET_SIGNAL_MASK,
				      (unsigned long)(edge + KVMC_PAGE_SIZE - 8)));
	len = 4;
	memcpy(edge + KVMC_PAGE_SIZE - 4, &len, 4);
	EXPECT_EQ(-EINVAL, kvmc_ioctl(self->g.vcpu, KVM_SET_SIGNAL_MASK,
				      (unsigned long)(edge + KVMC_PAGE_SIZE - 4)));
	/* len and the 8 bytes of the set, all readable. */
	len = KSIGSET_SIZE;
	memcpy(edge + KVMC_PAGE_SIZE - 12, &len, 4);
	EXPECT_EQ(0, kvmc_ioctl(self->g.vcpu, KVM_SET_SIGNAL_MASK,
				(unsigned long)(edge + KVMC_PAGE_SIZE - 12)));
	munmap(edge, KVMC_PAGE_SIZE);
}

/* A signal the thread blocks does not stop KVM_RUN without a KVM mask. */
TEST_F(sig, blocked_pending_signal_runs)
{
	ASSERT_EQ(0, raise(SIGUSR1));
	ASSERT_EQ(1, is_pending(SIGUSR1));
	EXPECT_RUNS();
	EXPECT_EQ(0, delivered);
	EXPECT_EQ(1, consume(SIGUSR1));
}

/*
 * The KVM mask replaces the thread's during KVM_RUN: a pending signal it
 * does not block stops the run before the guest executes anything. Once
 * KVM_RUN returns, the thread's mask is back: the signal stays pending,
 * undelivered.
 */
TEST_F(sig, unblocked_pending_signal_eintr)
{
	sigset_t cur;

	ASSERT_EQ(0, set_kvm_mask(self->g.vcpu, 0));
	ASSERT_EQ(0, raise(SIGUSR1));
	EXPECT_INTR();
	EXPECT_EQ(0, delivered);
	ASSERT_EQ(0, sigprocmask(SIG_BLOCK, NULL, &cur));
	EXPECT_EQ(1, sigismember(&cur, SIGUSR1));
	EXPECT_EQ(1, sigismember(&cur, SIG_HIGH));
	EXPECT_EQ(1, is_pending(SIGUSR1));
	/* Still pending: the next KVM_RUN stops again. */
	EXPECT_INTR();
	EXPECT_EQ(1, consume(SIGUSR1));
	EXPECT_RUNS();
	EXPECT_EQ(0, delivered);
}

/* A KVM mask that blocks the pending signal lets the guest run. */
TEST_F(sig, kvm_mask_blocks_signal)
{
	ASSERT_EQ(0, set_kvm_mask(self->g.vcpu, KSIG(SIGUSR1)));
	ASSERT_EQ(0, raise(SIGUSR1));
	EXPECT_RUNS();
	EXPECT_EQ(0, delivered);
	EXPECT_EQ(1, consume(SIGUSR1));
}

/* Signal 40 is in the second 32-bit word of a compat_sigset_t. */
TEST_F(sig, second_word)
{
	ASSERT_EQ(0, raise(SIG_HIGH));
	ASSERT_EQ(0, set_kvm_mask(self->g.vcpu, KSIG(SIGUSR1)));
	EXPECT_INTR();
	ASSERT_EQ(0, set_kvm_mask(self->g.vcpu, KSIG(SIG_HIGH)));
	EXPECT_RUNS();
	ASSERT_EQ(0, set_kvm_mask(self->g.vcpu, ~0ULL));
	EXPECT_RUNS();
	/* Only bit 39 of the set is signal 40's. */
	ASSERT_EQ(0, set_kvm_mask(self->g.vcpu, ~KSIG(SIG_HIGH)));
	EXPECT_INTR();
	ASSERT_EQ(0, set_kvm_mask(self->g.vcpu, 0xffffffffULL));
	EXPECT_INTR();
	ASSERT_EQ(0, set_kvm_mask(self->g.vcpu, 0xffffffff00000000ULL));
	EXPECT_RUNS();
	EXPECT_EQ(0, delivered);
	EXPECT_EQ(1, consume(SIG_HIGH));
}

/* A NULL argument removes the KVM mask: the thread's applies again. */
TEST_F(sig, null_clears_mask)
{
	ASSERT_EQ(0, set_kvm_mask(self->g.vcpu, 0));
	ASSERT_EQ(0, raise(SIGUSR1));
	EXPECT_INTR();
	ASSERT_EQ(0, kvmc_ioctl(self->g.vcpu, KVM_SET_SIGNAL_MASK, 0));
	EXPECT_RUNS();
	/* A new mask replaces the old one. */
	ASSERT_EQ(0, set_kvm_mask(self->g.vcpu, 0));
	EXPECT_INTR();
	ASSERT_EQ(0, set_kvm_mask(self->g.vcpu, KSIG(SIGUSR1) | KSIG(SIG_HIGH)));
	EXPECT_RUNS();
	EXPECT_EQ(0, delivered);
	EXPECT_EQ(1, consume(SIGUSR1));
}

/* A pending signal does not stop immediate_exit from saying EINTR first. */
TEST_F(sig, immediate_exit_with_pending_signal)
{
	ASSERT_EQ(0, set_kvm_mask(self->g.vcpu, 0));
	ASSERT_EQ(0, raise(SIGUSR1));
	self->g.run->immediate_exit = 1;
	self->g.run->exit_reason = KVM_EXIT_UNKNOWN;
	ASSERT_EQ(-EINTR, kvmc_run(self->g.vcpu));
	EXPECT_EQ(KVM_EXIT_UNKNOWN, self->g.run->exit_reason)
		TH_LOG("got %s", kvmc_exit_name(self->g.run->exit_reason));
	self->g.run->immediate_exit = 0;
	EXPECT_INTR();
	EXPECT_EQ(1, consume(SIGUSR1));
	EXPECT_RUNS();
}

KVMC_TEST_MAIN
