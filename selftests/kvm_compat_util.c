// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers shared by the kvm_compat selftests and the demo; see
 * kvm_compat_util.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

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

bool kvmc_compat_served(void)
{
	const char *v = getenv("KVMC_COMPAT");

	return !v || strcmp(v, "n") != 0;
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

#define ERRNAME(e) case e: return #e

const char *kvmc_errname(int err)
{
	static char buf[32];

	switch (err) {
	ERRNAME(EPERM);
	ERRNAME(ENOENT);
	ERRNAME(EINTR);
	ERRNAME(EIO);
	ERRNAME(ENXIO);
	ERRNAME(E2BIG);
	ERRNAME(ENOEXEC);
	ERRNAME(EBADF);
	ERRNAME(EAGAIN);
	ERRNAME(ENOMEM);
	ERRNAME(EACCES);
	ERRNAME(EFAULT);
	ERRNAME(EBUSY);
	ERRNAME(EEXIST);
	ERRNAME(ENODEV);
	ERRNAME(EINVAL);
	ERRNAME(EMFILE);
	ERRNAME(ENOTTY);
	ERRNAME(ENOSPC);
	ERRNAME(ERANGE);
	ERRNAME(ENOSYS);
	ERRNAME(EOPNOTSUPP);
	ERRNAME(EOVERFLOW);
	default:
		snprintf(buf, sizeof(buf), "errno %d", err);
		return buf;
	}
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
