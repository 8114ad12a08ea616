// SPDX-License-Identifier: Apache-2.0
/* /etc/ld.so.cache is read from the host (or a container's root): parse anything. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "warden/ldcache.h"

static int count(const char *key, const char *path, void *arg)
{
	/* Touch every byte of both strings: they must be NUL-terminated in bounds. */
	*(size_t *)arg += strlen(key) + strlen(path);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t total = 0;
	uint8_t *buf = malloc(size ? size : 1);

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	ldcache_parse(buf, size, count, &total);
	free(buf);
	return 0;
}
