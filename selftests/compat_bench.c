// SPDX-License-Identifier: GPL-2.0
/*
 * compat_bench: not a test. Measures what one ioctl costs (ns/op) from
 * this binary's ABI on one KVM device, so that the native path (the _64
 * binary) and the compat path (_32, _x32) can be compared, on
 * /dev/kvm_compat and on the real /dev/kvm. It never judges a figure;
 * scripts/bench.sh ("make bench") runs it in the test guest and makes the
 * table (Documentation/bench.rst).
 *
 * Usage:
 *   compat_bench_{64,32,x32} [DEVICE] [-t MS] [-b BATCHES] [-f SUBSTRING]
 *	DEVICE      default /dev/kvm_compat
 *	-t MS       time spent on each figure (default 100)
 *	-b BATCHES  the figure is the fastest of BATCHES batches (default 100),
 *	            each of about MS / BATCHES milliseconds: short batches, so
 *	            that some fall between two preemptions of QEMU on a busy
 *	            host
 *	-f SUBSTR   only the figures whose name contains SUBSTR
 *
 * Figures (setup is never timed; every memslot is reserved PROT_NONE, since
 * registration only checks access_ok(), and no guest code runs but in the
 * KVM_RUN figures):
 *   KVM_SET_USER_MEMORY_REGION  re-setting an identical slot (64 pages,
 *                               dirty logging on): the no-change path
 *   KVM_GET_DIRTY_LOG           that slot, default mode (8-byte bitmap)
 *   KVM_CLEAR_DIRTY_LOG         64 pages of a slot of a second VM with
 *                               KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 enabled
 *   KVM_SET_SIGNAL_MASK         an 8-byte mask on vCPU 0
 *   KVM_X86_SET_MSR_FILTER      default allow, one range of 64 MSRs
 *   KVM_GET_REGS                vCPU 0 (passed through on the compat path)
 *   KVM_CHECK_EXTENSION         KVM_CAP_USER_MEMORY on the system fd
 *                               (passed through)
 *   null_ioctl                  an ioctl that /dev/null refuses (ENOTTY):
 *                               what this ABI's syscall entry and the ioctl
 *                               dispatch cost with no driver at all
 *   KVM_GET_DIRTY_LOG:<size>    a logging memslot of 4K, 64K, 1M, 16M, 256M
 *                               or 1G, default mode
 *   floor:<size>                pread(2) of the same number of bytes (the
 *                               slot's bitmap, ALIGN(npages, 64) / 8) from a
 *                               tmpfs file into the same buffer
 *   KVM_RUN:<mode>:<n>          a guest in real, prot32, paging32 or long
 *                               mode running n instructions (2, 203) per
 *                               KVM_RUN, which an OUT ends: guest code
 *                               runs here, and only here
 *
 * Output, one line per figure (fields 2-5 fixed, then key=value):
 *   bench <figure> <abi> <device> <ns_per_op> iters=N batches=B median=NS
 *	[null=NS] [bytes=N]
 * <abi> is 64, 32 or x32; <device> the device's file name (kvm_compat,
 * kvm); ns_per_op the fastest batch's. The ioctl figures but null_ioctl
 * alternate their batches with batches of null_ioctl, whose fastest is
 * null=. A figure that cannot be taken:
 *   bench-skip <figure> <abi> <device> <reason>
 * and a first line "bench-info key=value ...".
 * Exit status: 0; 1 when the device cannot be used at all; 2 on bad usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "kvm_compat_util.h"

#define BENCH_SLOT_PAGES	64	/* the small slot: one long of bitmap */
#define BENCH_MSRS		64	/* one MSR filter range */
#define BENCH_SIGSET_BYTES	8	/* sigset_t and compat_sigset_t */
#define BENCH_MAX_BATCHES	1000

static const struct {
	const char *name;
	uint64_t bytes;
} sizes[] = {
	{ "4K", 4ULL << 10 },
	{ "64K", 64ULL << 10 },
	{ "1M", 1ULL << 20 },
	{ "16M", 16ULL << 20 },
	{ "256M", 256ULL << 20 },
	{ "1G", 1ULL << 30 },
};

#define NR_SIZES	ARRAY_SIZE(sizes)
/* Largest bitmap: 1 GiB of 4 KiB pages, one bit each. */
#define MAX_BITMAP_BYTES	((1ULL << 30) / KVMC_PAGE_SIZE / 8)

static double budget_ns = 100e6;
static int nbatches = 100;
static const char *filter;
static const char *devname;
static const char *mem_kind = "none";	/* how memslots were backed */

enum op_kind { OP_IOCTL, OP_PREAD };

struct op {
	const char *name;
	enum op_kind kind;
	int fd;
	unsigned long req;
	unsigned long arg;
	long expect;		/* the result every call must give */
	void *buf;		/* OP_PREAD */
	size_t len;
	uint64_t bytes;		/* printed as bytes=, when not 0 */
};

static bool wanted(const char *name)
{
	return !filter || strstr(name, filter);
}

static __printf(2, 3) void skip_figure(const char *name, const char *fmt, ...)
{
	va_list ap;

	if (!wanted(name))
		return;
	printf("bench-skip %s %s %s ", name, kvmc_abi_suffix(), devname);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static long call(const struct op *op)
{
	if (op->kind == OP_PREAD)
		return pread(op->fd, op->buf, op->len, 0);
	return ioctl(op->fd, op->req, op->arg);
}

/* @n calls of @op: elapsed ns, or -1 if a call gave another result. */
static double batch(const struct op *op, unsigned long n)
{
	unsigned long i, bad = 0;
	double t0, t1;

	t0 = now_ns();
	if (op->kind == OP_PREAD) {
		for (i = 0; i < n; i++)
			bad += pread(op->fd, op->buf, op->len, 0) != op->expect;
	} else {
		for (i = 0; i < n; i++)
			bad += ioctl(op->fd, op->req, op->arg) != op->expect;
	}
	t1 = now_ns();
	return bad ? -1 : t1 - t0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/*
 * Calls of @op per batch of about budget / nbatches: calibrated on growing
 * batches, which also warms the path up. 0 if a call gave another result.
 */
static unsigned long calibrate(const struct op *op)
{
	double t, per, calib_ns = budget_ns / nbatches / 4;
	unsigned long n = 1;

	for (;;) {
		t = batch(op, n);
		if (t < 0)
			return 0;
		if (t >= calib_ns || n >= (1UL << 28))
			break;
		n *= t < calib_ns / 16 ? 8 : 2;
	}
	/* A second look, in case one slow call (a grace period) set t. */
	per = batch(op, n);
	if (per < 0)
		return 0;
	per = (per < t ? per : t) / n;
	n = (unsigned long)(budget_ns / nbatches / per);
	return n < 1 ? 1 : n;
}

/*
 * Time @op: nbatches batches of budget / nbatches each; print the fastest.
 * With @pair (the null ioctl), each batch of @op is followed by one of
 * @pair, and the fastest of those is printed too, as null=: the ABI's own
 * entry cost taken in the same moments as the figure, so that a slow
 * spell of the host or a lucky process layout weighs on both alike.
 */
static void measure(const struct op *op, const struct op *pair)
{
	static double ns[BENCH_MAX_BATCHES], zs[BENCH_MAX_BATCHES];
	unsigned long n, nz = 0;
	double t;
	long r;
	int b;

	if (!wanted(op->name))
		return;
	/* One call first: the figure must be of the successful path. */
	errno = 0;
	r = call(op);
	if (r != op->expect) {
		skip_figure(op->name, "returned %ld (%s), expected %ld", r,
			    r < 0 ? kvmc_errname(errno) : "ok", op->expect);
		return;
	}
	n = calibrate(op);
	if (!n)
		goto failed;
	if (pair) {
		nz = calibrate(pair);
		if (!nz)
			pair = NULL;
	}
	for (b = 0; b < nbatches; b++) {
		t = batch(op, n);
		if (t < 0)
			goto failed;
		ns[b] = t / n;
		if (pair) {
			t = batch(pair, nz);
			if (t < 0)
				pair = NULL;
			zs[b] = t / nz;
		}
	}
	qsort(ns, nbatches, sizeof(ns[0]), cmp_double);
	printf("bench %s %s %s %.1f iters=%lu batches=%d median=%.1f",
	       op->name, kvmc_abi_suffix(), devname, ns[0], n, nbatches,
	       ns[nbatches / 2]);
	if (pair) {
		qsort(zs, nbatches, sizeof(zs[0]), cmp_double);
		printf(" null=%.1f", zs[0]);
	}
	if (op->bytes)
		printf(" bytes=%llu", (unsigned long long)op->bytes);
	putchar('\n');
	fflush(stdout);
	return;
failed:
	skip_figure(op->name, "a call in a batch did not return %ld", op->expect);
}

/*
 * Reserve @bytes of address space for a memslot: PROT_NONE, which KVM's
 * access_ok() check accepts. NULL if this ABI cannot.
 */
static void *reserve(uint64_t bytes)
{
	void *p;

	if (bytes > SIZE_MAX)
		return NULL;
	p = mmap(NULL, (size_t)bytes, PROT_NONE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

/*
 * Register slot @slot of @bytes at @gpa, dirty logging on, in @vm; fills
 * @region with what was registered. 0 or -errno; a PROT_NONE reservation
 * that the device refuses is retried with read-write memory.
 */
static int add_slot(int vm, uint32_t slot, uint64_t gpa, uint64_t bytes,
		    struct kvm_userspace_memory_region *region)
{
	void *p = reserve(bytes);
	int r;

	if (!p)
		return -ENOMEM;
	r = kvmc_set_region(vm, slot, KVM_MEM_LOG_DIRTY_PAGES, gpa, bytes,
			    KVMC_HVA(p));
	if (r == -EFAULT || r == -EINVAL) {
		if (mprotect(p, (size_t)bytes, PROT_READ | PROT_WRITE))
			return r;
		r = kvmc_set_region(vm, slot, KVM_MEM_LOG_DIRTY_PAGES, gpa,
				    bytes, KVMC_HVA(p));
		if (!r)
			mem_kind = "rw (PROT_NONE refused)";
	} else if (!r && !strcmp(mem_kind, "none")) {
		mem_kind = "PROT_NONE";
	}
	if (r) {
		munmap(p, (size_t)bytes);
		return r;
	}
	memset(region, 0, sizeof(*region));
	region->slot = slot;
	region->flags = KVM_MEM_LOG_DIRTY_PAGES;
	region->guest_phys_addr = gpa;
	region->memory_size = bytes;
	region->userspace_addr = KVMC_HVA(p);
	return 0;
}

/* A page-aligned, prefaulted buffer. */
static void *buffer(size_t bytes, int fill)
{
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	memset(p, fill, bytes);
	return p;
}

/* A file of @bytes on tmpfs (/tmp in the guest), unlinked, for the floor. */
static int floor_file(size_t bytes, const void *data)
{
	const char *dir = getenv("TMPDIR");
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/kvmc-bench.XXXXXX", dir ? dir : "/tmp");
	fd = mkstemp(path);
	if (fd < 0)
		return -errno;
	unlink(path);
	if (write(fd, data, bytes) != (ssize_t)bytes) {
		close(fd);
		return -EIO;
	}
	return fd;
}

static void bench_dirty_sizes(int sys, uint8_t *bitmap)
{
	struct kvm_userspace_memory_region region;
	static struct kvm_dirty_log logs[NR_SIZES];
	static char names[2][NR_SIZES][48];
	int vm, ffd, r;
	unsigned int i;
	bool any = false;

	for (i = 0; i < NR_SIZES; i++) {
		snprintf(names[0][i], sizeof(names[0][i]), "KVM_GET_DIRTY_LOG:%s",
			 sizes[i].name);
		snprintf(names[1][i], sizeof(names[1][i]), "floor:%s",
			 sizes[i].name);
		any |= wanted(names[0][i]) || wanted(names[1][i]);
	}
	if (!any)
		return;

	ffd = floor_file(MAX_BITMAP_BYTES, bitmap);
	vm = kvmc_create_vm(sys);
	if (vm < 0) {
		for (i = 0; i < NR_SIZES; i++)
			skip_figure(names[0][i], "KVM_CREATE_VM: %s", kvmc_errname(-vm));
		return;
	}
	for (i = 0; i < NR_SIZES; i++) {
		uint64_t npages = sizes[i].bytes / KVMC_PAGE_SIZE;
		uint64_t n = (npages + 63) / 64 * 8;	/* what KVM copies */
		struct op get = {
			.name = names[0][i], .kind = OP_IOCTL, .fd = vm,
			.req = KVM_GET_DIRTY_LOG, .arg = (unsigned long)&logs[i],
			.bytes = n,
		};
		struct op flr = {
			.name = names[1][i], .kind = OP_PREAD, .fd = ffd,
			.buf = bitmap, .len = n, .expect = (long)n, .bytes = n,
		};

		/* One slot per size, 2 GiB apart in guest-physical space. */
		r = add_slot(vm, 1 + i, (uint64_t)(i + 1) << 31, sizes[i].bytes,
			     &region);
		if (r) {
			skip_figure(names[0][i], "%s memslot: %s", sizes[i].name,
				    r == -ENOMEM ? "cannot reserve the address space in this ABI" :
				    kvmc_errname(-r));
		} else {
			memset(&logs[i], 0, sizeof(logs[i]));
			logs[i].slot = 1 + i;
			logs[i].dirty_bitmap = bitmap;
			measure(&get, NULL);
		}
		if (ffd < 0)
			skip_figure(names[1][i], "no tmpfs file: %s", kvmc_errname(-ffd));
		else
			measure(&flr, NULL);
	}
	close(vm);
	if (ffd >= 0)
		close(ffd);
}

/*
 * KVM_RUN:<mode>:<n>: one KVM_RUN of a guest in <mode> that runs n
 * instructions per run and exits with an OUT, which the next KVM_RUN
 * completes: n = 2 (jmp back to the out) is the round trip, n = 203 adds
 * a loop of 100 dec/jnz (mov, 200, out, jmp).  (t203 - t2) / 201 is what
 * one emulated instruction costs; on /dev/kvm the CPU runs them.
 */
static void bench_guest_modes(int sys)
{
	static const enum kvmc_mode modes[] = {
		KVMC_MODE_REAL, KVMC_MODE_PROT32, KVMC_MODE_PAGING32,
		KVMC_MODE_LONG,
	};
	static const uint8_t rt[] = { 0xe6, 0xe9, 0xeb, 0xfc };
	uint8_t loop[16];
	unsigned int m, k, len, i;
	struct kvmc_guest g;
	char name[64];
	int r, fd;

	for (m = 0; m < ARRAY_SIZE(modes); m++) {
		for (i = 0; i < 2; i++) {
			snprintf(name, sizeof(name), "KVM_RUN:%s:%u",
				 kvmc_mode_name(modes[m]), i ? 203 : 2);
			if (!wanted(name))
				continue;
			/* mov ecx, 100; dec ecx; jnz .-2; out 0xe9, al; jmp 0 */
			k = modes[m] == KVMC_MODE_REAL ? 2 : 4;
			len = 9 + k;
			memset(loop, 0, sizeof(loop));
			loop[0] = 0xb9;
			loop[1] = 100;
			memcpy(loop + 1 + k, "\xff\xc9\x75\xfc\xe6\xe9\xeb", 7);
			loop[len - 1] = -len;
			fd = dup(sys);
			r = fd < 0 ? -errno :
			    kvmc_guest_create(&g, fd, KVMC_MODE_MIN_PAGES);
			r = r ? r : kvmc_guest_set_mode(&g, modes[m]);
			r = r ? r : kvmc_guest_load(&g, KVMC_CODE_GPA,
						    i ? loop : rt,
						    i ? len : sizeof(rt));
			r = r ? r : kvmc_run(g.vcpu);
			if (!r && g.run->exit_reason != KVM_EXIT_IO)
				r = -EIO;
			if (r) {
				skip_figure(name, "setup: %s", kvmc_errname(-r));
			} else {
				const struct op op = {
					.name = name, .kind = OP_IOCTL,
					.fd = g.vcpu, .req = KVM_RUN,
				};

				measure(&op, NULL);
			}
			if (fd >= 0)
				kvmc_guest_destroy(&g);
		}
	}
}

int main(int argc, char **argv)
{
	struct kvm_userspace_memory_region slot0, slot0b;
	struct {
		struct kvm_signal_mask h;
		uint8_t set[BENCH_SIGSET_BYTES];
	} sigmask;
	struct kvm_clear_dirty_log clear;
	struct kvm_msr_filter msr_filter;
	struct kvm_dirty_log get;
	struct kvm_regs regs;
	sigset_t usr1;
	int sys, vm, vm_manual, vcpu, null_fd, opt, r;
	uint8_t *bitmap, *ones, *msr_bitmap;
	const char *p;

	kvmc_take_device_arg(&argc, &argv);
	while ((opt = getopt(argc, argv, "t:b:f:")) != -1) {
		switch (opt) {
		case 't':
			budget_ns = atof(optarg) * 1e6;
			break;
		case 'b':
			nbatches = atoi(optarg);
			break;
		case 'f':
			filter = optarg;
			break;
		default:
			fprintf(stderr, "usage: %s [DEVICE] [-t MS] [-b BATCHES] [-f SUBSTRING]\n",
				argv[0]);
			return 2;
		}
	}
	if (budget_ns <= 0 || nbatches < 1 || nbatches > BENCH_MAX_BATCHES) {
		fprintf(stderr, "%s: -t must be > 0, -b in 1..%d\n", argv[0],
			BENCH_MAX_BATCHES);
		return 2;
	}
	p = strrchr(kvmc_device(), '/');
	devname = p ? p + 1 : kvmc_device();

	sys = kvmc_open();
	if (sys < 0) {
		printf("bench-skip all %s %s %s\n", kvmc_abi_suffix(), devname,
		       kvmc_open_skip_reason(-sys));
		return 1;
	}
	bitmap = buffer(MAX_BITMAP_BYTES, 0);
	ones = buffer(KVMC_PAGE_SIZE, 0xff);
	msr_bitmap = buffer(KVMC_PAGE_SIZE, 0xff);
	vm = kvmc_create_vm(sys);
	vm_manual = kvmc_create_vm(sys);
	if (!bitmap || !ones || !msr_bitmap || vm < 0 || vm_manual < 0) {
		printf("bench-skip all %s %s setup: %s\n", kvmc_abi_suffix(),
		       devname, vm < 0 ? kvmc_errname(-vm) : "ENOMEM");
		return 1;
	}

	/* VM 1: the small logging slot and vCPU 0. */
	r = add_slot(vm, 0, 0, BENCH_SLOT_PAGES * KVMC_PAGE_SIZE, &slot0);
	vcpu = kvmc_create_vcpu(vm, 0);
	/* VM 2: manual dirty-log protection, then the same slot. */
	r = r ? r : kvmc_enable_cap(vm_manual, KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2,
				    KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE);
	r = r ? r : add_slot(vm_manual, 0, 0, BENCH_SLOT_PAGES * KVMC_PAGE_SIZE,
			     &slot0b);
	if (r || vcpu < 0) {
		printf("bench-skip all %s %s setup: %s\n", kvmc_abi_suffix(),
		       devname, kvmc_errname(r ? -r : -vcpu));
		return 1;
	}
	null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);

	printf("bench-info abi=%s device=%s budget_ms=%.0f batches=%d",
	       kvmc_abi_suffix(), devname, budget_ns / 1e6, nbatches);
	printf(" memslots=%s sizeof_msr_filter=%zu pid=%d\n", mem_kind,
	       sizeof(struct kvm_msr_filter), (int)getpid());
	fflush(stdout);

	memset(&get, 0, sizeof(get));
	get.slot = 0;
	get.dirty_bitmap = bitmap;

	memset(&clear, 0, sizeof(clear));
	clear.slot = 0;
	clear.first_page = 0;
	clear.num_pages = BENCH_SLOT_PAGES;
	clear.dirty_bitmap = ones;

	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	memset(&sigmask, 0, sizeof(sigmask));
	sigmask.h.len = BENCH_SIGSET_BYTES;
	memcpy(sigmask.set, &usr1, BENCH_SIGSET_BYTES);

	memset(&msr_filter, 0, sizeof(msr_filter));
	msr_filter.flags = KVM_MSR_FILTER_DEFAULT_ALLOW;
	msr_filter.ranges[0].flags = KVM_MSR_FILTER_READ | KVM_MSR_FILTER_WRITE;
	msr_filter.ranges[0].nmsrs = BENCH_MSRS;
	msr_filter.ranges[0].base = 0;
	msr_filter.ranges[0].bitmap = msr_bitmap;

	{
		/* An ioctl figure: every call must return @expect. */
#define IOCTL_OP(nm, f, rq, a, ex) { .name = (nm), .kind = OP_IOCTL,	\
		.fd = (f), .req = (rq), .arg = (unsigned long)(a), .expect = (ex) }
		const struct op null_op =
			IOCTL_OP("null_ioctl", null_fd, KVM_GET_API_VERSION, 0, -1);
		const struct op ops[] = {
			IOCTL_OP("KVM_SET_USER_MEMORY_REGION", vm,
				 KVM_SET_USER_MEMORY_REGION, &slot0, 0),
			IOCTL_OP("KVM_GET_DIRTY_LOG", vm, KVM_GET_DIRTY_LOG, &get, 0),
			IOCTL_OP("KVM_CLEAR_DIRTY_LOG", vm_manual,
				 KVM_CLEAR_DIRTY_LOG, &clear, 0),
			IOCTL_OP("KVM_SET_SIGNAL_MASK", vcpu, KVM_SET_SIGNAL_MASK,
				 &sigmask, 0),
			IOCTL_OP("KVM_GET_REGS", vcpu, KVM_GET_REGS, &regs, 0),
			IOCTL_OP("KVM_CHECK_EXTENSION", sys, KVM_CHECK_EXTENSION,
				 KVM_CAP_USER_MEMORY, 1),
			/*
			 * Last: each call hands the filter it replaces to RCU,
			 * whose callbacks then run for a while.
			 */
			IOCTL_OP("KVM_X86_SET_MSR_FILTER", vm,
				 KVM_X86_SET_MSR_FILTER, &msr_filter, 0),
		};
		unsigned int i;

		measure(&null_op, NULL);
		for (i = 0; i < ARRAY_SIZE(ops); i++)
			measure(&ops[i], &null_op);
#undef IOCTL_OP
	}
	/* Let those RCU callbacks (kvm_compat's freed filters) run first. */
	usleep(200 * 1000);

	bench_dirty_sizes(sys, bitmap);
	bench_guest_modes(sys);
	return 0;
}
