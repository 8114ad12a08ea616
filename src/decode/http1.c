// SPDX-License-Identifier: Apache-2.0
/*
 * HTTP/1.x stream decoder. See http1.h.
 *
 * One state machine per stream, driven by whatever bytes arrive: every state
 * consumes what it can from the piece at hand and keeps only what a later
 * piece needs (a partial start line or head, the kept body, a partial chunk
 * size as numbers). All decisions depend on the bytes alone, never on where
 * the pieces were cut, so any split of the input gives the same results.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "warden/bufutil.h"
#include "warden/decode/http1.h"
#include "warden/decode/inflate.h"

/* A chunk-size line keeps nothing but counters: this only bounds garbage. */
#define CHUNK_LINE_MAX 4096
#define METHOD_MAX 32
/* Offsets into the head are 32-bit. */
#define HEAD_LIMIT (1u << 30)

enum state {
	ST_START, /* a start line belongs here */
	ST_RESYNC, /* in step no more: looking for a start line */
	ST_HEAD,
	ST_BODY_LEN,
	ST_BODY_CLOSE,
	ST_CHUNK_SIZE,
	ST_CHUNK_EXT,
	ST_CHUNK_LF,
	ST_CHUNK_DATA,
	ST_CHUNK_DATA_END, /* CRLF after the chunk data */
	ST_CHUNK_DATA_LF,
	ST_TRAILERS,
	ST_TUNNEL, /* the protocol was switched: not HTTP any more */
};

/* A start-line match at some position. */
enum { SL_NO, SL_MORE, SL_MATCH, SL_LONG };

/* A header as offsets: the head buffer may move while it grows. */
struct hdr_span {
	uint32_t name, name_len, value, value_len;
};

struct http1_stream {
	struct http1_limits lim;
	struct http1_callbacks cb;
	void *arg;
	struct http1_stats st;
	enum state state;
	uint64_t offset; /* of the next byte */
	uint64_t seq;
	bool nomem; /* an allocation failed during this call */
	bool maybe_tunnel; /* after CONNECT or Upgrade: non-HTTP may follow */

	/* A partial start line while looking for one, then the whole head. */
	char *head;
	size_t head_len, head_cap;
	uint64_t head_off;
	size_t line_start;
	size_t start_len; /* of the start line, its line end included */
	struct hdr_span *spans;
	struct http1_header *hdrs;
	size_t n_spans, spans_cap;

	/* The message in flight. */
	struct http1_message m;
	bool in_msg; /* on_headers done, on_message not yet */
	bool skip; /* finished early (gap): the rest of its body is dropped */
	uint64_t remaining; /* of a Content-Length body or a chunk */
	uint64_t chunk_size;
	unsigned int chunk_digits;
	size_t line_len; /* chunk-size line, or trailer line */
	size_t trailer_bytes;

	uint8_t *body;
	size_t body_cap;
	bool body_nomem;
	struct winflate *zd; /* allocated at the first compressed body, then reused */
	bool zon; /* the body in flight is being decompressed */
};

/* What resynchronising looks for: the methods clients use. */
static const struct {
	char name[8];
	size_t len;
} known_methods[] = {
	{ "GET", 3 },  { "POST", 4 },	 { "PUT", 3 },	   { "DELETE", 6 }, { "PATCH", 5 },
	{ "HEAD", 4 }, { "OPTIONS", 7 }, { "CONNECT", 7 }, { "TRACE", 5 },
};

struct http1_limits http1_limits_default(void)
{
	return (struct http1_limits){
		.is_request_stream = false,
		.max_start_line = 16 << 10,
		.max_head = 64 << 10,
		.max_headers = 128,
		.max_body = 1 << 20,
		.max_decoded = 8 << 20,
	};
}

static size_t min_sz(size_t a, size_t b)
{
	return a < b ? a : b;
}

static bool tchar(uint8_t c)
{
	if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
		return true;
	return c && strchr("!#$%&'*+-.^_`|~", c);
}

static bool is_digit(uint8_t c)
{
	return c >= '0' && c <= '9';
}

static int hexval(uint8_t c)
{
	if (is_digit(c))
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Field values: HTAB, SP, VCHAR, obs-text. A bare CR or a NUL is not one. */
static bool value_char(uint8_t c)
{
	return c == '\t' || (c >= ' ' && c != 0x7f);
}


static int head_reserve(struct http1_stream *s, size_t need)
{
	size_t cap = s->head_cap;
	int r = bufutil_reserve((void **)&s->head, &cap, need < 512 ? 512 : need, 1, s->lim.max_head);

	s->head_cap = cap;
	return r;
}

static void nomem(struct http1_stream *s)
{
	s->nomem = true;
	s->st.alloc_failures++;
}

/*
 * Only where a message is, or should be, is anything reported: bytes skipped
 * while looking for a start line are counted, not reported one by one.
 */
static void report(struct http1_stream *s, int err, const char *what, uint64_t off)
{
	s->st.errors++;
	if (s->cb.on_error)
		s->cb.on_error(err, what, off, s->arg);
}

/* ---- start lines ---------------------------------------------------------- */

/* A known method and its SP at p: the length of the method, or SL_NO/SL_MORE. */
static int match_known_method(const uint8_t *p, size_t n, size_t *len)
{
	bool more = false;

	for (size_t i = 0; i < sizeof(known_methods) / sizeof(known_methods[0]); i++) {
		const char *k = known_methods[i].name;
		size_t kl = known_methods[i].len;

		if (p[0] != (uint8_t)k[0])
			continue;
		if (n <= kl) {
			more |= !memcmp(p, k, n);
		} else if (!memcmp(p, k, kl) && p[kl] == ' ') {
			*len = kl;
			return SL_MATCH;
		}
	}
	return more ? SL_MORE : SL_NO;
}

/* "HTTP/1." DIGIT at p. */
static int match_version(const uint8_t *p, size_t n)
{
	static const char v[] = "HTTP/1.";

	for (size_t i = 0; i < 8; i++) {
		if (i == n)
			return SL_MORE;
		if (i < 7 ? p[i] != (uint8_t)v[i] : !is_digit(p[i]))
			return SL_NO;
	}
	return SL_MATCH;
}

/* [CR] LF at p. */
static int match_eol(const uint8_t *p, size_t n, size_t *len)
{
	size_t i = 0;

	if (i < n && p[i] == '\r')
		i++;
	if (i == n)
		return SL_MORE;
	if (p[i] != '\n')
		return SL_NO;
	*len = i + 1;
	return SL_MATCH;
}

/*
 * method SP target SP HTTP/1.x [CR] LF. strict (resynchronising): only the
 * usual methods, so that body bytes ending in letters do not become one.
 */
static int match_request_line(const uint8_t *p, size_t n, bool strict, size_t *len)
{
	size_t i = 0, t, e;
	int r;

	if (strict) {
		r = n ? match_known_method(p, n, &i) : SL_MORE;
		if (r != SL_MATCH)
			return r;
	} else {
		while (i < n && i <= METHOD_MAX && tchar(p[i]))
			i++;
		if (i > METHOD_MAX)
			return SL_NO;
		if (i == n)
			return SL_MORE;
		if (i == 0 || p[i] != ' ')
			return SL_NO;
	}
	t = ++i;
	while (i < n && p[i] > ' ' && p[i] != 0x7f)
		i++;
	if (i == n)
		return SL_MORE;
	if (i == t || p[i] != ' ')
		return SL_NO;
	i++;
	r = match_version(p + i, n - i);
	if (r != SL_MATCH)
		return r;
	i += 8;
	r = match_eol(p + i, n - i, &e);
	if (r == SL_MATCH)
		*len = i + e;
	return r;
}

/* HTTP/1.x SP 3DIGIT [SP reason] [CR] LF. */
static int match_status_line(const uint8_t *p, size_t n, size_t *len)
{
	size_t i = 8, e;
	int r = match_version(p, n);

	if (r != SL_MATCH)
		return r;
	if (i == n)
		return SL_MORE;
	if (p[i++] != ' ')
		return SL_NO;
	for (int k = 0; k < 3; k++, i++) {
		if (i == n)
			return SL_MORE;
		if (!is_digit(p[i]))
			return SL_NO;
	}
	if (i < n && p[i] == ' ') {
		while (i < n && value_char(p[i]))
			i++;
	}
	r = match_eol(p + i, n - i, &e);
	if (r == SL_MATCH)
		*len = i + e;
	return r;
}

/* Is there a start line at p, given n available bytes? */
static int start_check(const struct http1_stream *s, const uint8_t *p, size_t n, bool strict,
		       size_t *len)
{
	size_t cap = s->lim.max_start_line;
	size_t k = min_sz(n, cap);
	int r = s->lim.is_request_stream ? match_request_line(p, k, strict, len) :
					   match_status_line(p, k, len);

	return r == SL_MORE && n >= cap ? SL_LONG : r;
}

/* ---- bodies --------------------------------------------------------------- */

/* Decoded body bytes: to on_body, and kept for on_message while they fit. */
static void body_out(struct http1_stream *s, const uint8_t *p, size_t n)
{
	struct http1_message *m = &s->m;

	m->body_total += n;
	if (s->cb.on_body)
		s->cb.on_body(m, p, n, s->arg);
	if (s->cb.on_message && !s->body_nomem && m->body_len < s->lim.max_body) {
		size_t take = min_sz(n, s->lim.max_body - m->body_len);

		if (bufutil_reserve((void **)&s->body, &s->body_cap, m->body_len + take, 1,
			    s->lim.max_body)) {
			/* Kept short: body_truncated tells. */
			s->body_nomem = true;
			nomem(s);
			return;
		}
		memcpy(s->body + m->body_len, p, take);
		m->body_len += take;
	}
}

static void decode_error(struct http1_stream *s, const char *what)
{
	s->m.decode_error = true;
	s->st.decode_errors++;
	s->zon = false;
	report(s, -EILSEQ, what, s->m.stream_offset);
}

static void zsink(const uint8_t *p, size_t n, void *arg)
{
	body_out(arg, p, n);
}

static void zfeed(struct http1_stream *s, const uint8_t *p, size_t n)
{
	int r;

	if (!s->zon)
		return;
	r = winflate_feed(s->zd, p, n, zsink, s);
	if (!r)
		return;
	if (r == -EFBIG) {
		s->m.decode_truncated = true;
		s->st.decode_capped++;
		s->zon = false;
	} else if (r == -ENOMEM) {
		nomem(s);
		decode_error(s, "out of memory decompressing body");
	} else {
		decode_error(s, s->m.coding == HTTP1_CODING_GZIP ? "invalid gzip data" :
								   "invalid deflate data");
	}
}

static void zstart(struct http1_stream *s)
{
	enum winflate_coding c;

	if (s->m.coding == HTTP1_CODING_GZIP)
		c = WINFLATE_GZIP;
	else if (s->m.coding == HTTP1_CODING_DEFLATE)
		c = WINFLATE_DEFLATE;
	else
		return;
	if ((!s->zd && winflate_new(&s->zd)) || winflate_start(s->zd, c, s->lim.max_decoded)) {
		nomem(s);
		decode_error(s, "out of memory decompressing body");
		return;
	}
	s->zon = true;
}

/* Body bytes as framed (de-chunked), before content decoding. */
static void body_raw(struct http1_stream *s, const uint8_t *p, size_t n)
{
	if (s->skip) {
		s->st.bytes_discarded += n;
		return;
	}
	s->m.wire_len += n;
	if (!s->cb.on_body && !s->cb.on_message)
		return;
	if (s->m.coding == HTTP1_CODING_GZIP || s->m.coding == HTTP1_CODING_DEFLATE)
		zfeed(s, p, n);
	else
		body_out(s, p, n);
}

/* ---- message boundaries --------------------------------------------------- */

static void msg_finish(struct http1_stream *s, bool complete)
{
	struct http1_message *m = &s->m;

	if (s->zon && winflate_end(s->zd) && complete)
		decode_error(s, "truncated compressed body");
	m->complete = complete;
	m->body = m->body_len ? s->body : NULL;
	m->body_truncated = s->cb.on_message && m->body_len < m->body_total;
	s->st.messages++;
	if (!complete)
		s->st.messages_incomplete++;
	if (m->body_truncated)
		s->st.bodies_truncated++;
	if (s->cb.on_message)
		s->cb.on_message(m, s->arg);
	s->in_msg = false;
	s->seq++;
	s->head_len = 0;
	s->n_spans = 0;
	s->zon = false;
	s->body_nomem = false;
	memset(m, 0, sizeof(*m));
}

/* Whatever was in flight is over: look for the next start line. */
static void lose_sync(struct http1_stream *s)
{
	if (s->in_msg)
		msg_finish(s, false);
	s->st.bytes_discarded += s->head_len;
	s->head_len = 0;
	s->n_spans = 0;
	s->skip = false;
	s->maybe_tunnel = false;
	s->state = ST_RESYNC;
}

static void fail(struct http1_stream *s, int err, const char *what, uint64_t off)
{
	report(s, err, what, off);
	lose_sync(s);
}

/* The body ended where its framing said. */
static void body_done(struct http1_stream *s)
{
	bool upgrade = s->m.upgrade;

	if (s->skip)
		s->skip = false;
	else
		msg_finish(s, true);
	s->state = upgrade ? ST_TUNNEL : ST_START;
}

/* Lost bytes inside the body: the message ends here, its framing goes on. */
static void gap_finish(struct http1_stream *s)
{
	if (s->in_msg)
		msg_finish(s, false);
	s->skip = true;
}

/* ---- the head ------------------------------------------------------------- */

/* A comma-separated list: the next item, trimmed; false at the end. */
static bool list_next(const char **p, const char *end, const char **item, size_t *len)
{
	const char *q = *p, *e;

	for (;;) {
		while (q < end && (*q == ' ' || *q == '\t' || *q == ','))
			q++;
		if (q == end) {
			*p = q;
			return false;
		}
		e = q;
		while (e < end && *e != ',')
			e++;
		*p = e;
		*item = q;
		while (e > q && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		*len = e - q;
		return true;
	}
}

/* "42" or "42, 42" (RFC 9110 8.6); several headers must agree too. */
static int content_length(struct http1_message *m, const struct http1_slice *v)
{
	const char *p = v->ptr, *end = v->ptr + v->len, *item;
	size_t n;
	bool any = false;

	while (list_next(&p, end, &item, &n)) {
		uint64_t x = 0;

		if (!n)
			return -EBADMSG;
		for (size_t i = 0; i < n; i++) {
			if (!is_digit(item[i]) || x > (UINT64_MAX >> 4) / 10)
				return -EBADMSG;
			x = x * 10 + (item[i] - '0');
		}
		if (m->has_content_length && m->content_length != x)
			return -EBADMSG;
		m->has_content_length = true;
		m->content_length = x;
		any = true;
	}
	return any ? 0 : -EBADMSG;
}

/* The codings in a Transfer-Encoding or Content-Encoding value. */
struct codings {
	unsigned int n; /* other than identity */
	bool last_chunked;
	bool other; /* transfer codings other than chunked */
	enum http1_coding coding;
};

static void scan_codings(struct codings *c, const struct http1_slice *v)
{
	const char *p = v->ptr, *end = v->ptr + v->len, *item;
	size_t n;

	while (list_next(&p, end, &item, &n)) {
		const char *semi = memchr(item, ';', n);

		/* Parameters (";q=...") do not change the coding. */
		if (semi)
			for (n = semi - item; n && (item[n - 1] == ' ' || item[n - 1] == '\t'); n--)
				;
		c->last_chunked = bufutil_ieq(item, n, "chunked");
		if (bufutil_ieq(item, n, "identity"))
			continue;
		if (!c->last_chunked)
			c->other = true;
		c->n++;
		if (bufutil_ieq(item, n, "gzip") || bufutil_ieq(item, n, "x-gzip"))
			c->coding = HTTP1_CODING_GZIP;
		else if (bufutil_ieq(item, n, "deflate"))
			c->coding = HTTP1_CODING_DEFLATE;
		else
			c->coding = HTTP1_CODING_OTHER;
	}
}

static void parse_start_line(struct http1_stream *s)
{
	struct http1_message *m = &s->m;
	const char *h = s->head;
	size_t end = s->start_len, i;

	/* The line was checked when it was found: only the pieces are taken here. */
	while (end && (h[end - 1] == '\n' || h[end - 1] == '\r'))
		end--;
	if (m->is_request) {
		const char *sp1 = memchr(h, ' ', end), *sp2;

		sp2 = memchr(sp1 + 1, ' ', end - (sp1 + 1 - h));
		m->method = (struct http1_slice){ h, sp1 - h };
		m->target = (struct http1_slice){ sp1 + 1, sp2 - sp1 - 1 };
		m->version_minor = sp2[8] - '0';
		return;
	}
	m->version_minor = h[7] - '0';
	m->status = (h[9] - '0') * 100 + (h[10] - '0') * 10 + (h[11] - '0');
	i = end > 12 ? 13 : 12;
	m->reason = (struct http1_slice){ h + i, end - i };
}

/* The head is complete: interpret it, announce it, frame the body. */
static void head_done(struct http1_stream *s)
{
	struct http1_message *m = &s->m;
	struct codings te = { 0 }, ce = { 0 };
	bool body = true, upgrade_req = false, tunnel_req;

	memset(m, 0, sizeof(*m));
	m->seq = s->seq;
	m->stream_offset = s->head_off;
	m->is_request = s->lim.is_request_stream;
	parse_start_line(s);
	for (size_t i = 0; i < s->n_spans; i++) {
		const struct hdr_span *sp = &s->spans[i];
		struct http1_header *h = &s->hdrs[i];
		const char *name = s->head + sp->name;

		h->name = (struct http1_slice){ name, sp->name_len };
		h->value = (struct http1_slice){ s->head + sp->value, sp->value_len };
		if (bufutil_ieq(name, sp->name_len, "content-length")) {
			if (content_length(m, &h->value)) {
				fail(s, -EBADMSG, "invalid Content-Length", s->head_off + sp->name);
				return;
			}
		} else if (bufutil_ieq(name, sp->name_len, "transfer-encoding")) {
			if (!m->transfer_encoding.ptr)
				m->transfer_encoding = h->value;
			scan_codings(&te, &h->value);
		} else if (bufutil_ieq(name, sp->name_len, "content-encoding")) {
			if (!m->content_encoding.ptr)
				m->content_encoding = h->value;
			scan_codings(&ce, &h->value);
		} else if (bufutil_ieq(name, sp->name_len, "content-type")) {
			if (!m->content_type.ptr)
				m->content_type = h->value;
		} else if (bufutil_ieq(name, sp->name_len, "host")) {
			if (!m->host.ptr)
				m->host = h->value;
		} else if (bufutil_ieq(name, sp->name_len, "upgrade")) {
			upgrade_req = true;
		}
	}
	m->headers = s->n_spans ? s->hdrs : NULL;
	m->n_headers = s->n_spans;

	/* RFC 9112 6.3: Transfer-Encoding overrides Content-Length. */
	if (m->transfer_encoding.ptr) {
		if (te.last_chunked)
			m->chunked = true;
		else if (m->is_request) {
			fail(s, -EBADMSG, "invalid Transfer-Encoding", s->head_off);
			return;
		} else
			m->until_close = true;
	} else if (m->has_content_length) {
		body = m->content_length > 0;
	} else if (m->is_request) {
		body = false;
	} else {
		m->until_close = true;
	}
	if (!m->is_request && (m->status < 200 || m->status == 204 || m->status == 304)) {
		body = false;
		m->chunked = false;
		m->until_close = false;
		m->upgrade = m->status == 101;
	}
	if (te.other)
		m->coding = HTTP1_CODING_OTHER;
	else if (ce.n == 1)
		m->coding = ce.coding;
	else if (ce.n > 1)
		m->coding = HTTP1_CODING_OTHER;
	m->body_undecoded = m->coding == HTTP1_CODING_OTHER;
	if (body && m->body_undecoded)
		s->st.bodies_undecoded++;

	tunnel_req = m->is_request &&
		     (upgrade_req || (m->method.len == 7 && !memcmp(m->method.ptr, "CONNECT", 7)));
	s->maybe_tunnel = false;
	s->in_msg = true;
	s->skip = false;
	if (s->cb.on_headers)
		s->cb.on_headers(m, s->arg);
	if (!body) {
		body_done(s);
	} else {
		if (s->cb.on_body || s->cb.on_message)
			zstart(s);
		if (m->chunked) {
			s->state = ST_CHUNK_SIZE;
			s->chunk_size = 0;
			s->chunk_digits = 0;
			s->line_len = 0;
		} else if (m->until_close) {
			s->state = ST_BODY_CLOSE;
		} else {
			s->state = ST_BODY_LEN;
			s->remaining = m->content_length;
		}
	}
	/* Whether the server agreed to switch is on the other stream: maybe. */
	if (tunnel_req)
		s->maybe_tunnel = true;
}

/* Obsolete line folding (RFC 9112 5.2): the line continues the previous value. */
static int fold_line(struct http1_stream *s, size_t start, size_t n)
{
	struct hdr_span *sp = &s->spans[s->n_spans - 1];
	char *l = s->head + start;
	size_t b = 0, e = n;

	while (b < e && (l[b] == ' ' || l[b] == '\t'))
		b++;
	while (e > b && (l[e - 1] == ' ' || l[e - 1] == '\t'))
		e--;
	for (size_t i = b; i < e; i++)
		if (!value_char(l[i]))
			return -EBADMSG;
	if (b == e)
		return 0;
	if (!sp->value_len) {
		sp->value = start + b;
	} else {
		/* The line break becomes spaces: the value stays one slice. */
		memset(s->head + sp->value + sp->value_len, ' ',
		       start + b - (sp->value + sp->value_len));
	}
	sp->value_len = start + e - sp->value;
	return 0;
}

/* A line of the head ended (LF at head_len - 1): 1 when the head is complete. */
static int head_line(struct http1_stream *s)
{
	size_t start = s->line_start, n = s->head_len - start - 1, i, v, e;
	const char *l = s->head + start;
	struct hdr_span *sp;

	s->line_start = s->head_len;
	if (n && l[n - 1] == '\r')
		n--;
	if (!n) {
		head_done(s);
		return 1;
	}
	if (l[0] == ' ' || l[0] == '\t') {
		if (s->n_spans && !fold_line(s, start, n))
			return 0;
		fail(s, -EBADMSG, "invalid header line", s->head_off + start);
		return -1;
	}
	for (i = 0; i < n && tchar(l[i]); i++)
		;
	if (!i || i == n || l[i] != ':') {
		fail(s, -EBADMSG, "invalid header name", s->head_off + start);
		return -1;
	}
	for (v = i + 1; v < n && (l[v] == ' ' || l[v] == '\t'); v++)
		;
	for (e = n; e > v && (l[e - 1] == ' ' || l[e - 1] == '\t'); e--)
		;
	for (size_t k = v; k < e; k++) {
		if (!value_char(l[k])) {
			fail(s, -EBADMSG, "invalid header value", s->head_off + start);
			return -1;
		}
	}
	if (s->n_spans >= s->lim.max_headers) {
		s->st.too_many_headers++;
		fail(s, -EMSGSIZE, "too many headers", s->head_off + start);
		return -1;
	}
	if (s->n_spans == s->spans_cap) {
		size_t cap = s->spans_cap;

		if (bufutil_reserve((void **)&s->spans, &cap, s->n_spans + 1, sizeof(*s->spans),
			    s->lim.max_headers) ||
		    bufutil_reserve((void **)&s->hdrs, &s->spans_cap, s->n_spans + 1, sizeof(*s->hdrs),
			    s->lim.max_headers)) {
			nomem(s);
			lose_sync(s);
			return -1;
		}
	}
	sp = &s->spans[s->n_spans++];
	sp->name = start;
	sp->name_len = i;
	sp->value = start + v;
	sp->value_len = e - v;
	return 0;
}

static size_t feed_head(struct http1_stream *s, const uint8_t *p, size_t n)
{
	size_t used = 0;

	while (used < n) {
		const uint8_t *q = p + used, *nl = memchr(q, '\n', n - used);
		size_t seg = nl ? (size_t)(nl - q) + 1 : n - used;

		if (seg > s->lim.max_head - s->head_len) {
			/* Take exactly what fits, so that the cut does not depend on the pieces. */
			seg = s->lim.max_head - s->head_len;
			nl = NULL;
		}
		if (head_reserve(s, s->head_len + seg)) {
			nomem(s);
			lose_sync(s);
			return used;
		}
		memcpy(s->head + s->head_len, q, seg);
		s->head_len += seg;
		used += seg;
		if (s->head_len == s->lim.max_head && !nl) {
			s->st.heads_too_long++;
			fail(s, -EMSGSIZE, "header section too long", s->head_off);
			return used;
		}
		if (nl && head_line(s))
			return used;
	}
	return used;
}

/* ---- finding start lines ------------------------------------------------- */

/* The start line at head[0..len) begins a head. */
static void head_begin(struct http1_stream *s, size_t len)
{
	s->line_start = len;
	s->start_len = len;
	s->n_spans = 0;
	s->state = ST_HEAD;
}

/* No start line where one belonged. */
static void start_failed(struct http1_stream *s, int r, uint64_t off)
{
	if (s->maybe_tunnel) {
		s->state = ST_TUNNEL;
		return;
	}
	if (r == SL_LONG) {
		s->st.heads_too_long++;
		report(s, -EMSGSIZE, "start line too long", off);
	} else {
		report(s, -EBADMSG,
		       s->lim.is_request_stream ? "invalid request line" : "invalid status line",
		       off);
	}
	s->state = ST_RESYNC;
}

/* Keep p[0..n), the beginning of what may be a start line, for the next piece. */
static void carry(struct http1_stream *s, const uint8_t *p, size_t n, uint64_t off)
{
	if (head_reserve(s, n)) {
		nomem(s);
		s->st.bytes_discarded += n;
		s->state = ST_RESYNC;
		return;
	}
	memcpy(s->head, p, n);
	s->head_len = n;
	s->head_off = off;
}

/* A partial start line is kept: extend it up to its line end and decide. */
static size_t feed_carry(struct http1_stream *s, const uint8_t *p, size_t n)
{
	size_t take = min_sz(n, s->lim.max_start_line - s->head_len), len, k;
	const uint8_t *nl = memchr(p, '\n', take);
	int r;

	if (nl)
		take = nl - p + 1;
	if (head_reserve(s, s->head_len + take)) {
		nomem(s);
		s->st.bytes_discarded += s->head_len + take;
		s->head_len = 0;
		s->state = ST_RESYNC;
		return take;
	}
	memcpy(s->head + s->head_len, p, take);
	s->head_len += take;
	for (;;) {
		const uint8_t *h = (const uint8_t *)s->head;
		bool strict = s->state == ST_RESYNC;

		r = start_check(s, h, s->head_len, strict, &len);
		if (r == SL_MATCH) {
			head_begin(s, len);
			return take;
		}
		if (r == SL_MORE)
			return take;
		if (!strict) {
			start_failed(s, r, s->head_off);
			if (s->state == ST_TUNNEL) {
				s->st.bytes_tunnel += s->head_len;
				s->head_len = 0;
				return take;
			}
		}
		/* The carry holds one line at most: any other candidate is inside it. */
		for (k = 1; k < s->head_len; k++)
			if (start_check(s, h + k, s->head_len - k, true, &len) != SL_NO)
				break;
		s->st.bytes_discarded += k;
		memmove(s->head, s->head + k, s->head_len - k);
		s->head_len -= k;
		s->head_off += k;
		if (!s->head_len)
			return take;
	}
}

/* A cheap first look while resynchronising: most bytes cannot begin a start line. */
static bool may_start(const struct http1_stream *s, uint8_t c)
{
	if (!s->lim.is_request_stream)
		return c == 'H';
	switch (c) {
	case 'G': /* the first letters of known_methods */
	case 'P':
	case 'D':
	case 'H':
	case 'O':
	case 'C':
	case 'T':
		return true;
	default:
		return false;
	}
}

/* Start line at p (ST_START) or anywhere from p on (ST_RESYNC). */
static size_t feed_start(struct http1_stream *s, const uint8_t *p, size_t n)
{
	size_t i, len = 0;
	int r = SL_NO;

	if (s->head_len)
		return feed_carry(s, p, n);
	if (s->state == ST_START) {
		/* Empty lines before a request are allowed (RFC 9112 2.2). */
		for (i = 0; i < n && (p[i] == '\r' || p[i] == '\n'); i++)
			;
		if (i)
			return i;
		r = start_check(s, p, n, false, &len);
		if (r == SL_NO || r == SL_LONG) {
			start_failed(s, r, s->offset);
			return 0;
		}
		i = 0;
	} else {
		for (i = 0; i < n; i++) {
			if (!may_start(s, p[i]))
				continue;
			r = start_check(s, p + i, n - i, true, &len);
			if (r == SL_MATCH || r == SL_MORE)
				break;
		}
		s->st.bytes_discarded += i;
		if (i == n)
			return n;
	}
	if (r == SL_MORE) {
		carry(s, p + i, n - i, s->offset + i);
		return n;
	}
	carry(s, p + i, len, s->offset + i);
	if (s->head_len)
		head_begin(s, len);
	return i + len;
}

/* ---- chunked framing ------------------------------------------------------ */

static void chunk_line_done(struct http1_stream *s)
{
	if (s->chunk_size) {
		s->state = ST_CHUNK_DATA;
		s->remaining = s->chunk_size;
	} else {
		s->state = ST_TRAILERS;
		s->trailer_bytes = 0;
	}
	s->chunk_size = 0;
	s->chunk_digits = 0;
	s->line_len = 0;
}

/* chunk-size [chunk-ext] CRLF (RFC 9112 7.1). */
static size_t feed_chunk_line(struct http1_stream *s, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t c = p[i];
		int v = hexval(c);

		if (++s->line_len > CHUNK_LINE_MAX) {
			fail(s, -EBADMSG, "chunk size line too long", s->offset + i);
			return i;
		}
		if (s->state == ST_CHUNK_SIZE && v >= 0) {
			if (s->chunk_size >> 59) {
				fail(s, -EBADMSG, "chunk size too large", s->offset + i);
				return i;
			}
			s->chunk_size = s->chunk_size * 16 + v;
			s->chunk_digits++;
			continue;
		}
		if (s->state == ST_CHUNK_SIZE && s->chunk_digits &&
		    (c == ';' || c == ' ' || c == '\t')) {
			s->state = ST_CHUNK_EXT;
			continue;
		}
		if (s->state == ST_CHUNK_EXT && c != '\r' && c != '\n') {
			if (!value_char(c)) {
				fail(s, -EBADMSG, "invalid chunk extension", s->offset + i);
				return i;
			}
			continue;
		}
		if (c == '\n' && (s->state != ST_CHUNK_SIZE || s->chunk_digits)) {
			chunk_line_done(s);
			return i + 1;
		}
		if (c == '\r' && s->state != ST_CHUNK_LF &&
		    (s->state != ST_CHUNK_SIZE || s->chunk_digits)) {
			s->state = ST_CHUNK_LF;
			continue;
		}
		fail(s, -EBADMSG, "invalid chunk size", s->offset + i);
		return i;
	}
	return n;
}

static size_t feed_trailers(struct http1_stream *s, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (++s->trailer_bytes > s->lim.max_head) {
			s->st.heads_too_long++;
			fail(s, -EMSGSIZE, "trailer section too long", s->offset + i);
			return i;
		}
		if (p[i] == '\n') {
			if (!s->line_len) {
				body_done(s);
				return i + 1;
			}
			s->line_len = 0;
		} else if (p[i] != '\r') {
			/* Trailers are not kept: nothing downstream uses them. */
			s->line_len++;
		}
	}
	return n;
}

/* ---- the stream ----------------------------------------------------------- */

static size_t step(struct http1_stream *s, const uint8_t *p, size_t n)
{
	size_t k;

	switch (s->state) {
	case ST_START:
	case ST_RESYNC:
		return feed_start(s, p, n);
	case ST_HEAD:
		return feed_head(s, p, n);
	case ST_BODY_LEN:
		k = n < s->remaining ? n : s->remaining;
		body_raw(s, p, k);
		s->remaining -= k;
		if (!s->remaining)
			body_done(s);
		return k;
	case ST_BODY_CLOSE:
		body_raw(s, p, n);
		return n;
	case ST_CHUNK_SIZE:
	case ST_CHUNK_EXT:
	case ST_CHUNK_LF:
		return feed_chunk_line(s, p, n);
	case ST_CHUNK_DATA:
		k = n < s->remaining ? n : s->remaining;
		body_raw(s, p, k);
		s->remaining -= k;
		if (!s->remaining)
			s->state = ST_CHUNK_DATA_END;
		return k;
	case ST_CHUNK_DATA_END:
	case ST_CHUNK_DATA_LF:
		if (p[0] == '\r' && s->state == ST_CHUNK_DATA_END) {
			s->state = ST_CHUNK_DATA_LF;
			return 1;
		}
		if (p[0] == '\n') {
			s->state = ST_CHUNK_SIZE;
			return 1;
		}
		fail(s, -EBADMSG, "missing CRLF after chunk data", s->offset);
		return 0;
	case ST_TRAILERS:
		return feed_trailers(s, p, n);
	case ST_TUNNEL:
		s->st.bytes_tunnel += n;
		return n;
	}
	return n;
}

int http1_stream_new(const struct http1_limits *lim, const struct http1_callbacks *cb, void *arg,
		     struct http1_stream **out)
{
	struct http1_limits l = lim ? *lim : http1_limits_default();
	struct http1_stream *s;

	if (!out || l.max_head < 16 || l.max_head > HEAD_LIMIT || l.max_start_line < 16)
		return -EINVAL;
	if (l.max_start_line > l.max_head)
		l.max_start_line = l.max_head;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->lim = l;
	if (cb)
		s->cb = *cb;
	s->arg = arg;
	s->state = ST_START;
	*out = s;
	return 0;
}

void http1_stream_free(struct http1_stream *s)
{
	if (!s)
		return;
	winflate_free(s->zd);
	free(s->head);
	free(s->spans);
	free(s->hdrs);
	free(s->body);
	free(s);
}

int http1_feed(struct http1_stream *s, const uint8_t *data, size_t len)
{
	if (!s || (!data && len))
		return -EINVAL;
	s->nomem = false;
	s->st.bytes += len;
	while (len) {
		size_t n = step(s, data, len);

		data += n;
		len -= n;
		s->offset += n;
	}
	return s->nomem ? -ENOMEM : 0;
}

void http1_gap(struct http1_stream *s, uint64_t missing)
{
	if (!s)
		return;
	s->st.gaps++;
	s->st.gap_bytes += missing;
	s->st.bytes += missing;
	s->offset += missing;
	switch (s->state) {
	case ST_TUNNEL:
		return;
	case ST_BODY_CLOSE:
		gap_finish(s);
		return;
	case ST_BODY_LEN:
	case ST_CHUNK_DATA:
		/* Inside a body of known length: still in step, only the message is lost. */
		if (!missing || missing > s->remaining)
			break;
		gap_finish(s);
		s->remaining -= missing;
		if (s->remaining)
			return;
		if (s->state == ST_CHUNK_DATA)
			s->state = ST_CHUNK_DATA_END;
		else
			body_done(s);
		return;
	default:
		break;
	}
	lose_sync(s);
}

void http1_end(struct http1_stream *s)
{
	if (!s)
		return;
	if (s->state == ST_HEAD || (s->state == ST_START && s->head_len))
		report(s, -ENODATA, "stream ended inside a message head", s->head_off);
	if (s->in_msg)
		msg_finish(s, s->state == ST_BODY_CLOSE);
	s->st.bytes_discarded += s->head_len;
	s->head_len = 0;
	s->n_spans = 0;
	s->state = ST_START;
	s->offset = 0;
	s->seq = 0;
	s->maybe_tunnel = false;
	s->skip = false;
	s->zon = false;
}

void http1_get_stats(const struct http1_stream *s, struct http1_stats *out)
{
	if (s)
		*out = s->st;
	else
		memset(out, 0, sizeof(*out));
}

int http1_header_get(const struct http1_message *m, const char *name, struct http1_slice *out)
{
	for (size_t i = 0; i < m->n_headers; i++) {
		if (bufutil_ieq(m->headers[i].name.ptr, m->headers[i].name.len, name)) {
			*out = m->headers[i].value;
			return 0;
		}
	}
	return -ENOENT;
}
