// SPDX-License-Identifier: GPL-2.0
/*
 * thread_exit N: fork N children one after another; each starts 8 threads
 * that spin on the CPUs, then calls exit(0), so its threads die together
 * (exit_group). Prints each child's pid. Exits 1 if a child failed.
 * For sensor_test.py's process_exit_once.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static void *spin(void *arg)
{
	volatile unsigned long *n = arg;

	for (;;)
		(*n)++;
	return NULL;
}

static int child(void)
{
	static volatile unsigned long counters[8];
	pthread_t t;

	for (int i = 0; i < 8; i++)
		if (pthread_create(&t, NULL, spin, (void *)&counters[i]))
			return 1;
	usleep(1000);
	exit(0);
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 0, status;
	pid_t pid;

	if (n <= 0) {
		fprintf(stderr, "usage: thread_exit N\n");
		return 2;
	}
	for (int i = 0; i < n; i++) {
		pid = fork();
		if (pid < 0) {
			perror("thread_exit: fork");
			return 1;
		}
		if (pid == 0)
			_exit(child());
		if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status)) {
			fprintf(stderr, "thread_exit: child %d failed\n", (int)pid);
			return 1;
		}
		printf("%d\n", (int)pid);
	}
	return 0;
}
