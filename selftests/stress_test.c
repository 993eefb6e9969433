// SPDX-License-Identifier: GPL-2.0
/*
 * Races and teardown: many threads over several VMs and vCPUs, fds
 * closed under running ioctls, processes killed in the middle of ioctls,
 * and last the module's reference count: rmmod refused while anything
 * holds the device, clean once nothing does.
 *
 *   stress_test_{64,32,x32} [DEVICE] [kselftest_harness options]
 *
 * Environment: KVMC_STRESS_SEED=0x... makes other seeded choices (which
 * slot, which operation, after how many calls an fd is closed or a child
 * killed) than the default, KVMC_STRESS_SEED of kvm_compat_seeds.h; the
 * seed is printed ("# seed 0x...") and replays them. Thread interleavings
 * are the scheduler's and are not replayed: they change no test and no
 * expected outcome. Every loop is bounded by a count;
 * no time is measured or asserted.
 *
 * The vCPUs run a guest of HLT instructions: a 64 KiB slot just under
 * 4 GiB, filled with 0xf4, under the reset CS (base 0xffff0000) with RIP
 * set to 0, so each KVM_RUN ends in KVM_EXIT_HLT on /dev/kvm and on a
 * kvm_compat that runs guest code, and the 64 Ki HLTs outlast every loop
 * here (past IP 0xffff, nested SVM under TCG was seen to spin in KVM_RUN
 * without ever exiting: the guest left its memory). The runners only
 * require KVM_RUN to come back with 0 or an errno of the allowed set, and
 * put RIP back to 0 after any other exit. Nothing depends on KVM_RUN,
 * dirty logging or the signal mask working.
 *
 * Tests, in order (module_refcount must stay last):
 *  memslots_vs_run       per VM: a memslot thread adding, moving, changing
 *                        and deleting slots 1-4 (it alone writes them, so
 *                        each result is predicted exactly: 0 or EEXIST),
 *                        vCPU threads in KVM_RUN, a dirty-log thread
 *                        reading and clearing the slots' logs (0 or
 *                        ENOENT), a register thread (always 0)
 *  close_vcpu_in_ioctl   two threads in ioctls on a vCPU fd that the main
 *                        thread closes after a seeded number of calls:
 *                        every call before answers normally, every call
 *                        after gets EBADF, the vCPU lives on in its VM
 *  kill_mid_ioctl        children hammering ioctls from two threads,
 *                        SIGKILLed after a seeded number of calls: each
 *                        ends by SIGKILL (never by another signal or a
 *                        bad errno), and the device works afterwards
 *  module_refcount       64-bit build only: with an fd open, and with only
 *                        a vCPU mapping left, delete_module(O_NONBLOCK) of
 *                        the device's module (kvm_compat; on /dev/kvm the
 *                        vendor module, kvm_amd, which kvm_init() makes the
 *                        owner of KVM's files) fails with EWOULDBLOCK
 *                        (kernel/module/main.c: try_stop_module()); with
 *                        nothing left its refcount is 0. On kvm_compat
 *                        only, then: the unload succeeds, the device goes,
 *                        finit_module() of KVMC_MODULE (default
 *                        /lib/kvmc/kvm_compat.ko, as scripts/mkinitramfs.sh
 *                        installs it) brings it back and the device works
 *                        again, for the tests that run after this binary
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "kvm_compat_util.h"
#include "kvm_compat_seeds.h"

#define PG		KVMC_PAGE_SIZE
#define NR_VMS		2
#define NR_VCPUS	2
#define SLOT_OPS	100		/* per memslot thread */
/*
 * The other threads of a VM make at most this many calls per memslot
 * operation done so far, so that the memslot thread is not starved (and
 * the run stays short on nested, emulated SVM).
 */
#define CALLS_PER_OP	8
#define RACE_SLOTS	4		/* slots 1..4; slot s has s pages */
#define RACE_GFNS	256		/* racing slots live below 1 MiB */
#define RUNS_MAX	((SLOT_OPS + 1) * CALLS_PER_OP)	/* per thread */
#define CODE_GPA	0xffff0000ULL
#define CODE_SIZE	0x10000UL
#define RESET_RIP	0xfff0		/* a new vCPU's */
#define GUEST_RIP	0		/* the first HLT, at CS base */
#define CLOSE_ROUNDS	8
#define CLOSE_AT_MAX	200		/* calls before the close, at most */
#define CLOSE_CALLS_MAX	1000000		/* per thread, if EBADF never came */
#define CLOSE_AFTER	20		/* calls per thread after EBADF */
#define KILL_CHILDREN	8
#define KILL_MAX_AT	2000		/* calls before the kill, at most */
#define CHILD_CALLS	200000		/* a child not killed ends here */
#define STALL_SECONDS	40		/* a child without progress: hung */
#define MODULE_NAME	"kvm_compat"
#define MODULE_PATH	"/lib/kvmc/kvm_compat.ko"	/* scripts/mkinitramfs.sh */

/* What any of these ioctls may answer (see ioctl_fuzz_test.c). */
static const int stress_errnos[] = {
	EPERM, ENOENT, EINTR, EIO, ENXIO, E2BIG, EBADF, EAGAIN, ENOMEM,
	EFAULT, EBUSY, EEXIST, ENODEV, EINVAL, ENOSPC, ENOTTY, EOPNOTSUPP,
};

static bool allowed(int e)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(stress_errnos); i++)
		if (stress_errnos[i] == e)
			return true;
	return false;
}

/* The first unexpected answer any thread saw. */
struct bad {
	int err;		/* 0: none */
	long ret;
	char what[160];
};

static pthread_mutex_t bad_lock = PTHREAD_MUTEX_INITIALIZER;

static void __printf(4, 5)
note_bad(struct bad *b, long ret, int err, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&bad_lock);
	if (!b->err) {
		b->err = err ? err : -1;
		b->ret = ret;
		va_start(ap, fmt);
		vsnprintf(b->what, sizeof(b->what), fmt, ap);
		va_end(ap);
	}
	pthread_mutex_unlock(&bad_lock);
}

static uint64_t stress_seed;

static void __attribute__((constructor)) stress_take_seed(void)
{
	stress_seed = kvmc_seed_from_env("KVMC_STRESS_SEED", KVMC_STRESS_SEED);
}

/* A VM whose vCPUs execute HLT after HLT: 64 KiB of 0xf4 at CS base. */
struct hlt_vm {
	int vm;
	int vcpu[NR_VCPUS];
	struct kvm_run *run[NR_VCPUS];
	size_t run_size;
	uint8_t *code;
	uint8_t *mem;		/* backing of the racing slots */
};

static int hlt_vm_create(struct hlt_vm *h, int sys, int nvcpus)
{
	int i, r, size;

	memset(h, 0, sizeof(*h));
	h->vm = -1;
	for (i = 0; i < NR_VCPUS; i++)
		h->vcpu[i] = -1;
	size = ioctl(sys, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (size < (int)PG)
		return size < 0 ? -errno : -EINVAL;
	h->run_size = size;
	h->code = kvmc_map_pages(CODE_SIZE / PG);
	h->mem = kvmc_map_pages(RACE_SLOTS * RACE_SLOTS);
	if (!h->code || !h->mem)
		return -ENOMEM;
	memset(h->code, 0xf4, CODE_SIZE);
	h->vm = kvmc_create_vm(sys);
	if (h->vm < 0)
		return h->vm;
	r = kvmc_set_region(h->vm, 0, 0, CODE_GPA, CODE_SIZE, KVMC_HVA(h->code));
	if (r)
		return r;
	for (i = 0; i < nvcpus; i++) {
		h->vcpu[i] = kvmc_create_vcpu(h->vm, i);
		if (h->vcpu[i] < 0)
			return h->vcpu[i];
		r = kvmc_set_rip(h->vcpu[i], GUEST_RIP);
		if (r)
			return r;
		h->run[i] = mmap(NULL, h->run_size, PROT_READ | PROT_WRITE,
				 MAP_SHARED, h->vcpu[i], 0);
		if (h->run[i] == MAP_FAILED) {
			h->run[i] = NULL;
			return -errno;
		}
	}
	return 0;
}

static void hlt_vm_destroy(struct hlt_vm *h)
{
	int i;

	for (i = 0; i < NR_VCPUS; i++) {
		if (h->run[i])
			munmap(h->run[i], h->run_size);
		if (h->vcpu[i] >= 0)
			close(h->vcpu[i]);
	}
	if (h->vm >= 0)
		close(h->vm);
	if (h->code)
		munmap(h->code, CODE_SIZE);
	if (h->mem)
		munmap(h->mem, RACE_SLOTS * RACE_SLOTS * PG);
}

/* One KVM_RUN; RIP back to the first HLT after anything but a HLT. */
static void run_once(int vcpu, struct kvm_run *run, struct bad *bad,
		     uint64_t *hlts)
{
	struct kvm_regs regs;
	long r;

	r = ioctl(vcpu, KVM_RUN, 0);
	if (r == -1 && !allowed(errno)) {
		note_bad(bad, r, errno, "KVM_RUN");
		return;
	}
	if (!r && run->exit_reason == KVM_EXIT_HLT) {
		(*hlts)++;
		return;
	}
	r = ioctl(vcpu, KVM_GET_REGS, &regs);
	if (r) {
		note_bad(bad, r, errno, "KVM_GET_REGS after KVM_RUN");
		return;
	}
	regs.rip = GUEST_RIP;
	r = ioctl(vcpu, KVM_SET_REGS, &regs);
	if (r)
		note_bad(bad, r, errno, "KVM_SET_REGS after KVM_RUN");
}

/* ---- memslots_vs_run ---- */

struct race_vm {
	struct hlt_vm h;
	uint64_t seed;
	volatile int stop;
	struct bad *bad;
	volatile uint64_t slot_ops;
	uint64_t hlts, runs, logs, regs;
};

/* Wait (bounded by the memslot thread's end) until call @n is due. */
static bool paced(struct race_vm *rv, uint64_t n)
{
	struct timespec ts = { 0, 200000 };

	while (!rv->stop && n >= (rv->slot_ops + 1) * CALLS_PER_OP)
		nanosleep(&ts, NULL);
	return !rv->stop;
}

struct runner {
	struct race_vm *rv;
	int idx;
};

static void *runner_thread(void *arg)
{
	struct runner *t = arg;
	struct race_vm *rv = t->rv;
	uint64_t i, hlts = 0;

	for (i = 0; i < RUNS_MAX && paced(rv, i); i++) {
		run_once(rv->h.vcpu[t->idx], rv->h.run[t->idx], rv->bad, &hlts);
		__atomic_add_fetch(&rv->runs, 1, __ATOMIC_RELAXED);
	}
	__atomic_add_fetch(&rv->hlts, hlts, __ATOMIC_RELAXED);
	return NULL;
}

struct slot_state {
	bool present;
	uint64_t gfn;
	uint32_t flags;
};

static bool overlaps(const struct slot_state *st, int s, uint64_t gfn)
{
	int o;

	for (o = 1; o <= RACE_SLOTS; o++)
		if (o != s && st[o].present && gfn < st[o].gfn + o &&
		    st[o].gfn < gfn + s)
			return true;
	return false;
}

/*
 * The only writer of slots 1..RACE_SLOTS of its VM: it knows what each
 * call must answer. Slot s always has s pages at h.mem + s * RACE_SLOTS
 * pages, so a call may create, move, change flags or delete, never resize.
 */
static void *memslot_thread(void *arg)
{
	struct race_vm *rv = arg;
	struct slot_state st[RACE_SLOTS + 1];
	uint64_t rng = rv->seed, gfn;
	uint32_t flags;
	int i, s, want, r;

	memset(st, 0, sizeof(st));
	for (i = 0; i < SLOT_OPS; i++) {
		s = 1 + (int)kvmc_rng_below(&rng, RACE_SLOTS);
		gfn = st[s].gfn;
		flags = st[s].flags;
		switch (kvmc_rng_below(&rng, 4)) {
		case 0:		/* delete (EINVAL if absent) */
			r = kvmc_set_region(rv->h.vm, s, 0, gfn * PG, 0,
					    KVMC_HVA(rv->h.mem + s * RACE_SLOTS * PG));
			want = st[s].present ? 0 : -EINVAL;
			if (!r)
				st[s].present = false;
			break;
		case 1:		/* flags only */
			if (st[s].present)
				flags ^= KVM_MEM_LOG_DIRTY_PAGES;
			fallthrough;
		default:	/* create or move */
			if (kvmc_rng_below(&rng, 2) || !st[s].present)
				gfn = kvmc_rng_below(&rng, RACE_GFNS - RACE_SLOTS);
			if (!st[s].present)
				flags = kvmc_rng_below(&rng, 2) ? KVM_MEM_LOG_DIRTY_PAGES : 0;
			r = kvmc_set_region(rv->h.vm, s, flags, gfn * PG, s * PG,
					    KVMC_HVA(rv->h.mem + s * RACE_SLOTS * PG));
			want = overlaps(st, s, gfn) ? -EEXIST : 0;
			if (!r) {
				st[s].present = true;
				st[s].gfn = gfn;
				st[s].flags = flags;
			}
			break;
		}
		if (r != want) {
			note_bad(rv->bad, r, -r,
				 "memslot op %d: slot %d gfn %#llx flags %u: got %s, expected %s",
				 i, s, (unsigned long long)gfn, flags,
				 r ? kvmc_errname(-r) : "0",
				 want ? kvmc_errname(-want) : "0");
			break;
		}
		rv->slot_ops++;
	}
	return NULL;
}

static void *dirty_log_thread(void *arg)
{
	struct race_vm *rv = arg;
	uint64_t rng = rv->seed ^ 0xd1, bitmap[8];
	uint32_t s;
	int r;

	while (rv->logs < RUNS_MAX && paced(rv, rv->logs)) {
		s = 1 + (uint32_t)kvmc_rng_below(&rng, RACE_SLOTS);
		if (kvmc_rng_below(&rng, 4))
			r = kvmc_get_dirty_log(rv->h.vm, s, bitmap);
		else
			r = kvmc_clear_dirty_log(rv->h.vm, s, 0, s, bitmap);
		if (r && r != -ENOENT) {
			note_bad(rv->bad, r, -r, "dirty log of slot %u: %s", s,
				 kvmc_errname(-r));
			break;
		}
		rv->logs++;
	}
	return NULL;
}

static void *regs_thread(void *arg)
{
	struct race_vm *rv = arg;
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	int i;

	while (rv->regs < RUNS_MAX && paced(rv, rv->regs)) {
		i = (int)(rv->regs % NR_VCPUS);
		if (ioctl(rv->h.vcpu[i], KVM_GET_REGS, &regs) ||
		    ioctl(rv->h.vcpu[i], KVM_GET_SREGS, &sregs)) {
			note_bad(rv->bad, -1, errno, "KVM_GET_(S)REGS of vCPU %d", i);
			break;
		}
		rv->regs++;
	}
	return NULL;
}

FIXTURE(stress)
{
	int sys;
	uint64_t rng;
};

FIXTURE_SETUP(stress)
{
	ksft_print_msg("seed %#llx (KVMC_STRESS_SEED=%#llx replays)\n",
		       (unsigned long long)stress_seed,
		       (unsigned long long)stress_seed);
	self->rng = stress_seed;
	KVMC_OPEN_OR_SKIP(self->sys);
}

FIXTURE_TEARDOWN(stress)
{
	if (self->sys >= 0)
		close(self->sys);
}

#define RACE_VM_FMT \
	"VM %d: %llu memslot ops, %llu KVM_RUN (%llu HLT exits), %llu dirty-log calls, %llu register reads"

TEST_F_TIMEOUT(stress, memslots_vs_run, 240)
{
	pthread_t th[NR_VMS][NR_VCPUS + 3];
	struct runner runners[NR_VMS][NR_VCPUS];
	struct race_vm rv[NR_VMS];
	struct bad bad = { 0 };
	int v, i, r, n;

	for (v = 0; v < NR_VMS; v++) {
		memset(&rv[v], 0, sizeof(rv[v]));
		r = hlt_vm_create(&rv[v].h, self->sys, NR_VCPUS);
		ASSERT_EQ(0, r) TH_LOG("VM %d: %s", v, kvmc_errname(-r));
		rv[v].seed = kvmc_rng_next(&self->rng);
		rv[v].bad = &bad;
	}
	for (v = 0; v < NR_VMS; v++) {
		for (i = 0; i < NR_VCPUS; i++) {
			runners[v][i].rv = &rv[v];
			runners[v][i].idx = i;
			ASSERT_EQ(0, pthread_create(&th[v][i], NULL, runner_thread,
						    &runners[v][i]));
		}
		ASSERT_EQ(0, pthread_create(&th[v][NR_VCPUS], NULL,
					    memslot_thread, &rv[v]));
		ASSERT_EQ(0, pthread_create(&th[v][NR_VCPUS + 1], NULL,
					    dirty_log_thread, &rv[v]));
		ASSERT_EQ(0, pthread_create(&th[v][NR_VCPUS + 2], NULL,
					    regs_thread, &rv[v]));
	}
	/* The memslot threads bound the run; then everyone stops. */
	for (v = 0; v < NR_VMS; v++)
		EXPECT_EQ(0, pthread_join(th[v][NR_VCPUS], NULL));
	for (v = 0; v < NR_VMS; v++) {
		rv[v].stop = 1;
		for (i = 0, n = NR_VCPUS + 3; i < n; i++)
			if (i != NR_VCPUS)
				EXPECT_EQ(0, pthread_join(th[v][i], NULL));
	}
	EXPECT_EQ(0, bad.err) TH_LOG("%s: returned %ld, %s", bad.what, bad.ret,
				     bad.err > 0 ? kvmc_errname(bad.err) : "-");
	for (v = 0; v < NR_VMS; v++) {
		TH_LOG(RACE_VM_FMT, v, (unsigned long long)rv[v].slot_ops,
		       (unsigned long long)rv[v].runs,
		       (unsigned long long)rv[v].hlts,
		       (unsigned long long)rv[v].logs,
		       (unsigned long long)rv[v].regs);
		EXPECT_EQ(SLOT_OPS, rv[v].slot_ops);
		hlt_vm_destroy(&rv[v].h);
	}
	KVMC_ASSERT_DEVICE_WORKS("stress");
}

/* ---- close_vcpu_in_ioctl ---- */

struct closer {
	int fd;
	struct kvm_run *run;
	uint64_t seed;
	volatile uint64_t calls;
	volatile int closed_seen;
	struct bad *bad;
};

static void *closer_worker(void *arg)
{
	struct closer *c = arg;
	uint64_t rng = c->seed, hlts = 0;
	struct kvm_regs regs;
	int i, r, k, closed = 0;

	for (i = 0; i < CLOSE_CALLS_MAX && closed < CLOSE_AFTER; i++) {
		k = (int)kvmc_rng_below(&rng, 4);
		if (k == 0) {
			r = ioctl(c->fd, KVM_RUN, 0);
			if (!r && c->run->exit_reason == KVM_EXIT_HLT)
				hlts++;
		} else if (k == 1) {
			r = ioctl(c->fd, KVM_GET_REGS, &regs);
		} else if (k == 2) {
			struct kvm_sregs sregs;

			r = ioctl(c->fd, KVM_GET_SREGS, &sregs);
		} else {
			memset(&regs, 0, sizeof(regs));
			regs.rip = GUEST_RIP;
			regs.rflags = 2;
			r = ioctl(c->fd, KVM_SET_REGS, &regs);
		}
		__atomic_add_fetch(&c->calls, 1, __ATOMIC_RELAXED);
		if (r == -1 && errno == EBADF) {
			closed++;
			c->closed_seen = 1;
			continue;
		}
		/* Nothing reuses the number: after EBADF, only EBADF. */
		if (closed || (r && (k != 0 || !allowed(errno)))) {
			note_bad(c->bad, r, r ? errno : 0,
				 "call %d (%s) %s", i,
				 k == 0 ? "KVM_RUN" : k == 1 ? "KVM_GET_REGS" :
				 k == 2 ? "KVM_GET_SREGS" : "KVM_SET_REGS",
				 closed ? "after EBADF" : "before the close");
			break;
		}
	}
	(void)hlts;
	return NULL;
}

TEST_F_TIMEOUT(stress, close_vcpu_in_ioctl, 180)
{
	struct kvm_regs regs;
	struct bad bad = { 0 };
	struct closer c;
	pthread_t th[2];
	struct hlt_vm h;
	uint64_t at;
	int round, t, r, v1;

	for (round = 0; round < CLOSE_ROUNDS; round++) {
		r = hlt_vm_create(&h, self->sys, 1);
		ASSERT_EQ(0, r) TH_LOG("%s", kvmc_errname(-r));
		memset(&c, 0, sizeof(c));
		c.fd = h.vcpu[0];
		c.run = h.run[0];
		c.bad = &bad;
		at = 1 + kvmc_rng_below(&self->rng, CLOSE_AT_MAX);
		for (t = 0; t < 2; t++) {
			c.seed = kvmc_rng_next(&self->rng);
			ASSERT_EQ(0, pthread_create(&th[t], NULL, closer_worker, &c));
		}
		while (c.calls < at)
			sched_yield();
		ASSERT_EQ(0, close(h.vcpu[0]));
		h.vcpu[0] = -1;
		for (t = 0; t < 2; t++)
			EXPECT_EQ(0, pthread_join(th[t], NULL));
		EXPECT_EQ(0, bad.err)
			TH_LOG("round %d, closed after %llu calls: %s: returned %ld, %s",
			       round, (unsigned long long)at, bad.what, bad.ret,
			       bad.err > 0 ? kvmc_errname(bad.err) : "-");
		EXPECT_TRUE(c.closed_seen);
		/* The vCPU lives on in its VM, its mapping too. */
		EXPECT_EQ(-EEXIST, kvmc_create_vcpu(h.vm, 0));
		v1 = kvmc_create_vcpu(h.vm, 1);
		EXPECT_LE(0, v1);
		EXPECT_EQ(0, ioctl(v1, KVM_GET_REGS, &regs));
		EXPECT_EQ(RESET_RIP, regs.rip);
		close(v1);
		hlt_vm_destroy(&h);
		if (bad.err)
			break;
	}
	KVMC_ASSERT_DEVICE_WORKS("stress");
}

/* ---- kill_mid_ioctl ---- */

struct kill_shared {
	volatile uint64_t progress;
	char msg[256];
};

struct hammer {
	struct kill_shared *sh;
	struct hlt_vm *h;
	int sys;
	uint64_t seed;
	int idx;
};

static void hammer_bad(struct kill_shared *sh, const char *what, long r, int err)
{
	snprintf(sh->msg, sizeof(sh->msg), "%s: returned %ld, %s", what, r,
		 kvmc_errname(err));
	_exit(3);
}

static void *hammer_thread(void *arg)
{
	struct hammer *m = arg;
	struct hlt_vm *h = m->h;
	uint64_t rng = m->seed, hlts = 0, bitmap[8], i;
	int vcpu = h->vcpu[m->idx], fd, r;
	struct kvm_sregs sregs;
	struct bad bad = { 0 };
	void *p;

	for (i = 0; i < CHILD_CALLS; i++) {
		switch (kvmc_rng_below(&rng, 7)) {
		case 0:
		case 1:
			run_once(vcpu, h->run[m->idx], &bad, &hlts);
			if (bad.err)
				hammer_bad(m->sh, bad.what, bad.ret, bad.err);
			break;
		case 2:
			if (ioctl(vcpu, KVM_GET_SREGS, &sregs) ||
			    ioctl(vcpu, KVM_SET_SREGS, &sregs))
				hammer_bad(m->sh, "KVM_GET/SET_SREGS", -1, errno);
			break;
		case 3:
			r = kvmc_set_region(h->vm, 1 + m->idx,
					    KVM_MEM_LOG_DIRTY_PAGES,
					    kvmc_rng_below(&rng, 64) * PG,
					    kvmc_rng_below(&rng, 2) ? PG : 0,
					    KVMC_HVA(h->mem + m->idx * PG));
			if (r && r != -EEXIST && r != -EINVAL)
				hammer_bad(m->sh, "memslot", r, -r);
			break;
		case 4:
			r = kvmc_get_dirty_log(h->vm, 1 + m->idx, bitmap);
			if (r && r != -ENOENT)
				hammer_bad(m->sh, "KVM_GET_DIRTY_LOG", r, -r);
			break;
		case 5:
			fd = kvmc_create_vcpu(h->vm, 2 + kvmc_rng_below(&rng, 8));
			if (fd >= 0)
				close(fd);
			else if (fd != -EEXIST)
				hammer_bad(m->sh, "KVM_CREATE_VCPU", fd, -fd);
			break;
		default:
			p = mmap(NULL, h->run_size, PROT_READ, MAP_SHARED, vcpu, 0);
			if (p == MAP_FAILED)
				hammer_bad(m->sh, "mmap", -1, errno);
			munmap(p, h->run_size);
			break;
		}
		__atomic_add_fetch(&m->sh->progress, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

static void __noreturn
kill_child(struct kill_shared *sh, uint64_t seed)
{
	struct hammer m[NR_VCPUS];
	pthread_t th;
	struct hlt_vm h;
	int sys, r, i;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	sys = kvmc_open();
	if (sys < 0)
		hammer_bad(sh, "open", sys, -sys);
	r = hlt_vm_create(&h, sys, NR_VCPUS);
	if (r)
		hammer_bad(sh, "VM setup", r, -r);
	for (i = 0; i < NR_VCPUS; i++) {
		m[i].sh = sh;
		m[i].h = &h;
		m[i].sys = sys;
		m[i].idx = i;
		m[i].seed = kvmc_rng_next(&seed);
	}
	if (pthread_create(&th, NULL, hammer_thread, &m[1]))
		hammer_bad(sh, "pthread_create", -1, errno);
	hammer_thread(&m[0]);
	pthread_join(th, NULL);
	_exit(0);
}

TEST_F_TIMEOUT(stress, kill_mid_ioctl, 240)
{
	struct kill_shared *sh;
	int child, status, idle, reaped;
	uint64_t at, last;
	pid_t pid;

	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, sh);
	for (child = 0; child < KILL_CHILDREN; child++) {
		memset(sh, 0, sizeof(*sh));
		at = 1 + kvmc_rng_below(&self->rng, KILL_MAX_AT);
		fflush(stdout);
		fflush(stderr);
		pid = fork();
		ASSERT_LE(0, pid);
		if (!pid)
			kill_child(sh, kvmc_rng_next(&self->rng));
		last = 0;
		idle = 0;
		reaped = 0;
		while (sh->progress < at) {
			reaped = waitpid(pid, &status, WNOHANG) == pid;
			if (reaped)
				break;
			kvmc_sleep_ms(1);
			if (sh->progress != last) {
				last = sh->progress;
				idle = 0;
			} else if (++idle > STALL_SECONDS * 1000) {
				break;
			}
		}
		if (!reaped) {
			kill(pid, SIGKILL);
			ASSERT_EQ(pid, waitpid(pid, &status, 0));
		}
		EXPECT_LE(idle, STALL_SECONDS * 1000)
			TH_LOG("child %d: no progress for %d s after %llu calls",
			       child, STALL_SECONDS,
			       (unsigned long long)sh->progress);
		EXPECT_TRUE((WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) ||
			    (WIFEXITED(status) && !WEXITSTATUS(status)))
			TH_LOG("child %d (kill after %llu calls): %s %d: %s",
			       child, (unsigned long long)at,
			       WIFSIGNALED(status) ? "signal" : "exit status",
			       WIFSIGNALED(status) ? WTERMSIG(status) :
						     WEXITSTATUS(status),
			       sh->msg[0] ? sh->msg : "-");
		TH_LOG("child %d: killed after %llu calls (chosen %llu)", child,
		       (unsigned long long)sh->progress, (unsigned long long)at);
	}
	munmap(sh, sizeof(*sh));
	KVMC_ASSERT_DEVICE_WORKS("stress");
}

/* ---- module_refcount: must stay the last test ---- */

/* The module behind the device: kvm_compat, or the oracle's vendor module. */
struct kmod {
	char name[32];
	char path[128];		/* where to load it back from */
};

static bool kmod_loaded(const char *name)
{
	char p[96];

	snprintf(p, sizeof(p), "/sys/module/%s", name);
	return !access(p, F_OK);
}

static int kmod_find(struct kmod *m)
{
	const char *env = getenv("KVMC_MODULE");

	if (!kvmc_is_upstream()) {
		snprintf(m->name, sizeof(m->name), MODULE_NAME);
		snprintf(m->path, sizeof(m->path), "%s", env ?: MODULE_PATH);
	} else {
		/* kvm_init() makes the vendor module the owner of KVM's files. */
		snprintf(m->name, sizeof(m->name), "%s",
			 kmod_loaded("kvm_amd") ? "kvm_amd" : "kvm_intel");
		/* scripts/mkinitramfs.sh: the oracle's modules, decompressed. */
		snprintf(m->path, sizeof(m->path), "/lib/kvmc/oracle/%s.ko", m->name);
	}
	return kmod_loaded(m->name) ? 0 : -ENOENT;
}

static int kmod_refcnt(const struct kmod *m)
{
	char p[96];
	FILE *f;
	int n = -1;

	snprintf(p, sizeof(p), "/sys/module/%s/refcnt", m->name);
	f = fopen(p, "r");
	if (!f)
		return -1;
	if (fscanf(f, "%d", &n) != 1)
		n = -1;
	fclose(f);
	return n;
}

static long kmod_unload(const struct kmod *m)
{
	return syscall(SYS_delete_module, m->name, O_NONBLOCK);
}

static int kmod_load(const struct kmod *m)
{
	int ko = open(m->path, O_RDONLY | O_CLOEXEC), r;

	if (ko < 0)
		return -errno;
	r = syscall(SYS_finit_module, ko, "", 0) ? -errno : 0;
	close(ko);
	return r;
}

/*
 * delete_module(O_NONBLOCK) is refused with EWOULDBLOCK (try_stop_module()
 * in kernel/module/main.c) while anything holds the module: an fd, or only
 * a vCPU mapping (the mapping holds the vCPU file). With nothing left the
 * count is 0: no earlier test or killed child kept a reference. Then, for
 * kvm_compat only (the oracle is not unloaded): the unload succeeds, the
 * device goes, finit_module() brings it back, and it works.
 */
TEST_F_TIMEOUT(stress, module_refcount, 60)
{
	int vm, vcpu, size, i, r;
	struct kmod m;
	struct stat st;
	void *map;

	if (kvmc_is_compat_abi())
		SKIP(return, "module unload runs from the 64-bit build only");
	if (kmod_find(&m))
		SKIP(return, "%s is not a loaded module", m.name);
	if (access(m.path, R_OK))
		SKIP(return, "no %s to load %s back from (KVMC_MODULE)", m.path,
		     m.name);

	size = ioctl(self->sys, KVM_GET_VCPU_MMAP_SIZE, 0);
	ASSERT_LT(0, size);
	vm = kvmc_create_vm(self->sys);
	ASSERT_LE(0, vm);
	vcpu = kvmc_create_vcpu(vm, 0);
	ASSERT_LE(0, vcpu);
	map = mmap(NULL, size, PROT_READ, MAP_SHARED, vcpu, 0);
	ASSERT_NE(MAP_FAILED, map);
	TH_LOG("%s refcnt with 3 fds and a mapping: %d", m.name, kmod_refcnt(&m));
	EXPECT_LT(0, kmod_refcnt(&m));

	r = kmod_unload(&m);
	if (!r)		/* never leave the device without its module */
		kmod_load(&m);
	ASSERT_EQ(-1, r) TH_LOG("%s unloaded with fds open", m.name);
	ASSERT_EQ(EWOULDBLOCK, errno) TH_LOG("%s", kvmc_errname(errno));

	close(vcpu);
	close(vm);
	close(self->sys);
	self->sys = -1;
	EXPECT_LE(1, kmod_refcnt(&m));
	r = kmod_unload(&m);
	if (!r)
		kmod_load(&m);
	ASSERT_EQ(-1, r) TH_LOG("%s unloaded with a vCPU mapping left", m.name);
	ASSERT_EQ(EWOULDBLOCK, errno) TH_LOG("%s", kvmc_errname(errno));

	ASSERT_EQ(0, munmap(map, size));
	ASSERT_EQ(0, kmod_refcnt(&m)) TH_LOG("%s still referenced with nothing open",
					     m.name);
	if (kvmc_is_upstream())
		return;

	ASSERT_EQ(0, kmod_unload(&m)) TH_LOG("delete_module(%s): %s", m.name,
					     kvmc_errname(errno));
	EXPECT_FALSE(kmod_loaded(m.name));
	r = kvmc_open();
	EXPECT_GT(0, r) TH_LOG("%s still opens", kvmc_device());
	if (r >= 0)
		close(r);
	r = kmod_load(&m);
	ASSERT_EQ(0, r) TH_LOG("finit_module(%s): %s", m.path, kvmc_errname(-r));
	/* The node appears asynchronously; bounded wait, as the guest's init. */
	for (i = 0; i < 200 && stat(kvmc_device(), &st); i++)
		kvmc_sleep_ms(10);
	ASSERT_EQ(0, stat(kvmc_device(), &st)) TH_LOG("%s did not come back",
						      kvmc_device());
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	KVMC_ASSERT_DEVICE_WORKS("stress");
}

KVMC_TEST_MAIN
