/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Address -> host name, learnt from the DNS answers processes receive (and
 * from HTTP Host headers), so that a net.connect can say which name the
 * process meant. One table for the host: a name resolved by one process
 * names the address for all, which is what an analyst reading "connect to
 * 1.2.3.4" wants. Bounded: the least recently learnt entry goes first, and
 * an entry expires with its DNS TTL (at least min_ttl, so short TTLs used
 * by CDNs still name the connect that follows the lookup).
 */
#ifndef WARDEN_HOSTCACHE_H
#define WARDEN_HOSTCACHE_H

#include <stdint.h>

#include "warden/event.h"

struct hostcache_stats {
	uint64_t entries;
	uint64_t learnt;
	uint64_t evicted; /* capacity reached: the oldest went */
	uint64_t hits, misses, expired;
};

struct hostcache;

/* capacity entries (at least 16); 0, -EINVAL or -ENOMEM. */
int hostcache_new(size_t capacity, uint32_t min_ttl_s, struct hostcache **out);
void hostcache_free(struct hostcache *hc);

/* addr (AF_INET/AF_INET6; port ignored) is name, for ttl_s seconds from now_ns. */
void hostcache_learn(struct hostcache *hc, const struct event_addr *addr, const char *name,
		     uint32_t ttl_s, uint64_t now_ns);

/* The name for addr, valid until the next learn; NULL when unknown or expired. */
const char *hostcache_lookup(struct hostcache *hc, const struct event_addr *addr, uint64_t now_ns);

void hostcache_get_stats(const struct hostcache *hc, struct hostcache_stats *out);

#endif
