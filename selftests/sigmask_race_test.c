// SPDX-License-Identifier: GPL-2.0
/*
 * KVM_SET_SIGNAL_MASK from one thread while another thread is in KVM_RUN
 * on the same vCPU, and the signal mask that KVM_RUN actually used.
 *
 * Upstream (virt/kvm/kvm_main.c): kvm_vcpu_ioctl() takes vcpu->mutex for
 * KVM_SET_SIGNAL_MASK as for KVM_RUN, so a native caller's new mask waits
 * for the run in progress.  KVM_RUN reads vcpu->sigset_active twice:
 * kvm_sigset_activate() on entry saves the thread's mask in
 * current->real_blocked and installs the KVM mask, kvm_sigset_deactivate()
 * on exit puts the saved mask back, each only if a mask is set at that
 * moment.  kvm_vcpu_compat_ioctl() (ia32 and x32 callers) installs the
 * mask without the mutex, so a mask set or removed during a run leaves the
 * thread with a signal mask that is neither its own nor the KVM mask's:
 * emptied (a mask set during a run that began without one: real_blocked
 * was never saved), or the KVM mask (a mask removed during a run that
 * began with one).  Taking the vCPU mutex on the compat path too, as the
 * native one does, makes the compat ioctl wait for the run instead.
 *
 * The race is made deterministic rather than hoped for: the vCPU waits
 * inside KVM_RUN for a guest page behind userfaultfd, a second thread
 * calls KVM_SET_SIGNAL_MASK, and a third supplies the page only once that
 * call has returned (the ioctl does not wait for the run) or the second
 * thread sleeps in it uninterruptibly, 'D' in /proc, as mutex_lock_killable()
 * does (it waits), for D_POLLS polls in a row.  One of the two must happen
 * within WAIT_MS.  Which one is the observation; a setter seen sleeping
 * must also return only after the page was supplied, as KVM_RUN cannot end
 * before.  The thread's mask after KVM_RUN and the mask the next KVM_RUN
 * uses are then asserted.  A device whose compat
 * KVM_SET_SIGNAL_MASK did not wait fails, except upstream's from ia32 and
 * x32, which is reported as an expected failure (XFAIL) with what the
 * thread's mask became.  race.free_running hammers both ioctls for a fixed
 * count of runs: whatever interleaving it gets, the thread's mask after
 * every KVM_RUN must be its own; on upstream from ia32 and x32 what it saw
 * is only reported, since a free-running race proves nothing when it
 * does not show.
 *
 *   sigmask_race_test_{64,32,x32} [DEVICE] [kselftest_harness options]
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "kvm_compat_util.h"

#define NPAGES		8		/* slot 0: GPA 0x0000-0x7fff */
#define UFFD_GPA	0x8000		/* slot 1: one page behind userfaultfd */
#define HLT_GPA		0x2000		/* race.free_running: hlt, hlt, ... */
#define HLT_BYTES	0x4000
#define KSIGSET_SIZE	8
#define KSIG(n)		(1ULL << ((n) - 1))
#define SIG_HIGH	40		/* in a compat_sigset_t's second word */
#define THREAD_MASK	KSIG(SIGUSR1)	/* what the vCPU thread blocks */
#define KVM_MASK	KSIG(SIG_HIGH)	/* a KVM mask: SIGUSR1 unblocked */
#define PAGE_BYTE	0x5a		/* what UFFDIO_COPY puts at UFFD_GPA */
#define WAIT_MS		5000		/* for the setter to return or sleep */
#define D_POLLS		3		/* 'D' seen this many polls in a row */
#define FREE_RUNS	2000
#define FREE_SETS_MAX	1000000

/*
 * An expected failure, reported as kselftest does it: "ok N name # XFAIL
 * reason" (kselftest_harness.h of 6.12 has XFAIL_ADD() but no XFAIL()).
 */
#define KVMC_XFAIL(statement, fmt, ...) do {				\
	snprintf(_metadata->results->reason,				\
		 sizeof(_metadata->results->reason), fmt, ##__VA_ARGS__); \
	fprintf(TH_LOG_STREAM, "#      XFAIL     %s\n",			\
		_metadata->results->reason);				\
	_metadata->exit_code = KSFT_XFAIL;				\
	_metadata->trigger = 0;						\
	statement;							\
} while (0)

static volatile sig_atomic_t delivered;

/*
 * Ticks taken just before the page is supplied and as the setter's ioctl
 * returns.  A KVM_SET_SIGNAL_MASK that waits for KVM_RUN cannot return
 * before the page is there, since the run cannot end without it.
 */
static unsigned int return_seq;	/* __atomic */

static unsigned int next_seq(void)
{
	return __atomic_add_fetch(&return_seq, 1, __ATOMIC_SEQ_CST);
}

static void count_signal(int sig)
{
	(void)sig;
	delivered++;
}

struct sigmask_buf {
	uint32_t len;
	uint8_t sigset[KSIGSET_SIZE];
};

/* KVM_SET_SIGNAL_MASK with @set, or with a NULL argument (no KVM mask). */
static int set_kvm_mask(int vcpu, const uint64_t *set)
{
	struct sigmask_buf b;

	if (!set)
		return kvmc_ioctl(vcpu, KVM_SET_SIGNAL_MASK, 0);
	b.len = KSIGSET_SIZE;
	memcpy(b.sigset, set, sizeof(*set));
	return kvmc_ioctl(vcpu, KVM_SET_SIGNAL_MASK, (unsigned long)&b);
}

/* The calling thread's signal mask, signals 1-64, as the kernel's. */
static uint64_t thread_mask(void)
{
	uint64_t m = 0;
	sigset_t s;

	sigemptyset(&s);
	if (pthread_sigmask(SIG_BLOCK, NULL, &s))
		return ~0ULL;
	memcpy(&m, &s, sizeof(m));
	return m;
}

static int set_thread_mask(uint64_t m)
{
	sigset_t s;

	sigemptyset(&s);
	memcpy(&s, &m, sizeof(m));
	return pthread_sigmask(SIG_SETMASK, &s, NULL);
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

/*
 * The setter: waits for @go, then KVM_SET_SIGNAL_MASK with @mask (NULL:
 * no KVM mask); @started is set just before the ioctl, @done just after,
 * @seq is the tick taken as the ioctl returned.
 */
struct setter {
	pthread_t thread;
	sem_t go;
	int vcpu;
	const uint64_t *mask;
	volatile pid_t tid;
	int started, done;	/* __atomic */
	int ret;
	unsigned int seq;
};

static void *setter_thread(void *p)
{
	struct setter *s = p;

	s->tid = (pid_t)syscall(SYS_gettid);
	while (sem_wait(&s->go) && errno == EINTR)
		;
	__atomic_store_n(&s->started, 1, __ATOMIC_SEQ_CST);
	s->ret = set_kvm_mask(s->vcpu, s->mask);
	s->seq = next_seq();
	__atomic_store_n(&s->done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

/* What the supplier saw of the setter before it supplied the page. */
enum saw {
	SAW_RETURNED,		/* its ioctl had returned: no wait for KVM_RUN */
	SAW_SLEEPING,		/* in 'D' in its ioctl: waiting for KVM_RUN */
	SAW_NEITHER,		/* neither within WAIT_MS */
};

/*
 * The supplier: once the vCPU's fault is read from the userfaultfd (the
 * vCPU thread is inside KVM_RUN), lets the setter go, waits until its
 * ioctl returned or it sleeps in it, and supplies the page.
 */
struct supplier {
	pthread_t thread;
	int uffd;
	uint64_t page;
	const void *src;
	struct setter *setter;
	enum saw saw;
	char setter_state;	/* as last seen */
	unsigned int seq;	/* the tick before UFFDIO_COPY */
	int fault, copy;	/* 0 or -errno */
};

static void *supplier_thread(void *p)
{
	struct supplier *c = p;
	struct pollfd pfd = { .fd = c->uffd, .events = POLLIN };
	struct uffdio_copy copy;
	struct uffd_msg msg;
	int i, d = 0;

	c->fault = -ETIMEDOUT;
	if (poll(&pfd, 1, 30000) == 1 &&
	    read(c->uffd, &msg, sizeof(msg)) == sizeof(msg) &&
	    msg.event == UFFD_EVENT_PAGEFAULT)
		c->fault = 0;
	sem_post(&c->setter->go);
	c->saw = SAW_NEITHER;
	for (i = 0; i < WAIT_MS && c->saw == SAW_NEITHER; i++) {
		if (__atomic_load_n(&c->setter->done, __ATOMIC_SEQ_CST)) {
			c->saw = SAW_RETURNED;
			break;
		}
		if (__atomic_load_n(&c->setter->started, __ATOMIC_SEQ_CST)) {
			c->setter_state = kvmc_thread_state(c->setter->tid);
			/*
			 * mutex_lock_killable() sleeps TASK_KILLABLE: 'D'
			 * until the run ends.  'S' could be any other sleep,
			 * a single 'D' a short one (a page fault).
			 */
			d = c->setter_state == 'D' ? d + 1 : 0;
			if (d == D_POLLS) {
				c->saw = SAW_SLEEPING;
				break;
			}
		}
		kvmc_sleep_ms(1);
	}
	memset(&copy, 0, sizeof(copy));
	copy.dst = c->page;
	copy.src = KVMC_HVA(c->src);
	copy.len = KVMC_PAGE_SIZE;
	c->seq = next_seq();
	c->copy = ioctl(c->uffd, UFFDIO_COPY, &copy) ? -errno : 0;
	return NULL;
}

/* The fixture's state, a named type for the helpers that take it. */
struct race_fx {
	struct kvmc_guest g;
	int uffd;
	uint8_t *umem, *src;
};

FIXTURE(race)
{
	struct race_fx fx;
};

FIXTURE_SETUP(race)
{
	static const uint8_t code[] = {
		0xa0, 0x00, 0x80,	/* 0x1000 mov al, [0x8000] */
		0xf4,			/* 0x1003 hlt */
		0xf4,			/* 0x1004 hlt */
	};
	struct sigaction sa;

	self->fx.uffd = -1;
	self->fx.umem = NULL;
	self->fx.src = NULL;
	KVMC_GUEST_SETUP(&self->fx.g, NPAGES);
	ASSERT_EQ(0, kvmc_guest_load(&self->fx.g, KVMC_CODE_GPA, code,
				     sizeof(code)));
	memset(self->fx.g.mem + HLT_GPA, 0xf4, HLT_BYTES);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = count_signal;
	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));
	ASSERT_EQ(0, sigaction(SIG_HIGH, &sa, NULL));
	delivered = 0;
	ASSERT_EQ(0, set_thread_mask(THREAD_MASK));
}

FIXTURE_TEARDOWN(race)
{
	kvmc_guest_destroy(&self->fx.g);
	if (self->fx.uffd >= 0)
		close(self->fx.uffd);
	if (self->fx.umem)
		munmap(self->fx.umem, KVMC_PAGE_SIZE);
	if (self->fx.src)
		munmap(self->fx.src, KVMC_PAGE_SIZE);
}

/* Slot 1 at UFFD_GPA: a page registered MISSING, not there yet. */
static int add_uffd_slot(struct race_fx *self)
{
	struct uffdio_register reg;
	int r = kvmc_uffd_open();

	if (r < 0)
		return r;
	self->uffd = r;
	self->umem = kvmc_map_pages(1);
	self->src = kvmc_map_pages(1);
	if (!self->umem || !self->src)
		return -ENOMEM;
	self->src[0] = PAGE_BYTE;
	memset(&reg, 0, sizeof(reg));
	reg.range.start = KVMC_HVA(self->umem);
	reg.range.len = KVMC_PAGE_SIZE;
	reg.mode = UFFDIO_REGISTER_MODE_MISSING;
	if (ioctl(self->uffd, UFFDIO_REGISTER, &reg))
		return -errno;
	return kvmc_set_region(self->g.vm, 1, 0, UFFD_GPA, KVMC_PAGE_SIZE,
			       KVMC_HVA(self->umem));
}

static const char *mask_name(const uint64_t *m)
{
	return m ? "a KVM mask" : "no KVM mask";
}

/*
 * KVM_RUN begins with @initial (NULL: no KVM mask) and waits for the
 * userfaultfd page while the setter installs @racing; then the next
 * KVM_RUN, with SIGUSR1 pending, must use @racing.
 */
static void race_once(struct __test_metadata *_metadata,
		      struct race_fx *self, const uint64_t *initial,
		      const uint64_t *racing)
{
	struct kvm_run *run = self->g.run;
	struct supplier c;
	struct setter s;
	struct kvm_regs regs;
	uint64_t after;
	int r;

	r = add_uffd_slot(self);
	if (r == -ENOSYS || r == -EPERM)
		SKIP(return, "userfaultfd: %s", kvmc_errname(-r));
	ASSERT_EQ(0, r) TH_LOG("userfaultfd slot: %s", kvmc_errname(-r));
	ASSERT_EQ(0, set_kvm_mask(self->g.vcpu, initial));

	memset(&s, 0, sizeof(s));
	memset(&c, 0, sizeof(c));
	ASSERT_EQ(0, sem_init(&s.go, 0, 0));
	s.vcpu = self->g.vcpu;
	s.mask = racing;
	c.uffd = self->uffd;
	c.page = KVMC_HVA(self->umem);
	c.src = self->src;
	c.setter = &s;
	ASSERT_EQ(0, pthread_create(&s.thread, NULL, setter_thread, &s));
	ASSERT_EQ(0, pthread_create(&c.thread, NULL, supplier_thread, &c));

	run->exit_reason = KVM_EXIT_UNKNOWN;
	r = kvmc_run(self->g.vcpu);
	after = thread_mask();
	ASSERT_EQ(0, set_thread_mask(THREAD_MASK));
	ASSERT_EQ(0, pthread_join(c.thread, NULL));
	ASSERT_EQ(0, pthread_join(s.thread, NULL));
	sem_destroy(&s.go);

	ASSERT_EQ(0, c.fault) TH_LOG("no userfaultfd fault from KVM_RUN");
	ASSERT_EQ(0, c.copy) TH_LOG("UFFDIO_COPY: %s", kvmc_errname(-c.copy));
	ASSERT_EQ(0, s.ret) TH_LOG("KVM_SET_SIGNAL_MASK: %s",
				   kvmc_errname(-s.ret));
	ASSERT_EQ(0, r) TH_LOG("KVM_RUN: %s", kvmc_errname(-r));
	ASSERT_EQ(KVM_EXIT_HLT, run->exit_reason)
		TH_LOG("got %s", kvmc_exit_name(run->exit_reason));
	ASSERT_EQ(0, kvmc_ioctl(self->g.vcpu, KVM_GET_REGS,
				(unsigned long)&regs));
	EXPECT_EQ(PAGE_BYTE, regs.rax & 0xff);

	TH_LOG("%s: KVM_RUN began with %s; the %s KVM_SET_SIGNAL_MASK of %s %s; "
	       "thread mask after KVM_RUN 0x%llx",
	       kvmc_abi_name(), mask_name(initial),
	       kvmc_is_compat_abi() ? "compat" : "native", mask_name(racing),
	       c.saw == SAW_RETURNED ? "returned while KVM_RUN waited" :
	       c.saw == SAW_SLEEPING ? "waited for KVM_RUN" :
	       "neither returned nor slept within 5 s",
	       (unsigned long long)after);
	ASSERT_NE(SAW_NEITHER, c.saw)
		TH_LOG("the setter neither returned nor slept in 'D' (last state '%c')",
		       c.setter_state ? c.setter_state : '?');
	if (c.saw == SAW_SLEEPING)
		ASSERT_GT(s.seq, c.seq)
			TH_LOG("KVM_SET_SIGNAL_MASK slept, yet returned before KVM_RUN could end");
	if (c.saw == SAW_RETURNED) {
		/* The mask changed under the run: the thread's may be lost. */
		if (kvmc_is_upstream() && kvmc_is_compat_abi())
			KVMC_XFAIL(return,
				   "upstream's compat KVM_SET_SIGNAL_MASK took no vcpu->mutex: it returned during KVM_RUN, thread mask after KVM_RUN 0x%llx, was 0x%llx",
				   (unsigned long long)after,
				   (unsigned long long)THREAD_MASK);
		ASSERT_NE(SAW_RETURNED, c.saw)
			TH_LOG("KVM_SET_SIGNAL_MASK did not wait for KVM_RUN");
	}
	EXPECT_EQ(THREAD_MASK, after);
	EXPECT_EQ(0, delivered);

	/* The next KVM_RUN uses the mask set during the last one. */
	ASSERT_EQ(0, raise(SIGUSR1));
	run->exit_reason = KVM_EXIT_UNKNOWN;
	r = kvmc_run(self->g.vcpu);
	if (racing && !(*racing & KSIG(SIGUSR1))) {
		EXPECT_EQ(-EINTR, r);
		EXPECT_EQ(KVM_EXIT_INTR, run->exit_reason)
			TH_LOG("got %s", kvmc_exit_name(run->exit_reason));
	} else {
		EXPECT_EQ(0, r) TH_LOG("KVM_RUN: %s", kvmc_errname(-r));
		EXPECT_EQ(KVM_EXIT_HLT, run->exit_reason)
			TH_LOG("got %s", kvmc_exit_name(run->exit_reason));
	}
	EXPECT_EQ(THREAD_MASK, thread_mask());
	EXPECT_EQ(1, consume(SIGUSR1));
	EXPECT_EQ(0, delivered);
}

/* A mask set during a run that began without one. */
TEST_F(race, set_during_run)
{
	static const uint64_t kvm_mask = KVM_MASK;

	race_once(_metadata, &self->fx, NULL, &kvm_mask);
}

/* The mask removed during a run that began with one. */
TEST_F(race, clear_during_run)
{
	static const uint64_t kvm_mask = KVM_MASK;

	race_once(_metadata, &self->fx, &kvm_mask, NULL);
}

/* The toggler of race.free_running: a mask, none, a mask... until @stop. */
struct toggler {
	pthread_t thread;
	int vcpu;
	int stop;		/* __atomic */
	unsigned long calls, errors;
};

static void *toggler_thread(void *p)
{
	static const uint64_t kvm_mask = KVM_MASK;
	struct toggler *t = p;

	while (!__atomic_load_n(&t->stop, __ATOMIC_SEQ_CST) &&
	       t->calls < FREE_SETS_MAX) {
		if (set_kvm_mask(t->vcpu, (t->calls & 1) ? &kvm_mask : NULL))
			t->errors++;
		t->calls++;
	}
	return NULL;
}

/*
 * KVM_RUN again and again (one hlt each) with SIGUSR1 pending, while a
 * second thread sets and removes a KVM mask that unblocks it: a run ends
 * with EINTR or at the hlt, depending on the mask it began with, and the
 * thread's own mask must be back after every one.
 */
TEST_F(race, free_running)
{
	struct kvm_run *run = self->fx.g.run;
	unsigned int i, eintr = 0, hlt = 0, wrong = 0;
	uint64_t m, first_wrong = 0;
	struct toggler t;
	int r = 0;

	ASSERT_EQ(0, kvmc_set_rip(self->fx.g.vcpu, HLT_GPA));
	ASSERT_EQ(0, raise(SIGUSR1));
	memset(&t, 0, sizeof(t));
	t.vcpu = self->fx.g.vcpu;
	ASSERT_EQ(0, pthread_create(&t.thread, NULL, toggler_thread, &t));
	for (i = 0; i < FREE_RUNS; i++) {
		run->exit_reason = KVM_EXIT_UNKNOWN;
		r = kvmc_run(self->fx.g.vcpu);
		if (r == -EINTR && run->exit_reason == KVM_EXIT_INTR)
			eintr++;
		else if (!r && run->exit_reason == KVM_EXIT_HLT)
			hlt++;
		else
			break;
		m = thread_mask();
		if (m != THREAD_MASK) {
			if (!wrong++)
				first_wrong = m;
			ASSERT_EQ(0, set_thread_mask(THREAD_MASK));
		}
		/* Let the toggler in, where the vCPU mutex would starve it. */
		sched_yield();
	}
	__atomic_store_n(&t.stop, 1, __ATOMIC_SEQ_CST);
	ASSERT_EQ(0, pthread_join(t.thread, NULL));
	consume(SIGUSR1);

	TH_LOG("%s: %u runs (%u EINTR, %u hlt) under %lu %s KVM_SET_SIGNAL_MASK calls; "
	       "thread mask wrong after %u (first 0x%llx), %d signals delivered",
	       kvmc_abi_name(), i, eintr, hlt, t.calls,
	       kvmc_is_compat_abi() ? "compat" : "native", wrong,
	       (unsigned long long)first_wrong, (int)delivered);
	ASSERT_EQ(FREE_RUNS, i) TH_LOG("KVM_RUN: %s, exit %s", kvmc_errname(-r),
				       kvmc_exit_name(run->exit_reason));
	EXPECT_EQ(0, t.errors);
	if (kvmc_is_upstream() && kvmc_is_compat_abi())
		return;		/* reported above: probabilistic upstream */
	EXPECT_EQ(0, wrong);
	EXPECT_EQ(0, delivered);
}

KVMC_TEST_MAIN
