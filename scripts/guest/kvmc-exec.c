// SPDX-License-Identifier: GPL-2.0
/*
 * kvmc-exec: run one selftest binary in the test guest with a time limit.
 *   kvmc-exec SECONDS PROGRAM [ARGS...]
 *
 * Unlike a shell (or execvp()), it never falls back to running a file
 * that the kernel refused with ENOEXEC as a shell script, so a 32-bit
 * binary on a kernel booted with ia32_emulation=0 is reported as what it
 * is: "Exec format error", exit status 126 (127 when it does not exist).
 * After SECONDS the program's whole process group is killed (status 137).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static pid_t child;

static void on_alarm(int sig)
{
	(void)sig;
	kill(-child, SIGKILL);
}

int main(int argc, char **argv)
{
	int status;

	if (argc < 3) {
		fprintf(stderr, "usage: kvmc-exec SECONDS PROGRAM [ARGS...]\n");
		return 2;
	}
	fflush(stdout);
	child = fork();
	if (child < 0) {
		perror("kvmc-exec: fork");
		return 2;
	}
	if (child == 0) {
		setpgid(0, 0);
		execv(argv[2], argv + 2);
		fprintf(stderr, "kvmc-exec: %s: %s\n", argv[2], strerror(errno));
		_exit(errno == ENOENT ? 127 : 126);
	}
	setpgid(child, child);
	signal(SIGALRM, on_alarm);
	alarm((unsigned int)atoi(argv[1]));
	while (waitpid(child, &status, 0) < 0) {
		if (errno != EINTR) {
			perror("kvmc-exec: waitpid");
			return 2;
		}
	}
	if (WIFSIGNALED(status)) {
		fprintf(stderr, "kvmc-exec: %s: killed by signal %d\n",
			argv[2], WTERMSIG(status));
		return 128 + WTERMSIG(status);
	}
	return WEXITSTATUS(status);
}
