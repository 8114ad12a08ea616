// SPDX-License-Identifier: Apache-2.0
/* See bufutil.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "warden/bufutil.h"

int bufutil_reserve(void **buf, size_t *cap, size_t need, size_t elem, size_t max)
{
	size_t n = *cap ? *cap : 16;
	void *p;

	if (need <= *cap)
		return 0;
	while (n < need)
		n *= 2;
	if (n > max)
		n = max;
	p = realloc(*buf, n * elem);
	if (!p)
		return -ENOMEM;
	*buf = p;
	*cap = n;
	return 0;
}

bool bufutil_ieq(const char *p, size_t n, const char *lit)
{
	return strlen(lit) == n && !strncasecmp(p, lit, n);
}

int bufutil_path_join(const char *dir, size_t dlen, const char *rel, size_t rlen, char *out,
		      size_t cap)
{
	size_t n = 0, i = 0, floor;
	bool slash;

	if (dlen >= cap)
		return -ENAMETOOLONG;
	memcpy(out, dir, dlen);
	n = dlen;
	while (n > 1 && out[n - 1] == '/')
		n--; /* "/a/" and "/a" alike; "/" stays */
	floor = n && out[0] == '/' ? 1 : 0; /* ".." never takes the root away */
	while (i < rlen) {
		size_t start = i, len;

		while (i < rlen && rel[i] != '/')
			i++;
		len = i - start;
		i++; /* past the '/' */
		if (len == 0 || (len == 1 && rel[start] == '.'))
			continue;
		if (len == 2 && rel[start] == '.' && rel[start + 1] == '.') {
			while (n > floor && out[n - 1] != '/')
				n--;
			if (n > floor)
				n--; /* the '/' before the component */
			continue;
		}
		/* A '/' before it, but after the root's and not at the start of a tail. */
		slash = n > 0 && !(n == 1 && out[0] == '/');
		if (n + slash + len >= cap)
			return -ENAMETOOLONG;
		if (slash)
			out[n++] = '/';
		memcpy(out + n, rel + start, len);
		n += len;
	}
	out[n] = 0;
	return (int)n;
}
