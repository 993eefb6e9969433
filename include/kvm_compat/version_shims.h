/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kvm_compat builds on every kernel it is tested on, Debian's 5.10 to
 * 7.3-rc.  What differs between those kernels' headers lives here, one
 * shim per feature, named by the feature (not by a version number), each
 * saying which upstream change it bridges.  Everywhere else the code reads
 * as if written for the newest kernel.
 *
 * Where upstream KVM of an older kernel behaves differently, kvm_compat
 * still does what the newest upstream does; Documentation/by-version.rst
 * lists those differences.
 */
#ifndef _KVM_COMPAT_VERSION_SHIMS_H
#define _KVM_COMPAT_VERSION_SHIMS_H

#include <linux/bits.h>
#include <linux/build_bug.h>
#include <linux/compiler.h>
#include <linux/stddef.h>
#include <linux/kvm.h>
#include <linux/types.h>

/*
 * kvm_run.immediate_exit: renamed immediate_exit__unsafe inside the kernel
 * by "KVM: Mark the kvm_run.immediate_exit field unsafe for in-kernel use"
 * (6.10); userspace still sees immediate_exit.
 */
#ifdef HINT_UNSAFE_IN_KVM
#define kvmc_immediate_exit(run)	READ_ONCE((run)->immediate_exit__unsafe)
#else
#define kvmc_immediate_exit(run)	READ_ONCE((run)->immediate_exit)
#endif

/*
 * KVM_EXIT_INTERNAL_ERROR with the instruction bytes: kvm_run's
 * emulation_failure member and KVM_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES
 * came with "KVM: uapi: Add emulation failure information" (5.14).  The
 * exit is written through this copy of that layout, which overlays the
 * start of kvm_run.internal, so that userspace built against new headers
 * reads the same exit from kvm_compat on every kernel; where the headers
 * have the member, the build proves the two layouts equal.
 */
struct kvmc_emulation_failure {
	__u32 suberror;
	__u32 ndata;
	__u64 flags;
	__u8 insn_size;
	__u8 insn_bytes[15];
};

#define KVMC_EMULATION_FLAG_INSTRUCTION_BYTES	BIT_ULL(0)
#define kvmc_emulation_failure(run) \
	((struct kvmc_emulation_failure *)&(run)->internal)

#ifdef KVM_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES
/* suberror and ndata are kvm_run.internal's own first two fields. */
static_assert(offsetof(struct kvm_run, emulation_failure.flags) ==
	      offsetof(struct kvm_run, internal) +
	      offsetof(struct kvmc_emulation_failure, flags));
static_assert(offsetof(struct kvm_run, emulation_failure.insn_size) ==
	      offsetof(struct kvm_run, internal) +
	      offsetof(struct kvmc_emulation_failure, insn_size));
static_assert(offsetof(struct kvm_run, emulation_failure.insn_bytes) ==
	      offsetof(struct kvm_run, internal) +
	      offsetof(struct kvmc_emulation_failure, insn_bytes));
static_assert(KVMC_EMULATION_FLAG_INSTRUCTION_BYTES ==
	      KVM_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES);
#endif

/*
 * Waiting for a guest page that a signal can interrupt: FOLL_INTERRUPTIBLE
 * came with "mm/gup: Add FOLL_INTERRUPTIBLE" (6.2), a #define until 6.4,
 * an enum constant since; kvm_compat/Kbuild finds it in the headers.
 * Without it gup waits killably, as KVM's own vCPU faults did before 6.2.
 */
#ifdef KVMC_HAVE_FOLL_INTERRUPTIBLE
#define KVMC_FOLL_INTERRUPTIBLE	FOLL_INTERRUPTIBLE
#else
#define KVMC_FOLL_INTERRUPTIBLE	0
#endif

/*
 * gup following a NUMA-hinting (PROT_NONE) entry instead of resolving it
 * unless asked: "mm/gup: reintroduce FOLL_NUMA as FOLL_HONOR_NUMA_FAULT"
 * (6.5).  Before it gup resolved those entries anyway, so 0 asks the same.
 */
#ifdef KVMC_HAVE_FOLL_HONOR_NUMA_FAULT
#define KVMC_FOLL_HONOR_NUMA_FAULT	FOLL_HONOR_NUMA_FAULT
#else
#define KVMC_FOLL_HONOR_NUMA_FAULT	0
#endif

/*
 * A short-lived kernel mapping of a page: kmap_local_page() came with
 * "mm/highmem: Provide kmap_local*" (5.11).  Before it, a 64-bit kernel
 * (no CONFIG_HIGHMEM, which this module only builds for) maps every page
 * in its direct map, where page_address() finds it.
 */
#ifdef KVMC_HAVE_KMAP_LOCAL_PAGE
#define kvmc_kmap_local_page(page)	kmap_local_page(page)
#define kvmc_kunmap_local(addr)		kunmap_local(addr)
#else
#ifdef CONFIG_HIGHMEM
#error "kvm_compat before 5.11 needs a kernel without CONFIG_HIGHMEM"
#endif
#define kvmc_kmap_local_page(page)	page_address(page)
#define kvmc_kunmap_local(addr)		((void)(addr))
#endif

/*
 * cpuid_eax() and friends: moved out of <asm/processor.h> into
 * <asm/cpuid/api.h> by the x86 CPUID header split (7.x); kvm_compat/Kbuild
 * looks for that header (sparse knows no __has_include).
 */
#ifdef KVMC_HAVE_ASM_CPUID_API
#include <asm/cpuid/api.h>
#elif defined(CONFIG_X86)
#include <asm/processor.h>
#endif

#endif /* _KVM_COMPAT_VERSION_SHIMS_H */
