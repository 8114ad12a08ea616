// SPDX-License-Identifier: Apache-2.0
/*
 * Address -> name table. See hostcache.h. A fixed pool used as a ring:
 * learning takes the next slot, so the entry evicted is always the one
 * learnt longest ago, and nothing is allocated after creation.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "warden/hostcache.h"

#define NIL UINT32_MAX

struct hc_entry {
	uint8_t addr[16];
	uint16_t family; /* 0: slot unused */
	uint32_t next; /* bucket chain */
	uint64_t expires_ns;
	char name[256];
};

struct hostcache {
	struct hc_entry *pool;
	uint32_t *buckets;
	size_t capacity, nbuckets; /* nbuckets: power of 2 */
	size_t ring; /* next slot to take */
	uint64_t min_ttl_ns;
	struct hostcache_stats stats;
};

int hostcache_new(size_t capacity, uint32_t min_ttl_s, struct hostcache **out)
{
	struct hostcache *hc;

	*out = NULL;
	if (capacity < 16 || capacity >= NIL)
		return -EINVAL;
	hc = calloc(1, sizeof(*hc));
	if (!hc)
		return -ENOMEM;
	hc->capacity = capacity;
	for (hc->nbuckets = 16; hc->nbuckets < capacity; hc->nbuckets <<= 1)
		;
	hc->pool = calloc(capacity, sizeof(*hc->pool));
	hc->buckets = malloc(hc->nbuckets * sizeof(*hc->buckets));
	if (!hc->pool || !hc->buckets) {
		hostcache_free(hc);
		return -ENOMEM;
	}
	memset(hc->buckets, 0xff, hc->nbuckets * sizeof(*hc->buckets));
	hc->min_ttl_ns = (uint64_t)min_ttl_s * 1000000000;
	*out = hc;
	return 0;
}

void hostcache_free(struct hostcache *hc)
{
	if (!hc)
		return;
	free(hc->pool);
	free(hc->buckets);
	free(hc);
}

static size_t addr_len(uint16_t family)
{
	return family == AF_INET ? 4 : family == AF_INET6 ? 16 : 0;
}

static size_t bucket_of(const struct hostcache *hc, const struct event_addr *a)
{
	uint64_t h = 1469598103934665603ULL ^ a->family;

	for (size_t i = 0; i < addr_len(a->family); i++)
		h = (h ^ a->addr[i]) * 1099511628211ULL;
	return h & (hc->nbuckets - 1);
}

static uint32_t *find_link(struct hostcache *hc, const struct event_addr *a)
{
	uint32_t *link = &hc->buckets[bucket_of(hc, a)];

	while (*link != NIL) {
		struct hc_entry *e = &hc->pool[*link];

		if (e->family == a->family && !memcmp(e->addr, a->addr, addr_len(a->family)))
			return link;
		link = &e->next;
	}
	return link;
}

static void unlink_slot(struct hostcache *hc, uint32_t slot)
{
	struct hc_entry *e = &hc->pool[slot];
	struct event_addr a = { .family = e->family };
	uint32_t *link;

	memcpy(a.addr, e->addr, sizeof(a.addr));
	link = find_link(hc, &a);
	if (*link == slot)
		*link = e->next;
	e->family = 0;
	hc->stats.entries--;
}

void hostcache_learn(struct hostcache *hc, const struct event_addr *addr, const char *name,
		     uint32_t ttl_s, uint64_t now_ns)
{
	uint64_t ttl_ns = (uint64_t)ttl_s * 1000000000;
	uint32_t *link, slot;
	struct hc_entry *e;
	size_t n;

	if (!addr_len(addr->family) || !name || !name[0])
		return;
	if (ttl_ns < hc->min_ttl_ns)
		ttl_ns = hc->min_ttl_ns;
	link = find_link(hc, addr);
	if (*link != NIL) {
		e = &hc->pool[*link];
	} else {
		slot = hc->ring;
		hc->ring = (hc->ring + 1) % hc->capacity;
		if (hc->pool[slot].family) {
			unlink_slot(hc, slot);
			hc->stats.evicted++;
			link = find_link(hc, addr); /* the chain may have changed */
		}
		e = &hc->pool[slot];
		memset(e->addr, 0, sizeof(e->addr));
		memcpy(e->addr, addr->addr, addr_len(addr->family));
		e->family = addr->family;
		e->next = NIL;
		*link = slot;
		hc->stats.entries++;
	}
	n = strnlen(name, sizeof(e->name) - 1);
	memcpy(e->name, name, n);
	e->name[n] = 0;
	e->expires_ns = now_ns + ttl_ns;
	hc->stats.learnt++;
}

const char *hostcache_lookup(struct hostcache *hc, const struct event_addr *addr, uint64_t now_ns)
{
	uint32_t *link;
	struct hc_entry *e;

	if (!addr_len(addr->family))
		return NULL;
	link = find_link(hc, addr);
	if (*link == NIL) {
		hc->stats.misses++;
		return NULL;
	}
	e = &hc->pool[*link];
	if (e->expires_ns < now_ns) {
		hc->stats.expired++;
		return NULL;
	}
	hc->stats.hits++;
	return e->name;
}

void hostcache_get_stats(const struct hostcache *hc, struct hostcache_stats *out)
{
	*out = hc->stats;
}
