// SPDX-License-Identifier: Apache-2.0
/* TLS library discovery and uprobe attachment. See tls_attach.h. */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "warden.skel.h"
#include "warden/elfsym.h"
#include "warden/events.h"
#include "warden/ldcache.h"
#include "warden/record.h"
#include "warden/tls_attach.h"

#define CHECKED_CAP 16384 /* power of two */
#define PENDING_MAX 64
#define PENDING_TRIES 10

enum { F_WRITE, F_WRITE_EX, F_READ, F_READ_EX, F_COUNT };
static const char *const tls_funcs[F_COUNT] = { "SSL_write", "SSL_write_ex", "SSL_read",
						"SSL_read_ex" };

struct file_id {
	uint64_t kdev;
	uint64_t ino;
};

struct target {
	struct file_id id;
	struct bpf_link *links[2 * F_COUNT];
};

struct pending {
	uint32_t pid;
	uint32_t tries;
	struct file_id id;
};

struct tls_attach {
	struct warden_bpf *skel;
	char proc_root[256];
	struct target targets[TLS_ATTACH_MAX_TARGETS];
	unsigned int ntargets;
	/* Files already inspected, hit or miss: open addressing, cleared when full. */
	struct file_id checked[CHECKED_CAP];
	unsigned int nchecked;
	struct pending pending[PENDING_MAX];
	unsigned int npending;
	struct tls_attach_stats stats;
};

int tls_attach_new(struct warden_bpf *skel, const char *proc_root, struct tls_attach **out)
{
	struct tls_attach *ta;

	*out = NULL;
	if (strlen(proc_root) >= sizeof(ta->proc_root))
		return -EINVAL;
	ta = calloc(1, sizeof(*ta));
	if (!ta)
		return -ENOMEM;
	ta->skel = skel;
	strcpy(ta->proc_root, proc_root);
	*out = ta;
	return 0;
}

void tls_attach_free(struct tls_attach *ta)
{
	if (!ta)
		return;
	for (unsigned int i = 0; i < ta->ntargets; i++)
		for (unsigned int k = 0; k < 2 * F_COUNT; k++)
			bpf_link__destroy(ta->targets[i].links[k]);
	free(ta);
}

static unsigned int checked_slot(const struct tls_attach *ta, const struct file_id *id)
{
	uint64_t h = (id->ino * 0x9e3779b97f4a7c15ull) ^ (id->kdev * 0xc2b2ae3d27d4eb4full);
	unsigned int i = (h >> 32) & (CHECKED_CAP - 1);

	while (ta->checked[i].ino && (ta->checked[i].ino != id->ino || ta->checked[i].kdev != id->kdev))
		i = (i + 1) & (CHECKED_CAP - 1);
	return i;
}

static int checked_has(const struct tls_attach *ta, const struct file_id *id)
{
	return ta->checked[checked_slot(ta, id)].ino != 0;
}

/* Remember the file here and in the kernel, so its next mapping is not reported. */
static void checked_add(struct tls_attach *ta, const struct file_id *id)
{
	struct warden_file_key k = { .dev = id->kdev, .ino = id->ino };
	uint8_t one = 1;

	if (ta->nchecked >= CHECKED_CAP / 2) {
		/* Forgetting costs one more inspection per file, never a miss. */
		memset(ta->checked, 0, sizeof(ta->checked));
		ta->nchecked = 0;
	}
	if (!checked_has(ta, id)) {
		ta->checked[checked_slot(ta, id)] = *id;
		ta->nchecked++;
	}
	bpf_map_update_elem(bpf_map__fd(ta->skel->maps.checked_files), &k, &one, BPF_ANY);
	ta->stats.checked++;
}

/* Let the kernel report the file again: we could not look at it this time. */
static void checked_forget_kernel(struct tls_attach *ta, const struct file_id *id)
{
	struct warden_file_key k = { .dev = id->kdev, .ino = id->ino };

	bpf_map_delete_elem(bpf_map__fd(ta->skel->maps.checked_files), &k);
}

/*
 * By file offset, found in the one pass over .dynsym that decided to probe
 * the file: a name would make libbpf parse the ELF again for every probe,
 * milliseconds while a process that just loaded libssl is racing to its
 * first SSL_write.
 */
static int attach_one(struct tls_attach *ta, struct target *t, unsigned int slot,
		      struct bpf_program *prog, const char *path, uint64_t offset, int ret)
{
	LIBBPF_OPTS(bpf_uprobe_opts, opts, .retprobe = ret);
	struct bpf_link *l = bpf_program__attach_uprobe_opts(prog, -1, path, offset, &opts);

	if (!l) {
		ta->stats.attach_errors++;
		return -errno;
	}
	t->links[slot] = l;
	ta->stats.links++;
	return 0;
}

static int attach_target(struct tls_attach *ta, const struct file_id *id, const char *path,
			 uint32_t found, const uint64_t *offsets)
{
	struct bpf_program *entry[F_COUNT] = {
		ta->skel->progs.warden_ssl_write, ta->skel->progs.warden_ssl_write_ex,
		ta->skel->progs.warden_ssl_read, ta->skel->progs.warden_ssl_read_ex
	};
	struct target *t;
	int r = 0, attached = 0;

	if (ta->ntargets >= TLS_ATTACH_MAX_TARGETS) {
		ta->stats.targets_full++;
		return -ENOSPC;
	}
	t = &ta->targets[ta->ntargets];
	memset(t, 0, sizeof(*t));
	t->id = *id;
	for (unsigned int f = 0; f < F_COUNT; f++) {
		if (!(found & (1u << f)))
			continue;
		/* Return probe first: an entry without its return would leak a stash. */
		r = attach_one(ta, t, 2 * f + 1, ta->skel->progs.warden_ssl_ret, path, offsets[f], 1);
		if (!r)
			r = attach_one(ta, t, 2 * f, entry[f], path, offsets[f], 0);
		if (!r)
			attached++;
	}
	if (!attached) {
		for (unsigned int k = 0; k < 2 * F_COUNT; k++)
			bpf_link__destroy(t->links[k]);
		return r ? r : -ENOENT;
	}
	ta->ntargets++;
	ta->stats.targets++;
	return 1;
}

/* Inspect (and probe) the file at path, known to be id. */
static int inspect(struct tls_attach *ta, const struct file_id *id, const char *path)
{
	uint64_t offsets[F_COUNT];
	uint32_t found = 0;
	int r;

	if (checked_has(ta, id))
		return 0;
	r = elfsym_find_exported(path, tls_funcs, F_COUNT, &found, offsets);
	if (r == -ENOENT || r == -ESRCH || r == -EACCES)
		return r; /* gone or hidden: do not remember, look again next time */
	checked_add(ta, id);
	if (r < 0 || !(found & (1u << F_WRITE | 1u << F_WRITE_EX)))
		return 0;
	return attach_target(ta, id, path, found, offsets);
}

int tls_attach_path(struct tls_attach *ta, const char *path)
{
	struct file_id id;
	struct stat st;

	if (stat(path, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return 0;
	id.kdev = record_dev_to_kdev(st.st_dev);
	id.ino = st.st_ino;
	return inspect(ta, &id, path);
}

struct ldcache_ctx {
	struct tls_attach *ta;
	int probed;
};

static int on_ldcache_entry(const char *key, const char *path, void *arg)
{
	struct ldcache_ctx *ctx = arg;

	if (!strncmp(key, "libssl.so", 9) && tls_attach_path(ctx->ta, path) > 0)
		ctx->probed++;
	return 0;
}

int tls_attach_scan_ldcache(struct tls_attach *ta, const char *cache_path)
{
	struct ldcache_ctx ctx = { .ta = ta };
	int r = ldcache_walk_file(cache_path, on_ldcache_entry, &ctx);

	return r < 0 ? r : ctx.probed;
}

/*
 * Walk pid's executable mappings; inspect those matching want (or all when
 * want is NULL). Returns files probed, or -errno when the maps are unreadable.
 * *seen tells whether a mapping of want was found.
 */
static int scan_maps(struct tls_attach *ta, uint32_t pid, const struct file_id *want, int *seen)
{
	char path[320], line[4352];
	int probed = 0;
	FILE *f;

	if (seen)
		*seen = 0;
	snprintf(path, sizeof(path), "%s/%u/maps", ta->proc_root, pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long start, end, off, ino;
		unsigned int maj, min;
		char perms[8];
		struct file_id id;

		if (sscanf(line, "%llx-%llx %7s %llx %x:%x %llu", &start, &end, perms, &off, &maj,
			   &min, &ino) != 7 ||
		    !ino || perms[2] != 'x')
			continue;
		id.kdev = (uint64_t)maj << 20 | min;
		id.ino = ino;
		if (want && (id.ino != want->ino || id.kdev != want->kdev))
			continue;
		if (seen)
			*seen = 1;
		/* map_files names exactly the mapped file, also inside a container. */
		snprintf(path, sizeof(path), "%s/%u/map_files/%llx-%llx", ta->proc_root, pid, start,
			 end);
		if (inspect(ta, &id, path) > 0)
			probed++;
	}
	fclose(f);
	return probed;
}

int tls_attach_scan_all(struct tls_attach *ta)
{
	DIR *d = opendir(ta->proc_root);
	struct dirent *de;
	int probed = 0, r;

	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		char *end;
		unsigned long pid = strtoul(de->d_name, &end, 10);
		char path[320];

		if (*end || !pid)
			continue;
		snprintf(path, sizeof(path), "%s/%lu/exe", ta->proc_root, pid);
		if (tls_attach_path(ta, path) > 0)
			probed++;
		r = scan_maps(ta, pid, NULL, NULL);
		if (r > 0)
			probed += r;
	}
	closedir(d);
	return probed;
}

int tls_attach_on_exec(struct tls_attach *ta, uint32_t pid, uint64_t kdev, uint64_t ino)
{
	struct file_id id = { kdev, ino };
	char path[320];
	struct stat st;

	if (!ino || checked_has(ta, &id))
		return 0;
	snprintf(path, sizeof(path), "%s/%u/exe", ta->proc_root, pid);
	/* The process may have exec'd again or gone: only inspect what it ran. */
	if (stat(path, &st) < 0 || st.st_ino != ino || record_dev_to_kdev(st.st_dev) != kdev)
		return 0;
	return inspect(ta, &id, path);
}

static void pending_add(struct tls_attach *ta, uint32_t pid, const struct file_id *id)
{
	if (ta->npending >= PENDING_MAX) {
		ta->stats.lib_map_missed++;
		checked_forget_kernel(ta, id);
		return;
	}
	ta->pending[ta->npending++] = (struct pending){ .pid = pid, .id = *id };
}

int tls_attach_on_lib_map(struct tls_attach *ta, uint32_t pid, uint64_t kdev, uint64_t ino)
{
	struct file_id id = { kdev, ino };
	int seen, r;

	if (checked_has(ta, &id))
		return 0;
	r = scan_maps(ta, pid, &id, &seen);
	/* Reported at mmap() entry: the mapping may not be in maps yet. */
	if (r >= 0 && !seen)
		pending_add(ta, pid, &id);
	else if (r < 0)
		checked_forget_kernel(ta, &id);
	return r < 0 ? 0 : r;
}

void tls_attach_tick(struct tls_attach *ta)
{
	unsigned int i = 0;

	while (i < ta->npending) {
		struct pending *p = &ta->pending[i];
		int seen = 0, r = 0;

		if (!checked_has(ta, &p->id))
			r = scan_maps(ta, p->pid, &p->id, &seen);
		if (checked_has(ta, &p->id) || (r < 0) || ++p->tries >= PENDING_TRIES) {
			if (!checked_has(ta, &p->id)) {
				ta->stats.lib_map_missed++;
				checked_forget_kernel(ta, &p->id);
			}
			ta->pending[i] = ta->pending[--ta->npending];
			continue;
		}
		i++;
	}
}

void tls_attach_get_stats(const struct tls_attach *ta, struct tls_attach_stats *out)
{
	*out = ta->stats;
}
