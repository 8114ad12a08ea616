/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Capture files: the ring-buffer records exactly as the kernel produced
 * them, so that a capture replays through the decoders byte for byte
 * (tools/replay, the pipeline benchmark, bug reports). Layout: a 32-byte
 * header (magic "WARDNCAP", version, the clock offset of the capturing
 * daemon, an ABI fingerprint) then, per record, a u32 size, the record,
 * and padding to 8 bytes. Host byte order: a capture is replayed on the
 * architecture that made it.
 */
#ifndef WARDEN_CAPTURE_H
#define WARDEN_CAPTURE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define CAPTURE_MAX_RECORD (1u << 20)

struct capture_writer;

/* Creates (truncates) path. 0 or -errno. */
int capture_writer_open(const char *path, int64_t mono_to_unix_ns, struct capture_writer **out);
/* 0, or -EIO (the first write error sticks: check once at close). */
int capture_write(struct capture_writer *w, const void *rec, size_t size);
int capture_writer_flush(struct capture_writer *w);
/* Flushes and closes: 0, or the first -errno any write hit. Accepts NULL. */
int capture_writer_close(struct capture_writer *w);

struct capture_reader;

/*
 * Maps path. 0, or -errno: -EPROTO when it is not a capture file or was
 * made by a build with another record ABI.
 */
int capture_reader_open(const char *path, struct capture_reader **out);
int64_t capture_reader_clock(const struct capture_reader *r);
/* The next record: 1 with the record in rec and size; 0 at the end; -EBADMSG when the file is cut or corrupt. */
int capture_next(struct capture_reader *r, const void **rec, size_t *size);
/* Back to the first record. */
void capture_rewind(struct capture_reader *r);
void capture_reader_close(struct capture_reader *r);

#endif
