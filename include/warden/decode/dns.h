/* SPDX-License-Identifier: Apache-2.0 */
/*
 * DNS reply parser (RFC 1035 wire format, as a resolver receives it over
 * UDP): the question and the addresses the answer section gives for it,
 * following CNAME chains. Pure and allocation-free: the result is a fixed
 * struct, bounded by DNS_MAX_ADDRS, with a flag when more were present.
 */
#ifndef WARDEN_DECODE_DNS_H
#define WARDEN_DECODE_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DNS_NAME_MAX 255 /* presentation form, without the trailing dot */
#define DNS_MAX_ADDRS 16

struct dns_addr {
	uint16_t family; /* AF_INET or AF_INET6 */
	uint8_t addr[16];
	uint32_t ttl;
};

struct dns_message {
	uint16_t id;
	bool is_response;
	bool truncated_flag; /* TC: the server cut the reply */
	uint8_t opcode;
	uint8_t rcode;
	uint16_t qtype, qclass;
	char qname[DNS_NAME_MAX + 1]; /* lower case, no trailing dot; "" when no question */
	/* A/AAAA records for qname, directly or through CNAMEs. */
	struct dns_addr addrs[DNS_MAX_ADDRS];
	unsigned int n_addrs;
	bool addrs_truncated; /* more than DNS_MAX_ADDRS */
	char cname[DNS_NAME_MAX + 1]; /* the last CNAME target followed; "" when none */
};

/*
 * Parses one DNS message. 0, or -EBADMSG when it is not one (bad header,
 * a name that loops or runs out of the packet, a record past the end). A
 * reply cut short after the question still parses, with what was whole.
 */
int dns_parse(const uint8_t *data, size_t len, struct dns_message *out);

/* "A", "AAAA", "CNAME", ..., or NULL for a type without a name here. */
const char *dns_type_name(uint16_t qtype);

#endif
