// SPDX-License-Identifier: Apache-2.0
/*
 * Unit tests for src/decode/dns.c: hand-built replies (A, AAAA, CNAME
 * chains, compression), hostile names (pointer loops, pointers out of the
 * packet), every truncation of a valid reply read from the end of a page so
 * that a read past len faults, limits, NXDOMAIN and queries.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "warden/decode/dns.h"

/* ---- a tiny message builder ------------------------------------------------ */

struct msg {
	uint8_t b[4096];
	size_t n;
};

static void put(struct msg *m, const void *p, size_t n)
{
	assert_true(m->n + n <= sizeof(m->b));
	memcpy(m->b + m->n, p, n);
	m->n += n;
}

static void put8(struct msg *m, uint8_t v)
{
	put(m, &v, 1);
}

static void put16(struct msg *m, uint16_t v)
{
	put8(m, v >> 8);
	put8(m, v & 0xff);
}

static void put32(struct msg *m, uint32_t v)
{
	put16(m, v >> 16);
	put16(m, v & 0xffff);
}

/* "a.b.c" as labels with the root label. */
static void put_name(struct msg *m, const char *name)
{
	while (*name) {
		const char *dot = strchr(name, '.');
		size_t l = dot ? (size_t)(dot - name) : strlen(name);

		put8(m, l);
		put(m, name, l);
		name += l + (dot ? 1 : 0);
	}
	put8(m, 0);
}

static void put_ptr(struct msg *m, uint16_t off)
{
	put16(m, 0xc000 | off);
}

static void header(struct msg *m, uint16_t id, uint16_t flags, uint16_t qd, uint16_t an)
{
	m->n = 0;
	put16(m, id);
	put16(m, flags);
	put16(m, qd);
	put16(m, an);
	put16(m, 0);
	put16(m, 0);
}

static void question(struct msg *m, const char *name, uint16_t qtype)
{
	put_name(m, name);
	put16(m, qtype);
	put16(m, 1);
}

/* The fixed part of an RR after its owner name. */
static void rr_fixed(struct msg *m, uint16_t type, uint32_t ttl, uint16_t rdlen)
{
	put16(m, type);
	put16(m, 1);
	put32(m, ttl);
	put16(m, rdlen);
}

static void rr_a(struct msg *m, uint32_t ttl, const char *ip)
{
	uint8_t a[4];

	assert_int_equal(inet_pton(AF_INET, ip, a), 1);
	rr_fixed(m, 1, ttl, 4);
	put(m, a, 4);
}

static void rr_aaaa(struct msg *m, uint32_t ttl, const char *ip)
{
	uint8_t a[16];

	assert_int_equal(inet_pton(AF_INET6, ip, a), 1);
	rr_fixed(m, 28, ttl, 16);
	put(m, a, 16);
}

static void rr_cname(struct msg *m, const char *target)
{
	struct msg t = { .n = 0 };

	put_name(&t, target);
	rr_fixed(m, 5, 300, t.n);
	put(m, t.b, t.n);
}

#define QNAME_OFF 12
#define RESP 0x8180 /* QR, RD, RA, NOERROR */

static const char *addr_text(const struct dns_addr *a, char *buf)
{
	return inet_ntop(a->family, a->addr, buf, INET6_ADDRSTRLEN);
}

static void check_addr(const struct dns_message *m, unsigned int i, const char *want)
{
	char buf[INET6_ADDRSTRLEN];

	assert_true(i < m->n_addrs);
	assert_string_equal(addr_text(&m->addrs[i], buf), want);
}

/* Parse from the very end of a page: any read past len faults. */
static int parse_guarded(const uint8_t *data, size_t len, struct dns_message *out)
{
	long page = sysconf(_SC_PAGESIZE);
	char *map;
	int r;

	assert_true(len <= (size_t)page);
	map = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(map != MAP_FAILED);
	assert_int_equal(mprotect(map + page, page, PROT_NONE), 0);
	memcpy(map + page - len, data, len);
	r = dns_parse((const uint8_t *)map + page - len, len, out);
	munmap(map, 2 * page);
	return r;
}

static struct dns_message out; /* 4 KiB+: keep it off the test's stack */

/* ---- replies -------------------------------------------------------------- */

static void a_reply(void **state)
{
	struct msg m;

	(void)state;
	header(&m, 0xbeef, RESP, 1, 2);
	question(&m, "Example.COM", 1);
	put_ptr(&m, QNAME_OFF);
	rr_a(&m, 3600, "93.184.215.14");
	put_ptr(&m, QNAME_OFF);
	rr_a(&m, 60, "93.184.215.15");
	assert_int_equal(parse_guarded(m.b, m.n, &out), 0);
	assert_int_equal(out.id, 0xbeef);
	assert_true(out.is_response);
	assert_false(out.truncated_flag);
	assert_int_equal(out.opcode, 0);
	assert_int_equal(out.rcode, 0);
	assert_int_equal(out.qtype, 1);
	assert_int_equal(out.qclass, 1);
	assert_string_equal(out.qname, "example.com"); /* lower-cased */
	assert_int_equal(out.n_addrs, 2);
	check_addr(&out, 0, "93.184.215.14");
	assert_int_equal(out.addrs[0].family, AF_INET);
	assert_int_equal(out.addrs[0].ttl, 3600);
	check_addr(&out, 1, "93.184.215.15");
	assert_int_equal(out.addrs[1].ttl, 60);
	assert_false(out.addrs_truncated);
	assert_string_equal(out.cname, "");
}

static void aaaa_reply(void **state)
{
	struct msg m;

	(void)state;
	header(&m, 1, RESP | 0x0200, 1, 1); /* TC set by the server */
	question(&m, "ipv6.example", 28);
	put_ptr(&m, QNAME_OFF);
	rr_aaaa(&m, 30, "2001:db8::42");
	assert_int_equal(parse_guarded(m.b, m.n, &out), 0);
	assert_true(out.truncated_flag);
	assert_int_equal(out.qtype, 28);
	assert_int_equal(out.n_addrs, 1);
	assert_int_equal(out.addrs[0].family, AF_INET6);
	check_addr(&out, 0, "2001:db8::42");
	assert_string_equal(dns_type_name(out.qtype), "AAAA");
}

/* www.example.com CNAME a.cdn.net CNAME b.edge.net A ...: the chain in order. */
static void build_cname_chain(struct msg *m)
{
	size_t a_off;

	header(m, 7, RESP, 1, 5);
	question(m, "www.example.com", 1);
	put_ptr(m, QNAME_OFF);
	a_off = m->n + 10; /* where the first CNAME's target will start */
	rr_cname(m, "a.cdn.net");
	/* Owner written as a pointer to the target above. */
	put_ptr(m, a_off);
	rr_cname(m, "B.Edge.NET");
	/* An address for a name outside the chain: ignored. */
	put_name(m, "unrelated.org");
	rr_a(m, 5, "10.9.9.9");
	put_name(m, "b.edge.net");
	rr_a(m, 20, "198.51.100.7");
	put_name(m, "b.edge.net");
	rr_aaaa(m, 20, "2001:db8::7");
}

static void cname_chain(void **state)
{
	struct msg m;

	(void)state;
	build_cname_chain(&m);
	assert_int_equal(parse_guarded(m.b, m.n, &out), 0);
	assert_string_equal(out.qname, "www.example.com");
	assert_string_equal(out.cname, "b.edge.net");
	assert_int_equal(out.n_addrs, 2);
	check_addr(&out, 0, "198.51.100.7");
	check_addr(&out, 1, "2001:db8::7");
}

/* A CNAME whose owner is not in the chain is not followed; a CNAME loop ends. */
static void cname_not_ours_and_loop(void **state)
{
	struct msg m;

	(void)state;
	header(&m, 7, RESP, 1, 4);
	question(&m, "q.test", 1);
	put_name(&m, "other.test");
	rr_cname(&m, "x.test");
	put_name(&m, "x.test");
	rr_a(&m, 1, "10.0.0.1");
	put_ptr(&m, QNAME_OFF);
	rr_cname(&m, "q.test"); /* points back at itself */
	put_ptr(&m, QNAME_OFF);
	rr_a(&m, 1, "10.0.0.2");
	assert_int_equal(parse_guarded(m.b, m.n, &out), 0);
	assert_string_equal(out.cname, "");
	assert_int_equal(out.n_addrs, 1);
	check_addr(&out, 0, "10.0.0.2");
}

/* A chain longer than the parser follows: bounded, no crash, first names kept. */
static void cname_chain_bounded(void **state)
{
	struct msg m;
	char owner[32], target[32];

	(void)state;
	header(&m, 7, RESP, 1, 41);
	question(&m, "n0.test", 1);
	for (int i = 0; i < 40; i++) {
		snprintf(owner, sizeof(owner), "n%d.test", i);
		snprintf(target, sizeof(target), "n%d.test", i + 1);
		put_name(&m, owner);
		rr_cname(&m, target);
	}
	put_name(&m, "n40.test");
	rr_a(&m, 1, "10.0.0.40");
	assert_int_equal(parse_guarded(m.b, m.n, &out), 0);
	assert_int_equal(out.n_addrs, 0);
	assert_true(strlen(out.cname) > 0);
	assert_string_not_equal(out.cname, "n40.test");
}

/* Other types are skipped; class other than IN ignored; odd A lengths ignored. */
static void other_types_skipped(void **state)
{
	struct msg m;

	(void)state;
	header(&m, 9, RESP, 1, 4);
	question(&m, "mix.test", 1);
	put_ptr(&m, QNAME_OFF);
	rr_fixed(&m, 16, 10, 6); /* TXT */
	put(&m, "\x05hello", 6);
	put_ptr(&m, QNAME_OFF);
	put16(&m, 1); /* A, class CH */
	put16(&m, 3);
	put32(&m, 1);
	put16(&m, 4);
	put(&m, "\x01\x02\x03\x04", 4);
	put_ptr(&m, QNAME_OFF);
	rr_fixed(&m, 1, 10, 5); /* A with 5 bytes */
	put(&m, "\x01\x02\x03\x04\x05", 5);
	put_ptr(&m, QNAME_OFF);
	rr_a(&m, 10, "192.0.2.9");
	assert_int_equal(parse_guarded(m.b, m.n, &out), 0);
	assert_int_equal(out.n_addrs, 1);
	check_addr(&out, 0, "192.0.2.9");
}

/* Compression: a qname built from a pointer into another name, and chained pointers. */
static void compression_pointers(void **state)
{
	struct msg m;
	size_t com_off, example_off;

	(void)state;
	header(&m, 3, RESP, 1, 1);
	/* Question: "www" then a pointer to "example.com" stored... after it? No: backwards only. */
	question(&m, "example.com", 1);
	example_off = QNAME_OFF;
	com_off = QNAME_OFF + 8;
	/* Answer owner: "api" + pointer to example.com; value A. */
	put8(&m, 3);
	put(&m, "api", 3);
	put_ptr(&m, example_off);
	rr_a(&m, 1, "10.1.1.1");
	assert_int_equal(parse_guarded(m.b, m.n, &out), 0);
	assert_int_equal(out.n_addrs, 0); /* api.example.com is not the qname */

	/* A CNAME to "api.example.com" written as "api" + pointer, then its A via chained pointers. */
	header(&m, 3, RESP, 1, 3);
	question(&m, "example.com", 1);
	put_ptr(&m, QNAME_OFF);
	size_t tgt = m.n + 10;
	rr_fixed(&m, 5, 1, 6);
	put8(&m, 3);
	put(&m, "API", 3);
	put_ptr(&m, example_off);
	/* Owner: "x" + pointer to "com" -- x.com, not in the chain. */
	put8(&m, 1);
	put(&m, "x", 1);
	put_ptr(&m, com_off);
	rr_a(&m, 1, "10.2.2.2");
	/* Owner: pointer to the CNAME's target (which itself ends in a pointer). */
	put_ptr(&m, tgt);
	rr_a(&m, 1, "10.3.3.3");
	assert_int_equal(parse_guarded(m.b, m.n, &out), 0);
	assert_string_equal(out.cname, "api.example.com");
	assert_int_equal(out.n_addrs, 1);
	check_addr(&out, 0, "10.3.3.3");
}

/* ---- hostile names -------------------------------------------------------- */

static void pointer_loop(void **state)
{
	struct msg m;

	(void)state;
	/* Question name is a pointer to itself. */
	header(&m, 1, RESP, 1, 0);
	put_ptr(&m, QNAME_OFF);
	put16(&m, 1);
	put16(&m, 1);
	assert_int_equal(parse_guarded(m.b, m.n, &out), -EBADMSG);

	/* Two pointers pointing at each other: the second points forward. */
	header(&m, 1, RESP, 1, 1);
	question(&m, "a.test", 1);
	size_t p1 = m.n;
	put_ptr(&m, p1 + 2);
	put_ptr(&m, p1);
	rr_a(&m, 1, "10.0.0.1");
	assert_int_equal(parse_guarded(m.b, m.n, &out), -EBADMSG);

	/* A label then a pointer back to that label: a loop through data. */
	header(&m, 1, RESP, 1, 1);
	question(&m, "a.test", 1);
	size_t l = m.n;
	put8(&m, 1);
	put(&m, "x", 1);
	put_ptr(&m, l);
	rr_a(&m, 1, "10.0.0.1");
	assert_int_equal(parse_guarded(m.b, m.n, &out), -EBADMSG);

	/* In a CNAME's data. */
	header(&m, 1, RESP, 1, 1);
	question(&m, "a.test", 1);
	put_ptr(&m, QNAME_OFF);
	rr_fixed(&m, 5, 1, 2);
	put_ptr(&m, m.n);
	assert_int_equal(parse_guarded(m.b, m.n, &out), -EBADMSG);
	/* Nothing half-filled is left behind. */
	assert_int_equal(out.n_addrs, 0);
	assert_string_equal(out.qname, "");
}

static void pointer_out_of_bounds(void **state)
{
	struct msg m;

	(void)state;
	header(&m, 1, RESP, 1, 0);
	put_ptr(&m, 0x3fff);
	put16(&m, 1);
	put16(&m, 1);
	assert_int_equal(parse_guarded(m.b, m.n, &out), -EBADMSG);

	/* In the answer section. */
	header(&m, 1, RESP, 1, 1);
	question(&m, "a.test", 1);
	put_ptr(&m, 0x3fff);
	rr_a(&m, 1, "10.0.0.1");
	assert_int_equal(parse_guarded(m.b, m.n, &out), -EBADMSG);

	/* A CNAME target whose labels run past its rdata. */
	header(&m, 1, RESP, 1, 1);
	question(&m, "a.test", 1);
	put_ptr(&m, QNAME_OFF);
	rr_fixed(&m, 5, 1, 3);
	put(&m, "\005abcdefg", 8);
	put8(&m, 0);
	assert_int_equal(parse_guarded(m.b, m.n, &out), -EBADMSG);

	/* Extended label types (0x40, 0x80) are not names. */
	header(&m, 1, RESP, 1, 0);
	put8(&m, 0x41);
	put8(&m, 0);
	put16(&m, 1);
	put16(&m, 1);
	assert_int_equal(parse_guarded(m.b, m.n, &out), -EBADMSG);
}

/* A name longer than 255 octets on the wire, and one of exactly 255. */
static void name_too_long(void **state)
{
	struct msg m;
	char name[300];
	size_t n = 0;

	(void)state;
	/* 4 labels of 63 = 4 * 64 + 1 = 257 octets. */
	for (int i = 0; i < 4; i++) {
		if (i)
			name[n++] = '.';
		memset(name + n, 'a' + i, 63);
		n += 63;
	}
	name[n] = 0;
	header(&m, 1, RESP, 1, 0);
	question(&m, name, 1);
	assert_int_equal(parse_guarded(m.b, m.n, &out), -EBADMSG);

	/* 3 * 64 + 62 + 1 = 255 octets: fits, 253 characters. */
	name[3 * 64 + 61] = 0;
	header(&m, 1, RESP, 1, 0);
	question(&m, name, 1);
	assert_int_equal(parse_guarded(m.b, m.n, &out), 0);
	assert_int_equal(strlen(out.qname), 253);
	assert_string_equal(out.qname, name);
}

/* Dots, backslashes and non-printable bytes in labels are escaped. */
static void odd_bytes_escaped(void **state)
{
	struct msg m;

	(void)state;
	header(&m, 1, RESP, 1, 0);
	put8(&m, 5);
	put(&m, "a.b\\\x01", 5);
	put8(&m, 2);
	put(&m, "\xff ", 2);
	put8(&m, 0);
	put16(&m, 1);
	put16(&m, 1);
	assert_int_equal(parse_guarded(m.b, m.n, &out), 0);
	assert_string_equal(out.qname, "a\\.b\\\\\\001.\\255\\032");

	/* A 255-octet name of nothing but odd bytes: cut, still terminated. */
	header(&m, 1, RESP, 1, 0);
	for (int i = 0; i < 4; i++) {
		uint8_t lab[63];

		memset(lab, 0x01, sizeof(lab));
		put8(&m, i < 3 ? 63 : 61);
		put(&m, lab, i < 3 ? 63 : 61);
	}
	put8(&m, 0);
	put16(&m, 1);
	put16(&m, 1);
	assert_int_equal(parse_guarded(m.b, m.n, &out), 0);
	assert_true(strlen(out.qname) <= DNS_NAME_MAX);
	assert_memory_equal(out.qname, "\\001\\001", 8);
}

/* ---- truncation ----------------------------------------------------------- */

/*
 * Every prefix of a valid reply: never a crash or a read past len; either
 * -EBADMSG or a result that agrees with the whole reply as far as it goes.
 */
static void check_every_truncation(const struct msg *m)
{
	static struct dns_message full;
	size_t qend;

	assert_int_equal(dns_parse(m->b, m->n, &full), 0);
	/* End of the question: QNAME at 12, then 4 bytes. */
	qend = QNAME_OFF + strlen(full.qname) + 2 + 4;
	for (size_t n = 0; n < m->n; n++) {
		int r = parse_guarded(m->b, n, &out);

		if (n < qend) {
			if (r != -EBADMSG)
				fail_msg("cut at %zu (question ends at %zu): %d", n, qend, r);
			continue;
		}
		if (r != 0)
			fail_msg("cut at %zu after the question: %d", n, r);
		assert_string_equal(out.qname, full.qname);
		assert_int_equal(out.id, full.id);
		assert_true(out.n_addrs <= full.n_addrs);
		for (unsigned int i = 0; i < out.n_addrs; i++)
			assert_memory_equal(&out.addrs[i], &full.addrs[i], sizeof(full.addrs[i]));
	}
	assert_int_equal(parse_guarded(m->b, m->n, &out), 0);
	assert_int_equal(out.n_addrs, full.n_addrs);
}

static void truncated_every_length(void **state)
{
	struct msg m;

	(void)state;
	header(&m, 0xbeef, RESP, 1, 2);
	question(&m, "example.com", 1);
	put_ptr(&m, QNAME_OFF);
	rr_a(&m, 3600, "93.184.215.14");
	put_ptr(&m, QNAME_OFF);
	rr_aaaa(&m, 60, "2001:db8::1");
	check_every_truncation(&m);

	build_cname_chain(&m);
	check_every_truncation(&m);
}

/* ---- limits, rcodes, queries ---------------------------------------------- */

static void more_than_16_addrs(void **state)
{
	struct msg m;
	char ip[32];

	(void)state;
	header(&m, 1, RESP, 1, 20);
	question(&m, "many.test", 1);
	for (int i = 0; i < 20; i++) {
		snprintf(ip, sizeof(ip), "10.0.0.%d", i);
		put_ptr(&m, QNAME_OFF);
		rr_a(&m, 1, ip);
	}
	assert_int_equal(parse_guarded(m.b, m.n, &out), 0);
	assert_int_equal(out.n_addrs, DNS_MAX_ADDRS);
	assert_true(out.addrs_truncated);
	check_addr(&out, 0, "10.0.0.0");
	check_addr(&out, 15, "10.0.0.15");

	/* Exactly 16: not flagged. */
	header(&m, 1, RESP, 1, 16);
	question(&m, "many.test", 1);
	for (int i = 0; i < 16; i++) {
		snprintf(ip, sizeof(ip), "10.0.0.%d", i);
		put_ptr(&m, QNAME_OFF);
		rr_a(&m, 1, ip);
	}
	assert_int_equal(parse_guarded(m.b, m.n, &out), 0);
	assert_int_equal(out.n_addrs, 16);
	assert_false(out.addrs_truncated);
}

static void nxdomain(void **state)
{
	struct msg m;

	(void)state;
	header(&m, 77, 0x8183, 1, 0);
	question(&m, "nope.invalid", 28);
	/* An SOA in authority, which the header does not count as an answer. */
	assert_int_equal(parse_guarded(m.b, m.n, &out), 0);
	assert_true(out.is_response);
	assert_int_equal(out.rcode, 3);
	assert_int_equal(out.n_addrs, 0);
	assert_string_equal(out.qname, "nope.invalid");
}

static void query_is_not_response(void **state)
{
	struct msg m;

	(void)state;
	header(&m, 5, 0x0100, 1, 1); /* RD only: a query */
	question(&m, "q.test", 1);
	/* An answer in a query is not believed. */
	put_ptr(&m, QNAME_OFF);
	rr_a(&m, 1, "10.6.6.6");
	assert_int_equal(parse_guarded(m.b, m.n, &out), 0);
	assert_false(out.is_response);
	assert_string_equal(out.qname, "q.test");
	assert_int_equal(out.qtype, 1);
	assert_int_equal(out.n_addrs, 0);
}

static void bad_headers(void **state)
{
	struct msg m;

	(void)state;
	assert_int_equal(dns_parse(NULL, 0, &out), -EBADMSG);
	header(&m, 1, RESP, 1, 0);
	for (size_t n = 0; n < 12; n++)
		assert_int_equal(parse_guarded(m.b, n, &out), -EBADMSG);
	/* No question: parsed, qname "". */
	header(&m, 1, RESP, 0, 3);
	assert_int_equal(parse_guarded(m.b, m.n, &out), 0);
	assert_string_equal(out.qname, "");
	assert_int_equal(out.n_addrs, 0);
	/* Two questions: no server sends that. */
	header(&m, 1, RESP, 2, 0);
	question(&m, "a.test", 1);
	question(&m, "b.test", 1);
	assert_int_equal(parse_guarded(m.b, m.n, &out), -EBADMSG);
	/* Root name question. */
	header(&m, 1, RESP, 1, 0);
	question(&m, "", 2);
	assert_int_equal(parse_guarded(m.b, m.n, &out), 0);
	assert_string_equal(out.qname, "");
	assert_string_equal(dns_type_name(out.qtype), "NS");
}

static void type_names(void **state)
{
	(void)state;
	assert_string_equal(dns_type_name(1), "A");
	assert_string_equal(dns_type_name(5), "CNAME");
	assert_string_equal(dns_type_name(28), "AAAA");
	assert_string_equal(dns_type_name(65), "HTTPS");
	assert_null(dns_type_name(0));
	assert_null(dns_type_name(9999));
}

/* A real reply captured from glibc's resolver (deb.debian.org A). */
static void captured_reply(void **state)
{
	static const uint8_t r[] = {
		0x41, 0x3b, 0x81, 0x80, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
		0x03, 0x64, 0x65, 0x62, 0x06, 0x64, 0x65, 0x62, 0x69, 0x61, 0x6e, 0x03,
		0x6f, 0x72, 0x67, 0x00, 0x00, 0x01, 0x00, 0x01, 0xc0, 0x0c, 0x00, 0x01,
		0x00, 0x01, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x04, 0xcb, 0x00, 0x71, 0x50,
	};

	(void)state;
	assert_int_equal(parse_guarded(r, sizeof(r), &out), 0);
	assert_string_equal(out.qname, "deb.debian.org");
	assert_int_equal(out.n_addrs, 1);
	check_addr(&out, 0, "203.0.113.80");
	assert_int_equal(out.addrs[0].ttl, 60);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_reply),
		cmocka_unit_test(aaaa_reply),
		cmocka_unit_test(cname_chain),
		cmocka_unit_test(cname_not_ours_and_loop),
		cmocka_unit_test(cname_chain_bounded),
		cmocka_unit_test(other_types_skipped),
		cmocka_unit_test(compression_pointers),
		cmocka_unit_test(pointer_loop),
		cmocka_unit_test(pointer_out_of_bounds),
		cmocka_unit_test(name_too_long),
		cmocka_unit_test(odd_bytes_escaped),
		cmocka_unit_test(truncated_every_length),
		cmocka_unit_test(more_than_16_addrs),
		cmocka_unit_test(nxdomain),
		cmocka_unit_test(query_is_not_response),
		cmocka_unit_test(bad_headers),
		cmocka_unit_test(type_names),
		cmocka_unit_test(captured_reply),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
