/* SPDX-License-Identifier: Apache-2.0 */
/* Small helpers the byte decoders share: bounded buffer growth, token compares. */
#ifndef WARDEN_BUFUTIL_H
#define WARDEN_BUFUTIL_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Grow *buf (of *cap elements of elem bytes) to hold need elements,
 * doubling from 16, never past max (need <= max). 0, or -ENOMEM with *buf
 * and *cap unchanged.
 */
int bufutil_reserve(void **buf, size_t *cap, size_t need, size_t elem, size_t max);

/* The n bytes at p equal the NUL-terminated lit, ASCII case-insensitively. */
bool bufutil_ieq(const char *p, size_t n, const char *lit);

#endif
