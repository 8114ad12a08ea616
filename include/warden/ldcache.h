/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The dynamic linker's cache (/etc/ld.so.cache, glibc "1.1" format): which
 * file `dlopen("libssl.so.3")` would load, so that those files are probed
 * before the first process maps them.
 */
#ifndef WARDEN_LDCACHE_H
#define WARDEN_LDCACHE_H

#include <stddef.h>

/* Called per entry: key is the soname, path the file. Non-zero stops the walk. */
typedef int (*ldcache_cb)(const char *key, const char *path, void *arg);

/* Walk a cache image; 0, the callback's value, or -EBADMSG when malformed. */
int ldcache_parse(const void *buf, size_t len, ldcache_cb cb, void *arg);
/* Read and walk a cache file; 0, callback's value, or -errno. */
int ldcache_walk_file(const char *path, ldcache_cb cb, void *arg);

#endif
