// SPDX-License-Identifier: GPL-2.0
/*
 * Migration: a running guest saved on one device from one ABI and
 * restored in a new VM on a device from an ABI, in another process, then
 * run to its end; everything the guest and the VMM can observe must be
 * what a run that was never migrated observed.
 *
 * The guest (real mode, one linear program through its handlers) makes
 * ten exits: OUT, IN, OUT to port 0x7e (its quirk disabled), HLT (where
 * the VMM queues an NMI behind an interrupt shadow), the NMI handler's
 * OUT, an MMIO read, an MMIO write, an RDMSR that the VMM answers with an
 * error, the #GP handler's OUT, and the final HLT.  It is migrated after
 * five of them: each exit served, then completed by a KVM_RUN with
 * immediate_exit (upstream's way to finish an exit before saving,
 * Documentation/virt/kvm/api.rst), then saved with what a VMM saves:
 * KVM_GET_REGS, KVM_GET_SREGS, KVM_GET_VCPU_EVENTS, KVM_GET_MP_STATE, the
 * memory (copied once before the run, then the pages KVM_GET_DIRTY_LOG
 * names), the guest revision (KVMC_CAP_GUEST_REV) and the quirks the VMM
 * disabled.  At every exit the VMM records the exit, kvm_run's state,
 * the registers, the special registers, the events and a hash of memory.
 *
 * The source is this binary's device and ABI; each test restores on both
 * devices from the three ABIs (its siblings migrate_test_{64,32,x32},
 * exec'ed with "--kvmc-restore").  Run from each ABI against each device,
 * the binary covers every pair both ways.  Across kernels (make check:
 * Documentation/testing.rst) the same blobs are saved in one boot with
 * "--kvmc-save DIR DEVICE" and restored in another with
 * "--kvmc-xkernel DIR DEVICE", which prints its own KTAP.
 *
 *   migrate_test_{64,32,x32} [DEVICE] [kselftest_harness options]
 */
#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "kvm_compat_util.h"

#define NPAGES		4
#define MEM_SIZE	(NPAGES * KVMC_PAGE_SIZE)
#define MAX_EXITS	16
#define STACK_TOP	0x0f00
#define NMI_GPA		0x1100
#define GP_GPA		0x1200
#define HLT_RIP		0x100e		/* after the first HLT */
#define FINAL_RIP	0x1203		/* after the last HLT */
#define MSR_GOO		0x474f4f00U
#define BLOB_MAGIC	0x31474d434d564b00ULL	/* "\0KVMCMG1" */
#define BLOB_VERSION	1
/* kvm_compat's first guest revision (enum kvmc_guest_rev). */
#define KVMC_GUEST_REV_REAL_MODE_1	1

#ifndef KVM_CAP_DISABLE_QUIRKS2
#define KVM_CAP_DISABLE_QUIRKS2 213
#endif

static const uint8_t main_code[] = {
	0xb0, 0x11,		/* 0x1000 mov al, 0x11 */
	0xe6, 0x10,		/* 0x1002 out 0x10, al		exit 1 */
	0xe4, 0x11,		/* 0x1004 in al, 0x11		exit 2 */
	0x04, 0x01,		/* 0x1006 add al, 1 */
	0xa2, 0x00, 0x30,	/* 0x1008 mov [0x3000], al */
	0xe6, 0x7e,		/* 0x100b out 0x7e, al		exit 3 */
	0xf4,			/* 0x100d hlt			exit 4 */
	0xb0, 0x22,		/* 0x100e mov al, 0x22 (in the shadow) */
};

static const uint8_t nmi_code[] = {
	0xe6, 0x12,		/* 0x1100 out 0x12, al		exit 5 */
	0xa0, 0x00, 0x80,	/* 0x1102 mov al, [0x8000]	exit 6 */
	0x00, 0x06, 0x01, 0x30,	/* 0x1105 add [0x3001], al */
	0xa2, 0x01, 0x80,	/* 0x1109 mov [0x8001], al	exit 7 */
	0x0f, 0x32,		/* 0x110c rdmsr			exit 8 */
};

static const uint8_t gp_code[] = {
	0xe6, 0x13,		/* 0x1200 out 0x13, al		exit 9 */
	0xf4,			/* 0x1202 hlt			exit 10 */
};

/* What the VMM records at an exit: the same layout on every ABI. */
struct mig_exit {
	uint32_t reason;
	uint8_t if_flag;
	uint8_t ready;
	uint16_t run_flags;
	uint64_t cr8;
	uint64_t apic_base;
	uint64_t a, b, c;	/* the exit's own fields */
	uint64_t mem_hash;
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	struct kvm_vcpu_events events;
};

static_assert(sizeof(struct mig_exit) == 576, "mig_exit");
static_assert(offsetof(struct mig_exit, regs) == 56, "mig_exit.regs");

/* The saved state, with the source's traces. */
struct mig_blob {
	uint64_t magic, version, size;
	uint64_t point, nexits;
	uint64_t guest_rev;		/* 0: the device has none (upstream) */
	uint64_t guest_rev_latest;
	uint64_t disabled_quirks;
	uint64_t src_upstream, src_abi;
	char src_kernel[64];
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	struct kvm_vcpu_events events;
	struct kvm_mp_state mp;
	uint32_t pad;
	uint64_t nref, nprefix;
	struct mig_exit ref[MAX_EXITS];		/* never migrated */
	struct mig_exit prefix[MAX_EXITS];	/* before the save */
	uint8_t mem[MEM_SIZE];
};

static_assert(offsetof(struct mig_blob, regs) == 144, "blob.regs");
static_assert(sizeof(struct mig_blob) % 8 == 0, "blob size");

/* What a restoring process hands back. */
struct mig_result {
	int64_t status;		/* 0, -errno, or REFUSED */
	char what[64];		/* the step that failed */
	uint64_t nref, nsuffix;
	struct mig_exit ref[MAX_EXITS];		/* on the destination */
	struct mig_exit suffix[MAX_EXITS];	/* after the restore */
};

#define REFUSED		1	/* the device refuses this ABI (ENODEV) */

struct point {
	const char *name;
	int exits;		/* migrated after this many exits */
};

static const struct point points[] = {
	{ "io_out", 1 }, { "io_in", 2 }, { "hlt_nmi", 4 },
	{ "mmio_read", 6 }, { "gp_pending", 8 },
};

static const char *const devices[] = { "/dev/kvm_compat", "/dev/kvm" };
static const char *const abis[] = { "64", "32", "x32" };

static uint64_t fnv1a(const uint8_t *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	while (n--)
		h = (h ^ *p++) * 0x100000001b3ULL;
	return h;
}

static const char *dev_name(const char *dev)
{
	return strcmp(dev, "/dev/kvm") ? "kvm_compat" : "kvm";
}

static int open_dev(const char *dev)
{
	int fd = open(dev, O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

static int enable_cap(int fd, uint32_t cap, uint64_t arg0)
{
	return kvmc_enable_cap(fd, cap, arg0);
}

/*
 * A VM as this test's VMM makes it: slot 0 logging dirty pages, the
 * revision and quirks asked for (before the vCPU), MSR exits for MSRs KVM
 * does not know.  @rev 0 leaves the device's default.
 */
static int mig_vm(struct kvmc_guest *g, const char *dev, uint64_t rev,
		  uint64_t quirks, const char **what)
{
	int sys, r, latest, v2;

	memset(g, 0, sizeof(*g));
	g->sys = -1;
	g->vm = -1;
	g->vcpu = -1;
	*what = "open";
	sys = open_dev(dev);
	if (sys < 0)
		return sys;
	*what = "VM";
	r = kvmc_guest_create_vm(g, sys, NPAGES, KVM_MEM_LOG_DIRTY_PAGES);
	if (r < 0)
		return r;
	latest = kvmc_check_ext(sys, KVMC_CAP_GUEST_REV);
	*what = "guest revision";
	if (rev && latest > 0)
		r = enable_cap(g->vm, KVMC_CAP_GUEST_REV, rev);
	if (r < 0)
		return r;
	*what = "quirks";
	v2 = kvmc_check_ext(sys, KVM_CAP_DISABLE_QUIRKS2);
	if (quirks && v2 > 0)
		r = enable_cap(g->vm, KVM_CAP_DISABLE_QUIRKS2, quirks);
	else if (quirks)
		r = enable_cap(g->vm, KVM_CAP_DISABLE_QUIRKS, quirks);
	if (r < 0)
		return r;
	*what = "KVM_CAP_X86_USER_SPACE_MSR";
	r = enable_cap(g->vm, KVM_CAP_X86_USER_SPACE_MSR,
		       KVM_MSR_EXIT_REASON_UNKNOWN);
	if (r < 0)
		return r;
	*what = "vCPU";
	return kvmc_guest_create_vcpu(g);
}

/* The program, its IVT entries, and the registers it starts with. */
static int mig_load(struct kvmc_guest *g)
{
	struct kvm_regs r;

	memcpy(g->mem + 0x1000, main_code, sizeof(main_code));
	memcpy(g->mem + NMI_GPA, nmi_code, sizeof(nmi_code));
	memcpy(g->mem + GP_GPA, gp_code, sizeof(gp_code));
	g->mem[2 * 4] = NMI_GPA & 0xff;
	g->mem[2 * 4 + 1] = NMI_GPA >> 8;
	g->mem[13 * 4] = GP_GPA & 0xff;
	g->mem[13 * 4 + 1] = GP_GPA >> 8;
	/*
	 * Every register set: what a vCPU starts with differs by series
	 * (rdx at RESET, Documentation/by-version.rst), not the program.
	 */
	memset(&r, 0, sizeof(r));
	r.rip = 0x1000;
	r.rsp = STACK_TOP;
	r.rcx = MSR_GOO;
	r.rflags = 0x2;
	return kvmc_ioctl(g->vcpu, KVM_SET_REGS, (unsigned long)&r);
}

static int record(struct kvmc_guest *g, struct mig_exit *e)
{
	struct kvm_run *run = g->run;
	uint8_t *pio = (uint8_t *)run + run->io.data_offset;
	int r;

	memset(e, 0, sizeof(*e));
	e->reason = run->exit_reason;
	e->if_flag = run->if_flag;
	e->ready = run->ready_for_interrupt_injection;
	e->run_flags = run->flags;
	e->cr8 = run->cr8;
	e->apic_base = run->apic_base;
	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		e->a = run->io.direction | run->io.size << 8 |
		       (uint64_t)run->io.port << 16;
		e->b = run->io.count;
		e->c = run->io.direction == KVM_EXIT_IO_OUT ? *pio : 0;
		break;
	case KVM_EXIT_MMIO:
		e->a = run->mmio.phys_addr;
		e->b = run->mmio.len | run->mmio.is_write << 8;
		e->c = run->mmio.is_write ? run->mmio.data[0] : 0;
		break;
	case KVM_EXIT_X86_RDMSR:
	case KVM_EXIT_X86_WRMSR:
		e->a = run->msr.index;
		e->b = run->msr.reason;
		e->c = run->msr.data;
		break;
	case KVM_EXIT_INTERNAL_ERROR:
		e->a = run->internal.suberror;
		break;
	}
	e->mem_hash = fnv1a(g->mem, MEM_SIZE);
	r = kvmc_ioctl(g->vcpu, KVM_GET_REGS, (unsigned long)&e->regs);
	if (!r)
		r = kvmc_ioctl(g->vcpu, KVM_GET_SREGS, (unsigned long)&e->sregs);
	if (!r)
		r = kvmc_ioctl(g->vcpu, KVM_GET_VCPU_EVENTS, (unsigned long)&e->events);
	return r;
}

static bool is_final(const struct mig_exit *e)
{
	return e->reason != KVM_EXIT_IO && e->reason != KVM_EXIT_MMIO &&
	       e->reason != KVM_EXIT_X86_RDMSR &&
	       !(e->reason == KVM_EXIT_HLT && e->regs.rip == HLT_RIP);
}

/* The VMM's answer to an exit, the same in every run. */
static int serve(struct kvmc_guest *g, const struct mig_exit *e)
{
	struct kvm_run *run = g->run;
	struct kvm_vcpu_events ev;
	int r;

	switch (e->reason) {
	case KVM_EXIT_IO:
		if (run->io.direction == KVM_EXIT_IO_IN)
			((uint8_t *)run)[run->io.data_offset] = 0x5a;
		return 0;
	case KVM_EXIT_MMIO:
		if (!run->mmio.is_write)
			run->mmio.data[0] = 0x77;
		return 0;
	case KVM_EXIT_X86_RDMSR:
		run->msr.error = 1;
		return 0;
	case KVM_EXIT_HLT:
		/* An NMI, behind an interrupt shadow. */
		r = kvmc_ioctl(g->vcpu, KVM_GET_VCPU_EVENTS, (unsigned long)&ev);
		if (r)
			return r;
		ev.flags = KVM_VCPUEVENT_VALID_NMI_PENDING |
			   KVM_VCPUEVENT_VALID_SHADOW;
		ev.nmi.pending = 1;
		ev.interrupt.shadow = KVM_X86_SHADOW_INT_MOV_SS;
		return kvmc_ioctl(g->vcpu, KVM_SET_VCPU_EVENTS, (unsigned long)&ev);
	default:
		return 0;
	}
}

/*
 * Run until @stop exits have been made in all (counting the @done before
 * this run), or the final one; each is recorded in @tr and served, the
 * final one aside.  Returns how many were recorded, or -errno.
 */
static int run_exits(struct kvmc_guest *g, int done, int stop,
		     struct mig_exit *tr, const char **what)
{
	int n = 0, r;

	while (done + n < stop && done + n < MAX_EXITS) {
		*what = "KVM_RUN";
		r = kvmc_run(g->vcpu);
		if (r)
			return r;
		*what = "recording an exit";
		r = record(g, &tr[n]);
		if (r)
			return r;
		if (is_final(&tr[n++]))
			break;
		*what = "serving an exit";
		r = serve(g, &tr[n - 1]);
		if (r)
			return r;
	}
	return n;
}

/* A run that is never migrated, to the end. */
static int reference(const char *dev, uint64_t rev, struct mig_exit *tr,
		     const char **what)
{
	struct kvmc_guest g;
	int r;

	r = mig_vm(&g, dev, rev, KVM_X86_QUIRK_OUT_7E_INC_RIP, what);
	if (!r)
		r = mig_load(&g);
	if (!r)
		r = run_exits(&g, 0, MAX_EXITS, tr, what);
	kvmc_guest_destroy(&g);
	return r;
}

static int abi_index(void)
{
	const char *s = kvmc_abi_suffix();

	return !strcmp(s, "64") ? 0 : !strcmp(s, "32") ? 1 : 2;
}

/*
 * Run on @dev to point @p, complete its exit with immediate_exit, save.
 * The memory: a copy before the run, then the pages the dirty log names.
 */
static int save(const char *dev, const struct point *p, uint64_t rev,
		struct mig_blob *b, const char **what)
{
	uint64_t bitmap[(NPAGES + 63) / 64];
	struct kvmc_guest g;
	struct utsname u;
	int r, i;

	memset(b, 0, sizeof(*b));
	b->magic = BLOB_MAGIC;
	b->version = BLOB_VERSION;
	b->size = sizeof(*b);
	b->point = p - points;
	b->disabled_quirks = KVM_X86_QUIRK_OUT_7E_INC_RIP;
	b->src_upstream = !strcmp(dev, "/dev/kvm");
	b->src_abi = abi_index();
	if (!uname(&u))
		snprintf(b->src_kernel, sizeof(b->src_kernel), "%.63s", u.release);

	r = reference(dev, rev, b->ref, what);
	if (r < 0)
		return r;
	b->nref = r;

	r = mig_vm(&g, dev, rev, b->disabled_quirks, what);
	if (!r)
		r = mig_load(&g);
	if (r)
		goto out;
	memcpy(b->mem, g.mem, MEM_SIZE);
	*what = "KVM_GET_DIRTY_LOG";
	r = kvmc_get_dirty_log(g.vm, 0, bitmap);
	if (r)
		goto out;
	r = run_exits(&g, 0, p->exits, b->prefix, what);
	if (r < 0)
		goto out;
	b->nprefix = r;
	b->nexits = r;
	*what = "KVM_RUN with immediate_exit";
	g.run->immediate_exit = 1;
	r = kvmc_run(g.vcpu);
	g.run->immediate_exit = 0;
	if (r != -EINTR) {
		r = r ? r : -EPROTO;
		goto out;
	}
	*what = "saving";
	r = kvmc_get_dirty_log(g.vm, 0, bitmap);
	for (i = 0; !r && i < NPAGES; i++)
		if (bitmap[i / 64] & (1ULL << (i % 64)))
			memcpy(b->mem + i * KVMC_PAGE_SIZE,
			       g.mem + i * KVMC_PAGE_SIZE, KVMC_PAGE_SIZE);
	if (!r)
		r = kvmc_ioctl(g.vcpu, KVM_GET_REGS, (unsigned long)&b->regs);
	if (!r)
		r = kvmc_ioctl(g.vcpu, KVM_GET_SREGS, (unsigned long)&b->sregs);
	if (!r)
		r = kvmc_ioctl(g.vcpu, KVM_GET_VCPU_EVENTS, (unsigned long)&b->events);
	if (!r)
		r = kvmc_ioctl(g.vcpu, KVM_GET_MP_STATE, (unsigned long)&b->mp);
	if (!r) {
		r = kvmc_check_ext(g.vm, KVMC_CAP_GUEST_REV);
		b->guest_rev = r > 0 ? r : 0;
		r = kvmc_check_ext(g.sys, KVMC_CAP_GUEST_REV);
		b->guest_rev_latest = r > 0 ? r : 0;
		r = 0;
	}
out:
	kvmc_guest_destroy(&g);
	return r;
}

/*
 * A new VM on @dev from @b, run to the end.  A revision the device cannot
 * select is refused (EOPNOTSUPP) unless it is the source's newest and the
 * device is upstream, whose behaviour kvm_compat's newest follows.
 */
static int restore(const char *dev, const struct mig_blob *b,
		   struct mig_exit *tr, const char **what)
{
	struct kvmc_guest g;
	uint64_t rev = b->guest_rev;
	int r, sys, latest;

	*what = "open";
	sys = open_dev(dev);
	if (sys < 0)
		return sys;
	latest = kvmc_check_ext(sys, KVMC_CAP_GUEST_REV);
	close(sys);
	*what = "guest revision";
	if (rev && latest <= 0) {
		if (rev != b->guest_rev_latest)
			return -EOPNOTSUPP;
		rev = 0;
	}

	r = mig_vm(&g, dev, rev, b->disabled_quirks, what);
	if (r)
		goto out;
	memcpy(g.mem, b->mem, MEM_SIZE);
	*what = "KVM_SET_REGS";
	r = kvmc_ioctl(g.vcpu, KVM_SET_REGS, (unsigned long)&b->regs);
	if (r)
		goto out;
	*what = "KVM_SET_SREGS";
	r = kvmc_ioctl(g.vcpu, KVM_SET_SREGS, (unsigned long)&b->sregs);
	if (r)
		goto out;
	*what = "KVM_SET_VCPU_EVENTS";
	r = kvmc_ioctl(g.vcpu, KVM_SET_VCPU_EVENTS, (unsigned long)&b->events);
	if (r)
		goto out;
	*what = "KVM_SET_MP_STATE";
	r = kvmc_ioctl(g.vcpu, KVM_SET_MP_STATE, (unsigned long)&b->mp);
	if (r)
		goto out;
	/* kvm_run.cr8 is the TPR each KVM_RUN starts with: the VMM's copy. */
	g.run->cr8 = b->sregs.cr8;
	r = run_exits(&g, b->nexits, MAX_EXITS, tr, what);
out:
	kvmc_guest_destroy(&g);
	return r;
}

/* The first field two records disagree on, for the log. */
static const char *exit_diff(const struct mig_exit *x, const struct mig_exit *y)
{
	if (x->reason != y->reason)
		return "exit_reason";
	if (x->a != y->a || x->b != y->b || x->c != y->c)
		return "the exit's fields";
	if (x->if_flag != y->if_flag || x->ready != y->ready ||
	    x->run_flags != y->run_flags || x->cr8 != y->cr8 ||
	    x->apic_base != y->apic_base)
		return "kvm_run's state";
	if (memcmp(&x->regs, &y->regs, sizeof(x->regs)))
		return "KVM_GET_REGS";
	if (memcmp(&x->sregs, &y->sregs, sizeof(x->sregs)))
		return "KVM_GET_SREGS";
	if (memcmp(&x->events, &y->events, sizeof(x->events)))
		return "KVM_GET_VCPU_EVENTS";
	if (x->mem_hash != y->mem_hash)
		return "memory";
	return NULL;
}

/*
 * @ref against @pre then @post: "" when equal, else what differs (a
 * static buffer).  With @post NULL only the first @npre exits of @ref.
 */
static const char *compare(const struct mig_exit *ref, int nref,
			   const struct mig_exit *pre, int npre,
			   const struct mig_exit *post, int npost)
{
	static char buf[640];
	int i;

	if (!post && npre <= nref)
		nref = npre;
	if (nref != npre + npost) {
		snprintf(buf, sizeof(buf), "%d exits, not %d", npre + npost, nref);
		return buf;
	}
	for (i = 0; i < nref; i++) {
		const struct mig_exit *e = i < npre ? &pre[i] : &post[i - npre];
		const char *d = exit_diff(&ref[i], e);

		if (d) {
			snprintf(buf, sizeof(buf),
				 "exit %d (%s): %s differs: rip %#llx/%#llx reason %u/%u exception %u:%u/%u:%u nmi %u:%u/%u:%u shadow %u/%u",
				 i + 1, i < npre ? "before" : "after", d,
				 (unsigned long long)ref[i].regs.rip,
				 (unsigned long long)e->regs.rip, ref[i].reason,
				 e->reason, ref[i].events.exception.injected,
				 ref[i].events.exception.nr,
				 e->events.exception.injected,
				 e->events.exception.nr, ref[i].events.nmi.pending,
				 ref[i].events.nmi.masked, e->events.nmi.pending,
				 e->events.nmi.masked, ref[i].events.interrupt.shadow,
				 e->events.interrupt.shadow);
			return buf;
		}
	}
	return "";
}

/* ---- the restoring process: --kvmc-restore BLOB_FD OUT_FD DEVICE ---- */

static int restore_main(int argc, char **argv)
{
	static struct mig_blob b;
	static struct mig_result res;
	int blob_fd, out_fd, r;
	const char *what = "";

	if (argc != 5)
		return 2;
	blob_fd = atoi(argv[2]);
	out_fd = atoi(argv[3]);
	memset(&res, 0, sizeof(res));
	if (pread(blob_fd, &b, sizeof(b), 0) != sizeof(b) ||
	    b.magic != BLOB_MAGIC || b.size != sizeof(b)) {
		res.status = -EBADMSG;
		what = "reading the blob";
	} else {
		r = reference(argv[4], 0, res.ref, &what);
		if (r >= 0) {
			res.nref = r;
			r = restore(argv[4], &b, res.suffix, &what);
		}
		if (r >= 0)
			res.nsuffix = r;
		res.status = r == -ENODEV && kvmc_is_compat_abi() ? REFUSED :
			     r < 0 ? r : 0;
	}
	snprintf(res.what, sizeof(res.what), "%s", what);
	return pwrite(out_fd, &res, sizeof(res), 0) == sizeof(res) ? 0 : 1;
}

/* ---- the tests ---- */

static int sibling(const char *abi, char *buf, size_t len)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *us;

	if (n <= 0)
		return -ENOENT;
	self[n] = '\0';
	us = strrchr(self, '_');
	if (!us)
		return -ENOENT;
	*us = '\0';
	if ((size_t)snprintf(buf, len, "%s_%s", self, abi) >= len)
		return -ENAMETOOLONG;
	return access(buf, X_OK) ? -errno : 0;
}

/* Restore @blob_fd on @dev in the sibling of ABI @abi; its result in @res. */
static int restore_elsewhere(const char *abi, const char *dev, int blob_fd,
			     struct mig_result *res)
{
	char path[PATH_MAX], bfd[16], ofd[16];
	int out, status, r;
	pid_t pid;

	r = sibling(abi, path, sizeof(path));
	if (r)
		return r;
	out = memfd_create("kvmc-migrate-result", 0);
	if (out < 0)
		return -errno;
	snprintf(bfd, sizeof(bfd), "%d", blob_fd);
	snprintf(ofd, sizeof(ofd), "%d", out);
	pid = fork();
	if (pid < 0) {
		close(out);
		return -errno;
	}
	if (!pid) {
		execl(path, path, "--kvmc-restore", bfd, ofd, dev, (char *)NULL);
		_exit(127);
	}
	r = waitpid(pid, &status, 0) == pid ? 0 : -errno;
	if (!r && (!WIFEXITED(status) || WEXITSTATUS(status)))
		r = -ECHILD;
	if (!r && pread(out, res, sizeof(*res), 0) != sizeof(*res))
		r = -EIO;
	close(out);
	return r;
}

FIXTURE(migrate)
{
	struct mig_blob *blob;
	struct mig_result *res;
};

FIXTURE_VARIANT(migrate)
{
	int point;
};

FIXTURE_VARIANT_ADD(migrate, io_out) { .point = 0 };
FIXTURE_VARIANT_ADD(migrate, io_in) { .point = 1 };
FIXTURE_VARIANT_ADD(migrate, hlt_nmi) { .point = 2 };
FIXTURE_VARIANT_ADD(migrate, mmio_read) { .point = 3 };
FIXTURE_VARIANT_ADD(migrate, gp_pending) { .point = 4 };

FIXTURE_SETUP(migrate)
{
	int fd = kvmc_open();

	if (fd < 0)
		SKIP(return, "%s", kvmc_open_skip_reason(-fd));
	close(fd);
	self->blob = calloc(1, sizeof(*self->blob));
	self->res = calloc(1, sizeof(*self->res));
	ASSERT_NE(NULL, self->blob);
	ASSERT_NE(NULL, self->res);
}

FIXTURE_TEARDOWN(migrate)
{
	free(self->blob);
	free(self->res);
}

/*
 * Saved here, restored on each device from each ABI: the run after the
 * restore, and a run on the destination never migrated, both as the
 * source's never-migrated run.
 */
TEST_F_TIMEOUT(migrate, to_every_device_and_abi, 80)
{
	const struct point *p = &points[variant->point];
	struct mig_blob *b = self->blob;
	struct mig_result *res = self->res;
	int blob_fd, restored = 0, skipped = 0, r;
	const char *what = "", *d;
	size_t i, j;
	struct stat st;

	r = save(kvmc_device(), p, 0, b, &what);
	ASSERT_EQ(0, r) TH_LOG("%s on %s: %s", what, kvmc_device(),
			       kvmc_errname(-r));
	ASSERT_EQ(p->exits, (int)b->nprefix);
	d = compare(b->ref, b->nref, b->prefix, b->nprefix, NULL, 0);
	EXPECT_STREQ("", d) TH_LOG("source, before the save: %s", d);

	blob_fd = memfd_create("kvmc-migrate-blob", 0);
	ASSERT_LE(0, blob_fd);
	ASSERT_EQ((ssize_t)sizeof(*b), pwrite(blob_fd, b, sizeof(*b), 0));

	for (i = 0; i < ARRAY_SIZE(devices); i++) {
		if (stat(devices[i], &st) || !S_ISCHR(st.st_mode)) {
			TH_LOG("-> %s: not here", devices[i]);
			skipped += ARRAY_SIZE(abis);
			continue;
		}
		for (j = 0; j < ARRAY_SIZE(abis); j++) {
			r = restore_elsewhere(abis[j], devices[i], blob_fd, res);
			if (r == -ENOENT || (!r && res->status == REFUSED)) {
				TH_LOG("-> %s from %s: %s", devices[i], abis[j],
				       r ? "no such binary" : "compat callers refused");
				skipped++;
				continue;
			}
			EXPECT_EQ(0, r) TH_LOG("-> %s from %s: %s", devices[i],
					       abis[j], kvmc_errname(-r));
			if (r)
				continue;
			EXPECT_EQ(0, res->status)
				TH_LOG("-> %s from %s: %s: %s", devices[i], abis[j],
				       res->what, kvmc_errname(-res->status));
			if (res->status)
				continue;
			d = compare(b->ref, b->nref, b->prefix, b->nprefix,
				    res->suffix, res->nsuffix);
			EXPECT_STREQ("", d) TH_LOG("-> %s from %s, migrated: %s",
						   devices[i], abis[j], d);
			d = compare(b->ref, b->nref, res->ref, res->nref, res->ref, 0);
			EXPECT_STREQ("", d) TH_LOG("-> %s from %s, never migrated: %s",
						   devices[i], abis[j], d);
			restored++;
		}
	}
	close(blob_fd);
	TH_LOG("%s from %s after %d exits: restored %d times, %d skipped",
	       kvmc_device(), kvmc_abi_name(), p->exits, restored, skipped);
	EXPECT_LE(1, restored);
}

/*
 * A guest saved under guest revision 1 keeps it.  Revision 1 never
 * delivered an interrupt queued through KVM_SET_SREGS' interrupt_bitmap
 * (it stayed queued, reported by KVM_GET_SREGS); from revision 2 the next
 * KVM_RUN delivers it, as upstream.  Saved at the first exit with such an
 * interrupt queued, the guest is restored with the saved revision: the
 * interrupt is still queued and the guest goes on with its IN; restored
 * under the newest revision instead, its handler runs first.  Upstream
 * cannot take such a guest: the restore refuses it.
 */
#define IRQ_VECTOR	0x20
#define IRQ_GPA		0x1300

TEST(guest_rev_kept)
{
	static const uint8_t irq_code[] = { 0xe6, 0x14, 0xf4 };	/* out 0x14; hlt */
	static struct mig_blob blob;
	struct mig_blob *b = &blob;
	struct mig_exit tr[MAX_EXITS];
	const char *what = "";
	struct kvmc_guest g;
	struct kvm_sregs s;
	uint64_t latest;
	int r, n;

	if (kvmc_is_upstream()) {
		struct kvmc_vcpu_fds f;

		kvmc_vcpu_fds_init(&f);
		KVMC_OPEN_OR_SKIP(f.sys);
		f.vm = kvmc_create_vm(f.sys);
		ASSERT_LE(0, f.vm);
		EXPECT_EQ(-EINVAL, enable_cap(f.vm, KVMC_CAP_GUEST_REV, 1));
		kvmc_vcpu_fds_close(&f);
		return;
	}

	/* A device that refuses this ABI (translation off): skipped. */
	KVMC_OPEN_OR_SKIP(r);
	close(r);

	memset(b, 0, sizeof(*b));
	b->magic = BLOB_MAGIC;
	b->version = BLOB_VERSION;
	b->size = sizeof(*b);
	b->disabled_quirks = KVM_X86_QUIRK_OUT_7E_INC_RIP;
	r = mig_vm(&g, kvmc_device(), KVMC_GUEST_REV_REAL_MODE_1,
		   b->disabled_quirks, &what);
	if (!r)
		r = mig_load(&g);
	ASSERT_EQ(0, r) TH_LOG("%s: %s", what, kvmc_errname(-r));
	memcpy(g.mem + IRQ_GPA, irq_code, sizeof(irq_code));
	g.mem[IRQ_VECTOR * 4] = IRQ_GPA & 0xff;
	g.mem[IRQ_VECTOR * 4 + 1] = IRQ_GPA >> 8;
	ASSERT_EQ(0, ioctl(g.vcpu, KVM_GET_SREGS, &s));
	s.interrupt_bitmap[IRQ_VECTOR / 64] = 1ULL << (IRQ_VECTOR % 64);
	ASSERT_EQ(0, ioctl(g.vcpu, KVM_SET_SREGS, &s));

	/* Revision 1: the main program's OUT 0x10, the interrupt queued. */
	n = run_exits(&g, 0, 1, tr, &what);
	ASSERT_EQ(1, n) TH_LOG("%s: %s", what, kvmc_errname(-n));
	EXPECT_EQ(KVM_EXIT_IO, tr[0].reason);
	EXPECT_EQ(0x10, tr[0].a >> 16);
	EXPECT_EQ(1ULL << (IRQ_VECTOR % 64),
		  tr[0].sregs.interrupt_bitmap[IRQ_VECTOR / 64]);

	/* Saved as migrate's save() saves, after an immediate_exit run. */
	g.run->immediate_exit = 1;
	EXPECT_EQ(-EINTR, kvmc_run(g.vcpu));
	g.run->immediate_exit = 0;
	memcpy(b->mem, g.mem, MEM_SIZE);
	ASSERT_EQ(0, ioctl(g.vcpu, KVM_GET_REGS, &b->regs));
	ASSERT_EQ(0, ioctl(g.vcpu, KVM_GET_SREGS, &b->sregs));
	ASSERT_EQ(0, ioctl(g.vcpu, KVM_GET_VCPU_EVENTS, &b->events));
	ASSERT_EQ(0, ioctl(g.vcpu, KVM_GET_MP_STATE, &b->mp));
	b->guest_rev = kvmc_check_ext(g.vm, KVMC_CAP_GUEST_REV);
	latest = kvmc_check_ext(g.sys, KVMC_CAP_GUEST_REV);
	b->guest_rev_latest = latest;
	b->nexits = 1;
	kvmc_guest_destroy(&g);
	EXPECT_EQ(KVMC_GUEST_REV_REAL_MODE_1, b->guest_rev);
	EXPECT_EQ(1, b->events.interrupt.injected);
	EXPECT_EQ(IRQ_VECTOR, b->events.interrupt.nr);

	/* Restored with its revision: still queued, the IN comes next. */
	n = restore(kvmc_device(), b, tr, &what);
	ASSERT_LE(2, n) TH_LOG("%s: %s", what, kvmc_errname(-n));
	EXPECT_EQ(KVM_EXIT_IO, tr[0].reason);
	EXPECT_EQ(0x11, tr[0].a >> 16);
	EXPECT_EQ(1ULL << (IRQ_VECTOR % 64),
		  tr[0].sregs.interrupt_bitmap[IRQ_VECTOR / 64]);

	/* Under the newest revision the handler's OUT 0x14 would come. */
	b->guest_rev = latest;
	n = restore(kvmc_device(), b, tr, &what);
	ASSERT_LE(1, n) TH_LOG("%s: %s", what, kvmc_errname(-n));
	EXPECT_EQ(KVM_EXIT_IO, tr[0].reason);
	EXPECT_EQ(0x14, tr[0].a >> 16);
	EXPECT_EQ(0, tr[0].sregs.interrupt_bitmap[IRQ_VECTOR / 64]);

	b->guest_rev = KVMC_GUEST_REV_REAL_MODE_1;
	if (access("/dev/kvm", F_OK) == 0)
		EXPECT_EQ(-EOPNOTSUPP, restore("/dev/kvm", b, tr, &what));
}

/* ---- across kernels: --kvmc-save DIR DEVICE, --kvmc-xkernel DIR DEVICE ---- */

static int write_file(const char *path, const void *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, buf, len);
	close(fd);
	return n == (ssize_t)len ? 0 : -EIO;
}

static int save_main(const char *dir, const char *dev)
{
	static struct mig_blob b;
	char path[PATH_MAX];
	const char *what = "";
	int r, bad = 0;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(points); i++) {
		snprintf(path, sizeof(path), "%s/%s_%s.blob", dir, dev_name(dev),
			 points[i].name);
		r = save(dev, &points[i], 0, &b, &what);
		if (!r)
			r = write_file(path, &b, sizeof(b));
		printf("# kvmc-migrate: save %s: %s%s%s\n", path,
		       r ? what : "ok", r ? ": " : "", r ? kvmc_errname(-r) : "");
		bad |= r != 0;
	}
	return bad;
}

static int read_blob(const char *path, struct mig_blob *b)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, b, sizeof(*b));
	close(fd);
	if (n != (ssize_t)sizeof(*b) || b->magic != BLOB_MAGIC ||
	    b->version != BLOB_VERSION || b->size != sizeof(*b))
		return -EBADMSG;
	return 0;
}

/*
 * DIR/EXPECT names the series whose blobs DIR/<series>/ holds, one a
 * line; a series without /dev/kvm has DIR/<series>/NO_KVM.  One KTAP case
 * per series, source device and point, restored on @dev.
 */
static int xkernel_main(const char *dir, const char *dev)
{
	static struct mig_blob b;
	static struct mig_exit ref[MAX_EXITS], post[MAX_EXITS];
	char series[16][32], path[PATH_MAX];
	int nseries = 0, n = 0, fails = 0, s, i, j, r, nref, npost;
	const char *what = "", *d;
	FILE *f;

	snprintf(path, sizeof(path), "%s/EXPECT", dir);
	f = fopen(path, "r");
	if (f) {
		while (nseries < 16 && fscanf(f, "%31s", series[nseries]) == 1)
			nseries++;
		fclose(f);
	}
	printf("TAP version 13\n1..%d\n",
	       nseries * (int)(ARRAY_SIZE(devices) * ARRAY_SIZE(points)));
	nref = reference(dev, 0, ref, &what);
	for (s = 0; s < nseries; s++) {
		for (i = 0; i < (int)ARRAY_SIZE(devices); i++) {
			const char *src = dev_name(devices[i]);

			for (j = 0; j < (int)ARRAY_SIZE(points); j++) {
				char name[96], why[PATH_MAX + 1024] = "";

				snprintf(name, sizeof(name), "xkernel.%.31s_%.12s_%.20s",
					 series[s], src, points[j].name);
				snprintf(path, sizeof(path), "%s/%s/NO_KVM", dir,
					 series[s]);
				if (!strcmp(src, "kvm") && !access(path, F_OK)) {
					printf("ok %d %s # SKIP no /dev/kvm on %s\n",
					       ++n, name, series[s]);
					continue;
				}
				snprintf(path, sizeof(path), "%s/%s/%s_%s.blob", dir,
					 series[s], src, points[j].name);
				r = read_blob(path, &b);
				if (r) {
					snprintf(why, sizeof(why), "%s: %s", path,
						 kvmc_errname(-r));
				} else if (nref < 0) {
					snprintf(why, sizeof(why), "reference on %s: %s: %s",
						 dev, what, kvmc_errname(-nref));
				} else {
					npost = restore(dev, &b, post, &what);
					if (npost < 0)
						snprintf(why, sizeof(why), "restore: %s: %s",
							 what, kvmc_errname(-npost));
					d = npost < 0 ? "" :
					    compare(b.ref, b.nref, b.prefix, b.nprefix,
						    post, npost);
					if (*d)
						snprintf(why, sizeof(why),
							 "migrated from %s: %s",
							 b.src_kernel, d);
					d = compare(b.ref, b.nref, ref, nref, ref, 0);
					if (!*why && *d)
						snprintf(why, sizeof(why),
							 "never migrated, here and on %s: %s",
							 b.src_kernel, d);
				}
				printf("%sok %d %s%s%s\n", *why ? "not " : "", ++n,
				       name, *why ? " # " : "", why);
				fails += *why != 0;
			}
		}
	}
	return fails ? 1 : 0;
}

KVMC_HARNESS_RUN_DEFINE

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "--kvmc-restore"))
		return restore_main(argc, argv);
	if (argc == 4 && !strcmp(argv[1], "--kvmc-save"))
		return save_main(argv[2], argv[3]);
	if (argc == 4 && !strcmp(argv[1], "--kvmc-xkernel"))
		return xkernel_main(argv[2], argv[3]);
	return kvmc_harness_run(argc, argv);
}
