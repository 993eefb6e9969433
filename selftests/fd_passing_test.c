// SPDX-License-Identifier: GPL-2.0
/*
 * The second line of defence: KVM fds opened by a 64-bit process and
 * handed to a compat (ia32 or x32) process, (a) inherited across exec and
 * (b) sent over SCM_RIGHTS to an already running compat process.
 *
 * Upstream (virt/kvm/kvm_main.c): the system fd has no mm check, so a
 * compat caller gets answers where compat is served; VM and vCPU ioctls
 * from another process fail with EIO (kvm_vm_ioctl(), kvm_vm_compat_ioctl(),
 * kvm_vcpu_ioctl(), kvm_vcpu_compat_ioctl(): kvm->mm != current->mm); a VM
 * the compat process creates itself works. Where compat is not served,
 * every compat ioctl fails with EINVAL (kvm_no_compat_ioctl()).
 *
 *   fd_passing_test_64 [DEVICE] [kselftest_harness options]
 *
 * The 64-bit binary runs the tests; it execs its siblings
 * fd_passing_test_32 / fd_passing_test_x32 (next to it) in a child mode:
 *   fd_passing_test_{32,x32} --child-exec SYS_FD VM_FD VCPU_FD OUT_FD
 *   fd_passing_test_{32,x32} --child-sock SOCK_FD
 * The child prints one result line (ioctl results, -errno on failure).
 * In the compat builds the harness tests skip.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "kvm_compat_util.h"

#define NOT_RUN		1	/* a result the child did not get to */
#define RESULT_FMT \
	"api=%d ext_vm=%d create_vcpu=%d get_regs=%d own_vm=%d own_memslot=%d own_regs=%d"
#define NR_FDS		3

struct child_result {
	int api, ext_vm, create_vcpu, get_regs, own_vm, own_memslot, own_regs;
};

/* ---- child side (any ABI) ---- */

static int own_vm_probe(int sys, struct child_result *r)
{
	struct kvm_regs regs;
	void *mem;
	int vm, vcpu;

	vm = kvmc_create_vm(sys);
	r->own_vm = vm < 0 ? vm : 0;
	if (vm < 0)
		return 0;
	mem = kvmc_map_pages(1);
	r->own_memslot = mem ? kvmc_set_region(vm, 0, 0, 0, KVMC_PAGE_SIZE,
					       KVMC_HVA(mem)) : -ENOMEM;
	vcpu = kvmc_create_vcpu(vm, 0);
	r->own_regs = vcpu < 0 ? vcpu :
		kvmc_ioctl(vcpu, KVM_GET_REGS, (unsigned long)&regs);
	return 0;
}

static void child_probe(int sys, int vm, int vcpu, struct child_result *r)
{
	struct kvm_regs regs;

	r->api = kvmc_ioctl(sys, KVM_GET_API_VERSION, 0);
	r->ext_vm = kvmc_check_ext(vm, KVM_CAP_USER_MEMORY);
	r->create_vcpu = kvmc_create_vcpu(vm, 1);
	r->get_regs = kvmc_ioctl(vcpu, KVM_GET_REGS, (unsigned long)&regs);
	r->own_vm = NOT_RUN;
	r->own_memslot = NOT_RUN;
	r->own_regs = NOT_RUN;
	own_vm_probe(sys, r);
}

static int child_report(int out, const struct child_result *r)
{
	return dprintf(out, RESULT_FMT "\n", r->api, r->ext_vm, r->create_vcpu,
		       r->get_regs, r->own_vm, r->own_memslot, r->own_regs) < 0;
}

static int child_exec_main(int argc, char **argv)
{
	struct child_result r;

	if (argc != 6) {
		fprintf(stderr, "# child: usage: --child-exec SYS VM VCPU OUT\n");
		return 2;
	}
	child_probe(atoi(argv[2]), atoi(argv[3]), atoi(argv[4]), &r);
	return child_report(atoi(argv[5]), &r);
}

static int recv_fds(int sock, int fds[NR_FDS])
{
	char cbuf[CMSG_SPACE(NR_FDS * sizeof(int))];
	char byte;
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *c;

	if (recvmsg(sock, &msg, 0) != 1)
		return -1;
	c = CMSG_FIRSTHDR(&msg);
	if (!c || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS ||
	    c->cmsg_len != CMSG_LEN(NR_FDS * sizeof(int)))
		return -1;
	memcpy(fds, CMSG_DATA(c), NR_FDS * sizeof(int));
	return 0;
}

static int child_sock_main(int argc, char **argv)
{
	struct child_result r;
	int sock, fds[NR_FDS];

	if (argc != 3) {
		fprintf(stderr, "# child: usage: --child-sock SOCK\n");
		return 2;
	}
	sock = atoi(argv[2]);
	if (write(sock, "R", 1) != 1 || recv_fds(sock, fds)) {
		fprintf(stderr, "# child: no fds received\n");
		return 3;
	}
	child_probe(fds[0], fds[1], fds[2], &r);
	return child_report(sock, &r);
}

/* ---- parent side (the 64-bit binary) ---- */

static bool ia32_disabled_on_cmdline(void)
{
	char buf[4096];
	ssize_t n;
	FILE *f = fopen("/proc/cmdline", "r");

	if (!f)
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n > 0 ? n : 0] = '\0';
	return strstr(buf, "ia32_emulation=0");
}

/* fd_passing_test_<suffix> in the directory of this binary. */
static int sibling_path(const char *suffix, char *buf, size_t len)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash;

	if (n <= 0)
		return -1;
	self[n] = '\0';
	slash = strrchr(self, '/');
	if (!slash)
		return -1;
	*slash = '\0';
	if ((size_t)snprintf(buf, len, "%s/fd_passing_test_%s", self, suffix) >= len)
		return -1;
	return access(buf, X_OK);
}

/*
 * fork + exec @argv[0] with @keep[] inherited (FD_CLOEXEC cleared in the
 * child). Returns the pid, or -errno of a failed fork or exec.
 */
static pid_t spawn(char *const argv[], const int *keep, int nkeep)
{
	int errpipe[2], err = 0, i;
	pid_t pid;

	if (pipe2(errpipe, O_CLOEXEC))
		return -errno;
	pid = fork();
	if (pid < 0) {
		err = errno;
		close(errpipe[0]);
		close(errpipe[1]);
		return -err;
	}
	if (pid == 0) {
		close(errpipe[0]);
		for (i = 0; i < nkeep; i++)
			kvmc_clear_cloexec(keep[i]);
		execv(argv[0], argv);
		err = errno;
		if (write(errpipe[1], &err, sizeof(err)) < 0)
			_exit(126);
		_exit(127);
	}
	close(errpipe[1]);
	if (read(errpipe[0], &err, sizeof(err)) != sizeof(err))
		err = 0;
	close(errpipe[0]);
	if (err) {
		waitpid(pid, NULL, 0);
		return -err;
	}
	return pid;
}

static int read_result(int fd, struct child_result *r)
{
	char line[256];
	ssize_t n, len = 0;

	while (len < (ssize_t)sizeof(line) - 1) {
		n = read(fd, line + len, sizeof(line) - 1 - len);
		if (n <= 0)
			break;
		len += n;
		if (memchr(line, '\n', len))
			break;
	}
	line[len] = '\0';
	return sscanf(line, RESULT_FMT, &r->api, &r->ext_vm, &r->create_vcpu,
		      &r->get_regs, &r->own_vm, &r->own_memslot,
		      &r->own_regs) == 7 ? 0 : -1;
}

FIXTURE(pass)
{
	struct kvmc_vcpu_fds fds;
	char child[PATH_MAX];
};

FIXTURE_VARIANT(pass)
{
	const char *suffix;
	const char *abi;
	bool ia32;
};

FIXTURE_VARIANT_ADD(pass, ia32)
{
	.suffix = "32", .abi = "ia32", .ia32 = true,
};

FIXTURE_VARIANT_ADD(pass, x32)
{
	.suffix = "x32", .abi = "x32", .ia32 = false,
};

FIXTURE_SETUP(pass)
{
	kvmc_vcpu_fds_init(&self->fds);
	if (kvmc_is_compat_abi())
		SKIP(return, "only the 64-bit binary hands out fds");
	if (sibling_path(variant->suffix, self->child, sizeof(self->child)))
		SKIP(return, "no fd_passing_test_%s next to this binary",
		     variant->suffix);
	if (variant->ia32 && ia32_disabled_on_cmdline())
		SKIP(return, "ia32_emulation=0: ia32 binaries cannot run");
}

FIXTURE_TEARDOWN(pass)
{
	kvmc_vcpu_fds_close(&self->fds);
}

/* @r: what child @abi got from the owner's fds; @owner_vm must be unharmed. */
static void check_result(struct __test_metadata *_metadata, int owner_vm,
			 const char *abi, const struct child_result *r)
{
	TH_LOG("[%s] " RESULT_FMT, abi, r->api, r->ext_vm, r->create_vcpu,
	       r->get_regs, r->own_vm, r->own_memslot, r->own_regs);
	if (kvmc_compat_served()) {
		EXPECT_EQ(KVM_API_VERSION, r->api);
		EXPECT_EQ(-EIO, r->ext_vm);
		EXPECT_EQ(-EIO, r->create_vcpu);
		EXPECT_EQ(-EIO, r->get_regs);
		EXPECT_EQ(0, r->own_vm);
		EXPECT_EQ(0, r->own_memslot);
		EXPECT_EQ(0, r->own_regs);
	} else {
		EXPECT_EQ(-EINVAL, r->api);
		EXPECT_EQ(-EINVAL, r->ext_vm);
		EXPECT_EQ(-EINVAL, r->create_vcpu);
		EXPECT_EQ(-EINVAL, r->get_regs);
		EXPECT_EQ(-EINVAL, r->own_vm);
		EXPECT_EQ(NOT_RUN, r->own_memslot);
		EXPECT_EQ(NOT_RUN, r->own_regs);
	}
	/* The owner's VM is unharmed: vCPU 1 is still free and creatable. */
	EXPECT_EQ(1, kvmc_check_ext(owner_vm, KVM_CAP_USER_MEMORY));
	EXPECT_LE(0, kvmc_create_vcpu(owner_vm, 1));
}

static void check_exit(struct __test_metadata *_metadata, pid_t pid)
{
	int status;

	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
		TH_LOG("child status %#x", status);
}

/* @fd as a decimal argument in @buf (16 bytes). */
static char *fd_arg(char buf[16], int fd)
{
	snprintf(buf, 16, "%d", fd);
	return buf;
}

TEST_F_TIMEOUT(pass, across_exec, 120)
{
	char a_sys[16], a_vm[16], a_vcpu[16], a_out[16];
	struct child_result r;
	int out[2];
	pid_t pid;

	KVMC_OPEN_OR_SKIP(self->fds.sys);
	KVMC_VCPU_FDS_CREATE(&self->fds);
	ASSERT_EQ(0, pipe2(out, O_CLOEXEC));
	{
		char *const argv[] = { self->child, "--child-exec",
			fd_arg(a_sys, self->fds.sys), fd_arg(a_vm, self->fds.vm),
			fd_arg(a_vcpu, self->fds.vcpu), fd_arg(a_out, out[1]),
			NULL };
		int keep[] = { self->fds.sys, self->fds.vm, self->fds.vcpu,
			       out[1] };

		pid = spawn(argv, keep, 4);
	}
	close(out[1]);
	ASSERT_LT(0, pid) TH_LOG("exec %s: %s", self->child,
				 kvmc_errname(-pid));
	EXPECT_EQ(0, read_result(out[0], &r)) TH_LOG("no result from child");
	close(out[0]);
	check_exit(_metadata, pid);
	check_result(_metadata, self->fds.vm, variant->abi, &r);
}

static int send_fds(int sock, const int fds[NR_FDS])
{
	char cbuf[CMSG_SPACE(NR_FDS * sizeof(int))];
	struct iovec iov = { .iov_base = "F", .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *c;

	memset(cbuf, 0, sizeof(cbuf));
	c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(NR_FDS * sizeof(int));
	memcpy(CMSG_DATA(c), fds, NR_FDS * sizeof(int));
	return sendmsg(sock, &msg, 0) == 1 ? 0 : -errno;
}

TEST_F_TIMEOUT(pass, over_scm_rights, 120)
{
	char a_sock[16], ready;
	struct child_result r;
	int sv[2];
	pid_t pid;

	KVMC_OPEN_OR_SKIP(self->fds.sys);
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	{
		char *const argv[] = { self->child, "--child-sock",
			fd_arg(a_sock, sv[1]), NULL };

		pid = spawn(argv, &sv[1], 1);
	}
	close(sv[1]);
	ASSERT_LT(0, pid) TH_LOG("exec %s: %s", self->child,
				 kvmc_errname(-pid));
	/* The compat process is up and running before the VM exists. */
	ASSERT_EQ(1, read(sv[0], &ready, 1));
	KVMC_VCPU_FDS_CREATE(&self->fds);
	{
		int fds[NR_FDS] = { self->fds.sys, self->fds.vm,
				    self->fds.vcpu };

		ASSERT_EQ(0, send_fds(sv[0], fds));
	}
	EXPECT_EQ(0, read_result(sv[0], &r)) TH_LOG("no result from child");
	close(sv[0]);
	check_exit(_metadata, pid);
	check_result(_metadata, self->fds.vm, variant->abi, &r);
}

/*
 * Booted with ia32_emulation=0, the kernel refuses to exec an ia32 binary
 * (ENOEXEC from binfmt_elf); the fd passing tests above skip for ia32.
 */
TEST(ia32_exec_refused)
{
	char child[PATH_MAX];
	char *const argv[] = { child, "--child-sock", "-1", NULL };
	pid_t pid;

	if (kvmc_is_compat_abi())
		SKIP(return, "only the 64-bit binary execs the ia32 sibling");
	if (!ia32_disabled_on_cmdline())
		SKIP(return, "ia32_emulation=0 not on the kernel command line");
	if (sibling_path("32", child, sizeof(child)))
		SKIP(return, "no fd_passing_test_32 next to this binary");
	pid = spawn(argv, NULL, 0);
	if (pid > 0)
		waitpid(pid, NULL, 0);
	ASSERT_EQ(-ENOEXEC, pid);
}

KVMC_HARNESS_RUN_DEFINE

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "--child-exec"))
		return child_exec_main(argc, argv);
	if (argc > 1 && !strcmp(argv[1], "--child-sock"))
		return child_sock_main(argc, argv);
	return kvmc_harness_run(argc, argv);
}
