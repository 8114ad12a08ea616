// SPDX-License-Identifier: Apache-2.0
/*
 * Process and network storms. "exec N": N x (fork, exec /bin/true, wait).
 * "connect N": N x connect() to a closed loopback port (refused at once).
 * "pipe N": N x (write 64 bytes to a pipe, read them back), one thread.
 * "unix N": N x (send, recv) of 64 bytes over a UNIX socketpair. "udp N":
 * N x (sendto, recvfrom) of 64 bytes over loopback UDP, unconnected, from
 * a socket the kernel bound (a client's); "udp-server N" the same from a
 * socket bound to its port (a server's replies).
 * "open N": N x open and close /dev/null. "uring N": N x an io_uring NOP,
 * submitted and waited for (an io_uring_enter each). What every process on
 * the host pays on its plain I/O, opens and io_uring requests for the hooks
 * that watch agents' TLS, DNS, file opens and io_uring requests.
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

#include "../uring_ring.h"

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

/* A socket on 127.0.0.1, bound to port 0 (any) or not bound at all (-1); its address in *a. */
static int udp_socket(int port, struct sockaddr_in *a)
{
	socklen_t alen = sizeof(*a);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	*a = (struct sockaddr_in){ .sin_family = AF_INET,
				   .sin_port = htons(port < 0 ? 0 : port),
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	if (fd < 0 || (port >= 0 && bind(fd, (void *)a, sizeof(*a))) ||
	    (port >= 0 && getsockname(fd, (void *)a, &alen)))
		return -1;
	return fd;
}

/*
 * n x (sendto, recvfrom). The sender is a client's socket (never bound:
 * the kernel binds it at its first send) or a server's (bound to a port
 * by number, as servers are): Warden reads where a client socket's first
 * datagram goes, to see resolvers that do not connect, and skips a server's.
 */
static int udp_pairs(long n, int server)
{
	struct sockaddr_in to, from, probe;
	char buf[64] = { 0 };
	int rx, tx, p;

	rx = udp_socket(0, &to);
	if (rx < 0)
		return -1;
	if (!server) {
		tx = udp_socket(-1, &from);
	} else {
		/* A free port, then bound by its number. */
		p = udp_socket(0, &probe);
		if (p < 0)
			return -1;
		close(p);
		tx = udp_socket(ntohs(probe.sin_port), &from);
	}
	if (tx < 0)
		return -1;
	for (long i = 0; i < n; i++) {
		if (sendto(tx, buf, sizeof(buf), 0, (void *)&to, sizeof(to)) != sizeof(buf) ||
		    recvfrom(rx, buf, sizeof(buf), 0, NULL, NULL) != sizeof(buf))
			return -1;
	}
	close(rx);
	close(tx);
	return 0;
}

int main(int argc, char **argv)
{
	struct timespec t0, t1;
	long long c0;
	long n;

	if (argc != 3 ||
	    (strcmp(argv[1], "exec") && strcmp(argv[1], "connect") && strcmp(argv[1], "pipe") &&
	     strcmp(argv[1], "unix") && strcmp(argv[1], "udp") && strcmp(argv[1], "udp-server") &&
	     strcmp(argv[1], "open") && strcmp(argv[1], "uring"))) {
		fprintf(stderr,
			"usage: exec_storm exec|connect|pipe|unix|udp|udp-server|open|uring N\n");
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
	} else if (!strcmp(argv[1], "uring")) {
		struct io_uring_sqe sqe = { .opcode = IORING_OP_NOP };
		struct ring r;

		if (ring_setup(&r))
			return 1;
		for (long i = 0; i < n; i++) {
			sqe.user_data = (__u64)i;
			if (ring_run(&r, &sqe))
				return 1;
		}
		close(r.fd);
	} else if (!strcmp(argv[1], "udp") || !strcmp(argv[1], "udp-server")) {
		if (udp_pairs(n, !strcmp(argv[1], "udp-server")))
			return 1;
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
