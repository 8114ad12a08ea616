// SPDX-License-Identifier: Apache-2.0
/*
 * uring_ops PATH PORT: what an agent's tool could do to stay out of the
 * openat() and connect() hooks. Through one io_uring (raw syscalls: no
 * liburing), opens PATH and connects a TCP socket to 127.0.0.1:PORT.
 * Prints "openat RES connect RES" (the completions' results) and exits 0
 * when both requests completed, whatever their results.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/io_uring.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#define USER_DATA_OPEN 0x6f70656eu /* what the test looks for in the events */
#define USER_DATA_CONNECT 0x636f6e6eu

int main(int argc, char **argv)
{
	struct io_uring_params p = { 0 };
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct io_uring_sqe *sqes, *sqe;
	struct io_uring_cqe *cqes;
	unsigned int *sq_tail, *sq_array, *sq_mask, *cq_head, *cq_tail, *cq_mask;
	int ring, sock, res[2] = { 0, 0 }, seen = 0;
	char *sq, *cq;

	if (argc != 3) {
		fprintf(stderr, "usage: uring_ops PATH PORT\n");
		return 2;
	}
	ring = syscall(__NR_io_uring_setup, 4, &p);
	sock = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (ring < 0 || sock < 0) {
		perror("io_uring_setup/socket");
		return 1;
	}
	sq = mmap(NULL, p.sq_off.array + p.sq_entries * sizeof(unsigned int),
		  PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, ring, IORING_OFF_SQ_RING);
	cq = mmap(NULL, p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe),
		  PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, ring, IORING_OFF_CQ_RING);
	sqes = mmap(NULL, p.sq_entries * sizeof(struct io_uring_sqe), PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_POPULATE, ring, IORING_OFF_SQES);
	if (sq == MAP_FAILED || cq == MAP_FAILED || sqes == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	sq_tail = (unsigned int *)(sq + p.sq_off.tail);
	sq_mask = (unsigned int *)(sq + p.sq_off.ring_mask);
	sq_array = (unsigned int *)(sq + p.sq_off.array);
	cq_head = (unsigned int *)(cq + p.cq_off.head);
	cq_tail = (unsigned int *)(cq + p.cq_off.tail);
	cq_mask = (unsigned int *)(cq + p.cq_off.ring_mask);
	cqes = (struct io_uring_cqe *)(cq + p.cq_off.cqes);

	sqe = &sqes[0];
	memset(sqe, 0, sizeof(*sqe));
	sqe->opcode = IORING_OP_OPENAT;
	sqe->fd = AT_FDCWD;
	sqe->addr = (unsigned long)argv[1];
	sqe->open_flags = O_RDONLY | O_CLOEXEC;
	sqe->user_data = USER_DATA_OPEN;
	sqe->flags = IOSQE_IO_LINK; /* in order: the open, then the connect */

	sin.sin_port = htons(atoi(argv[2]));
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sqe = &sqes[1];
	memset(sqe, 0, sizeof(*sqe));
	sqe->opcode = IORING_OP_CONNECT;
	sqe->fd = sock;
	sqe->addr = (unsigned long)&sin;
	sqe->off = sizeof(sin); /* addr2: the address's length */
	sqe->user_data = USER_DATA_CONNECT;

	sq_array[*sq_tail & *sq_mask] = 0;
	sq_array[(*sq_tail + 1) & *sq_mask] = 1;
	__atomic_store_n(sq_tail, *sq_tail + 2, __ATOMIC_RELEASE);
	if (syscall(__NR_io_uring_enter, ring, 2, 2, IORING_ENTER_GETEVENTS, NULL, 0) < 0) {
		perror("io_uring_enter");
		return 1;
	}
	while (seen < 2) {
		unsigned int head = *cq_head;

		if (head == __atomic_load_n(cq_tail, __ATOMIC_ACQUIRE)) {
			if (syscall(__NR_io_uring_enter, ring, 0, 1, IORING_ENTER_GETEVENTS, NULL,
				    0) < 0) {
				perror("io_uring_enter");
				return 1;
			}
			continue;
		}
		struct io_uring_cqe *c = &cqes[head & *cq_mask];

		res[c->user_data == USER_DATA_CONNECT] = c->res;
		seen++;
		__atomic_store_n(cq_head, head + 1, __ATOMIC_RELEASE);
	}
	printf("openat %d connect %d\n", res[0], res[1]);
	return 0;
}
