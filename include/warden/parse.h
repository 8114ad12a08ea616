/* SPDX-License-Identifier: Apache-2.0 */
#ifndef WARDEN_PARSE_H
#define WARDEN_PARSE_H

#include <stdint.h>

/* "4096", "256K", "16M", "1G" (powers of 1024) -> bytes; 0 or -EINVAL/-ERANGE. */
int parse_size(const char *s, uint64_t *out);
/*
 * The decimal number at the start of [p, end), reading nothing past end:
 * returns the first byte after it, or NULL when there is none or it overflows.
 */
const char *parse_u64_span(const char *p, const char *end, uint64_t *out);
/* A whole number in [min, max]; 0 or -EINVAL/-ERANGE. */
int parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out);

#endif
