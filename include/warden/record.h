/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Ring-buffer record -> event. Every record is checked against the ABI
 * before a byte of it is trusted: a malformed one is an error, never a read
 * past its end.
 */
#ifndef WARDEN_RECORD_H
#define WARDEN_RECORD_H

#include <stddef.h>
#include <stdint.h>

struct event;

/*
 * Decode the record at data (size bytes, as the ring buffer delivered it)
 * into ev, whose pointers then borrow from data. mono_to_unix_ns converts
 * the record's CLOCK_MONOTONIC stamp. 0, or -EBADMSG for a malformed record,
 * -EPROTONOSUPPORT for a type this build does not know.
 */
int record_decode(const void *data, size_t size, int64_t mono_to_unix_ns, struct event *ev);

/* Kernel s_dev (major << 20 | minor) -> userspace dev_t, and back. */
uint64_t record_kdev_to_dev(uint64_t kdev);
uint64_t record_dev_to_kdev(uint64_t dev);

#endif
