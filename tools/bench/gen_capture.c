// SPDX-License-Identifier: Apache-2.0
/*
 * gen_capture: writes a synthetic capture file (the daemon's own record
 * format, see include/warden/capture.h) for the pipeline benchmark:
 *
 *   gen_capture simple N FILE   N process/network records: fork, exec
 *                               (with argv), connect, exit, in turn
 *   gen_capture llm N SIZE FILE N LLM exchanges with SIZE-byte prompts,
 *                               alternating OpenAI chat and Anthropic
 *                               messages, streamed as SSE (a tool call
 *                               assembled from deltas), one connection per
 *                               16 exchanges (keep-alive), each read
 *                               one SSE event as real clients read them
 */
#include <errno.h>
#include <stdbool.h>
#include <linux/types.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "warden/capture.h"
#include "warden/events.h"

static struct capture_writer *w;
static uint64_t ktime = 1000000000;
static union {
	struct warden_rec_tls tls;
	struct warden_rec_exec exec;
	uint8_t raw[sizeof(struct warden_rec_tls)];
} rec;

/* A task of process pid, started at start (its identity with pid: unique, as a real one is). */
static void task(struct warden_task *t, uint32_t pid, uint64_t start, const char *comm)
{
	memset(t, 0, sizeof(*t));
	t->pid = t->tid = pid;
	t->ppid = 1;
	t->start_time = start;
	strncpy(t->comm, comm, sizeof(t->comm) - 1);
}

static void put(void *r, uint16_t type, uint32_t size, uint16_t flags)
{
	struct warden_rec_hdr *h = r;

	h->type = type;
	h->flags = flags;
	h->size = size;
	h->ktime = ktime++;
	if (capture_write(w, r, size) < 0) {
		perror("gen_capture: write");
		exit(1);
	}
}

static void simple(unsigned long n)
{
	static const char args[] = "/usr/bin/curl\0-sS\0https://example.com/\0";

	for (unsigned long i = 0; i < n; i++) {
		/*
		 * Pids are reused (30,000 of them), identities never: the
		 * kernel's start time of a reused pid is later than the last
		 * one's. Process 1's is 1000000 (parent_start_time).
		 */
		uint32_t pid = 1000 + (i / 4) % 30000;
		uint64_t start = 1000000ull * (1000 + i / 4);

		memset(&rec, 0, sizeof(rec));
		switch (i % 4) {
		case 0: {
			struct warden_rec_fork *f = (void *)&rec;

			task(&f->task, pid, start, "sh");
			f->parent_start_time = 1000000;
			put(f, WARDEN_REC_FORK, sizeof(*f), 0);
			break;
		}
		case 1: {
			struct warden_rec_exec *e = &rec.exec;

			task(&e->task, pid, start, "curl");
			strcpy(e->filename, "/usr/bin/curl");
			e->filename_len = strlen(e->filename);
			memcpy(e->args, args, sizeof(args) - 1);
			e->args_len = e->args_total = sizeof(args) - 1;
			e->old_pid = pid;
			put(e, WARDEN_REC_EXEC, offsetof(struct warden_rec_exec, args) + e->args_len, 0);
			break;
		}
		case 2: {
			struct warden_rec_connect *c = (void *)&rec;

			task(&c->task, pid, start, "curl");
			c->fd = 3;
			c->remote.family = AF_INET;
			c->remote.port = 443;
			c->remote.addr[0] = 93;
			c->remote.addr[3] = 34;
			put(c, WARDEN_REC_CONNECT, WARDEN_CONNECT_INET_SIZE,
			    0); /* as the kernel sends it */
			break;
		}
		default: {
			struct warden_rec_exit *x = (void *)&rec;

			task(&x->task, pid, start, "curl");
			put(x, WARDEN_REC_EXIT, sizeof(*x), 0);
		}
		}
	}
}

static uint64_t stream_off[2];

/* One SSL_* call's bytes, in 16 KiB records as the kernel sends them. */
static void tls_call(uint32_t pid, uint64_t conn, int dir, const char *data, size_t len)
{
	static uint64_t call;
	struct warden_rec_tls *t = &rec.tls;

	call++;
	for (size_t off = 0; off < len; off += WARDEN_TLS_CHUNK) {
		size_t n = len - off < WARDEN_TLS_CHUNK ? len - off : WARDEN_TLS_CHUNK;

		memset(t, 0, offsetof(struct warden_rec_tls, data));
		task(&t->task, pid, 1000000ull * pid, "agent");
		t->conn_id = conn;
		t->ssl = 0x5000 + conn;
		t->call_id = call;
		t->total_len = len;
		t->offset = off;
		t->stream_offset = stream_off[dir];
		t->fd = 5;
		t->func = dir ? WARDEN_TLS_SSL_READ : WARDEN_TLS_SSL_WRITE;
		t->remote.family = AF_INET;
		t->remote.port = 443;
		t->remote.addr[0] = 10;
		t->remote.addr[3] = 7;
		memcpy(t->data, data + off, n);
		t->len = n;
		put(t, WARDEN_REC_TLS_DATA, offsetof(struct warden_rec_tls, data) + n,
		    off + n == len ? WARDEN_F_LAST : 0);
	}
	stream_off[dir] += len;
}

static char *prompt_text(size_t size)
{
	char *p = malloc(size + 1);

	for (size_t i = 0; i < size; i++)
		p[i] = "abcdefghij klmnopqrstuvwxyz."[i % 28];
	p[size] = 0;
	return p;
}

static void llm(unsigned long n, size_t size)
{
	char *text = prompt_text(size), *body = malloc(size + 4096), *msg = malloc(size + 8192);
	char ev[1024];
	int len;

	for (unsigned long i = 0; i < n; i++) {
		uint64_t conn = 1 + i / 16;
		uint32_t pid = 4000 + conn % 64;
		bool openai = i % 2 == 0;
		int blen;

		if (i % 16 == 0)
			stream_off[0] = stream_off[1] = 0;
		if (openai)
			blen = sprintf(body, "{\"model\":\"gpt-4o-mini\",\"stream\":true,\"messages\":"
					     "[{\"role\":\"system\",\"content\":\"You are an agent.\"},"
					     "{\"role\":\"user\",\"content\":\"%s\"}],\"tools\":[{\"type\":"
					     "\"function\",\"function\":{\"name\":\"run_shell\"}}]}",
				       text);
		else
			blen = sprintf(body, "{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":1024,"
					     "\"stream\":true,\"system\":\"You are an agent.\","
					     "\"messages\":[{\"role\":\"user\",\"content\":\"%s\"}],"
					     "\"tools\":[{\"name\":\"run_shell\"}]}",
				       text);
		len = sprintf(msg, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\n"
				   "Content-Length: %d\r\n\r\n%s",
			      openai ? "/v1/chat/completions" : "/v1/messages",
			      openai ? "api.openai.com" : "api.anthropic.com", blen, body);
		tls_call(pid, conn, 0, msg, len);
		len = sprintf(msg, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
				   "Transfer-Encoding: chunked\r\n\r\n");
		tls_call(pid, conn, 1, msg, len);
#define SSE(...)                                                                   \
	do {                                                                       \
		int el = snprintf(ev, sizeof(ev), __VA_ARGS__);                    \
		len = sprintf(msg, "%x\r\n%s\r\n", el, ev);                        \
		tls_call(pid, conn, 1, msg, len);                                  \
	} while (0)
		if (openai) {
			SSE("data: {\"id\":\"c\",\"model\":\"gpt-4o-mini\",\"choices\":[{\"index\":0,"
			    "\"delta\":{\"role\":\"assistant\",\"content\":\"Let me check.\"}}]}\n\n");
			SSE("data: {\"id\":\"c\",\"model\":\"gpt-4o-mini\",\"choices\":[{\"index\":0,"
			    "\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"call_%lu\",\"type\":"
			    "\"function\",\"function\":{\"name\":\"run_shell\",\"arguments\":\"\"}}]}}]}\n\n",
			    i);
			for (int k = 0; k < 8; k++)
				SSE("data: {\"id\":\"c\",\"model\":\"gpt-4o-mini\",\"choices\":[{\"index\""
				    ":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\""
				    ":\"%s\"}}]}}]}\n\n",
				    k == 0 ? "{\\\"command\\\": \\\"ls" : k == 7 ? " /tmp\\\"}" : " -l");
			SSE("data: {\"id\":\"c\",\"model\":\"gpt-4o-mini\",\"choices\":[{\"index\":0,"
			    "\"delta\":{},\"finish_reason\":\"tool_calls\"}],\"usage\":{\"prompt_tokens\":"
			    "900,\"completion_tokens\":20,\"total_tokens\":920}}\n\n");
			SSE("data: [DONE]\n\n");
		} else {
			SSE("event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":"
			    "\"msg\",\"model\":\"claude-sonnet-4-5\",\"usage\":{\"input_tokens\":900,"
			    "\"output_tokens\":1}}}\n\n");
			SSE("event: content_block_start\ndata: {\"type\":\"content_block_start\","
			    "\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n");
			SSE("event: content_block_delta\ndata: {\"type\":\"content_block_delta\","
			    "\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Checking.\"}}\n\n");
			SSE("event: content_block_stop\ndata: {\"type\":\"content_block_stop\","
			    "\"index\":0}\n\n");
			SSE("event: content_block_start\ndata: {\"type\":\"content_block_start\","
			    "\"index\":1,\"content_block\":{\"type\":\"tool_use\",\"id\":\"toolu_%lu\","
			    "\"name\":\"run_shell\",\"input\":{}}}\n\n",
			    i);
			for (int k = 0; k < 6; k++)
				SSE("event: content_block_delta\ndata: {\"type\":\"content_block_delta\","
				    "\"index\":1,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":"
				    "\"%s\"}}\n\n",
				    k == 0 ? "{\\\"command\\\": \\\"ls" : k == 5 ? " /tmp\\\"}" : " -l");
			SSE("event: content_block_stop\ndata: {\"type\":\"content_block_stop\","
			    "\"index\":1}\n\n");
			SSE("event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":"
			    "{\"stop_reason\":\"tool_use\"},\"usage\":{\"output_tokens\":30}}\n\n");
			SSE("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n");
		}
		tls_call(pid, conn, 1, "0\r\n\r\n", 5);
	}
	free(text);
	free(body);
	free(msg);
}

int main(int argc, char **argv)
{
	int r;

	if (argc == 4 && !strcmp(argv[1], "simple")) {
		r = capture_writer_open(argv[3], 0, &w);
		if (!r)
			simple(strtoul(argv[2], NULL, 10));
	} else if (argc == 5 && !strcmp(argv[1], "llm")) {
		r = capture_writer_open(argv[4], 0, &w);
		if (!r)
			llm(strtoul(argv[2], NULL, 10), strtoul(argv[3], NULL, 10));
	} else {
		fprintf(stderr, "usage: gen_capture simple N FILE | gen_capture llm N SIZE FILE\n");
		return 2;
	}
	if (r < 0 || capture_writer_close(w) < 0) {
		fprintf(stderr, "gen_capture: %s\n", strerror(r < 0 ? -r : EIO));
		return 1;
	}
	return 0;
}
