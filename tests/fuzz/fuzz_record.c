// SPDX-License-Identifier: Apache-2.0
/*
 * Ring-buffer records are the kernel's word, but a bug on either side of the
 * ABI must not become a read past a record's end: decode anything, then
 * format whatever decoded, as wardend would.
 */
#include <errno.h>
#include <jansson.h>
#include <linux/types.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "warden/event.h"
#include "warden/events.h"
#include "warden/record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct warden_rec_hdr *h;
	struct event ev;
	json_t *j;
	/* A copy: records are aligned in the ring, fuzzer input is not. */
	uint8_t *buf = malloc(size + 1);

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	/* Make the size field agree half the time, so decoding goes deeper. */
	if (size >= sizeof(*h) && (size & 1)) {
		h = (void *)buf;
		h->size = size;
	}
	if (record_decode(buf, size, 0, &ev) == 0 && ev.type != EVENT_LIB_MAP) {
		/* event_to_json() reads the writer's text back: invalid JSON is a bug. */
		int r = event_to_json(&ev, &j);

		if (r == -EINVAL)
			__builtin_trap();
		if (r == 0)
			json_decref(j);
	}
	free(buf);
	return 0;
}
