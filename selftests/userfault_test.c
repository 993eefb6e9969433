// SPDX-License-Identifier: GPL-2.0
/*
 * Guest memory behind userfaultfd, the shape of postcopy migration: a
 * vCPU that touches a page the VMM has not supplied yet waits inside
 * KVM_RUN, and a signal from the VMM must be able to end that KVM_RUN
 * (KVM_EXIT_INTR), while the VM's other ioctls and vCPUs go on.
 *
 * Upstream (virt/kvm/kvm_main.c hva_to_pfn_slow(), arch/x86/kvm/mmu/mmu.c
 * __kvm_faultin_pfn() and kvm_handle_error_pfn()): vCPUs read the
 * memslots under kvm->srcu, take no VM-wide lock, and fault the page in
 * with get_user_pages_unlocked(); since 6.2 with FOLL_INTERRUPTIBLE, so
 * the wait for the page is interruptible (the thread sleeps in state S)
 * and a signal ends it: gup returns -EINTR, KVM_PFN_ERR_SIGPENDING,
 * KVM_RUN fails with EINTR and exit_reason KVM_EXIT_INTR, the
 * instruction not run.  Before 6.2 gup waits killably (state D): the
 * signal stays pending until the page arrives, and then ends KVM_RUN the
 * same way before the instruction runs again.  kvm_compat waits as the
 * kernel it is built for lets gup wait, so both devices give the same
 * answer on each kernel.
 *
 * KVM_GET_DIRTY_LOG takes slots_lock and copies the bitmap out with it
 * held, upstream and in kvm_compat: when that copy waits for a
 * userfaultfd page, memslot updates wait too, but no vCPU does.
 *
 *   userfault_test_{64,32,x32} [DEVICE] [kselftest_harness options]
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "kvm_compat_util.h"

#define NPAGES		4		/* slot 0: GPA 0x0000-0x3fff, the code */
#define UFFD_GPA	0x8000		/* slot 1: one page behind userfaultfd */
#define LOG_SLOT	2		/* slot 2: one logged page at DATA_GPA */
#define DATA_GPA	0x4000
#define READER_GPA	0x1000		/* vCPU 0: mov al, [0x8000]; hlt */
#define WRITER_GPA	0x2000		/* vCPU 1: mov [0x4000], 0x11; hlt */
#define PAGE_BYTE	0x5a		/* what UFFDIO_COPY puts at UFFD_GPA */

static volatile sig_atomic_t delivered;

static void count_signal(int sig)
{
	(void)sig;
	delivered++;
}

/* A thread making one blocking ioctl, and what it got. */
struct blocked_call {
	pthread_t thread;
	int fd;
	unsigned long req, arg;
	volatile pid_t tid;
	int ret;
};

static void *blocked_call_thread(void *p)
{
	struct blocked_call *c = p;

	c->tid = (pid_t)syscall(SYS_gettid);
	c->ret = kvmc_ioctl(c->fd, c->req, c->arg);
	return NULL;
}

/* The VM of every test: its fds, memory and the userfaultfd. */
struct uffd_vm {
	struct kvmc_guest g;
	int uffd;
	uint8_t *umem;		/* slot 1's page, registered MISSING */
	uint8_t *src;		/* what UFFDIO_COPY copies in */
	uint8_t *data;		/* slot 2's page */
	int vcpu1;
	struct kvm_run *run1;
	size_t run1_size;
	uint64_t bitmap[2];
};

FIXTURE(uffd)
{
	struct uffd_vm v;
};

/* Kernel release as major * 1000 + minor, e.g. 6012 for 6.12.117. */
static int kernel_version(void)
{
	struct utsname u;
	int major = 0, minor = 0;

	if (uname(&u) || sscanf(u.release, "%d.%d", &major, &minor) != 2)
		return 0;
	return major * 1000 + minor;
}

/*
 * Upstream's answer, by version: FOLL_INTERRUPTIBLE came with 6.2, and
 * kvm_compat's gup waits as the running kernel's does.
 */
static bool wait_is_interruptible(void)
{
	return kernel_version() >= 6002;
}

FIXTURE_SETUP(uffd)
{
	struct uffd_vm *v = &self->v;
	static const uint8_t reader[] = {
		0xa0, 0x00, 0x80,	/* 0x1000 mov al, [0x8000] */
		0xf4,			/* 0x1003 hlt */
	};
	static const uint8_t writer[] = {
		0xb0, 0x11,		/* 0x2000 mov al, 0x11 */
		0xa2, 0x00, 0x40,	/* 0x2002 mov [0x4000], al */
		0xf4,			/* 0x2005 hlt */
	};
	struct uffdio_register reg;
	struct sigaction sa;
	struct kvm_regs r;
	int ret;

	v->uffd = -1;
	v->vcpu1 = -1;
	v->run1 = NULL;
	v->umem = NULL;
	v->src = NULL;
	v->data = NULL;
	KVMC_GUEST_SETUP(&v->g, NPAGES);

	ret = kvmc_uffd_open();
	if (ret == -ENOSYS || ret == -EPERM)
		SKIP(return, "userfaultfd: %s", kvmc_errname(-ret));
	ASSERT_LE(0, ret) TH_LOG("userfaultfd: %s", kvmc_errname(-ret));
	v->uffd = ret;

	v->umem = kvmc_map_pages(1);
	v->src = kvmc_map_pages(1);
	v->data = kvmc_map_pages(1);
	ASSERT_NE(NULL, v->umem);
	ASSERT_NE(NULL, v->src);
	ASSERT_NE(NULL, v->data);
	v->src[0] = PAGE_BYTE;
	memset(&reg, 0, sizeof(reg));
	reg.range.start = KVMC_HVA(v->umem);
	reg.range.len = KVMC_PAGE_SIZE;
	reg.mode = UFFDIO_REGISTER_MODE_MISSING;
	ASSERT_EQ(0, ioctl(v->uffd, UFFDIO_REGISTER, &reg));

	/*
	 * Slot 1 is the userfaultfd page; slot 2 logs dirty pages and holds
	 * no code (upstream also reports as dirty a page a vCPU only read,
	 * if it could map it writable: make_spte()).
	 */
	ASSERT_EQ(0, kvmc_set_region(v->g.vm, 1, 0, UFFD_GPA, KVMC_PAGE_SIZE,
				     KVMC_HVA(v->umem)));
	ASSERT_EQ(0, kvmc_set_region(v->g.vm, LOG_SLOT,
				     KVM_MEM_LOG_DIRTY_PAGES, DATA_GPA,
				     KVMC_PAGE_SIZE, KVMC_HVA(v->data)));
	memcpy(v->g.mem + READER_GPA, reader, sizeof(reader));
	memcpy(v->g.mem + WRITER_GPA, writer, sizeof(writer));
	ASSERT_EQ(0, kvmc_set_rip(v->g.vcpu, READER_GPA));

	v->vcpu1 = kvmc_create_vcpu(v->g.vm, 1);
	ASSERT_LE(0, v->vcpu1);
	v->run1 = kvmc_map_run(v->g.sys, v->vcpu1, &v->run1_size);
	ASSERT_NE(NULL, v->run1);
	ASSERT_EQ(0, kvmc_set_real_seg(v->vcpu1, KVMC_SEG_CS, 0));
	ASSERT_EQ(0, kvmc_set_real_seg(v->vcpu1, KVMC_SEG_DS, 0));
	ASSERT_EQ(0, ioctl(v->vcpu1, KVM_GET_REGS, &r));
	r.rip = WRITER_GPA;
	r.rflags = 2;
	ASSERT_EQ(0, ioctl(v->vcpu1, KVM_SET_REGS, &r));

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = count_signal;
	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));
	delivered = 0;
	ASSERT_EQ(0, kvmc_get_dirty_log(v->g.vm, LOG_SLOT, v->bitmap));
}

FIXTURE_TEARDOWN(uffd)
{
	struct uffd_vm *v = &self->v;

	if (v->run1)
		munmap(v->run1, v->run1_size);
	if (v->vcpu1 >= 0)
		close(v->vcpu1);
	kvmc_guest_destroy(&v->g);
	if (v->uffd >= 0)
		close(v->uffd);
	if (v->umem)
		munmap(v->umem, KVMC_PAGE_SIZE);
	if (v->src)
		munmap(v->src, KVMC_PAGE_SIZE);
	if (v->data)
		munmap(v->data, KVMC_PAGE_SIZE);
}

/* Wait for the fault on the userfaultfd page: it must be at @hva. */
static void expect_fault(struct __test_metadata *_metadata, int uffd,
			 void *hva, bool write)
{
	struct uffd_msg msg;

	ASSERT_EQ((ssize_t)sizeof(msg), read(uffd, &msg, sizeof(msg)));
	ASSERT_EQ(UFFD_EVENT_PAGEFAULT, msg.event);
	EXPECT_EQ(KVMC_HVA(hva), msg.arg.pagefault.address & ~(KVMC_PAGE_SIZE - 1));
	EXPECT_EQ(write, !!(msg.arg.pagefault.flags & UFFD_PAGEFAULT_FLAG_WRITE));
}

static void supply_page(struct __test_metadata *_metadata, int uffd,
			void *dst, void *src)
{
	struct uffdio_copy copy;

	memset(&copy, 0, sizeof(copy));
	copy.dst = KVMC_HVA(dst);
	copy.src = KVMC_HVA(src);
	copy.len = KVMC_PAGE_SIZE;
	ASSERT_EQ(0, ioctl(uffd, UFFDIO_COPY, &copy));
	ASSERT_EQ((int64_t)KVMC_PAGE_SIZE, (int64_t)copy.copy);
}

/*
 * While one vCPU waits for a page, the VM's dirty log can be read and
 * another vCPU runs: vCPU 1 stores to slot 2 and halts, and the log shows
 * the store.
 */
static void others_proceed(struct __test_metadata *_metadata,
			   struct uffd_vm *v)
{
	ASSERT_EQ(0, kvmc_get_dirty_log(v->g.vm, LOG_SLOT, v->bitmap));
	EXPECT_EQ(0, v->bitmap[0]);
	ASSERT_EQ(0, kvmc_run(v->vcpu1));
	ASSERT_EQ(KVM_EXIT_HLT, v->run1->exit_reason)
		TH_LOG("vCPU 1: %s", kvmc_exit_name(v->run1->exit_reason));
	EXPECT_EQ(0x11, v->data[0]);
	ASSERT_EQ(0, kvmc_get_dirty_log(v->g.vm, LOG_SLOT, v->bitmap));
	EXPECT_EQ(1, v->bitmap[0]);
}

/* vCPU 0 ended with KVM_EXIT_INTR, its MOV not run, the signal handled. */
static void expect_intr(struct __test_metadata *_metadata,
			struct uffd_vm *v, int ret)
{
	struct kvm_regs r;

	ASSERT_EQ(-EINTR, ret)
		TH_LOG("KVM_RUN: %s, %s", kvmc_errname(-ret),
		       kvmc_exit_name(v->g.run->exit_reason));
	EXPECT_EQ(KVM_EXIT_INTR, v->g.run->exit_reason)
		TH_LOG("got %s", kvmc_exit_name(v->g.run->exit_reason));
	EXPECT_EQ(1, delivered);
	ASSERT_EQ(0, ioctl(v->g.vcpu, KVM_GET_REGS, &r));
	EXPECT_EQ(READER_GPA, r.rip);
	EXPECT_NE(PAGE_BYTE, (uint8_t)r.rax);
}

/* Once the page is there, the guest reads it and halts. */
static void expect_finish(struct __test_metadata *_metadata,
			  struct uffd_vm *v)
{
	struct kvm_regs r;

	KVMC_RUN_EXPECT(&v->g, KVM_EXIT_HLT);
	ASSERT_EQ(0, ioctl(v->g.vcpu, KVM_GET_REGS, &r));
	EXPECT_EQ(READER_GPA + 4, r.rip);
	EXPECT_EQ(PAGE_BYTE, (uint8_t)r.rax);
}

/*
 * The guest reads the missing page; the VMM sees the fault, reads the
 * dirty log and runs vCPU 1 meanwhile, then signals vCPU 0's thread.
 */
TEST_F(uffd, missing_page_signal)
{
	struct uffd_vm *v = &self->v;
	struct blocked_call c = {
		.fd = v->g.vcpu, .req = KVM_RUN, .arg = 0,
	};
	bool interruptible = wait_is_interruptible();
	char state;

	TH_LOG("%s, %s: a wait for a userfaultfd page is %s", kvmc_device(),
	       kvmc_abi_name(), interruptible ? "interruptible (6.2+)" :
	       "killable (before 6.2)");
	ASSERT_EQ(0, pthread_create(&c.thread, NULL, blocked_call_thread, &c));
	expect_fault(_metadata, v->uffd, v->umem, false);

	state = kvmc_thread_state(c.tid);
	EXPECT_EQ(interruptible ? 'S' : 'D', state);
	others_proceed(_metadata, v);

	ASSERT_EQ(0, pthread_kill(c.thread, SIGUSR1));
	if (!interruptible) {
		/* A killable sleep: the signal waits for the page. */
		EXPECT_EQ('D', kvmc_thread_state(c.tid));
		supply_page(_metadata, v->uffd, v->umem, v->src);
	}
	ASSERT_EQ(0, pthread_join(c.thread, NULL));
	expect_intr(_metadata, v, c.ret);

	if (interruptible)
		supply_page(_metadata, v->uffd, v->umem, v->src);
	expect_finish(_metadata, v);
}

/* The page arrives with no signal: KVM_RUN goes on and the guest halts. */
TEST_F(uffd, missing_page_supplied)
{
	struct uffd_vm *v = &self->v;
	struct blocked_call c = {
		.fd = v->g.vcpu, .req = KVM_RUN, .arg = 0,
	};
	struct kvm_regs r;

	ASSERT_EQ(0, pthread_create(&c.thread, NULL, blocked_call_thread, &c));
	expect_fault(_metadata, v->uffd, v->umem, false);
	others_proceed(_metadata, v);
	supply_page(_metadata, v->uffd, v->umem, v->src);
	ASSERT_EQ(0, pthread_join(c.thread, NULL));
	ASSERT_EQ(0, c.ret) TH_LOG("KVM_RUN: %s", kvmc_errname(-c.ret));
	EXPECT_EQ(KVM_EXIT_HLT, v->g.run->exit_reason)
		TH_LOG("got %s", kvmc_exit_name(v->g.run->exit_reason));
	ASSERT_EQ(0, ioctl(v->g.vcpu, KVM_GET_REGS, &r));
	EXPECT_EQ(READER_GPA + 4, r.rip);
	EXPECT_EQ(PAGE_BYTE, (uint8_t)r.rax);
	EXPECT_EQ(0, delivered);
}

/*
 * KVM_GET_DIRTY_LOG whose bitmap is the missing page: the copy out waits
 * for it, with slots_lock held; vCPU 1 runs meanwhile, and its store is
 * in the next log.
 */
TEST_F(uffd, dirty_log_bitmap_missing)
{
	struct uffd_vm *v = &self->v;
	struct kvm_dirty_log log;
	struct blocked_call c = {
		.req = KVM_GET_DIRTY_LOG, .arg = (unsigned long)&log,
	};

	memset(&log, 0, sizeof(log));
	log.slot = LOG_SLOT;
	log.dirty_bitmap = v->umem;
	c.fd = v->g.vm;
	ASSERT_EQ(0, pthread_create(&c.thread, NULL, blocked_call_thread, &c));
	expect_fault(_metadata, v->uffd, v->umem, true);

	ASSERT_EQ(0, kvmc_run(v->vcpu1));
	ASSERT_EQ(KVM_EXIT_HLT, v->run1->exit_reason)
		TH_LOG("vCPU 1: %s", kvmc_exit_name(v->run1->exit_reason));
	EXPECT_EQ(0x11, v->data[0]);

	memset(v->src, 0xff, KVMC_PAGE_SIZE);
	supply_page(_metadata, v->uffd, v->umem, v->src);
	ASSERT_EQ(0, pthread_join(c.thread, NULL));
	ASSERT_EQ(0, c.ret) TH_LOG("KVM_GET_DIRTY_LOG: %s", kvmc_errname(-c.ret));
	/* Collected before vCPU 1 ran: nothing; the store is in the next. */
	EXPECT_EQ(0, *(uint64_t *)v->umem);
	ASSERT_EQ(0, kvmc_get_dirty_log(v->g.vm, LOG_SLOT, v->bitmap));
	EXPECT_EQ(1, v->bitmap[0]);
}

KVMC_TEST_MAIN
