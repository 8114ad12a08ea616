/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Where the SSL_* uprobes go. Each library or executable that exports
 * SSL_write/SSL_read is probed once, by (device, inode), for every process
 * (pid -1): a process started later, or one that lives a millisecond, is
 * covered by the probes already there. Files are found at start-up (running
 * processes' mappings, the dynamic linker's cache), at exec, and when a
 * process maps new code (dlopen), which the kernel reports once per file.
 */
#ifndef WARDEN_TLS_ATTACH_H
#define WARDEN_TLS_ATTACH_H

#include <stdint.h>

struct warden_bpf;
struct tls_attach;

#define TLS_ATTACH_MAX_TARGETS 256 /* distinct libssl/binaries probed at once */

struct tls_attach_stats {
	uint64_t targets; /* files probed now */
	uint64_t links; /* uprobes attached */
	uint64_t checked; /* files inspected */
	uint64_t attach_errors;
	uint64_t targets_full; /* files not probed: TLS_ATTACH_MAX_TARGETS reached */
	uint64_t lib_map_missed; /* mappings that vanished before we could look */
};

int tls_attach_new(struct warden_bpf *skel, const char *proc_root, struct tls_attach **out);
void tls_attach_free(struct tls_attach *ta);

/* Probe path if it exports SSL_*; 1 probed now, 0 nothing to do, -errno. */
int tls_attach_path(struct tls_attach *ta, const char *path);
/* Every libssl the dynamic linker's cache names. Returns files probed, or -errno. */
int tls_attach_scan_ldcache(struct tls_attach *ta, const char *cache_path);
/* Every executable mapping and exe of every process. Returns files probed. */
int tls_attach_scan_all(struct tls_attach *ta);
/* A process exec'd the file (kdev, ino). */
int tls_attach_on_exec(struct tls_attach *ta, uint32_t pid, uint64_t kdev, uint64_t ino);
/* A process mapped code from the file (kdev, ino) not inspected before. */
int tls_attach_on_lib_map(struct tls_attach *ta, uint32_t pid, uint64_t kdev, uint64_t ino);
/* Retry mappings that were not visible yet; call a few times a second. */
void tls_attach_tick(struct tls_attach *ta);

void tls_attach_get_stats(const struct tls_attach *ta, struct tls_attach_stats *out);

#endif
