/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the kvm_compat selftests and the demo.
 *
 * Every binary takes the device under test as its first argument
 * (default /dev/kvm_compat); /dev/kvm is "upstream", the oracle. The
 * environment variable KVMC_COMPAT=y|n says whether that device serves
 * 32-bit (compat) callers; unset means y.
 *
 * Functions return a result >= 0 or -errno; they never print.
 */
#ifndef KVM_COMPAT_UTIL_H
#define KVM_COMPAT_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/kvm.h>

#define KVMC_DEFAULT_DEV	"/dev/kvm_compat"
#define KVMC_UPSTREAM_DEV	"/dev/kvm"
#define KVMC_PAGE_SIZE		4096UL

/* Take argv[1] as the device if it is a path; shifts it out of argv. */
void kvmc_take_device_arg(int *argc, char ***argv);
void kvmc_set_device(const char *path);
const char *kvmc_device(void);

bool kvmc_is_upstream(void);
bool kvmc_compat_served(void);
bool kvmc_is_compat_abi(void);
const char *kvmc_abi_name(void);	/* "x86_64", "ia32" or "x32" */
const char *kvmc_abi_suffix(void);	/* "64", "32" or "x32" */

const char *kvmc_errname(int err);	/* "EINVAL"; err > 0 */
const char *kvmc_open_skip_reason(int err);

int kvmc_open(void);
int kvmc_ioctl(int fd, unsigned long req, unsigned long arg);
int kvmc_create_vm(int sys_fd);
int kvmc_create_vcpu(int vm_fd, unsigned long id);
int kvmc_check_ext(int fd, long cap);
int kvmc_set_region(int vm_fd, uint32_t slot, uint32_t flags, uint64_t gpa,
		    uint64_t size, uint64_t hva);
void *kvmc_map_pages(size_t npages);
int kvmc_clear_cloexec(int fd);

/* KVM_CAP_MULTI_ADDRESS_SPACE (1 when not reported). */
int kvmc_nr_address_spaces(int vm_fd);

#define KVMC_HVA(p)	((uint64_t)(uintptr_t)(p))

/*
 * The macros below need kselftest_harness.h (they use SKIP/_metadata and
 * the ksft counters) and are only expanded in test sources.
 */

/* Open the device under test, or SKIP the test with the reason. */
#define KVMC_OPEN_OR_SKIP(fd) do {					\
	(fd) = kvmc_open();						\
	if ((fd) < 0)							\
		SKIP(return, "%s", kvmc_open_skip_reason(-(fd)));	\
} while (0)

/*
 * kvmc_harness_run(): what main() of every test binary calls. The device
 * argument comes first, then the kselftest_harness options. A run in which
 * every test skipped (device missing, or a compat process refused) exits
 * with KSFT_SKIP (4) instead of 0.
 */
#define KVMC_HARNESS_RUN_DEFINE						\
static pid_t kvmc_main_pid;						\
static void kvmc_exit_skip_if_all_skipped(void)				\
{									\
	if (getpid() != kvmc_main_pid)					\
		return;							\
	if (ksft_get_pass_cnt() || ksft_get_fail_cnt() ||		\
	    ksft_get_error_cnt() || ksft_get_xpass_cnt() ||		\
	    !ksft_get_xskip_cnt())					\
		return;							\
	fflush(stdout);							\
	fflush(stderr);							\
	_exit(KSFT_SKIP);						\
}									\
static int kvmc_harness_run(int argc, char **argv)			\
{									\
	kvmc_take_device_arg(&argc, &argv);				\
	kvmc_main_pid = getpid();					\
	atexit(kvmc_exit_skip_if_all_skipped);				\
	return test_harness_run(argc, argv);				\
}

#define KVMC_TEST_MAIN							\
KVMC_HARNESS_RUN_DEFINE							\
int main(int argc, char **argv)						\
{									\
	return kvmc_harness_run(argc, argv);				\
}

#endif /* KVM_COMPAT_UTIL_H */
