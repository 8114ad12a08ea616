// SPDX-License-Identifier: Apache-2.0
/*
 * dns_parse over hostile bytes. The input is the datagram: it must parse or
 * fail with -EBADMSG, never read outside it (ASan), and what parses must
 * keep the contract: bounded, NUL-terminated names, at most DNS_MAX_ADDRS
 * addresses. A prefix of the datagram (a reply cut short) must give a
 * prefix of the same addresses. The parsed message is then formatted as a
 * dns.answer event, which must be valid JSON.
 */
#include <errno.h>
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "warden/decode/dns.h"
#include "warden/event.h"

static void check(const struct dns_message *m)
{
	if (strnlen(m->qname, sizeof(m->qname)) > DNS_NAME_MAX ||
	    strnlen(m->cname, sizeof(m->cname)) > DNS_NAME_MAX || m->n_addrs > DNS_MAX_ADDRS ||
	    (m->addrs_truncated && m->n_addrs != DNS_MAX_ADDRS))
		__builtin_trap();
	for (unsigned int i = 0; i < m->n_addrs; i++)
		if (m->addrs[i].family != AF_INET && m->addrs[i].family != AF_INET6)
			__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct dns_message full, part;
	struct event ev;
	json_t *j;
	size_t cut;
	int r, rp;

	r = dns_parse(data, size, &full);
	if (r != 0 && r != -EBADMSG)
		__builtin_trap();
	if (r)
		return 0;
	check(&full);

	/* Cut where the last byte says (any length below the whole). */
	cut = size ? data[size - 1] * 7 % size : 0;
	rp = dns_parse(data, cut, &part);
	if (rp != 0 && rp != -EBADMSG)
		__builtin_trap();
	if (rp == 0) {
		check(&part);
		if (part.n_addrs > full.n_addrs || part.id != full.id ||
		    strcmp(part.qname, full.qname))
			__builtin_trap();
		for (unsigned int i = 0; i < part.n_addrs; i++)
			if (memcmp(&part.addrs[i], &full.addrs[i], sizeof(full.addrs[i])))
				__builtin_trap();
	}

	memset(&ev, 0, sizeof(ev));
	ev.type = EVENT_DNS_ANSWER;
	ev.dns.data = data;
	ev.dns.len = size;
	ev.dns.total_len = size;
	ev.dns.msg = &full;
	if (event_to_json(&ev, &j) == -EINVAL)
		__builtin_trap();
	else if (j)
		json_decref(j);
	return 0;
}
