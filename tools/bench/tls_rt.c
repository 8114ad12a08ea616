// SPDX-License-Identifier: Apache-2.0
/*
 * An agent-like TLS loop over loopback: N keep-alive round trips of a
 * 4 KiB request and a 16 KiB response, client and server in one process
 * (two threads) on the system libssl. The bytes are what an agent sends:
 * an OpenAI chat completions POST and its JSON reply, so a monitor that
 * decodes LLM traffic pays for decoding it. Prints one JSON line: round trips,
 * SSL_read/SSL_write calls made, and elapsed ns of the client loop.
 *
 * usage: tls_rt CERT KEY N
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define REQ 4096
#define RESP 16384

static long rounds;
static unsigned char req[REQ], resp[RESP];

/* head + a JSON body whose text field pads the whole message to exactly size bytes. */
static void http_message(unsigned char *out, size_t size, const char *head_fmt, const char *pre,
			 const char *post, char fill)
{
	char head[256];
	size_t body, hl;
	int n;

	/* The head holds the body length, whose digits change the head: settle it. */
	body = size - 100;
	for (int i = 0; i < 3; i++) {
		hl = snprintf(head, sizeof(head), head_fmt, body);
		body = size - hl;
	}
	n = snprintf((char *)out, size + 1, "%s%s", head, pre);
	memset(out + n, fill, size - n - strlen(post));
	memcpy(out + size - strlen(post), post, strlen(post));
}
static int lfd;
static SSL_CTX *sctx;
static unsigned long server_calls;

static int read_full(SSL *ssl, unsigned char *buf, int n, unsigned long *calls)
{
	for (int got = 0; got < n;) {
		int r = SSL_read(ssl, buf + got, n - got);

		(*calls)++;
		if (r <= 0)
			return -1;
		got += r;
	}
	return 0;
}

static void *server(void *arg)
{
	static unsigned char in[REQ];
	int fd = accept(lfd, NULL, NULL);
	SSL *ssl = SSL_new(sctx);

	(void)arg;
	SSL_set_fd(ssl, fd);
	if (SSL_accept(ssl) != 1)
		exit(3);
	for (long i = 0; i < rounds; i++) {
		if (read_full(ssl, in, REQ, &server_calls) < 0 || SSL_write(ssl, resp, RESP) != RESP)
			exit(4);
		server_calls++;
	}
	SSL_free(ssl);
	close(fd);
	return NULL;
}

int main(int argc, char **argv)
{
	static unsigned char in[RESP];
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);
	unsigned long client_calls = 0;
	struct timespec t0, t1;
	pthread_t th;
	SSL_CTX *cctx;
	SSL *ssl;
	int fd, one = 1;

	if (argc != 4) {
		fprintf(stderr, "usage: tls_rt CERT KEY N\n");
		return 2;
	}
	rounds = atol(argv[3]);
	http_message(resp, RESP,
		     "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
		     "Content-Length: %zu\r\n\r\n",
		     "{\"id\":\"chatcmpl-1\",\"model\":\"gpt-4o-mini\",\"choices\":[{\"index\":0,"
		     "\"message\":{\"role\":\"assistant\",\"content\":\"",
		     "\"},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":1000,"
		     "\"completion_tokens\":4000,\"total_tokens\":5000}}",
		     'r');
	sctx = SSL_CTX_new(TLS_server_method());
	cctx = SSL_CTX_new(TLS_client_method());
	if (SSL_CTX_use_certificate_file(sctx, argv[1], SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_use_PrivateKey_file(sctx, argv[2], SSL_FILETYPE_PEM) != 1) {
		ERR_print_errors_fp(stderr);
		return 1;
	}
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (bind(lfd, (void *)&a, sizeof(a)) || listen(lfd, 1) || getsockname(lfd, (void *)&a, &alen))
		return 1;
	pthread_create(&th, NULL, server, NULL);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (void *)&a, sizeof(a)))
		return 1;
	ssl = SSL_new(cctx);
	SSL_set_fd(ssl, fd);
	if (SSL_connect(ssl) != 1)
		return 1;
	http_message(req, REQ,
		     "POST /v1/chat/completions HTTP/1.1\r\nHost: api.openai.com\r\n"
		     "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n",
		     "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"",
		     "\"}]}", 'q');
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (long i = 0; i < rounds; i++) {
		if (SSL_write(ssl, req, REQ) != REQ || read_full(ssl, in, RESP, &client_calls) < 0)
			return 5;
		client_calls++;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	pthread_join(th, NULL);
	printf("{\"rounds\":%ld,\"ssl_calls\":%lu,\"ns\":%lld}\n", rounds, client_calls + server_calls,
	       (t1.tv_sec - t0.tv_sec) * 1000000000ll + (t1.tv_nsec - t0.tv_nsec));
	return 0;
}
