// SPDX-License-Identifier: Apache-2.0
/* /proc/PID/stat: comm is chosen by the process, so the line is hostile input. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "warden/proctable.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct procfs_stat st;
	/* Exactly size bytes, no terminator: the parser must not read past them. */
	char *buf = malloc(size ? size : 1);

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	if (procfs_parse_stat(buf, size, &st) == 0 && strlen(st.comm) >= sizeof(st.comm))
		__builtin_trap();
	free(buf);
	return 0;
}
