// SPDX-License-Identifier: Apache-2.0
/* Number parsing shared by the command lines and the /proc readers. */
#include <errno.h>
#include <string.h>

#include "warden/parse.h"

const char *parse_u64_span(const char *p, const char *end, uint64_t *out)
{
	const char *start = p;
	uint64_t v = 0;

	for (; p < end && *p >= '0' && *p <= '9'; p++) {
		if (v > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
			return NULL;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (p == start)
		return NULL;
	*out = v;
	return p;
}

/* The leading number of s; *rest points past it. -ERANGE on overflow. */
static int leading_number(const char *s, uint64_t *v, const char **rest)
{
	const char *end = s ? s + strlen(s) : NULL;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	*rest = parse_u64_span(s, end, v);
	return *rest ? 0 : -ERANGE;
}

int parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	const char *rest;
	uint64_t v;
	int r = leading_number(s, &v, &rest);

	if (r < 0)
		return r;
	if (*rest)
		return -EINVAL;
	if (v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int parse_size(const char *s, uint64_t *out)
{
	unsigned int shift = 0;
	const char *rest;
	uint64_t v;
	int r = leading_number(s, &v, &rest);

	if (r < 0)
		return r;
	switch (*rest) {
	case 0:
		break;
	case 'k':
	case 'K':
		shift = 10;
		break;
	case 'm':
	case 'M':
		shift = 20;
		break;
	case 'g':
	case 'G':
		shift = 30;
		break;
	default:
		return -EINVAL;
	}
	/* "16M", "16MB" and "16MiB" all mean 16 * 2^20. */
	if (*rest && strcmp(rest + 1, "") && strcmp(rest + 1, "B") && strcmp(rest + 1, "iB"))
		return -EINVAL;
	if (shift && v > (UINT64_MAX >> shift))
		return -ERANGE;
	*out = v << shift;
	return 0;
}
