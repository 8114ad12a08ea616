// SPDX-License-Identifier: Apache-2.0
/*
 * DNS reply parser. See dns.h.
 *
 * Names are compared in a canonical wire form (length-prefixed labels,
 * ASCII lower-cased) and only turned into text for qname and cname. Every
 * read is checked against len; a compression pointer must point backwards
 * and a name may take at most DNS_MAX_HOPS of them and DNS_WIRE_MAX bytes,
 * so a hostile message can neither loop nor read out of bounds.
 *
 * Running out of data is told apart from a malformed message: in the
 * header or question both are -EBADMSG, but a reply cut inside its answer
 * section keeps the records that were whole (a resolver reading into a
 * short buffer, or Warden's own capture limit, cuts replies that way).
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "warden/decode/dns.h"

#define DNS_HDR_LEN 12
#define DNS_WIRE_MAX 255 /* RFC 1035 2.3.4: octets of a name on the wire */
#define DNS_MAX_HOPS 127 /* compression pointers followed for one name */
#define DNS_MAX_CHAIN 8 /* CNAMEs followed from qname */

#define DNS_TYPE_A 1
#define DNS_TYPE_CNAME 5
#define DNS_TYPE_AAAA 28
#define DNS_CLASS_IN 1

/* Internal: the message ended inside this item (as opposed to -EBADMSG). */
#define ERR_SHORT (-ENODATA)

struct wname {
	uint8_t b[DNS_WIRE_MAX]; /* labels, each length-prefixed; the root label not stored */
	size_t n;
};

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/*
 * Reads the name at *off (d[0..len)) into out, and sets *off past it where it
 * was written (after its first compression pointer, or its root label).
 * 0, ERR_SHORT when the data ends inside it, -EBADMSG when it is malformed.
 */
static int read_name(const uint8_t *d, size_t len, size_t *off, struct wname *out)
{
	size_t pos = *off, end = 0;
	unsigned int hops = 0;
	size_t wire = 1; /* the root label */

	out->n = 0;
	for (;;) {
		uint8_t c;

		if (pos >= len)
			return ERR_SHORT;
		c = d[pos];
		if ((c & 0xc0) == 0xc0) {
			size_t target;

			if (pos + 1 >= len)
				return ERR_SHORT;
			target = (size_t)(c & 0x3f) << 8 | d[pos + 1];
			/* Backwards only: a pointer to itself or ahead could loop. */
			if (target >= pos || ++hops > DNS_MAX_HOPS)
				return -EBADMSG;
			if (!end)
				end = pos + 2;
			pos = target;
			continue;
		}
		if (c & 0xc0)
			return -EBADMSG; /* 0x40/0x80: extended label types, obsolete */
		if (c == 0) {
			*off = end ? end : pos + 1;
			return 0;
		}
		wire += 1 + c;
		if (wire > DNS_WIRE_MAX)
			return -EBADMSG;
		if (pos + 1 + c > len)
			return end ? -EBADMSG :
				     ERR_SHORT; /* behind a pointer, bytes are all there */
		out->b[out->n++] = c;
		for (size_t i = 0; i < c; i++) {
			uint8_t ch = d[pos + 1 + i];

			out->b[out->n++] = ch >= 'A' && ch <= 'Z' ? ch + ('a' - 'A') : ch;
		}
		pos += 1 + c;
	}
}

static bool name_eq(const struct wname *a, const struct wname *b)
{
	return a->n == b->n && memcmp(a->b, b->b, a->n) == 0;
}

/*
 * Presentation form into out (DNS_NAME_MAX + 1 bytes): dots between labels,
 * no trailing dot, "\." "\\" and "\DDD" for bytes that are not plain
 * printable ASCII. A name of odd bytes can need more room than that: it is
 * cut at an escape boundary (host names never come close).
 */
static void name_text(const struct wname *w, char *out)
{
	static const char dig[] = "0123456789";
	size_t o = 0, i = 0;

	while (i < w->n) {
		size_t l = w->b[i++];

		if (o && o < DNS_NAME_MAX)
			out[o++] = '.';
		for (size_t j = 0; j < l && i < w->n; j++, i++) {
			uint8_t c = w->b[i];
			char e[4];
			size_t k = 0;

			if (c == '.' || c == '\\') {
				e[k++] = '\\';
				e[k++] = c;
			} else if (c <= 0x20 || c >= 0x7f) {
				e[k++] = '\\';
				e[k++] = dig[c / 100];
				e[k++] = dig[c / 10 % 10];
				e[k++] = dig[c % 10];
			} else {
				e[k++] = c;
			}
			if (o + k > DNS_NAME_MAX) {
				out[o] = 0;
				return;
			}
			memcpy(out + o, e, k);
			o += k;
		}
	}
	out[o] = 0;
}

static void add_addr(struct dns_message *m, uint16_t family, const uint8_t *p, size_t n,
		     uint32_t ttl)
{
	struct dns_addr *a;

	if (m->n_addrs >= DNS_MAX_ADDRS) {
		m->addrs_truncated = true;
		return;
	}
	a = &m->addrs[m->n_addrs++];
	a->family = family;
	memset(a->addr, 0, sizeof(a->addr));
	memcpy(a->addr, p, n);
	a->ttl = ttl;
}

/* The answer section: addresses for qname and its CNAME chain, in order. */
static int parse_answers(const uint8_t *d, size_t len, size_t off, unsigned int ancount,
			 const struct wname *qname, struct dns_message *m)
{
	struct wname chain[DNS_MAX_CHAIN + 1];
	unsigned int nchain = 1;
	struct wname owner, target;

	chain[0] = *qname;
	for (unsigned int i = 0; i < ancount; i++) {
		uint16_t type, class, rdlen;
		uint32_t ttl;
		bool ours = false, seen = false;
		size_t rd;
		int r;

		r = read_name(d, len, &off, &owner);
		if (r)
			return r == ERR_SHORT ? 0 : r;
		if (len - off < 10)
			return 0; /* cut inside the fixed part */
		type = get16(d + off);
		class = get16(d + off + 2);
		ttl = get32(d + off + 4);
		rdlen = get16(d + off + 8);
		off += 10;
		if (len - off < rdlen)
			return 0; /* cut inside the data */
		rd = off;
		off += rdlen;
		if (class != DNS_CLASS_IN)
			continue;
		for (unsigned int j = 0; j < nchain && !ours; j++)
			ours = name_eq(&owner, &chain[j]);
		if (!ours)
			continue;
		if (type == DNS_TYPE_A && rdlen == 4) {
			add_addr(m, AF_INET, d + rd, 4, ttl);
		} else if (type == DNS_TYPE_AAAA && rdlen == 16) {
			add_addr(m, AF_INET6, d + rd, 16, ttl);
		} else if (type == DNS_TYPE_CNAME) {
			size_t p = rd;

			/* The target must lie within the record's data (pointers may leave it). */
			r = read_name(d, rd + rdlen, &p, &target);
			if (r || p != rd + rdlen)
				return -EBADMSG;
			if (nchain > DNS_MAX_CHAIN)
				continue; /* chain too long: stop following */
			/* Follow each name once: a CNAME loop adds nothing. */
			for (unsigned int j = 0; j < nchain && !seen; j++)
				seen = name_eq(&target, &chain[j]);
			if (seen)
				continue;
			chain[nchain++] = target;
			name_text(&target, m->cname);
		}
	}
	return 0;
}

int dns_parse(const uint8_t *data, size_t len, struct dns_message *out)
{
	struct wname qname;
	uint16_t flags, qdcount, ancount;
	size_t off = DNS_HDR_LEN;
	int r;

	memset(out, 0, sizeof(*out));
	if (!data || len < DNS_HDR_LEN)
		return -EBADMSG;
	out->id = get16(data);
	flags = get16(data + 2);
	out->is_response = flags & 0x8000;
	out->opcode = (flags >> 11) & 0xf;
	out->truncated_flag = flags & 0x0200;
	out->rcode = flags & 0xf;
	qdcount = get16(data + 4);
	ancount = get16(data + 6);
	if (!qdcount)
		return 0; /* nothing to attach answers to */
	if (qdcount > 1)
		return -EBADMSG; /* no server sends that; RFC 9619 */
	r = read_name(data, len, &off, &qname);
	if (r)
		return -EBADMSG;
	if (len - off < 4)
		return -EBADMSG;
	out->qtype = get16(data + off);
	out->qclass = get16(data + off + 2);
	off += 4;
	name_text(&qname, out->qname);
	/* A query carries no answers to believe. */
	if (!out->is_response)
		return 0;
	r = parse_answers(data, len, off, ancount, &qname, out);
	if (r) {
		/* Not a message after all: leave nothing half-filled behind. */
		memset(out, 0, sizeof(*out));
		return r;
	}
	return 0;
}

const char *dns_type_name(uint16_t qtype)
{
	switch (qtype) {
	case 1:
		return "A";
	case 2:
		return "NS";
	case 5:
		return "CNAME";
	case 6:
		return "SOA";
	case 12:
		return "PTR";
	case 15:
		return "MX";
	case 16:
		return "TXT";
	case 28:
		return "AAAA";
	case 33:
		return "SRV";
	case 35:
		return "NAPTR";
	case 41:
		return "OPT";
	case 43:
		return "DS";
	case 46:
		return "RRSIG";
	case 47:
		return "NSEC";
	case 48:
		return "DNSKEY";
	case 64:
		return "SVCB";
	case 65:
		return "HTTPS";
	case 255:
		return "ANY";
	case 257:
		return "CAA";
	default:
		return NULL;
	}
}
