// SPDX-License-Identifier: GPL-2.0
/*
 * System fd (the device itself): open, KVM_GET_API_VERSION,
 * KVM_CHECK_EXTENSION, KVM_CREATE_VM, KVM_GET_VCPU_MMAP_SIZE, unknown
 * ioctls and mmap, compared with upstream x86 KVM (virt/kvm/kvm_main.c
 * kvm_dev_ioctl(), arch/x86/kvm/x86.c kvm_arch_dev_ioctl()).
 *
 *   system_test_{64,32,x32} [DEVICE] [kselftest_harness options]
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "kvm_compat_util.h"

/* An ioctl number no KVM version defines, in KVM's ioctl space. */
#define KVMC_UNKNOWN_KVMIO	_IO(KVMIO, 0xfe)
/* An ioctl number outside KVM's space that the VFS does not handle. */
#define KVMC_UNKNOWN_FOREIGN	_IO('Q', 0x42)

/*
 * Upstream: kvm_no_compat_open() refuses a compat task with ENODEV where
 * KVM has no compat support (arm64); x86's /dev/kvm serves it. 64-bit
 * callers always open.
 */
TEST(open_device)
{
	int fd = kvmc_open();

	if (fd == -ENOENT || fd == -ENXIO || fd == -EACCES)
		SKIP(return, "%s", kvmc_open_skip_reason(-fd));

	TH_LOG("%s from %s, KVMC_COMPAT=%s: %s", kvmc_device(),
	       kvmc_abi_name(), kvmc_compat_served() ? "y" : "n",
	       fd < 0 ? kvmc_errname(-fd) : "ok");
	if (kvmc_is_compat_abi() && !kvmc_compat_served()) {
		ASSERT_EQ(-ENODEV, fd);
		return;
	}
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, close(fd));
}

#define NOBODY		65534
#define KVMC_DEV_MODE	"/sys/module/kvm_compat/parameters/dev_mode"

/*
 * The mode the device node should have.  Upstream's misc device has no
 * mode: devtmpfs makes /dev/kvm 0600 root:root, and only a udev rule (none
 * in the test guest) opens it further.  kvm_compat's is its dev_mode
 * parameter, 0600 unless the module was loaded with another.
 */
static unsigned int expected_mode(void)
{
	unsigned long mode = 0600;
	char buf[16] = "";
	FILE *f;

	if (kvmc_is_upstream())
		return 0600;
	f = fopen(KVMC_DEV_MODE, "r");
	if (f) {
		if (fgets(buf, sizeof(buf), f))
			mode = strtoul(buf, NULL, 0);
		fclose(f);
	}
	return mode;
}

/*
 * Who may open the device: a process with uid and gid 65534 (nobody) and
 * no supplementary groups is refused with EACCES unless the mode lets
 * "other" read and write.
 */
TEST(unprivileged_open)
{
	unsigned int want_mode = expected_mode();
	int status, err, want;
	struct stat st;
	pid_t pid;

	if (stat(kvmc_device(), &st))
		SKIP(return, "%s: %s", kvmc_device(), kvmc_errname(errno));
	if (geteuid())
		SKIP(return, "not root: cannot drop to uid %d", NOBODY);
	TH_LOG("%s: mode %04o uid %u gid %u", kvmc_device(),
	       (unsigned int)(st.st_mode & 07777), (unsigned int)st.st_uid,
	       (unsigned int)st.st_gid);
	EXPECT_EQ(want_mode, st.st_mode & 07777);
	EXPECT_EQ(0, st.st_uid);

	if ((st.st_mode & 0006) != 0006)
		want = EACCES;
	else if (kvmc_is_compat_abi() && !kvmc_compat_served())
		want = ENODEV;
	else
		want = 0;

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		int fd;

		if (setgroups(0, NULL) || setgid(NOBODY) || setuid(NOBODY))
			_exit(100);
		fd = open(kvmc_device(), O_RDWR | O_CLOEXEC);
		_exit(fd < 0 ? errno : 0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	err = WEXITSTATUS(status);
	ASSERT_NE(100, err) TH_LOG("could not drop to uid %d", NOBODY);
	EXPECT_EQ(want, err) TH_LOG("open as uid %d: %s, expected %s", NOBODY,
				    err ? kvmc_errname(err) : "success",
				    want ? kvmc_errname(want) : "success");
}

FIXTURE(sys)
{
	int fd;
};

FIXTURE_SETUP(sys)
{
	KVMC_OPEN_OR_SKIP(self->fd);
}

FIXTURE_TEARDOWN(sys)
{
	if (self->fd >= 0)
		close(self->fd);
}

TEST_F(sys, api_version)
{
	ASSERT_EQ(KVM_API_VERSION, ioctl(self->fd, KVM_GET_API_VERSION, 0));
	ASSERT_EQ(12, KVM_API_VERSION);
}

/* kvm_dev_ioctl(): "if (arg) goto out;" with r = -EINVAL. */
TEST_F(sys, api_version_arg_einval)
{
	ASSERT_EQ(-1, ioctl(self->fd, KVM_GET_API_VERSION, 1));
	ASSERT_EQ(EINVAL, errno);
}

TEST_F(sys, check_extension)
{
	int nr_vcpus, max_vcpus, max_id, slots;

	EXPECT_EQ(1, kvmc_check_ext(self->fd, KVM_CAP_USER_MEMORY));
	EXPECT_EQ(1, kvmc_check_ext(self->fd, KVM_CAP_CHECK_EXTENSION_VM));
	EXPECT_EQ(0, kvmc_check_ext(self->fd, 0x7fffffff));
	EXPECT_EQ(0, kvmc_check_ext(self->fd, -1));

	slots = kvmc_check_ext(self->fd, KVM_CAP_NR_MEMSLOTS);
	nr_vcpus = kvmc_check_ext(self->fd, KVM_CAP_NR_VCPUS);
	max_vcpus = kvmc_check_ext(self->fd, KVM_CAP_MAX_VCPUS);
	max_id = kvmc_check_ext(self->fd, KVM_CAP_MAX_VCPU_ID);
	TH_LOG("NR_MEMSLOTS %d NR_VCPUS %d MAX_VCPUS %d MAX_VCPU_ID %d",
	       slots, nr_vcpus, max_vcpus, max_id);
	EXPECT_LT(0, slots);
	EXPECT_LT(0, nr_vcpus);
	EXPECT_LE(nr_vcpus, max_vcpus);
	EXPECT_LE(max_vcpus, max_id);
}

/* The same generic capabilities are answered on a VM fd. */
TEST_F(sys, check_extension_vm)
{
	int vm = kvmc_create_vm(self->fd);

	ASSERT_LE(0, vm) TH_LOG("KVM_CREATE_VM: %s", kvmc_errname(-vm));
	EXPECT_EQ(1, kvmc_check_ext(vm, KVM_CAP_USER_MEMORY));
	EXPECT_EQ(0, kvmc_check_ext(vm, 0x7fffffff));
	EXPECT_EQ(kvmc_check_ext(self->fd, KVM_CAP_NR_MEMSLOTS),
		  kvmc_check_ext(vm, KVM_CAP_NR_MEMSLOTS));
	EXPECT_EQ(0, close(vm));
}

TEST_F(sys, create_vm)
{
	int vm1, vm2;

	vm1 = kvmc_create_vm(self->fd);
	ASSERT_LE(0, vm1) TH_LOG("KVM_CREATE_VM: %s", kvmc_errname(-vm1));
	vm2 = kvmc_create_vm(self->fd);
	ASSERT_LE(0, vm2) TH_LOG("KVM_CREATE_VM: %s", kvmc_errname(-vm2));
	EXPECT_NE(vm1, vm2);
	/* kvm_dev_ioctl_create_vm(): get_unused_fd_flags(O_CLOEXEC). */
	EXPECT_EQ(FD_CLOEXEC, fcntl(vm1, F_GETFD) & FD_CLOEXEC);
	EXPECT_EQ(0, close(vm1));
	EXPECT_EQ(0, close(vm2));
}

/*
 * x86 kvm_arch_init_vm(): 6.1 refuses any type but 0; 6.12 takes only
 * types in kvm_caps.supported_vm_types (type < 32). 31 and 0xdead are
 * never supported.
 */
TEST_F(sys, create_vm_bad_type)
{
	ASSERT_EQ(-1, ioctl(self->fd, KVM_CREATE_VM, 31));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(-1, ioctl(self->fd, KVM_CREATE_VM, 0xdead));
	ASSERT_EQ(EINVAL, errno);
}

/* x86: kvm_run page + PIO data page + coalesced MMIO ring page. */
TEST_F(sys, vcpu_mmap_size)
{
	long page = sysconf(_SC_PAGESIZE);

	ASSERT_EQ(3 * page, ioctl(self->fd, KVM_GET_VCPU_MMAP_SIZE, 0));
	ASSERT_EQ(-1, ioctl(self->fd, KVM_GET_VCPU_MMAP_SIZE, 1));
	ASSERT_EQ(EINVAL, errno);
}

/* kvm_dev_ioctl() default -> kvm_arch_dev_ioctl() default: -EINVAL. */
TEST_F(sys, unknown_ioctl_einval)
{
	ASSERT_EQ(-1, ioctl(self->fd, KVMC_UNKNOWN_KVMIO, 0));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(-1, ioctl(self->fd, KVMC_UNKNOWN_FOREIGN, 0));
	ASSERT_EQ(EINVAL, errno);
}

/* kvm_chardev_ops has no ->mmap: do_mmap() gives -ENODEV. */
TEST_F(sys, mmap_enodev)
{
	void *p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, self->fd, 0);

	ASSERT_EQ(MAP_FAILED, p);
	ASSERT_EQ(ENODEV, errno);
}

KVMC_TEST_MAIN
