/* SPDX-License-Identifier: Apache-2.0 */
#ifndef WARDEN_ENCODE_H
#define WARDEN_ENCODE_H

#include <stddef.h>
#include <stdbool.h>

/* True when buf[0..len) is well-formed UTF-8 (no overlongs, no surrogates). */
bool encode_utf8_valid(const unsigned char *buf, size_t len);

/*
 * Copy in to out replacing each byte that is not part of well-formed UTF-8
 * with U+FFFD; out holds 3 * len bytes. Returns the bytes written.
 */
size_t encode_utf8_sanitize(const unsigned char *in, size_t len, char *out);

/* Bytes base64 of len input bytes needs, NUL included. */
static inline size_t encode_base64_size(size_t len)
{
	return (len + 2) / 3 * 4 + 1;
}

/* Standard base64 with padding into out (encode_base64_size(len) bytes); returns its length. */
size_t encode_base64(const unsigned char *in, size_t len, char *out);

#endif
