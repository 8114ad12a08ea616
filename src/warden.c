// SPDX-License-Identifier: Apache-2.0
/*
 * warden: the investigation CLI. Sessions, timelines and the store arrive
 * with the sessions issue; today it reports its version.
 */
#include <stdio.h>
#include <string.h>

#include "warden/version.h"

static void usage(FILE *f)
{
	fprintf(f, "Usage: warden COMMAND [OPTIONS]\n"
		   "\n"
		   "Investigate what AI agents did on this host, from Warden's store.\n"
		   "\n"
		   "Commands:\n"
		   "  version      print the version\n"
		   "  help         show this help\n"
		   "\n"
		   "Live events come from the daemon: run 'wardend' (see 'wardend --help').\n"
		   "\n"
		   "Exit status: 0 on success, 1 on error, 2 on a usage error.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "version") || !strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		printf("warden %s\n", WARDEN_VERSION);
		return 0;
	}
	if (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(stdout);
		return 0;
	}
	fprintf(stderr, "warden: unknown command '%s'\nTry 'warden --help' for more information.\n",
		argv[1]);
	return 2;
}
