/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One io_uring through raw syscalls (no liburing), for the test and bench
 * tools that drive io_uring: tests/e2e/uring_ops.c, tools/bench/exec_storm.c.
 * Exits the process on a failed io_uring_enter: these are tools.
 */
#ifndef WARDEN_TOOLS_URING_RING_H
#define WARDEN_TOOLS_URING_RING_H

#include <linux/io_uring.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

struct ring {
	int fd;
	struct io_uring_sqe *sqes;
	struct io_uring_cqe *cqes;
	unsigned int *sq_tail, *sq_array, *sq_mask, *cq_head, *cq_tail, *cq_mask;
};

static inline int ring_setup(struct ring *r)
{
	struct io_uring_params p = { 0 };
	char *sq, *cq;

	r->fd = syscall(__NR_io_uring_setup, 4, &p);
	if (r->fd < 0)
		return -1;
	sq = mmap(NULL, p.sq_off.array + p.sq_entries * sizeof(unsigned int),
		  PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, r->fd, IORING_OFF_SQ_RING);
	cq = mmap(NULL, p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe),
		  PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, r->fd, IORING_OFF_CQ_RING);
	r->sqes = mmap(NULL, p.sq_entries * sizeof(struct io_uring_sqe), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_POPULATE, r->fd, IORING_OFF_SQES);
	if (sq == MAP_FAILED || cq == MAP_FAILED || r->sqes == MAP_FAILED)
		return -1;
	r->sq_tail = (unsigned int *)(sq + p.sq_off.tail);
	r->sq_mask = (unsigned int *)(sq + p.sq_off.ring_mask);
	r->sq_array = (unsigned int *)(sq + p.sq_off.array);
	r->cq_head = (unsigned int *)(cq + p.cq_off.head);
	r->cq_tail = (unsigned int *)(cq + p.cq_off.tail);
	r->cq_mask = (unsigned int *)(cq + p.cq_off.ring_mask);
	r->cqes = (struct io_uring_cqe *)(cq + p.cq_off.cqes);
	return 0;
}

static inline void ring_enter(struct ring *r, unsigned int submit, unsigned int wait)
{
	if (syscall(__NR_io_uring_enter, r->fd, submit, wait, wait ? IORING_ENTER_GETEVENTS : 0,
		    NULL, 0) < 0) {
		perror("io_uring_enter");
		exit(1);
	}
}

/* Submits sqe (as slot 0) without waiting for it. */
static inline void ring_submit(struct ring *r, const struct io_uring_sqe *sqe)
{
	r->sqes[0] = *sqe;
	r->sq_array[*r->sq_tail & *r->sq_mask] = 0;
	__atomic_store_n(r->sq_tail, *r->sq_tail + 1, __ATOMIC_RELEASE);
	ring_enter(r, 1, 0);
}

/* Waits for the next completion: its result, or exits on failure. */
static inline int ring_wait(struct ring *r)
{
	unsigned int head;
	int res;

	for (;;) {
		head = *r->cq_head;
		if (head != __atomic_load_n(r->cq_tail, __ATOMIC_ACQUIRE))
			break;
		ring_enter(r, 0, 1);
	}
	res = r->cqes[head & *r->cq_mask].res;
	__atomic_store_n(r->cq_head, head + 1, __ATOMIC_RELEASE);
	return res;
}

/* Submits sqe and waits for its completion: its result. */
static inline int ring_run(struct ring *r, const struct io_uring_sqe *sqe)
{
	ring_submit(r, sqe);
	return ring_wait(r);
}

#endif
