// SPDX-License-Identifier: Apache-2.0
/*
 * Process and network storms. "exec N": N x (fork, exec /bin/true, wait).
 * "connect N": N x connect() to a closed loopback port (refused at once).
 * "pipe N": N x (write 64 bytes to a pipe, read them back), one thread.
 * "unix N": N x (send, recv) of 64 bytes over a UNIX socketpair. "udp N":
 * N x (sendto, recvfrom) of 64 bytes over loopback UDP, unconnected.
 * "open N": N x open and close /dev/null. What every process on the host
 * pays on its plain I/O and opens for the hooks that watch agents' TLS,
 * DNS and file opens.
 * Prints one JSON line: the elapsed ns, and the CPU ns (user + system) the
 * storm and its children used: what hooks on their syscalls cost them,
 * without the noise of whatever else the machine runs meanwhile.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static long long cpu_ns(void)
{
	struct rusage self, kids;

	getrusage(RUSAGE_SELF, &self);
	getrusage(RUSAGE_CHILDREN, &kids);
	return (self.ru_utime.tv_sec + self.ru_stime.tv_sec + kids.ru_utime.tv_sec +
		kids.ru_stime.tv_sec) *
		       1000000000ll +
	       (self.ru_utime.tv_usec + self.ru_stime.tv_usec + kids.ru_utime.tv_usec +
		kids.ru_stime.tv_usec) *
		       1000ll;
}

int main(int argc, char **argv)
{
	struct timespec t0, t1;
	long long c0;
	long n;

	if (argc != 3 ||
	    (strcmp(argv[1], "exec") && strcmp(argv[1], "connect") && strcmp(argv[1], "pipe") &&
	     strcmp(argv[1], "unix") && strcmp(argv[1], "udp") && strcmp(argv[1], "open"))) {
		fprintf(stderr, "usage: exec_storm exec|connect|pipe|unix|udp|open N\n");
		return 2;
	}
	n = atol(argv[2]);
	c0 = cpu_ns();
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (!strcmp(argv[1], "exec")) {
		char *args[] = { "/bin/true", NULL };

		for (long i = 0; i < n; i++) {
			pid_t p;
			int st;

			if (posix_spawn(&p, "/bin/true", NULL, NULL, args, environ) || waitpid(p, &st, 0) < 0)
				return 1;
		}
	} else if (!strcmp(argv[1], "open")) {
		for (long i = 0; i < n; i++) {
			int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

			if (fd < 0)
				return 1;
			close(fd);
		}
	} else if (!strcmp(argv[1], "pipe")) {
		char buf[64] = { 0 };
		int fds[2];

		if (pipe(fds))
			return 1;
		for (long i = 0; i < n; i++) {
			if (write(fds[1], buf, sizeof(buf)) != sizeof(buf) ||
			    read(fds[0], buf, sizeof(buf)) != sizeof(buf))
				return 1;
		}
		close(fds[0]);
		close(fds[1]);
	} else if (!strcmp(argv[1], "unix")) {
		char buf[64] = { 0 };
		int fds[2];

		if (socketpair(AF_UNIX, SOCK_STREAM, 0, fds))
			return 1;
		for (long i = 0; i < n; i++) {
			if (send(fds[1], buf, sizeof(buf), 0) != sizeof(buf) ||
			    recv(fds[0], buf, sizeof(buf), 0) != sizeof(buf))
				return 1;
		}
		close(fds[0]);
		close(fds[1]);
	} else if (!strcmp(argv[1], "udp")) {
		struct sockaddr_in a = { .sin_family = AF_INET,
					 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		socklen_t alen = sizeof(a);
		char buf[64] = { 0 };
		int fd = socket(AF_INET, SOCK_DGRAM, 0);

		if (fd < 0 || bind(fd, (void *)&a, sizeof(a)) || getsockname(fd, (void *)&a, &alen))
			return 1;
		for (long i = 0; i < n; i++) {
			if (sendto(fd, buf, sizeof(buf), 0, (void *)&a, sizeof(a)) != sizeof(buf) ||
			    recvfrom(fd, buf, sizeof(buf), 0, NULL, NULL) != sizeof(buf))
				return 1;
		}
		close(fd);
	} else {
		/* Port 1 on loopback: nothing listens, the kernel refuses at once. */
		struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(1),
					 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };

		for (long i = 0; i < n; i++) {
			int fd = socket(AF_INET, SOCK_STREAM, 0);

			if (fd < 0)
				return 1;
			connect(fd, (void *)&a, sizeof(a));
			close(fd);
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("{\"ops\":%ld,\"ns\":%lld,\"cpu_ns\":%lld}\n", n,
	       (t1.tv_sec - t0.tv_sec) * 1000000000ll + (t1.tv_nsec - t0.tv_nsec), cpu_ns() - c0);
	return 0;
}
