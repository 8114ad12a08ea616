// SPDX-License-Identifier: Apache-2.0
/*
 * HTTP/2 connection decoder. See http2.h.
 *
 * Each direction is a frame parser driven by whatever bytes arrive: a frame
 * is its 9-byte header, a prefix (pad length, priority, promised stream id,
 * the fixed part of RST_STREAM and GOAWAY), a body and padding, and every
 * state consumes what it can of the piece at hand. Only the frame header, the
 * prefix and header blocks are buffered; DATA goes straight to its stream, so
 * a megabyte of body costs no copy beyond what max_body keeps. Header blocks
 * are decoded whole, at END_HEADERS, so an HPACK decoder is never left
 * between blocks across calls and any split of the input gives the same
 * results.
 *
 * Streams live in an open-addressed table keyed by stream id, and on a list
 * in the order they were opened, so that whatever ends many of them at once
 * (GOAWAY, a gap, the end) reports them in an order the input alone decides.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <nghttp2/nghttp2.h>

#include "warden/bufutil.h"
#include "warden/decode/http2.h"
#include "warden/decode/inflate.h"

enum {
	FT_DATA = 0x0,
	FT_HEADERS = 0x1,
	FT_PRIORITY = 0x2,
	FT_RST_STREAM = 0x3,
	FT_SETTINGS = 0x4,
	FT_PUSH_PROMISE = 0x5,
	FT_PING = 0x6,
	FT_GOAWAY = 0x7,
	FT_WINDOW_UPDATE = 0x8,
	FT_CONTINUATION = 0x9,
};

enum {
	FL_END_STREAM = 0x1, /* DATA, HEADERS */
	FL_ACK = 0x1, /* SETTINGS, PING */
	FL_END_HEADERS = 0x4,
	FL_PADDED = 0x8,
	FL_PRIORITY = 0x20,
};

#define FRAME_HDR 9
#define SETTINGS_HEADER_TABLE_SIZE 0x1
/* RFC 7541 4.2: the table every HPACK encoder starts with. */
#define HPACK_DEFAULT_TABLE 4096
/* The pseudo-headers kept: :method, :path, :authority, :scheme, :status. */
#define PSEUDO_MAX 5
/* A 31-bit stream id; the table is sized in powers of two above it. */
#define STREAMS_LIMIT (1u << 20)

enum fstate {
	F_PREFACE, /* client: the 24-byte connection preface */
	F_HEAD, /* the 9-byte frame header */
	F_PREFIX, /* pad length, priority, promised id, fixed fields */
	F_BODY,
	F_PAD,
	F_DEAD, /* undecodable: bytes are counted until http2_end */
};

enum hstate {
	H_IDLE, /* no header block yet (or only 1xx ones) */
	H_OPEN, /* on_headers done, on_message not yet */
	H_DONE, /* ended, or dropped: DATA for it is discarded */
};

/* A header as offsets: the header buffer may move while it grows. */
struct hdr_span {
	uint32_t name, name_len, value, value_len;
};

/* One message of a stream: the request (client) or the response (server). */
struct half {
	enum hstate state;
	uint8_t dir;
	struct http2_message m;
	char *hbuf; /* decoded header names and values */
	size_t hbuf_len, hbuf_cap;
	struct hdr_span *spans;
	struct http2_header *hdrs;
	size_t n_spans, spans_cap;
	uint8_t *body;
	size_t body_cap;
	bool body_nomem;
	struct winflate *zd;
	bool zon; /* the body is being decompressed */
};

struct h2stream {
	uint32_t id;
	struct h2stream *prev, *next; /* in the order opened */
	struct half half[2]; /* by enum http2_dir */
};

struct dirstate {
	enum fstate st;
	uint64_t off; /* of the next byte */
	uint64_t frame_off; /* of the frame being parsed */
	unsigned int preface_len;
	uint8_t hdr[FRAME_HDR];
	unsigned int hdr_len;
	uint32_t len, sid;
	uint8_t type, flags;
	bool skip; /* a frame too long: its bytes are counted and dropped */
	uint8_t pre[8];
	unsigned int pre_need, pre_len;
	uint32_t left; /* of the body, then of the padding */
	uint8_t pad;
	uint8_t set[6]; /* one SETTINGS entry */
	unsigned int set_len;

	/* The header block being gathered: HEADERS or PUSH_PROMISE + CONTINUATIONs. */
	bool cont; /* END_HEADERS not seen: only CONTINUATION may come */
	uint8_t blk_type;
	bool blk_end_stream;
	uint32_t blk_sid;
	uint8_t *blk;
	size_t blk_len, blk_cap;

	/* Decodes the header blocks this direction sends. */
	nghttp2_hd_inflater *hd;
	size_t table_max; /* the bound the peer's SETTINGS allow this encoder */
};

struct http2_conn {
	struct http2_limits lim;
	struct http2_callbacks cb;
	void *arg;
	struct http2_stats st;
	struct dirstate d[2];
	bool nomem; /* an allocation failed during this call */
	bool dead;

	struct h2stream **tab;
	size_t tab_mask;
	unsigned int tab_bits;
	size_t n_streams;
	struct h2stream *first, *last;
};

static const uint8_t preface[HTTP2_PREFACE_LEN] = HTTP2_PREFACE;

struct http2_limits http2_limits_default(void)
{
	return (struct http2_limits){
		.max_streams = 256,
		.max_header_block = 64 << 10,
		.max_header_list = 64 << 10,
		.max_headers = 128,
		.max_body = 1 << 20,
		.max_decoded = 8 << 20,
		/* The protocol's own ceiling: only DATA and unknown frames get this long, and they stream. */
		.max_frame = (1u << 24) - 1,
		.max_table_size = 64 << 10,
	};
}

static size_t min_sz(size_t a, size_t b)
{
	return a < b ? a : b;
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}


static void nomem(struct http2_conn *c)
{
	c->nomem = true;
	c->st.alloc_failures++;
}

static void report(struct http2_conn *c, int err, const char *what, enum http2_dir dir,
		   uint64_t off)
{
	c->st.errors++;
	if (c->cb.on_error)
		c->cb.on_error(err, what, dir, off, c->arg);
}

/* ---- the stream table ----------------------------------------------------- */

static size_t home(const struct http2_conn *c, uint32_t id)
{
	/* Ids are odd (or even) and rising: a multiplicative hash spreads them. */
	return (size_t)((id * 2654435761u) >> (32 - c->tab_bits));
}

static struct h2stream *stream_find(const struct http2_conn *c, uint32_t id)
{
	for (size_t i = home(c, id);; i = (i + 1) & c->tab_mask) {
		struct h2stream *s = c->tab[i];

		if (!s || s->id == id)
			return s;
	}
}

static struct h2stream *stream_new(struct http2_conn *c, uint32_t id)
{
	struct h2stream *s;
	size_t i;

	if (c->n_streams >= c->lim.max_streams) {
		c->st.streams_refused++;
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		nomem(c);
		return NULL;
	}
	s->id = id;
	s->half[HTTP2_DIR_CLIENT].dir = HTTP2_DIR_CLIENT;
	s->half[HTTP2_DIR_SERVER].dir = HTTP2_DIR_SERVER;
	/* At most half full (max_streams <= table / 2): a free slot is near. */
	for (i = home(c, id); c->tab[i]; i = (i + 1) & c->tab_mask)
		;
	c->tab[i] = s;
	c->n_streams++;
	s->prev = c->last;
	if (c->last)
		c->last->next = s;
	else
		c->first = s;
	c->last = s;
	return s;
}

static void half_free(struct half *h)
{
	free(h->hbuf);
	free(h->spans);
	free(h->hdrs);
	free(h->body);
	winflate_free(h->zd);
}

static void stream_free(struct http2_conn *c, struct h2stream *s)
{
	size_t i = home(c, s->id), j;

	while (c->tab[i] != s)
		i = (i + 1) & c->tab_mask;
	/* Backward-shift deletion: no tombstones, so lookups stay short. */
	c->tab[i] = NULL;
	for (j = (i + 1) & c->tab_mask; c->tab[j]; j = (j + 1) & c->tab_mask) {
		size_t k = home(c, c->tab[j]->id);

		/* Move it back unless its home lies cyclically in (i, j]. */
		if (i <= j ? (i < k && k <= j) : (i < k || k <= j))
			continue;
		c->tab[i] = c->tab[j];
		c->tab[j] = NULL;
		i = j;
	}
	c->n_streams--;
	if (s->prev)
		s->prev->next = s->next;
	else
		c->first = s->next;
	if (s->next)
		s->next->prev = s->prev;
	else
		c->last = s->prev;
	half_free(&s->half[0]);
	half_free(&s->half[1]);
	free(s);
}

/* ---- bodies --------------------------------------------------------------- */

/* Decoded body bytes: to on_body, and kept for on_message while they fit. */
static void body_out(struct http2_conn *c, struct half *h, const uint8_t *p, size_t n)
{
	struct http2_message *m = &h->m;

	m->body_total += n;
	if (c->cb.on_body)
		c->cb.on_body(m, p, n, c->arg);
	if (c->cb.on_message && !h->body_nomem && m->body_len < c->lim.max_body) {
		size_t take = min_sz(n, c->lim.max_body - m->body_len);

		if (bufutil_reserve((void **)&h->body, &h->body_cap, m->body_len + take, 1,
			    c->lim.max_body)) {
			/* Kept short: body_truncated tells. */
			h->body_nomem = true;
			nomem(c);
			return;
		}
		memcpy(h->body + m->body_len, p, take);
		m->body_len += take;
	}
}

static void decode_error(struct http2_conn *c, struct half *h, const char *what)
{
	h->m.decode_error = true;
	h->zon = false;
	c->st.decode_errors++;
	report(c, -EILSEQ, what, h->dir, c->d[h->dir].frame_off);
}

/* The inflater's sink has one argument: the connection and the half travel together. */
struct zctx {
	struct http2_conn *c;
	struct half *h;
};

static void zsink(const uint8_t *p, size_t n, void *arg)
{
	struct zctx *z = arg;

	body_out(z->c, z->h, p, n);
}

static void zstart(struct http2_conn *c, struct half *h)
{
	enum winflate_coding coding;

	if (h->m.coding == HTTP2_CODING_GZIP)
		coding = WINFLATE_GZIP;
	else if (h->m.coding == HTTP2_CODING_DEFLATE)
		coding = WINFLATE_DEFLATE;
	else
		return;
	if ((!h->zd && winflate_new(&h->zd)) || winflate_start(h->zd, coding, c->lim.max_decoded)) {
		nomem(c);
		decode_error(c, h, "out of memory decompressing body");
		return;
	}
	h->zon = true;
}

/* DATA payload for an open message. */
static void half_data(struct http2_conn *c, struct half *h, const uint8_t *p, size_t n)
{
	struct zctx z = { c, h };
	int r;

	h->m.wire_len += n;
	if (!c->cb.on_body && !c->cb.on_message)
		return;
	if (h->m.coding != HTTP2_CODING_GZIP && h->m.coding != HTTP2_CODING_DEFLATE) {
		body_out(c, h, p, n);
		return;
	}
	if (!h->zon)
		return;
	r = winflate_feed(h->zd, p, n, zsink, &z);
	if (r == -EFBIG) {
		h->m.decode_truncated = true;
		h->zon = false;
		c->st.decode_capped++;
	} else if (r == -ENOMEM) {
		nomem(c);
		decode_error(c, h, "out of memory decompressing body");
	} else if (r) {
		decode_error(c, h,
			     h->m.coding == HTTP2_CODING_GZIP ? "invalid gzip data" :
								"invalid deflate data");
	}
}

/* ---- message boundaries --------------------------------------------------- */

static void half_finish(struct http2_conn *c, struct half *h, bool complete)
{
	struct http2_message *m = &h->m;

	if (h->zon && winflate_end(h->zd) && complete)
		decode_error(c, h, "truncated compressed body");
	h->zon = false;
	m->complete = complete;
	m->body = m->body_len ? h->body : NULL;
	m->body_truncated = c->cb.on_message && m->body_len < m->body_total;
	c->st.messages++;
	if (!complete)
		c->st.messages_incomplete++;
	if (m->body_truncated)
		c->st.bodies_truncated++;
	if (c->cb.on_message)
		c->cb.on_message(m, c->arg);
	h->state = H_DONE;
}

/* Both messages are over (or the response is and the request never came). */
static void stream_settle(struct http2_conn *c, struct h2stream *s)
{
	if (s->half[HTTP2_DIR_SERVER].state == H_DONE && s->half[HTTP2_DIR_CLIENT].state != H_OPEN)
		stream_free(c, s);
}

/* The stream is over, whatever state its messages are in. */
static void stream_abort(struct http2_conn *c, struct h2stream *s)
{
	for (int i = 0; i < 2; i++)
		if (s->half[i].state == H_OPEN)
			half_finish(c, &s->half[i], false);
	stream_free(c, s);
}

static void abort_all(struct http2_conn *c)
{
	while (c->first)
		stream_abort(c, c->first);
}

/* Decoding cannot go on: HPACK, or the framing, is out of step. */
static void die(struct http2_conn *c, int err, const char *what, enum http2_dir dir, uint64_t off)
{
	report(c, err, what, dir, off);
	c->st.undecodable++;
	c->dead = true;
	for (int i = 0; i < 2; i++) {
		c->d[i].st = F_DEAD;
		c->d[i].cont = false;
		c->d[i].blk_len = 0;
	}
	abort_all(c);
}

static void die_frame(struct http2_conn *c, enum http2_dir dir, int err, const char *what)
{
	die(c, err, what, dir, c->d[dir].frame_off);
}

/* ---- header blocks -------------------------------------------------------- */

/* What one header block left behind besides the fields. */
struct blkctx {
	size_t regular;
	bool too_many, too_long, nomem;
	bool seen[PSEUDO_MAX];
};

static const char *const pseudo_names[PSEUDO_MAX] = { ":method", ":path", ":authority", ":scheme",
						      ":status" };

static int pseudo_index(const uint8_t *name, size_t len)
{
	for (int i = 0; i < PSEUDO_MAX; i++)
		if (strlen(pseudo_names[i]) == len && !memcmp(pseudo_names[i], name, len))
			return i;
	return -1;
}

/* Keep one decoded field in the message's header storage, within the limits. */
static void field_add(struct http2_conn *c, struct half *h, struct blkctx *b, const nghttp2_nv *nv)
{
	bool pseudo = nv->namelen && nv->name[0] == ':';
	size_t need = nv->namelen + nv->valuelen;
	struct hdr_span *sp;

	/* A field without a name is no field (RFC 9110 5.1); it would not be kept anyway. */
	if (b->nomem || !nv->namelen)
		return;
	if (pseudo) {
		int k = pseudo_index(nv->name, nv->namelen);

		/* Others (:protocol) and repeats are not kept: the first one counts. */
		if (k < 0 || b->seen[k])
			return;
		b->seen[k] = true;
	} else if (b->regular >= c->lim.max_headers) {
		if (!b->too_many)
			c->st.too_many_headers++;
		b->too_many = true;
		return;
	}
	if (need > c->lim.max_header_list - h->hbuf_len) {
		if (!b->too_long)
			c->st.header_lists_too_long++;
		b->too_long = true;
		return;
	}
	if (h->n_spans == h->spans_cap) {
		size_t cap = h->spans_cap, max = c->lim.max_headers + PSEUDO_MAX;

		if (bufutil_reserve((void **)&h->spans, &cap, h->n_spans + 1, sizeof(*h->spans), max) ||
		    bufutil_reserve((void **)&h->hdrs, &h->spans_cap, h->n_spans + 1, sizeof(*h->hdrs),
			    max)) {
			nomem(c);
			b->nomem = true;
			return;
		}
	}
	if (bufutil_reserve((void **)&h->hbuf, &h->hbuf_cap, h->hbuf_len + need, 1,
		    c->lim.max_header_list)) {
		nomem(c);
		b->nomem = true;
		return;
	}
	sp = &h->spans[h->n_spans++];
	sp->name = h->hbuf_len;
	sp->name_len = nv->namelen;
	sp->value = h->hbuf_len + nv->namelen;
	sp->value_len = nv->valuelen;
	memcpy(h->hbuf + sp->name, nv->name, nv->namelen);
	memcpy(h->hbuf + sp->value, nv->value, nv->valuelen);
	h->hbuf_len += need;
	if (!pseudo)
		b->regular++;
}

/* A comma-separated list: the next item, trimmed; false at the end. */
static bool list_next(const char **p, const char *end, const char **item, size_t *len)
{
	const char *q = *p, *e;

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

/* The content codings of a Content-Encoding value, as http1 reads them. */
static void scan_codings(const struct http2_slice *v, unsigned int *n, enum http2_coding *coding)
{
	const char *p = v->ptr, *end = v->ptr + v->len, *item;
	size_t len;

	while (list_next(&p, end, &item, &len)) {
		const char *semi = memchr(item, ';', len);

		if (semi)
			for (len = semi - item;
			     len && (item[len - 1] == ' ' || item[len - 1] == '\t'); len--)
				;
		if (bufutil_ieq(item, len, "identity"))
			continue;
		(*n)++;
		if (bufutil_ieq(item, len, "gzip") || bufutil_ieq(item, len, "x-gzip"))
			*coding = HTTP2_CODING_GZIP;
		else if (bufutil_ieq(item, len, "deflate"))
			*coding = HTTP2_CODING_DEFLATE;
		else
			*coding = HTTP2_CODING_OTHER;
	}
}

static void content_length(struct http2_message *m, const struct http2_slice *v)
{
	uint64_t x = 0;

	/* Informational only: END_STREAM frames the body. */
	if (!v->len || m->has_content_length)
		return;
	for (size_t i = 0; i < v->len; i++) {
		if (v->ptr[i] < '0' || v->ptr[i] > '9' || x > (UINT64_MAX >> 4) / 10)
			return;
		x = x * 10 + (v->ptr[i] - '0');
	}
	m->has_content_length = true;
	m->content_length = x;
}

static int parse_status(const struct http2_slice *v)
{
	if (!v->ptr || v->len != 3)
		return -1;
	for (int i = 0; i < 3; i++)
		if (v->ptr[i] < '0' || v->ptr[i] > '9')
			return -1;
	return (v->ptr[0] - '0') * 100 + (v->ptr[1] - '0') * 10 + (v->ptr[2] - '0');
}

/* The fields are in; make the message of them. 0, or why it is dropped. */
static const char *msg_build(const struct h2stream *s, struct half *h)
{
	struct http2_message *m = &h->m;
	struct http2_slice host = { 0 };
	struct http2_slice *pseudo[PSEUDO_MAX] = { &m->method, &m->path, &m->authority, &m->scheme,
						   NULL };
	struct http2_slice status = { 0 };
	unsigned int ncodings = 0;
	enum http2_coding coding = HTTP2_CODING_IDENTITY;
	size_t n = 0;

	pseudo[4] = &status;
	memset(m, 0, sizeof(*m));
	m->stream_id = s->id;
	m->is_request = h->dir == HTTP2_DIR_CLIENT;
	for (size_t i = 0; i < h->n_spans; i++) {
		const struct hdr_span *sp = &h->spans[i];
		const char *name = h->hbuf + sp->name;
		struct http2_slice v = { h->hbuf + sp->value, sp->value_len };
		int k;

		if (sp->name_len && name[0] == ':') {
			k = pseudo_index((const uint8_t *)name, sp->name_len);
			*pseudo[k] = v;
			continue;
		}
		h->hdrs[n].name = (struct http2_slice){ name, sp->name_len };
		h->hdrs[n].value = v;
		n++;
		if (bufutil_ieq(name, sp->name_len, "content-type")) {
			if (!m->content_type.ptr)
				m->content_type = v;
		} else if (bufutil_ieq(name, sp->name_len, "content-encoding")) {
			if (!m->content_encoding.ptr)
				m->content_encoding = v;
			scan_codings(&v, &ncodings, &coding);
		} else if (bufutil_ieq(name, sp->name_len, "content-length")) {
			content_length(m, &v);
		} else if (bufutil_ieq(name, sp->name_len, "host")) {
			if (!host.ptr)
				host = v;
		}
	}
	m->headers = n ? h->hdrs : NULL;
	m->n_headers = n;
	if (!m->authority.ptr)
		m->authority = host;
	if (m->is_request) {
		if (!m->method.ptr || status.ptr)
			return "request without :method";
	} else {
		m->status = parse_status(&status);
		if (m->status < 100 || m->method.ptr || m->path.ptr)
			return "response without a valid :status";
	}
	if (ncodings == 1)
		m->coding = coding;
	else if (ncodings > 1)
		m->coding = HTTP2_CODING_OTHER;
	m->body_undecoded = m->coding == HTTP2_CODING_OTHER;
	return NULL;
}

static nghttp2_hd_inflater *inflater(struct http2_conn *c, enum http2_dir dir)
{
	struct dirstate *d = &c->d[dir];

	if (d->hd)
		return d->hd;
	if (nghttp2_hd_inflate_new(&d->hd)) {
		d->hd = NULL;
		return NULL;
	}
	if (d->table_max > HPACK_DEFAULT_TABLE &&
	    nghttp2_hd_inflate_change_table_size(d->hd, d->table_max)) {
		nghttp2_hd_inflate_del(d->hd);
		d->hd = NULL;
	}
	return d->hd;
}

/*
 * The whole header block is in: decode it, always, so that the dynamic
 * table stays in step, then give it to the message it belongs to (if any).
 */
static void block_done(struct http2_conn *c, enum http2_dir dir)
{
	struct dirstate *d = &c->d[dir];
	nghttp2_hd_inflater *hd = inflater(c, dir);
	struct h2stream *s = NULL;
	struct half *h = NULL, *target = NULL;
	struct blkctx b = { 0 };
	/* An empty block may have no buffer yet: no arithmetic on NULL. */
	const uint8_t *in = d->blk ? d->blk : (const uint8_t *)"";
	size_t left = d->blk_len;
	bool end_stream = d->blk_end_stream;
	const char *bad;

	if (!hd) {
		nomem(c);
		die_frame(c, dir, -ENOMEM, "out of memory for HPACK state");
		return;
	}
	if (d->blk_type == FT_PUSH_PROMISE) {
		/* Promised requests are not reported: their responses are. */
		c->st.push_promises++;
	} else {
		s = stream_find(c, d->blk_sid);
		if (!s)
			s = stream_new(c, d->blk_sid);
		if (s) {
			h = &s->half[dir];
			if (h->state == H_IDLE) {
				target = h;
				h->hbuf_len = 0;
				h->n_spans = 0;
			}
		}
	}
	for (;;) {
		nghttp2_nv nv;
		int flags = 0;
		ssize_t r = nghttp2_hd_inflate_hd2(hd, &nv, &flags, in, left, 1);

		if (r < 0) {
			if (r == NGHTTP2_ERR_NOMEM) {
				nomem(c);
				die_frame(c, dir, -ENOMEM, "out of memory decoding headers");
			} else {
				die_frame(c, dir, -EBADMSG, "HPACK decoding failed");
			}
			return;
		}
		in += r;
		left -= r;
		if ((flags & NGHTTP2_HD_INFLATE_EMIT) && target)
			field_add(c, target, &b, &nv);
		if (flags & NGHTTP2_HD_INFLATE_FINAL) {
			nghttp2_hd_inflate_end_headers(hd);
			break;
		}
		if (!r && !(flags & NGHTTP2_HD_INFLATE_EMIT)) {
			/* in_final is set: this cannot happen, but a loop must not hang on it. */
			die_frame(c, dir, -EBADMSG, "HPACK decoding stalled");
			return;
		}
	}
	d->blk_len = 0;
	if (!s)
		return;
	if (h->state == H_OPEN) {
		/* A second block on an open message: trailers, which end it. */
		c->st.trailers++;
		h->m.has_trailers = true;
		if (end_stream)
			half_finish(c, h, true);
	} else if (target) {
		if (b.nomem) {
			/* Counted in alloc_failures; the message is lost, HPACK is not. */
			h->state = H_DONE;
		} else if ((bad = msg_build(s, h))) {
			c->st.malformed_messages++;
			report(c, -EINVAL, bad, dir, d->frame_off);
			h->state = H_DONE;
		} else if (!h->m.is_request && h->m.status < 200) {
			/* 1xx: the final response is still to come. */
			c->st.informational++;
		} else {
			h->m.headers_truncated = b.too_many || b.too_long;
			if (h->m.headers_truncated)
				report(c, -E2BIG,
				       b.too_many ? "too many headers" : "header list too long",
				       dir, d->frame_off);
			if (h->m.body_undecoded && !end_stream)
				c->st.bodies_undecoded++;
			h->state = H_OPEN;
			if (c->cb.on_headers)
				c->cb.on_headers(&h->m, c->arg);
			if (!end_stream && (c->cb.on_body || c->cb.on_message))
				zstart(c, h);
			if (end_stream)
				half_finish(c, h, true);
		}
	}
	stream_settle(c, s);
}

/*
 * Gather header block bytes: how many were taken. Exactly those that fit,
 * so that where decoding stops does not depend on how the input was cut.
 */
static size_t block_append(struct http2_conn *c, enum http2_dir dir, const uint8_t *p, size_t n)
{
	struct dirstate *d = &c->d[dir];
	size_t room = c->lim.max_header_block - d->blk_len, take = min_sz(n, room);

	if (take &&
	    bufutil_reserve((void **)&d->blk, &d->blk_cap, d->blk_len + take, 1, c->lim.max_header_block)) {
		nomem(c);
		die_frame(c, dir, -ENOMEM, "out of memory buffering headers");
		return 0;
	}
	if (take)
		memcpy(d->blk + d->blk_len, p, take);
	d->blk_len += take;
	if (n > room) {
		c->st.header_blocks_too_long++;
		die_frame(c, dir, -EMSGSIZE, "header block too long");
	}
	return take;
}

/* ---- control frames ------------------------------------------------------- */

static void setting(struct http2_conn *c, enum http2_dir dir, uint16_t id, uint32_t value)
{
	/* The table size a peer allows bounds what the other side's encoder may use. */
	struct dirstate *o = &c->d[!dir];

	if (id != SETTINGS_HEADER_TABLE_SIZE)
		return;
	if (value > c->lim.max_table_size) {
		c->st.table_size_capped++;
		value = c->lim.max_table_size;
	}
	/*
	 * Only raised, never lowered: the encoder's own table size update,
	 * which the inflater reads in band, is what shrinks the table. A
	 * lowered bound would make the inflater demand that update at once,
	 * and bytes captured a little out of order between the directions
	 * would then look like an error where there is none.
	 */
	if (value <= o->table_max)
		return;
	o->table_max = value;
	/* Blocks are decoded whole: the inflater is never inside one here. */
	if (o->hd && nghttp2_hd_inflate_change_table_size(o->hd, value)) {
		nomem(c);
		die_frame(c, dir, -ENOMEM, "out of memory for HPACK state");
	}
}

static void rst_stream(struct http2_conn *c, uint32_t sid)
{
	struct h2stream *s = stream_find(c, sid);

	c->st.resets++;
	if (s)
		stream_abort(c, s);
}

/* Streams the receiver of the GOAWAY opened above last_sid were never processed. */
static void goaway(struct http2_conn *c, enum http2_dir dir, uint32_t last_sid)
{
	uint32_t parity = dir == HTTP2_DIR_SERVER ? 1 : 0;
	struct h2stream *s = c->first, *next;

	c->st.goaways++;
	for (; s; s = next) {
		next = s->next;
		if (s->id > last_sid && (s->id & 1) == parity)
			stream_abort(c, s);
	}
}

/* ---- frames --------------------------------------------------------------- */

static bool header_frame(uint8_t type)
{
	return type == FT_HEADERS || type == FT_PUSH_PROMISE || type == FT_CONTINUATION;
}

/* The frame header is in: check the frame, and say what its prefix is. */
static void frame_begin(struct http2_conn *c, enum http2_dir dir)
{
	struct dirstate *d = &c->d[dir];
	const uint8_t *f = d->hdr;
	bool padded;

	d->len = (uint32_t)f[0] << 16 | (uint32_t)f[1] << 8 | f[2];
	d->type = f[3];
	d->flags = f[4];
	d->sid = be32(f + 5) & 0x7fffffff;
	d->pre_need = 0;
	d->pre_len = 0;
	d->pad = 0;
	d->set_len = 0;
	d->skip = false;
	d->st = F_PREFIX;
	c->st.frames++;
	padded = d->flags & FL_PADDED;

	if (d->cont && (d->type != FT_CONTINUATION || d->sid != d->blk_sid)) {
		die_frame(c, dir, -EPROTO, "header block not continued by CONTINUATION");
		return;
	}
	if (d->len > c->lim.max_frame) {
		c->st.frames_too_large++;
		if (header_frame(d->type)) {
			die_frame(c, dir, -EMSGSIZE, "header frame longer than max_frame");
			return;
		}
		if (d->type == FT_DATA) {
			/* The body loses these bytes: its message ends here. */
			struct h2stream *s = stream_find(c, d->sid);

			if (s && s->half[dir].state == H_OPEN) {
				half_finish(c, &s->half[dir], false);
				stream_settle(c, s);
			}
		}
		d->skip = true;
		return;
	}
	switch (d->type) {
	case FT_DATA:
		if (!d->sid)
			goto bad_sid;
		d->pre_need = padded;
		break;
	case FT_HEADERS:
		if (!d->sid)
			goto bad_sid;
		d->pre_need = padded + (d->flags & FL_PRIORITY ? 5 : 0);
		break;
	case FT_PUSH_PROMISE:
		if (!d->sid)
			goto bad_sid;
		d->pre_need = padded + 4;
		break;
	case FT_CONTINUATION:
		if (!d->cont) {
			die_frame(c, dir, -EPROTO, "CONTINUATION without a header block");
			return;
		}
		break;
	case FT_PRIORITY:
		if (!d->sid)
			goto bad_sid;
		if (d->len != 5)
			goto bad_len;
		break;
	case FT_RST_STREAM:
		if (!d->sid)
			goto bad_sid;
		if (d->len != 4)
			goto bad_len;
		d->pre_need = 4;
		break;
	case FT_SETTINGS:
		if (d->sid)
			goto bad_sid;
		if ((d->flags & FL_ACK) ? d->len != 0 : d->len % 6 != 0)
			goto bad_len;
		break;
	case FT_PING:
		if (d->sid)
			goto bad_sid;
		if (d->len != 8)
			goto bad_len;
		break;
	case FT_GOAWAY:
		if (d->sid)
			goto bad_sid;
		if (d->len < 8)
			goto bad_len;
		d->pre_need = 8;
		break;
	case FT_WINDOW_UPDATE:
		if (d->len != 4)
			goto bad_len;
		break;
	default:
		/* Extensions (ALTSVC, ORIGIN, ...): nothing here needs them. */
		c->st.frames_unknown++;
		break;
	}
	if (d->pre_need > d->len)
		goto bad_len;
	return;
bad_len:
	die_frame(c, dir, -EPROTO, "invalid frame length");
	return;
bad_sid:
	die_frame(c, dir, -EPROTO, "invalid stream id for frame type");
}

/* The prefix is in: act on it, and size the body and the padding. */
static void prefix_done(struct http2_conn *c, enum http2_dir dir)
{
	struct dirstate *d = &c->d[dir];
	uint32_t rest = d->len - d->pre_need;

	d->st = F_BODY;
	if (d->skip) {
		d->left = d->len;
		return;
	}
	if ((d->flags & FL_PADDED) &&
	    (d->type == FT_DATA || d->type == FT_HEADERS || d->type == FT_PUSH_PROMISE)) {
		d->pad = d->pre[0];
		if (d->pad > rest) {
			die_frame(c, dir, -EPROTO, "padding longer than the frame");
			return;
		}
		rest -= d->pad;
	}
	d->left = rest;
	switch (d->type) {
	case FT_HEADERS:
	case FT_PUSH_PROMISE:
		d->cont = true;
		d->blk_type = d->type;
		d->blk_sid = d->sid;
		d->blk_end_stream = d->type == FT_HEADERS && (d->flags & FL_END_STREAM);
		d->blk_len = 0;
		break;
	case FT_RST_STREAM:
		rst_stream(c, d->sid);
		break;
	case FT_GOAWAY:
		goaway(c, dir, be32(d->pre) & 0x7fffffff);
		break;
	default:
		break;
	}
}

/* Body bytes of the frame: how many were used (fewer when decoding stopped in them). */
static size_t frame_body(struct http2_conn *c, enum http2_dir dir, const uint8_t *p, size_t n)
{
	struct dirstate *d = &c->d[dir];
	struct h2stream *s;
	size_t used = 0;

	if (d->skip) {
		c->st.bytes_discarded += n;
		return n;
	}
	switch (d->type) {
	case FT_DATA:
		s = stream_find(c, d->sid);
		if (s && s->half[dir].state == H_OPEN)
			half_data(c, &s->half[dir], p, n);
		else
			c->st.bytes_discarded += n;
		break;
	case FT_HEADERS:
	case FT_PUSH_PROMISE:
	case FT_CONTINUATION:
		return block_append(c, dir, p, n);
	case FT_SETTINGS:
		while (used < n && !c->dead) {
			size_t k = min_sz(n - used, 6 - d->set_len);

			memcpy(d->set + d->set_len, p + used, k);
			d->set_len += k;
			used += k;
			if (d->set_len == 6) {
				d->set_len = 0;
				setting(c, dir, (uint16_t)(d->set[0] << 8 | d->set[1]),
					be32(d->set + 2));
			}
		}
		return used;
	default:
		break;
	}
	return n;
}

static void frame_end(struct http2_conn *c, enum http2_dir dir)
{
	struct dirstate *d = &c->d[dir];
	struct h2stream *s;

	if (d->skip)
		return;
	switch (d->type) {
	case FT_DATA:
		if (!(d->flags & FL_END_STREAM))
			break;
		s = stream_find(c, d->sid);
		if (s && s->half[dir].state == H_OPEN) {
			half_finish(c, &s->half[dir], true);
			stream_settle(c, s);
		}
		break;
	case FT_HEADERS:
	case FT_PUSH_PROMISE:
	case FT_CONTINUATION:
		if (d->flags & FL_END_HEADERS) {
			d->cont = false;
			block_done(c, dir);
		}
		break;
	default:
		break;
	}
}

/* Move past the parts of the frame that are complete, empty ones included. */
static void settle(struct http2_conn *c, enum http2_dir dir)
{
	struct dirstate *d = &c->d[dir];

	for (;;) {
		if (d->st == F_PREFIX && d->pre_len == d->pre_need) {
			prefix_done(c, dir);
		} else if (d->st == F_BODY && !d->left) {
			d->left = d->pad;
			d->st = F_PAD;
		} else if (d->st == F_PAD && !d->left) {
			d->st = F_HEAD;
			d->hdr_len = 0;
			frame_end(c, dir);
			return;
		} else {
			return;
		}
	}
}

static size_t step(struct http2_conn *c, enum http2_dir dir, const uint8_t *p, size_t n)
{
	struct dirstate *d = &c->d[dir];
	size_t k;

	switch (d->st) {
	case F_PREFACE:
		k = min_sz(n, HTTP2_PREFACE_LEN - d->preface_len);
		for (size_t i = 0; i < k; i++) {
			if (p[i] != preface[d->preface_len + i]) {
				/* At the first byte that differs: the same however the input was cut. */
				die(c, -EPROTO, "no HTTP/2 connection preface", dir, d->off + i);
				/* All of it, however much of it came in earlier pieces. */
				c->st.bytes_discarded += d->preface_len;
				return 0;
			}
		}
		d->preface_len += k;
		if (d->preface_len == HTTP2_PREFACE_LEN) {
			d->st = F_HEAD;
			d->hdr_len = 0;
		}
		return k;
	case F_HEAD:
		if (!d->hdr_len)
			d->frame_off = d->off;
		k = min_sz(n, FRAME_HDR - d->hdr_len);
		memcpy(d->hdr + d->hdr_len, p, k);
		d->hdr_len += k;
		if (d->hdr_len == FRAME_HDR)
			frame_begin(c, dir);
		return k;
	case F_PREFIX:
		k = min_sz(n, d->pre_need - d->pre_len);
		memcpy(d->pre + d->pre_len, p, k);
		d->pre_len += k;
		return k;
	case F_BODY:
		k = frame_body(c, dir, p, min_sz(n, d->left));
		d->left -= k;
		return k;
	case F_PAD:
		k = min_sz(n, d->left);
		d->left -= k;
		return k;
	case F_DEAD:
		break;
	}
	c->st.bytes_discarded += n;
	return n;
}

/* ---- the connection ------------------------------------------------------- */

static void dir_reset(struct dirstate *d, enum http2_dir dir)
{
	if (d->hd)
		nghttp2_hd_inflate_del(d->hd);
	d->hd = NULL;
	d->table_max = HPACK_DEFAULT_TABLE;
	d->st = dir == HTTP2_DIR_CLIENT ? F_PREFACE : F_HEAD;
	d->off = 0;
	d->frame_off = 0;
	d->preface_len = 0;
	d->hdr_len = 0;
	d->cont = false;
	d->blk_len = 0;
}

int http2_conn_new(const struct http2_limits *lim, const struct http2_callbacks *cb, void *arg,
		   struct http2_conn **out)
{
	struct http2_limits l = lim ? *lim : http2_limits_default();
	struct http2_conn *c;
	unsigned int bits = 1;

	if (!out || !l.max_streams || l.max_streams > STREAMS_LIMIT || !l.max_header_block ||
	    l.max_header_list > UINT32_MAX || l.max_headers > STREAMS_LIMIT)
		return -EINVAL;
	/* At most half full, so that probes stay short. */
	while (((size_t)1 << bits) < 2 * l.max_streams)
		bits++;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->tab = calloc((size_t)1 << bits, sizeof(*c->tab));
	if (!c->tab) {
		free(c);
		return -ENOMEM;
	}
	c->tab_bits = bits;
	c->tab_mask = ((size_t)1 << bits) - 1;
	c->lim = l;
	if (cb)
		c->cb = *cb;
	c->arg = arg;
	dir_reset(&c->d[HTTP2_DIR_CLIENT], HTTP2_DIR_CLIENT);
	dir_reset(&c->d[HTTP2_DIR_SERVER], HTTP2_DIR_SERVER);
	*out = c;
	return 0;
}

void http2_conn_free(struct http2_conn *c)
{
	if (!c)
		return;
	while (c->first)
		stream_free(c, c->first);
	for (int i = 0; i < 2; i++) {
		if (c->d[i].hd)
			nghttp2_hd_inflate_del(c->d[i].hd);
		free(c->d[i].blk);
	}
	free(c->tab);
	free(c);
}

int http2_feed(struct http2_conn *c, enum http2_dir dir, const uint8_t *data, size_t len)
{
	struct dirstate *d;

	if (!c || (dir != HTTP2_DIR_CLIENT && dir != HTTP2_DIR_SERVER) || (!data && len))
		return -EINVAL;
	d = &c->d[dir];
	c->nomem = false;
	c->st.bytes += len;
	while (len) {
		size_t n = step(c, dir, data, len);

		data += n;
		len -= n;
		d->off += n;
		settle(c, dir);
	}
	return c->nomem ? -ENOMEM : 0;
}

void http2_gap(struct http2_conn *c, enum http2_dir dir, uint64_t missing)
{
	if (!c || (dir != HTTP2_DIR_CLIENT && dir != HTTP2_DIR_SERVER))
		return;
	c->st.gaps++;
	c->st.gap_bytes += missing;
	c->st.bytes += missing;
	if (!c->dead)
		die(c, -ENODATA, "bytes lost: HPACK state unknown, connection undecodable", dir,
		    c->d[dir].off);
	c->d[dir].off += missing;
}

/* Inside a frame, or a header block awaiting CONTINUATION. */
static bool mid_frame(const struct dirstate *d)
{
	if (d->st == F_PREFACE)
		return d->preface_len > 0;
	return d->cont || (d->st == F_HEAD ? d->hdr_len > 0 : d->st != F_DEAD);
}

void http2_end(struct http2_conn *c)
{
	if (!c)
		return;
	for (int i = 0; i < 2 && !c->dead; i++) {
		if (mid_frame(&c->d[i])) {
			report(c, -ENODATA, "connection ended inside a frame", i,
			       c->d[i].frame_off);
			break;
		}
	}
	abort_all(c);
	dir_reset(&c->d[HTTP2_DIR_CLIENT], HTTP2_DIR_CLIENT);
	dir_reset(&c->d[HTTP2_DIR_SERVER], HTTP2_DIR_SERVER);
	c->dead = false;
}

void http2_get_stats(const struct http2_conn *c, struct http2_stats *out)
{
	if (c)
		*out = c->st;
	else
		memset(out, 0, sizeof(*out));
}

bool http2_is_preface(const uint8_t *data, size_t len)
{
	if (!data || !len)
		return false;
	return !memcmp(data, preface, min_sz(len, HTTP2_PREFACE_LEN));
}

int http2_header_get(const struct http2_message *m, const char *name, struct http2_slice *out)
{
	for (size_t i = 0; i < m->n_headers; i++) {
		if (bufutil_ieq(m->headers[i].name.ptr, m->headers[i].name.len, name)) {
			*out = m->headers[i].value;
			return 0;
		}
	}
	return -ENOENT;
}
