// SPDX-License-Identifier: Apache-2.0
/* Capture files. See capture.h. */
#include <errno.h>
#include <fcntl.h>
#include <linux/types.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "warden/capture.h"
#include "warden/events.h"

#define CAPTURE_VERSION 1

struct capture_header {
	char magic[8];
	uint32_t version;
	uint32_t header_size;
	int64_t mono_to_unix_ns;
	uint32_t abi; /* changes when the record layouts do */
	uint32_t _pad0;
};
_Static_assert(sizeof(struct capture_header) == 32, "capture header is 32 bytes");

static uint32_t abi_fingerprint(void)
{
	/*
	 * The size of every record and the offsets of their variable parts: a
	 * layout change moves at least one (the connect path moved at one size).
	 * FNV-1a over them, so that no two changes can cancel out.
	 */
	static const uint32_t layout[] = {
		sizeof(struct warden_rec_hdr),
		sizeof(struct warden_task),
		sizeof(struct warden_rec_fork),
		sizeof(struct warden_rec_exec),
		offsetof(struct warden_rec_exec, args),
		sizeof(struct warden_rec_exit),
		sizeof(struct warden_rec_connect),
		WARDEN_CONNECT_INET_SIZE,
		sizeof(struct warden_rec_tls),
		offsetof(struct warden_rec_tls, data),
		sizeof(struct warden_rec_lib_map),
		sizeof(struct warden_rec_dns),
		offsetof(struct warden_rec_dns, data),
		sizeof(struct warden_rec_file_open),
		offsetof(struct warden_rec_file_open, resolved_path),
		sizeof(struct warden_rec_io_uring),
		offsetof(struct warden_rec_io_uring, path2),
		sizeof(struct warden_rec_listen),
		sizeof(struct warden_rec_file_change),
		offsetof(struct warden_rec_file_change, resolved_path),
		sizeof(struct warden_rec_accept),
	};
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < sizeof(layout) / sizeof(layout[0]); i++)
		for (int b = 0; b < 32; b += 8)
			h = (h ^ ((layout[i] >> b) & 0xff)) * 16777619u;
	return h;
}

struct capture_writer {
	FILE *f;
	int err;
};

int capture_writer_open(const char *path, int64_t mono_to_unix_ns, struct capture_writer **out)
{
	struct capture_header h = { .magic = "WARDNCAP",
				    .version = CAPTURE_VERSION,
				    .header_size = sizeof(h),
				    .mono_to_unix_ns = mono_to_unix_ns,
				    .abi = abi_fingerprint() };
	struct capture_writer *w;

	*out = NULL;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->f = fopen(path, "wbe");
	if (!w->f) {
		int r = -errno;

		free(w);
		return r;
	}
	setvbuf(w->f, NULL, _IOFBF, 1 << 20);
	if (fwrite(&h, sizeof(h), 1, w->f) != 1)
		w->err = -EIO;
	*out = w;
	return 0;
}

int capture_write(struct capture_writer *w, const void *rec, size_t size)
{
	static const uint8_t zeros[8];
	uint32_t n = size;

	if (w->err)
		return w->err;
	if (size > CAPTURE_MAX_RECORD)
		return -EMSGSIZE;
	if (fwrite(&n, sizeof(n), 1, w->f) != 1 || fwrite(rec, 1, size, w->f) != size ||
	    fwrite(zeros, 1, (8 - (sizeof(n) + size) % 8) % 8, w->f) != (8 - (sizeof(n) + size) % 8) % 8)
		w->err = -EIO;
	return w->err;
}

int capture_writer_flush(struct capture_writer *w)
{
	if (!w->err && fflush(w->f) == EOF)
		w->err = -errno;
	return w->err;
}

int capture_writer_close(struct capture_writer *w)
{
	int r;

	if (!w)
		return 0;
	r = capture_writer_flush(w);
	if (fclose(w->f) == EOF && !r)
		r = -errno;
	free(w);
	return r;
}

struct capture_reader {
	const uint8_t *map;
	size_t len, pos;
	int64_t clock;
};

int capture_reader_open(const char *path, struct capture_reader **out)
{
	struct capture_header h;
	struct capture_reader *r;
	struct stat st;
	int fd, err = 0;

	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = calloc(1, sizeof(*r));
	if (!r) {
		err = -ENOMEM;
		goto cleanup;
	}
	if (fstat(fd, &st) < 0) {
		err = -errno;
		goto cleanup;
	}
	if ((size_t)st.st_size < sizeof(h)) {
		err = -EPROTO;
		goto cleanup;
	}
	r->len = st.st_size;
	/* Populated now: replaying measures decoding, not page faults on the file. */
	r->map = mmap(NULL, r->len, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
	if (r->map == MAP_FAILED) {
		r->map = NULL;
		err = -errno;
		goto cleanup;
	}
	memcpy(&h, r->map, sizeof(h));
	if (memcmp(h.magic, "WARDNCAP", 8) || h.version != CAPTURE_VERSION ||
	    h.header_size != sizeof(h) || h.abi != abi_fingerprint()) {
		err = -EPROTO;
		goto cleanup;
	}
	r->clock = h.mono_to_unix_ns;
	r->pos = sizeof(h);
cleanup:
	close(fd);
	if (err) {
		capture_reader_close(r);
		return err;
	}
	*out = r;
	return 0;
}

int64_t capture_reader_clock(const struct capture_reader *r)
{
	return r->clock;
}

int capture_next(struct capture_reader *r, const void **rec, size_t *size)
{
	uint32_t n;
	size_t step;

	if (r->pos == r->len)
		return 0;
	if (r->len - r->pos < sizeof(n))
		return -EBADMSG;
	memcpy(&n, r->map + r->pos, sizeof(n));
	step = sizeof(n) + n;
	step += (8 - step % 8) % 8;
	if (n > CAPTURE_MAX_RECORD || r->len - r->pos < sizeof(n) + n)
		return -EBADMSG;
	*rec = r->map + r->pos + sizeof(n);
	*size = n;
	r->pos = r->len - r->pos < step ? r->len : r->pos + step;
	return 1;
}

void capture_rewind(struct capture_reader *r)
{
	r->pos = sizeof(struct capture_header);
}

void capture_reader_close(struct capture_reader *r)
{
	if (!r)
		return;
	if (r->map)
		munmap((void *)r->map, r->len);
	free(r);
}
