// SPDX-License-Identifier: Apache-2.0
/* ld.so.cache parsing. See ldcache.h. The format is glibc's cache_file_new. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "warden/ldcache.h"

#define CACHE_MAGIC "glibc-ld.so.cache1.1"
#define CACHE_MAX_SIZE (64u << 20)

struct cache_header {
	char magic[20]; /* "glibc-ld.so.cache" "1.1" */
	uint32_t nlibs;
	uint32_t len_strings;
	uint8_t flags;
	uint8_t pad[3];
	uint32_t extension_offset;
	uint32_t unused[3];
};

struct cache_entry {
	int32_t flags;
	uint32_t key; /* offsets from the start of the new-format header */
	uint32_t value;
	uint32_t osversion;
	uint64_t hwcap;
};

_Static_assert(sizeof(struct cache_header) == 48, "glibc cache header");
_Static_assert(sizeof(struct cache_entry) == 24, "glibc cache entry");

/* A NUL-terminated string at off inside [0, len), or NULL. */
static const char *str_at(const char *base, size_t len, uint32_t off)
{
	if (off >= len || !memchr(base + off, 0, len - off))
		return NULL;
	return base + off;
}

int ldcache_parse(const void *buf, size_t len, ldcache_cb cb, void *arg)
{
	const char *base = buf;
	struct cache_header h;
	size_t off = 0, need;

	/* An old-format ("ld.so-1.7.0") prefix may precede the new header. */
	if (len < sizeof(h))
		return -EBADMSG;
	if (memcmp(base, CACHE_MAGIC, strlen(CACHE_MAGIC))) {
		const char *p = memmem(base, len, CACHE_MAGIC, strlen(CACHE_MAGIC));

		if (!p)
			return -EBADMSG;
		off = p - base;
	}
	base += off;
	len -= off;
	if (len < sizeof(h))
		return -EBADMSG;
	/* Copied out: after an old-format prefix the header may be unaligned. */
	memcpy(&h, base, sizeof(h));
	need = sizeof(h) + (size_t)h.nlibs * sizeof(struct cache_entry);
	if (h.nlibs > len / sizeof(struct cache_entry) || need > len)
		return -EBADMSG;
	for (uint32_t i = 0; i < h.nlibs; i++) {
		struct cache_entry e;
		const char *key, *val;
		int r;

		memcpy(&e, base + sizeof(h) + i * sizeof(e), sizeof(e));
		key = str_at(base, len, e.key);
		val = str_at(base, len, e.value);
		if (!key || !val)
			return -EBADMSG;
		r = cb(key, val, arg);
		if (r)
			return r;
	}
	return 0;
}

int ldcache_walk_file(const char *path, ldcache_cb cb, void *arg)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	void *map = MAP_FAILED;
	struct stat st;
	int r;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		r = -errno;
		goto cleanup;
	}
	if (st.st_size <= 0 || (uint64_t)st.st_size > CACHE_MAX_SIZE) {
		r = st.st_size <= 0 ? -EBADMSG : -EFBIG;
		goto cleanup;
	}
	map = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (map == MAP_FAILED) {
		r = -errno;
		goto cleanup;
	}
	r = ldcache_parse(map, st.st_size, cb, arg);
cleanup:
	if (map != MAP_FAILED)
		munmap(map, st.st_size);
	close(fd);
	return r;
}
