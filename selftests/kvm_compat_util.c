// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers shared by the kvm_compat selftests and the demo; see
 * kvm_compat_util.h.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <linux/userfaultfd.h>

#include "kvm_compat_util.h"

static const char *kvmc_dev = KVMC_DEFAULT_DEV;

void kvmc_set_device(const char *path)
{
	kvmc_dev = path;
}

const char *kvmc_device(void)
{
	return kvmc_dev;
}

void kvmc_take_device_arg(int *argc, char ***argv)
{
	char **av = *argv;

	if (*argc < 2 || av[1][0] != '/')
		return;
	kvmc_set_device(av[1]);
	/* Keep argv[0] for the harness, drop the device. */
	av[1] = av[0];
	(*argv)++;
	(*argc)--;
}

bool kvmc_is_upstream(void)
{
	return strcmp(kvmc_dev, KVMC_UPSTREAM_DEV) == 0;
}

bool kvmc_compat_served_env(void)
{
	const char *v = getenv("KVMC_COMPAT");

	return !v || strcmp(v, "n") != 0;
}

int kvmc_get_compat_caps(int sys, struct kvmc_compat_caps *caps)
{
	memset(caps, 0, sizeof(*caps));
	caps->size = sizeof(*caps);
	return kvmc_ioctl(sys, KVMC_GET_COMPAT_CAPS, (unsigned long)caps);
}

uint64_t kvmc_compat_abi_bit(void)
{
#if defined(__i386__)
	return KVMC_COMPAT_ABI_IA32;
#elif defined(__x86_64__) && defined(__ILP32__)
	return KVMC_COMPAT_ABI_X32;
#else
	return 0;
#endif
}

static int kvmc_served = -1;	/* -1: not asked yet */
static const char *kvmc_served_source = "environment";

/*
 * The device's answer: a compat caller is served when its ABI is; for a
 * 64-bit caller "compat callers are served" means translation is on.
 */
static int kvmc_compat_served_by_device(void)
{
	struct kvmc_compat_caps caps;
	int sys = kvmc_open(), r;

	if (sys < 0)
		return sys;
	r = kvmc_get_compat_caps(sys, &caps);
	close(sys);
	if (r < 0)
		return r;
	if (kvmc_is_compat_abi())
		return caps.translate && (caps.compat_abis & kvmc_compat_abi_bit());
	return caps.translate != 0;
}

bool kvmc_compat_served(void)
{
	if (kvmc_served < 0) {
		kvmc_served = kvmc_compat_served_by_device();
		if (kvmc_served >= 0) {
			kvmc_served_source = "device";
		} else {
			kvmc_served = kvmc_compat_served_env();
			kvmc_served_source = "environment";
		}
	}
	return kvmc_served;
}

const char *kvmc_compat_served_source(void)
{
	kvmc_compat_served();
	return kvmc_served_source;
}

bool kvmc_is_compat_abi(void)
{
#if defined(__i386__) || (defined(__x86_64__) && defined(__ILP32__))
	return true;
#else
	return false;
#endif
}

const char *kvmc_abi_name(void)
{
#if defined(__i386__)
	return "ia32";
#elif defined(__x86_64__) && defined(__ILP32__)
	return "x32";
#elif defined(__x86_64__)
	return "x86_64";
#else
	return "unknown";
#endif
}

const char *kvmc_abi_suffix(void)
{
#if defined(__i386__)
	return "32";
#elif defined(__x86_64__) && defined(__ILP32__)
	return "x32";
#else
	return "64";
#endif
}

/* A table entry indexed by a constant, holding its name. */
#define NAME(e) \
	[e] = #e

static const char * const kvmc_errnames[] = {
	NAME(EPERM),
	NAME(ENOENT),
	NAME(ESRCH),	/* what -3 reads as (KVM_GET_NR_MMU_PAGES) */
	NAME(EINTR),
	NAME(EIO),
	NAME(ENXIO),
	NAME(E2BIG),
	NAME(ENOEXEC),
	NAME(EBADF),
	NAME(EAGAIN),
	NAME(ENOMEM),
	NAME(EACCES),
	NAME(EFAULT),
	NAME(EBUSY),
	NAME(EEXIST),
	NAME(ENODEV),
	NAME(EINVAL),
	NAME(EMFILE),
	NAME(ENOTTY),
	NAME(ENOSPC),
	NAME(ERANGE),
	NAME(ENOSYS),
	NAME(EOPNOTSUPP),
	NAME(EOVERFLOW),
};

const char *kvmc_errname(int err)
{
	static char buf[32];

	if (err > 0 && (size_t)err < ARRAY_SIZE(kvmc_errnames) &&
	    kvmc_errnames[err])
		return kvmc_errnames[err];
	snprintf(buf, sizeof(buf), "errno %d", err);
	return buf;
}

const char *kvmc_open_skip_reason(int err)
{
	static char buf[160];

	if (err == ENODEV && kvmc_is_compat_abi() && !kvmc_compat_served())
		snprintf(buf, sizeof(buf),
			 "%s refuses compat (%s) callers: ENODEV (KVMC_COMPAT=n)",
			 kvmc_dev, kvmc_abi_name());
	else
		snprintf(buf, sizeof(buf), "cannot open %s: %s", kvmc_dev,
			 kvmc_errname(err));
	return buf;
}

int kvmc_open(void)
{
	int fd = open(kvmc_dev, O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

int kvmc_ioctl(int fd, unsigned long req, unsigned long arg)
{
	int r = ioctl(fd, req, arg);

	return r < 0 ? -errno : r;
}

int kvmc_create_vm(int sys_fd)
{
	return kvmc_ioctl(sys_fd, KVM_CREATE_VM, 0);
}

int kvmc_create_vcpu(int vm_fd, unsigned long id)
{
	return kvmc_ioctl(vm_fd, KVM_CREATE_VCPU, id);
}

int kvmc_check_ext(int fd, long cap)
{
	return kvmc_ioctl(fd, KVM_CHECK_EXTENSION, (unsigned long)cap);
}

int kvmc_set_region(int vm_fd, uint32_t slot, uint32_t flags, uint64_t gpa,
		    uint64_t size, uint64_t hva)
{
	struct kvm_userspace_memory_region r = {
		.slot = slot,
		.flags = flags,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = hva,
	};

	return kvmc_ioctl(vm_fd, KVM_SET_USER_MEMORY_REGION,
			  (unsigned long)&r);
}

void *kvmc_map_pages(size_t npages)
{
	void *p = mmap(NULL, npages * KVMC_PAGE_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

int kvmc_clear_cloexec(int fd)
{
	int flags = fcntl(fd, F_GETFD);

	if (flags < 0 || fcntl(fd, F_SETFD, flags & ~FD_CLOEXEC) < 0)
		return -errno;
	return 0;
}

int kvmc_nr_address_spaces(int vm_fd)
{
	int r = kvmc_check_ext(vm_fd, KVM_CAP_MULTI_ADDRESS_SPACE);

	return r > 0 ? r : 1;
}

void kvmc_vcpu_fds_init(struct kvmc_vcpu_fds *f)
{
	f->sys = -1;
	f->vm = -1;
	f->vcpu = -1;
}

int kvmc_vcpu_fds_create(struct kvmc_vcpu_fds *f)
{
	int fd = kvmc_create_vm(f->sys);

	if (fd < 0)
		return fd;
	f->vm = fd;
	fd = kvmc_create_vcpu(f->vm, 0);
	if (fd < 0)
		return fd;
	f->vcpu = fd;
	return 0;
}

void kvmc_vcpu_fds_close(struct kvmc_vcpu_fds *f)
{
	if (f->vcpu >= 0)
		close(f->vcpu);
	if (f->vm >= 0)
		close(f->vm);
	if (f->sys >= 0)
		close(f->sys);
	kvmc_vcpu_fds_init(f);
}

struct kvm_run *kvmc_map_run(int sys_fd, int vcpu_fd, size_t *size)
{
	int sz = ioctl(sys_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	void *p;

	if (sz < 0)
		return NULL;
	p = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu_fd, 0);
	if (p == MAP_FAILED)
		return NULL;
	*size = sz;
	return p;
}

int kvmc_run(int vcpu_fd)
{
	return kvmc_ioctl(vcpu_fd, KVM_RUN, 0);
}

int kvmc_set_real_seg(int vcpu_fd, int seg, uint16_t sel)
{
	struct kvm_sregs s;
	struct kvm_segment *g;
	int r = kvmc_ioctl(vcpu_fd, KVM_GET_SREGS, (unsigned long)&s);

	if (r < 0)
		return r;
	switch (seg) {
	case KVMC_SEG_CS:
		g = &s.cs;
		break;
	case KVMC_SEG_DS:
		g = &s.ds;
		break;
	case KVMC_SEG_SS:
		g = &s.ss;
		break;
	default:
		return -EINVAL;
	}
	g->selector = sel;
	g->base = (uint64_t)sel << 4;
	return kvmc_ioctl(vcpu_fd, KVM_SET_SREGS, (unsigned long)&s);
}

int kvmc_get_rip(int vcpu_fd, uint64_t *rip)
{
	struct kvm_regs r;
	int ret = kvmc_ioctl(vcpu_fd, KVM_GET_REGS, (unsigned long)&r);

	if (ret == 0)
		*rip = r.rip;
	return ret;
}

int kvmc_set_rip(int vcpu_fd, uint64_t rip)
{
	struct kvm_regs r;
	int ret = kvmc_ioctl(vcpu_fd, KVM_GET_REGS, (unsigned long)&r);

	if (ret < 0)
		return ret;
	r.rip = rip;
	return kvmc_ioctl(vcpu_fd, KVM_SET_REGS, (unsigned long)&r);
}

int kvmc_enable_cap(int fd, uint32_t cap, uint64_t arg0)
{
	struct kvm_enable_cap c;

	memset(&c, 0, sizeof(c));
	c.cap = cap;
	c.args[0] = arg0;
	return kvmc_ioctl(fd, KVM_ENABLE_CAP, (unsigned long)&c);
}

int kvmc_guest_create_vm(struct kvmc_guest *g, int sys, size_t npages,
			 uint32_t slot_flags)
{
	memset(g, 0, sizeof(*g));
	g->sys = sys;
	g->vcpu = -1;
	g->vm = kvmc_create_vm(sys);
	if (g->vm < 0)
		return g->vm;
	g->mem_size = npages * KVMC_PAGE_SIZE;
	g->mem = kvmc_map_pages(npages);
	if (!g->mem)
		return -ENOMEM;
	return kvmc_set_region(g->vm, 0, slot_flags, 0, g->mem_size,
			       KVMC_HVA(g->mem));
}

int kvmc_guest_create(struct kvmc_guest *g, int sys, size_t npages)
{
	int r = kvmc_guest_create_vm(g, sys, npages, 0);

	return r < 0 ? r : kvmc_guest_create_vcpu(g);
}

int kvmc_guest_create_vcpu(struct kvmc_guest *g)
{
	struct kvm_regs regs;
	int r;

	g->vcpu = kvmc_create_vcpu(g->vm, 0);
	if (g->vcpu < 0)
		return g->vcpu;
	g->run = kvmc_map_run(g->sys, g->vcpu, &g->run_size);
	if (!g->run)
		return -errno;
	r = kvmc_set_real_seg(g->vcpu, KVMC_SEG_CS, 0);
	if (!r)
		r = kvmc_set_real_seg(g->vcpu, KVMC_SEG_DS, 0);
	if (r < 0)
		return r;
	r = kvmc_ioctl(g->vcpu, KVM_GET_REGS, (unsigned long)&regs);
	if (r < 0)
		return r;
	regs.rip = KVMC_CODE_GPA;
	regs.rflags = 0x2;
	return kvmc_ioctl(g->vcpu, KVM_SET_REGS, (unsigned long)&regs);
}

void kvmc_guest_destroy(struct kvmc_guest *g)
{
	if (g->run)
		munmap(g->run, g->run_size);
	if (g->vcpu >= 0)
		close(g->vcpu);
	if (g->mem)
		munmap(g->mem, g->mem_size);
	if (g->vm >= 0)
		close(g->vm);
	if (g->sys >= 0)
		close(g->sys);
	g->run = NULL;
	g->mem = NULL;
	g->sys = -1;
	g->vm = -1;
	g->vcpu = -1;
}

int kvmc_guest_load(struct kvmc_guest *g, uint64_t gpa, const void *code,
		    size_t len)
{
	if (gpa > g->mem_size || len > g->mem_size - gpa)
		return -EINVAL;
	memcpy(g->mem + gpa, code, len);
	return kvmc_set_rip(g->vcpu, gpa);
}

struct kvm_cpuid2 *kvmc_get_supported_cpuid(int sys_fd)
{
	struct kvm_cpuid2 *c = NULL, *n;
	uint32_t nent;

	for (nent = 1; nent <= 4096; nent *= 2) {
		n = realloc(c, sizeof(*c) + nent * sizeof(c->entries[0]));
		if (!n)
			break;
		c = n;
		memset(c, 0, sizeof(*c) + nent * sizeof(c->entries[0]));
		c->nent = nent;
		if (ioctl(sys_fd, KVM_GET_SUPPORTED_CPUID, c) == 0)
			return c;
		if (errno != E2BIG)
			break;
	}
	free(c);
	return NULL;
}

struct kvm_cpuid_entry2 *kvmc_cpuid_entry(struct kvm_cpuid2 *c,
					  uint32_t function)
{
	uint32_t i;

	for (i = 0; i < c->nent; i++)
		if (c->entries[i].function == function &&
		    !c->entries[i].index)
			return &c->entries[i];
	return NULL;
}

const char *kvmc_mode_name(enum kvmc_mode mode)
{
	static const char * const names[] = {
		"real", "prot32", "paging32", "pae", "long", "compat",
	};

	return mode < ARRAY_SIZE(names) ? names[mode] : "?";
}

static void kvmc_flat_seg(struct kvm_segment *s, uint16_t sel, bool code,
			  bool l)
{
	memset(s, 0, sizeof(*s));
	s->limit = 0xffffffff;
	s->selector = sel;
	s->type = code ? 0xb : 0x3;	/* accessed: as the GDT has them */
	s->present = 1;
	s->s = 1;
	s->db = !l;
	s->l = l;
	s->g = 1;
}

/* Identity-map the first 4 MiB at KVMC_PT_GPA; return CR3. */
static uint64_t kvmc_build_page_tables(struct kvmc_guest *g,
				       enum kvmc_mode mode)
{
	uint8_t *pt = g->mem + KVMC_PT_GPA;
	uint64_t *e, base;
	uint32_t *e32;
	unsigned int i;

	memset(pt, 0, 5 * KVMC_PAGE_SIZE);
	if (mode == KVMC_MODE_PAGING32) {
		e32 = (uint32_t *)pt;
		e32[0] = (KVMC_PT_GPA + 0x1000) | 3;
		e32 = (uint32_t *)(pt + 0x1000);
		for (i = 0; i < 1024; i++)
			e32[i] = i * KVMC_PAGE_SIZE | 3;
		return KVMC_PT_GPA;
	}
	/* PAE: PDPT, PD, two page tables; long mode: PML4 first. */
	base = KVMC_PT_GPA;
	if (mode != KVMC_MODE_PAE) {
		((uint64_t *)pt)[0] = (base + 0x1000) | 3;
		base += 0x1000;
	}
	/* A PAE PDPTE has no R/W bit (it is reserved). */
	((uint64_t *)(g->mem + base))[0] = (base + 0x1000) |
					   (mode == KVMC_MODE_PAE ? 1 : 3);
	e = (uint64_t *)(g->mem + base + 0x1000);
	e[0] = (base + 0x2000) | 3;
	e[1] = (base + 0x3000) | 3;
	e = (uint64_t *)(g->mem + base + 0x2000);
	for (i = 0; i < 1024; i++)
		e[i] = i * KVMC_PAGE_SIZE | 3;
	return KVMC_PT_GPA;
}

void *kvmc_guest_pte(struct kvmc_guest *g, enum kvmc_mode mode, uint64_t la)
{
	switch (mode) {
	case KVMC_MODE_PAGING32:
		return (uint32_t *)(g->mem + KVMC_PT_GPA + 0x1000) + (la >> 12);
	case KVMC_MODE_PAE:
		return (uint64_t *)(g->mem + KVMC_PT_GPA + 0x2000) + (la >> 12);
	default:
		return (uint64_t *)(g->mem + KVMC_PT_GPA + 0x3000) + (la >> 12);
	}
}

int kvmc_guest_set_gate(struct kvmc_guest *g, enum kvmc_mode mode,
			unsigned int vector, uint64_t handler)
{
	bool lm = mode == KVMC_MODE_LONG || mode == KVMC_MODE_COMPAT;
	unsigned int size = lm ? 16 : 8;
	uint16_t sel = mode == KVMC_MODE_LONG || mode == KVMC_MODE_COMPAT ?
		       KVMC_SEL_CODE64 : KVMC_SEL_CODE32;
	uint64_t *gate = (uint64_t *)(g->mem + KVMC_IDT_GPA + vector * size);
	struct kvm_sregs s;
	int r;

	/* offset 15:0, selector, P, DPL 0, type 0xe, offset 31:16 */
	gate[0] = (handler & 0xffff) | (uint64_t)sel << 16 |
		  (uint64_t)0x8e00 << 32 | (handler & 0xffff0000) << 32;
	if (lm)
		gate[1] = handler >> 32;
	r = kvmc_ioctl(g->vcpu, KVM_GET_SREGS, (unsigned long)&s);
	if (r)
		return r;
	if (s.idt.limit < (vector + 1) * size - 1 || s.idt.base != KVMC_IDT_GPA)
		s.idt.limit = (vector + 1) * size - 1;
	s.idt.base = KVMC_IDT_GPA;
	return kvmc_ioctl(g->vcpu, KVM_SET_SREGS, (unsigned long)&s);
}

int kvmc_guest_set_mode(struct kvmc_guest *g, enum kvmc_mode mode)
{
	bool lm = mode == KVMC_MODE_LONG || mode == KVMC_MODE_COMPAT;
	uint64_t *gdt = (uint64_t *)(g->mem + KVMC_GDT_GPA);
	struct kvm_cpuid2 *cpuid;
	struct kvm_sregs s;
	struct kvm_regs regs;
	int r;

	if (mode == KVMC_MODE_REAL)
		return 0;
	if (g->mem_size < KVMC_MODE_MIN_PAGES * KVMC_PAGE_SIZE)
		return -EINVAL;
	if (lm) {
		cpuid = kvmc_get_supported_cpuid(g->sys);
		if (!cpuid)
			return -errno;
		r = kvmc_ioctl(g->vcpu, KVM_SET_CPUID2, (unsigned long)cpuid);
		free(cpuid);
		if (r)
			return r;
	}

	gdt[0] = 0;
	gdt[1] = 0x00cf9b000000ffffULL;	/* code, 32-bit, 4 GiB */
	gdt[2] = 0x00cf93000000ffffULL;	/* data, 4 GiB */
	gdt[3] = 0x00af9b000000ffffULL;	/* code, 64-bit */

	r = kvmc_ioctl(g->vcpu, KVM_GET_SREGS, (unsigned long)&s);
	if (r)
		return r;
	kvmc_flat_seg(&s.cs, mode == KVMC_MODE_LONG ? KVMC_SEL_CODE64 :
			     KVMC_SEL_CODE32, true, mode == KVMC_MODE_LONG);
	kvmc_flat_seg(&s.ds, KVMC_SEL_DATA, false, false);
	s.es = s.ds;
	s.fs = s.ds;
	s.gs = s.ds;
	s.ss = s.ds;
	s.gdt.base = KVMC_GDT_GPA;
	s.gdt.limit = 4 * 8 - 1;
	s.idt.base = KVMC_IDT_GPA;
	s.idt.limit = 0;
	s.cr0 = 0x11;			/* PE, ET */
	s.cr4 = 0;
	s.efer = 0;
	if (mode != KVMC_MODE_PROT32) {
		s.cr0 |= 0x80000000;	/* PG */
		s.cr3 = kvmc_build_page_tables(g, mode);
	}
	if (mode == KVMC_MODE_PAE || lm)
		s.cr4 |= 0x20;		/* PAE */
	if (lm)
		s.efer = 0x500;		/* LME, LMA */
	r = kvmc_ioctl(g->vcpu, KVM_SET_SREGS, (unsigned long)&s);
	if (r)
		return r;

	r = kvmc_ioctl(g->vcpu, KVM_GET_REGS, (unsigned long)&regs);
	if (r)
		return r;
	regs.rsp = KVMC_STACK_TOP;
	return kvmc_ioctl(g->vcpu, KVM_SET_REGS, (unsigned long)&regs);
}

static const char * const kvmc_exit_names[] = {
	NAME(KVM_EXIT_UNKNOWN),
	NAME(KVM_EXIT_EXCEPTION),
	NAME(KVM_EXIT_IO),
	NAME(KVM_EXIT_HYPERCALL),
	NAME(KVM_EXIT_DEBUG),
	NAME(KVM_EXIT_HLT),
	NAME(KVM_EXIT_MMIO),
	NAME(KVM_EXIT_IRQ_WINDOW_OPEN),
	NAME(KVM_EXIT_SHUTDOWN),
	NAME(KVM_EXIT_FAIL_ENTRY),
	NAME(KVM_EXIT_INTR),
	NAME(KVM_EXIT_INTERNAL_ERROR),
	NAME(KVM_EXIT_SYSTEM_EVENT),
	NAME(KVM_EXIT_X86_RDMSR),
	NAME(KVM_EXIT_X86_WRMSR),
};

const char *kvmc_exit_name(uint32_t reason)
{
	static char buf[32];

	if (reason < ARRAY_SIZE(kvmc_exit_names) && kvmc_exit_names[reason])
		return kvmc_exit_names[reason];
	snprintf(buf, sizeof(buf), "exit %u", reason);
	return buf;
}

int kvmc_get_dirty_log(int vm_fd, uint32_t slot, void *bitmap)
{
	struct kvm_dirty_log log;

	memset(&log, 0, sizeof(log));
	log.slot = slot;
	log.dirty_bitmap = bitmap;
	return kvmc_ioctl(vm_fd, KVM_GET_DIRTY_LOG, (unsigned long)&log);
}

int kvmc_clear_dirty_log(int vm_fd, uint32_t slot, uint64_t first_page,
			 uint32_t num_pages, void *bitmap)
{
	struct kvm_clear_dirty_log log;

	memset(&log, 0, sizeof(log));
	log.slot = slot;
	log.first_page = first_page;
	log.num_pages = num_pages;
	log.dirty_bitmap = bitmap;
	return kvmc_ioctl(vm_fd, KVM_CLEAR_DIRTY_LOG, (unsigned long)&log);
}

uint64_t kvmc_rng_next(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

uint64_t kvmc_rng_below(uint64_t *state, uint64_t n)
{
	return kvmc_rng_next(state) % n;
}

uint64_t kvmc_seed_from_env(const char *env, uint64_t def)
{
	const char *v = getenv(env);

	return v && *v ? strtoull(v, NULL, 0) : def;
}

uint64_t kvmc_env_u64(const char *env, uint64_t def)
{
	const char *v = getenv(env);

	return v && *v ? strtoull(v, NULL, 0) : def;
}

void kvmc_sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

int kvmc_count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -errno;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1;	/* the directory's own fd */
}

int kvmc_check_device(const char **what)
{
	int sys, vm = -1, vcpu = -1, r;
	struct kvm_regs regs;
	void *mem = NULL;

	*what = "open";
	sys = kvmc_open();
	r = sys;
	if (r < 0)
		goto out;
	*what = "KVM_CREATE_VM";
	vm = kvmc_create_vm(sys);
	r = vm;
	if (r < 0)
		goto out;
	*what = "memslot";
	mem = kvmc_map_pages(1);
	r = mem ? kvmc_set_region(vm, 0, 0, 0, KVMC_PAGE_SIZE, KVMC_HVA(mem)) :
		  -ENOMEM;
	if (r < 0)
		goto out;
	*what = "KVM_CREATE_VCPU";
	vcpu = kvmc_create_vcpu(vm, 0);
	r = vcpu;
	if (r < 0)
		goto out;
	*what = "KVM_GET_REGS";
	r = kvmc_ioctl(vcpu, KVM_GET_REGS, (unsigned long)&regs);
	if (!r && regs.rip != 0xfff0) {
		*what = "RIP of the new vCPU (not 0xfff0)";
		r = -EIO;
	}
out:
	if (vcpu >= 0)
		close(vcpu);
	if (vm >= 0)
		close(vm);
	if (sys >= 0)
		close(sys);
	if (mem)
		munmap(mem, KVMC_PAGE_SIZE);
	return r < 0 ? r : 0;
}

char kvmc_thread_state(pid_t tid)
{
	char path[64], buf[512], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", (int)tid);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return '?';
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return '?';
	buf[n] = 0;
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : '?';
}

int kvmc_uffd_open(void)
{
	struct uffdio_api api = { .api = UFFD_API };
	int fd = (int)syscall(SYS_userfaultfd, O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (ioctl(fd, UFFDIO_API, &api)) {
		close(fd);
		return -errno;
	}
	return fd;
}
