// SPDX-License-Identifier: Apache-2.0
/*
 * proc_farm: holds many live processes for the memory benchmark. Forks
 * N children that stay alive; the first A of them first send one OpenAI
 * chat request over HTTPS to 127.0.0.1:PORT (so Warden makes each an agent
 * session), then all wait. Prints one JSON line when every child is in
 * place; a SIGTERM to the farm ends them all (they share its process group).
 *
 * usage: proc_farm N A PORT
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static int agent_request(int port, int i)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	char body[256], req[512], buf[4096];
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	SSL *ssl;
	int fd, n, bl;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (!ctx || fd < 0 || connect(fd, (void *)&a, sizeof(a)))
		return -1;
	ssl = SSL_new(ctx);
	SSL_set_fd(ssl, fd);
	if (SSL_connect(ssl) != 1)
		return -1;
	bl = snprintf(body, sizeof(body),
		      "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":"
		      "\"farm agent %d\"}]}",
		      i);
	n = snprintf(req, sizeof(req),
		     "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
		     "application/json\r\nContent-Length: %d\r\n\r\n%s",
		     bl, body);
	if (SSL_write(ssl, req, n) != n || SSL_read(ssl, buf, sizeof(buf)) <= 0)
		return -1;
	/* Keep the connection: a live agent holds one. */
	return 0;
}

int main(int argc, char **argv)
{
	int n, agents, port, ready[2];
	char c;

	if (argc != 4) {
		fprintf(stderr, "usage: proc_farm N A PORT\n");
		return 2;
	}
	n = atoi(argv[1]);
	agents = atoi(argv[2]);
	port = atoi(argv[3]);
	if (pipe(ready))
		return 1;
	setpgid(0, 0);
	for (int i = 0; i < n; i++) {
		pid_t p = fork();

		if (p < 0) {
			fprintf(stderr, "proc_farm: fork %d: %s\n", i, strerror(errno));
			kill(0, SIGTERM);
			return 1;
		}
		if (p == 0) {
			close(ready[0]);
			c = i < agents && agent_request(port, i) < 0 ? 'x' : 'o';
			if (write(ready[1], &c, 1) != 1)
				_exit(1);
			close(ready[1]);
			for (;;)
				pause();
		}
	}
	close(ready[1]);
	int ok = 0, bad = 0;
	for (int i = 0; i < n && read(ready[0], &c, 1) == 1; i++)
		c == 'o' ? ok++ : bad++;
	printf("{\"children\":%d,\"agents\":%d,\"failed\":%d}\n", ok + bad, agents, bad);
	fflush(stdout);
	signal(SIGTERM, SIG_DFL);
	for (;;)
		pause();
}
