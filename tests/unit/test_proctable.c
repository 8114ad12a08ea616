// SPDX-License-Identifier: Apache-2.0
/* Unit tests for src/session/proctable.c: /proc parsing and the process table. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "warden/event.h"
#include "warden/proctable.h"

/* ---- fake /proc helpers --------------------------------------------------- */

static uint64_t tick_ns(void)
{
	long hz = sysconf(_SC_CLK_TCK);

	return 1000000000ull / (uint64_t)(hz > 0 ? hz : 100);
}

/* A /proc/PID/stat line with ppid and starttime (field 22) as given. */
static int stat_line(char *buf, size_t size, unsigned int pid, const char *comm,
		     unsigned int ppid, unsigned long long start)
{
	return snprintf(buf, size,
			"%u (%s) S %u %u %u 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 %llu "
			"1000000 100 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n",
			pid, comm, ppid, pid, pid, start);
}

static void write_file(const char *dir, const char *name, const void *data, size_t len)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

/* <root>/<pid>/{stat,cmdline,exe}; NULL parts are left out. */
static void fake_proc(const char *root, unsigned int pid, const char *stat, const char *cmdline,
		      size_t cmdline_len, const char *exe)
{
	char dir[512], path[1024];

	snprintf(dir, sizeof(dir), "%s/%u", root, pid);
	assert_int_equal(mkdir(dir, 0755), 0);
	if (stat)
		write_file(dir, "stat", stat, strlen(stat));
	if (cmdline)
		write_file(dir, "cmdline", cmdline, cmdline_len);
	if (exe) {
		snprintf(path, sizeof(path), "%s/exe", dir);
		assert_int_equal(symlink(exe, path), 0);
	}
}

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void rm_rf(const char *path)
{
	/* Only ever our own mkdtemp() directory under /tmp. */
	assert_int_equal(strncmp(path, "/tmp/warden-test-proc.", 22), 0);
	assert_int_equal(nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS), 0);
}

struct fixture {
	char root[64];
	struct proctable *pt;
};

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	if (!fx)
		return -1;
	strcpy(fx->root, "/tmp/warden-test-proc.XXXXXX");
	if (!mkdtemp(fx->root))
		return -1;
	if (proctable_new(4, fx->root, &fx->pt))
		return -1;
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	proctable_free(fx->pt);
	rm_rf(fx->root);
	free(fx);
	return 0;
}

/* ---- procfs_parse_stat ---------------------------------------------------- */

static void parse_stat_simple(void **state)
{
	struct procfs_stat st;
	char line[512];
	int n;

	(void)state;
	n = stat_line(line, sizeof(line), 1234, "bash", 1, 8675309);
	assert_int_equal(procfs_parse_stat(line, n, &st), 0);
	assert_int_equal(st.pid, 1234);
	assert_int_equal(st.ppid, 1);
	assert_string_equal(st.comm, "bash");
	assert_int_equal(st.state, 'S');
	assert_int_equal(st.start_ticks, 8675309);
}

static void parse_stat_real_kernel_line(void **state)
{
	/* Copied from a 6.1 kernel: systemd-journal, a 52-field line. */
	static const char line[] =
		"263 (systemd-journal) S 1 263 263 0 -1 4194560 1913 0 140 0 24 41 0 0 19 -1 1 0 "
		"421 42573824 5504 18446744073709551615 1 1 0 0 0 0 16384 4096 87 0 0 0 17 3 0 0 "
		"0 0 0 0 0 0 0 0 0 0 0\n";
	struct procfs_stat st;

	(void)state;
	assert_int_equal(procfs_parse_stat(line, sizeof(line) - 1, &st), 0);
	assert_int_equal(st.pid, 263);
	assert_int_equal(st.ppid, 1);
	assert_string_equal(st.comm, "systemd-journal");
	assert_int_equal(st.state, 'S');
	assert_int_equal(st.start_ticks, 421);
}

static void parse_stat_weird_comm(void **state)
{
	struct procfs_stat st;
	char line[512];
	int n;

	(void)state;
	n = stat_line(line, sizeof(line), 1234, "my (weird) prog", 1, 42);
	assert_int_equal(procfs_parse_stat(line, n, &st), 0);
	assert_int_equal(st.pid, 1234);
	assert_string_equal(st.comm, "my (weird) prog");
	assert_int_equal(st.ppid, 1);
	assert_int_equal(st.state, 'S');
	assert_int_equal(st.start_ticks, 42);

	/* A comm that looks like the end of the field: ") S 99 ". */
	n = stat_line(line, sizeof(line), 77, "a) S 99 (", 5, 31337);
	assert_int_equal(procfs_parse_stat(line, n, &st), 0);
	assert_int_equal(st.pid, 77);
	assert_string_equal(st.comm, "a) S 99 (");
	assert_int_equal(st.ppid, 5);
	assert_int_equal(st.start_ticks, 31337);

	/* Spaces only, and an empty comm. */
	n = stat_line(line, sizeof(line), 8, "   ", 2, 3);
	assert_int_equal(procfs_parse_stat(line, n, &st), 0);
	assert_string_equal(st.comm, "   ");
	assert_int_equal(st.ppid, 2);
	assert_int_equal(st.start_ticks, 3);
	n = stat_line(line, sizeof(line), 9, "", 2, 4);
	assert_int_equal(procfs_parse_stat(line, n, &st), 0);
	assert_string_equal(st.comm, "");
	assert_int_equal(st.start_ticks, 4);

	/* Longer than 16 bytes: cut to 16. */
	n = stat_line(line, sizeof(line), 10, "0123456789abcdefXYZ", 2, 5);
	assert_int_equal(procfs_parse_stat(line, n, &st), 0);
	assert_string_equal(st.comm, "0123456789abcdef");
	assert_int_equal(st.start_ticks, 5);
}

static void parse_stat_self(void **state)
{
	struct procfs_stat st;
	char buf[1024];
	ssize_t n;
	FILE *f;

	(void)state;
	f = fopen("/proc/self/stat", "r");
	if (!f)
		skip();
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	assert_true(n > 0);
	buf[n] = 0;
	assert_int_equal(procfs_parse_stat(buf, n, &st), 0);
	assert_int_equal(st.pid, getpid());
	assert_int_equal(st.ppid, getppid());
	assert_int_equal(st.state, 'R');
	assert_true(st.start_ticks > 0);
}

static void parse_stat_truncated(void **state)
{
	struct procfs_stat st;
	char line[512];
	int n;

	(void)state;
	n = stat_line(line, sizeof(line), 1234, "bash", 1, 8675309);
	/* Cut after field 21 (before starttime), and at earlier points. */
	for (int cut = 0; cut < n; cut++) {
		char copy[512];
		const char *start22 = strstr(line, " 8675309 ");

		assert_non_null(start22);
		if (line + cut > start22)
			break;
		memcpy(copy, line, cut);
		copy[cut] = 0;
		if (procfs_parse_stat(copy, cut, &st) != -EINVAL)
			fail_msg("truncated to %d bytes \"%s\": expected -EINVAL", cut, copy);
	}
	assert_int_equal(procfs_parse_stat("1234 (bash) S 1 1234 1234", 25, &st), -EINVAL);
	assert_int_equal(procfs_parse_stat("1234 (bash) S", 13, &st), -EINVAL);
	assert_int_equal(procfs_parse_stat("1234 (bash)", 11, &st), -EINVAL);
	assert_int_equal(procfs_parse_stat("1234 (bash", 10, &st), -EINVAL);
}

static void parse_stat_garbage(void **state)
{
	static const char *const bad[] = {
		"",
		"hello world",
		"(",
		")",
		") (",
		"1234 bash S 1 2 3",
		"abc (x) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 55 0\n",
		"(x) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 55 0\n",
		"0 (x) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 55 0\n",
		"4294967296 (x) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 55 0\n",
		"12 (x) S x 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 55 0\n",
		"12 (x) S -1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 55 0\n",
		"12 (x) S 4294967296 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 55 0\n",
		"12 (x) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 -5 0\n",
		"12 (x) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 zz 0\n",
		"12 (x) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 99999999999999999999 0\n",
	};
	struct procfs_stat st;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int r = procfs_parse_stat(bad[i], strlen(bad[i]), &st);

		if (r != -EINVAL)
			fail_msg("procfs_parse_stat(\"%s\") = %d, expected -EINVAL", bad[i], r);
	}
	/* Sanity: the same shape with a good pid and field 22 parses. */
	assert_int_equal(procfs_parse_stat(
				 "12 (x) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 55 0\n",
				 strlen("12 (x) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 55 0\n"), &st),
			 0);
	assert_int_equal(st.start_ticks, 55);
}

/*
 * REGRESSION for a real bug found in procfs_parse_stat at HEAD a4396b1: the
 * numbers were read with strtoull(), which does not know `len`, so digits
 * after buf[len] were taken in (and proctable_load_pid() passes a buffer that
 * is not NUL-terminated). Input: the 21 fields + "555" with len ending after
 * "555" while buf[len] is '9': start_ticks came out 5559 instead of 555.
 * Fixed in the working tree (scan_u64) while these tests were written.
 */
static void parse_stat_respects_len(void **state)
{
	static const char line[] = "12 (x) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5559 0\n";
	size_t len = strstr(line, "5559") + 3 - line;
	struct procfs_stat st;
	int r;

	(void)state;
	r = procfs_parse_stat(line, len, &st);
	if (r == 0 && st.start_ticks != 555)
		fail_msg("start_ticks %llu read past len (expected 555 or -EINVAL)",
			 (unsigned long long)st.start_ticks);
	assert_true(r == 0 || r == -EINVAL);
}

/*
 * REGRESSION, same bug: a line ending exactly at the end of readable memory
 * inside a number made strtoull() read past the buffer: SIGSEGV (reported by
 * cmocka as a failure) with a guard page after "1234 (bash) S 12" instead of
 * -EINVAL for this truncated line.
 */
static void parse_stat_no_overread(void **state)
{
	static const char *const lines[] = {
		"1234 (bash) S 12",
		"12 (x) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5559",
	};
	long page = sysconf(_SC_PAGESIZE);
	char *map;

	(void)state;
	map = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(map != MAP_FAILED);
	assert_int_equal(mprotect(map + page, page, PROT_NONE), 0);
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		size_t len = strlen(lines[i]);
		char *p = map + page - len;
		struct procfs_stat st;
		int r;

		memcpy(p, lines[i], len);
		r = procfs_parse_stat(p, len, &st);
		if (i == 0)
			assert_int_equal(r, -EINVAL);
		else
			assert_true(r == -EINVAL || (r == 0 && st.start_ticks == 5559));
	}
	munmap(map, 2 * page);
}

/* ---- table basics ---------------------------------------------------------- */

static void table_new_invalid(void **state)
{
	struct proctable *pt = (void *)1;
	char longroot[300];

	(void)state;
	assert_int_equal(proctable_new(0, "/proc", &pt), -EINVAL);
	assert_null(pt);
	assert_int_equal(proctable_new((1u << 24) + 1, "/proc", &pt), -EINVAL);
	memset(longroot, 'a', sizeof(longroot) - 1);
	longroot[sizeof(longroot) - 1] = 0;
	assert_int_equal(proctable_new(4, longroot, &pt), -EINVAL);
	assert_int_equal(proctable_new(1, "/proc", &pt), 0);
	assert_non_null(pt);
	proctable_free(pt);
	proctable_free(NULL);
}

static void table_upsert_find_remove(void **state)
{
	struct fixture *fx = *state;
	struct proctable_stats s;
	struct proc_entry *e, *e2;

	e = proctable_upsert(fx->pt, 100, 5000);
	assert_non_null(e);
	assert_int_equal(e->pid, 100);
	assert_int_equal(e->start_ticks, 5000);
	assert_null(e->exe);
	assert_null(e->cmdline);
	assert_ptr_equal(proctable_find(fx->pt, 100, 5000), e);
	assert_ptr_equal(proctable_find(fx->pt, 100, 0), e); /* 0: any start */
	assert_null(proctable_find(fx->pt, 101, 0));
	assert_null(proctable_find(fx->pt, 0, 0));

	assert_int_equal(proctable_set_exe(e, "/usr/bin/sleep"), 0);
	assert_int_equal(proctable_set_cmdline(e, "sleep\0" "10", 8), 0);
	e->ppid = 1;
	/* Same (pid, start): same entry, contents kept. */
	e2 = proctable_upsert(fx->pt, 100, 5000);
	assert_ptr_equal(e2, e);
	assert_string_equal(e->exe, "/usr/bin/sleep");
	assert_int_equal(e->cmdline_len, 8);
	assert_memory_equal(e->cmdline, "sleep\0" "10\0", 9);
	assert_int_equal(e->ppid, 1);

	proctable_get_stats(fx->pt, &s);
	assert_int_equal(s.live, 1);
	assert_int_equal(s.stale, 0);
	assert_int_equal(s.full, 0);

	proctable_remove(fx->pt, 100);
	assert_null(proctable_find(fx->pt, 100, 0));
	assert_null(proctable_find(fx->pt, 100, 5000));
	proctable_get_stats(fx->pt, &s);
	assert_int_equal(s.live, 0);
	/* Removing what is not there changes nothing. */
	proctable_remove(fx->pt, 100);
	proctable_remove(fx->pt, 999);
	proctable_get_stats(fx->pt, &s);
	assert_int_equal(s.live, 0);

	/* The slot is reusable and comes back clean. */
	e = proctable_upsert(fx->pt, 200, 7);
	assert_non_null(e);
	assert_null(e->exe);
	assert_null(e->cmdline);
	assert_int_equal(e->cmdline_len, 0);
	assert_int_equal(e->ppid, 0);
}

static void table_pid_reuse(void **state)
{
	struct fixture *fx = *state;
	struct proctable_stats s;
	struct proc_entry *e, *e2;

	e = proctable_upsert(fx->pt, 300, 1000);
	assert_non_null(e);
	assert_int_equal(proctable_set_exe(e, "/bin/old"), 0);
	assert_int_equal(proctable_set_cmdline(e, "old", 3), 0);
	e->ppid = 42;
	strcpy(e->comm, "old");

	/* Wrong start: the old process is not the one asked for. */
	assert_null(proctable_find(fx->pt, 300, 1001));
	assert_null(proctable_find(fx->pt, 300, 999));

	/* A new process with the same pid replaces it, forgetting the old exe. */
	e2 = proctable_upsert(fx->pt, 300, 2000);
	assert_ptr_equal(e2, e);
	assert_int_equal(e2->start_ticks, 2000);
	assert_null(e2->exe);
	assert_null(e2->cmdline);
	assert_int_equal(e2->cmdline_len, 0);
	assert_int_equal(e2->ppid, 0);
	assert_string_equal(e2->comm, "");
	assert_null(proctable_find(fx->pt, 300, 1000));
	assert_ptr_equal(proctable_find(fx->pt, 300, 2000), e2);
	proctable_get_stats(fx->pt, &s);
	assert_int_equal(s.stale, 1);
	assert_int_equal(s.live, 1);
}

static void table_full(void **state)
{
	struct fixture *fx = *state;
	struct proctable_stats s;
	struct proc_entry *e[4];

	for (unsigned int i = 0; i < 4; i++) {
		e[i] = proctable_upsert(fx->pt, 10 + i, 100 + i);
		assert_non_null(e[i]);
	}
	assert_null(proctable_upsert(fx->pt, 20, 1));
	assert_null(proctable_upsert(fx->pt, 21, 1));
	proctable_get_stats(fx->pt, &s);
	assert_int_equal(s.full, 2);
	assert_int_equal(s.live, 4);
	/* Existing processes are still found and updated when full. */
	assert_ptr_equal(proctable_upsert(fx->pt, 12, 102), e[2]);
	assert_ptr_equal(proctable_upsert(fx->pt, 13, 999), e[3]);
	proctable_get_stats(fx->pt, &s);
	assert_int_equal(s.full, 2);
	assert_int_equal(s.stale, 1);
	for (unsigned int i = 0; i < 4; i++)
		assert_ptr_equal(proctable_find(fx->pt, 10 + i, 0), e[i]);
	assert_null(proctable_find(fx->pt, 20, 0));

	/* Freeing one makes room for exactly one. */
	proctable_remove(fx->pt, 11);
	assert_non_null(proctable_upsert(fx->pt, 20, 1));
	assert_null(proctable_upsert(fx->pt, 21, 1));
	proctable_get_stats(fx->pt, &s);
	assert_int_equal(s.full, 3);
	assert_int_equal(s.live, 4);
}

static void table_hash_chain(void **state)
{
	/* Multiples of 128 share bucket 0 of the 8-bucket table: one chain. */
	static const uint32_t pids[] = { 128, 256, 384, 512 };
	struct fixture *fx = *state;
	struct proc_entry *e[4];

	for (unsigned int i = 0; i < 4; i++) {
		e[i] = proctable_upsert(fx->pt, pids[i], 1 + i);
		assert_non_null(e[i]);
	}
	for (unsigned int i = 0; i < 4; i++)
		assert_ptr_equal(proctable_find(fx->pt, pids[i], 1 + i), e[i]);
	/* Remove from the middle, the head and the tail of the chain. */
	proctable_remove(fx->pt, 256);
	assert_null(proctable_find(fx->pt, 256, 0));
	assert_ptr_equal(proctable_find(fx->pt, 128, 0), e[0]);
	assert_ptr_equal(proctable_find(fx->pt, 384, 0), e[2]);
	assert_ptr_equal(proctable_find(fx->pt, 512, 0), e[3]);
	proctable_remove(fx->pt, 128);
	proctable_remove(fx->pt, 512);
	assert_null(proctable_find(fx->pt, 128, 0));
	assert_null(proctable_find(fx->pt, 512, 0));
	assert_ptr_equal(proctable_find(fx->pt, 384, 3), e[2]);
	/* And they come back. */
	for (unsigned int i = 0; i < 4; i++)
		if (pids[i] != 384)
			assert_non_null(proctable_upsert(fx->pt, pids[i], 50 + i));
	assert_ptr_equal(proctable_find(fx->pt, 384, 3), e[2]);
	assert_non_null(proctable_find(fx->pt, 128, 50));
	assert_non_null(proctable_find(fx->pt, 256, 51));
	assert_non_null(proctable_find(fx->pt, 512, 53));
}

static void table_set_limits(void **state)
{
	struct fixture *fx = *state;
	struct proc_entry *e = proctable_upsert(fx->pt, 1, 1);
	char *big = malloc(PROC_CMDLINE_MAX + 100);

	assert_non_null(e);
	assert_non_null(big);
	memset(big, 'c', PROC_CMDLINE_MAX + 100);
	assert_int_equal(proctable_set_cmdline(e, big, PROC_CMDLINE_MAX + 100), 0);
	assert_int_equal(e->cmdline_len, PROC_CMDLINE_MAX);
	assert_int_equal(e->cmdline[PROC_CMDLINE_MAX], 0);
	big[PROC_EXE_MAX + 50] = 0;
	assert_int_equal(proctable_set_exe(e, big), 0);
	assert_int_equal(strlen(e->exe), PROC_EXE_MAX);
	/* Replacing frees nothing the caller sees and keeps the new value. */
	assert_int_equal(proctable_set_exe(e, "/x"), 0);
	assert_string_equal(e->exe, "/x");
	assert_int_equal(proctable_set_cmdline(e, "", 0), 0);
	assert_int_equal(e->cmdline_len, 0);
	assert_string_equal(e->cmdline, "");
	free(big);
}

static void ns_to_ticks(void **state)
{
	struct fixture *fx = *state;
	uint64_t t = tick_ns();

	assert_int_equal(proctable_ns_to_ticks(fx->pt, 0), 0);
	assert_int_equal(proctable_ns_to_ticks(fx->pt, t - 1), 0);
	assert_int_equal(proctable_ns_to_ticks(fx->pt, t), 1);
	assert_int_equal(proctable_ns_to_ticks(fx->pt, 123456 * t), 123456);
	assert_int_equal(proctable_ns_to_ticks(fx->pt, 123456 * t + t - 1), 123456);
	if (sysconf(_SC_CLK_TCK) == 100)
		assert_int_equal(proctable_ns_to_ticks(fx->pt, 1000000000ull), 100);
}

/* ---- proctable_apply ---------------------------------------------------- */

static void make_event(struct event *ev, enum event_type type, uint32_t pid, uint32_t ppid,
		       uint64_t start_ticks)
{
	memset(ev, 0, sizeof(*ev));
	ev->type = type;
	ev->pid = pid;
	ev->tid = pid;
	ev->ppid = ppid;
	ev->pid_start_ns = start_ticks * tick_ns();
	strcpy(ev->comm, "child");
}

static void apply_fork_inherits_exe(void **state)
{
	struct fixture *fx = *state;
	struct proc_entry *parent, *child;
	struct event ev;

	parent = proctable_upsert(fx->pt, 500, 1000);
	assert_non_null(parent);
	assert_int_equal(proctable_set_exe(parent, "/usr/bin/bash"), 0);
	assert_int_equal(proctable_set_cmdline(parent, "bash\0-c\0", 8), 0);

	make_event(&ev, EVENT_PROCESS_FORK, 501, 500, 2000);
	/* Not a multiple of a tick: still the same tick as the table's. */
	ev.fork.parent_start_ns = 1000 * tick_ns() + tick_ns() / 2;
	proctable_apply(fx->pt, &ev);
	child = proctable_find(fx->pt, 501, 2000);
	assert_non_null(child);
	assert_ptr_not_equal(child, parent);
	assert_int_equal(child->ppid, 500);
	assert_string_equal(child->comm, "child");
	assert_non_null(child->exe);
	assert_string_equal(child->exe, "/usr/bin/bash");
	assert_true(child->exe != parent->exe); /* a copy, not shared */
	assert_int_equal(child->cmdline_len, 8);
	assert_memory_equal(child->cmdline, "bash\0-c\0", 8);
	assert_ptr_equal(ev.exe, child->exe);
	/* The parent is untouched. */
	assert_string_equal(parent->exe, "/usr/bin/bash");
	proctable_event_done(fx->pt, &ev);
	assert_non_null(proctable_find(fx->pt, 501, 2000));
}

static void apply_fork_unknown_or_stale_parent(void **state)
{
	struct fixture *fx = *state;
	struct proc_entry *parent, *child;
	struct event ev;

	/* Parent never seen. */
	make_event(&ev, EVENT_PROCESS_FORK, 601, 600, 3000);
	ev.fork.parent_start_ns = 10 * tick_ns();
	proctable_apply(fx->pt, &ev);
	child = proctable_find(fx->pt, 601, 3000);
	assert_non_null(child);
	assert_null(child->exe);
	assert_null(ev.exe);
	assert_int_equal(child->ppid, 600);

	/* The table's pid 700 is an older process than the event's parent. */
	parent = proctable_upsert(fx->pt, 700, 5);
	assert_int_equal(proctable_set_exe(parent, "/bin/stale"), 0);
	make_event(&ev, EVENT_PROCESS_FORK, 701, 700, 3000);
	ev.fork.parent_start_ns = 6 * tick_ns();
	proctable_apply(fx->pt, &ev);
	child = proctable_find(fx->pt, 701, 3000);
	assert_non_null(child);
	assert_null(child->exe);
	assert_null(ev.exe);
}

static void apply_exec_sets_exe(void **state)
{
	struct fixture *fx = *state;
	struct proc_entry *e;
	struct event ev;
	static const char args[] = "curl\0-s\0https://example.com";

	e = proctable_upsert(fx->pt, 800, 4000);
	assert_int_equal(proctable_set_exe(e, "/usr/bin/bash"), 0);
	/* An absolute filename is used as is, whatever <root>/<pid>/exe says. */
	fake_proc(fx->root, 800, NULL, NULL, 0, "/usr/bin/curl.real");

	make_event(&ev, EVENT_PROCESS_EXEC, 800, 1, 4000);
	strcpy(ev.comm, "curl");
	ev.exec.filename = "/usr/bin/curl";
	ev.exec.args = args;
	ev.exec.args_len = sizeof(args);
	proctable_apply(fx->pt, &ev);
	e = proctable_find(fx->pt, 800, 4000);
	assert_non_null(e);
	assert_string_equal(e->exe, "/usr/bin/curl");
	assert_string_equal(e->comm, "curl");
	assert_int_equal(e->ppid, 1);
	assert_int_equal(e->cmdline_len, sizeof(args));
	assert_memory_equal(e->cmdline, args, sizeof(args));
	assert_non_null(ev.exe);
	assert_string_equal(ev.exe, "/usr/bin/curl");
	assert_ptr_equal(ev.exe, e->exe);
}

static void apply_exec_relative_filename(void **state)
{
	struct fixture *fx = *state;
	struct proc_entry *e;
	struct event ev;

	/* With <root>/<pid>/exe: the kernel's answer wins over "./x". */
	fake_proc(fx->root, 810, NULL, NULL, 0, "/opt/real/x");
	make_event(&ev, EVENT_PROCESS_EXEC, 810, 1, 10);
	ev.exec.filename = "./x";
	ev.exec.args = "./x";
	ev.exec.args_len = 4;
	proctable_apply(fx->pt, &ev);
	e = proctable_find(fx->pt, 810, 10);
	assert_non_null(e);
	assert_string_equal(e->exe, "/opt/real/x");
	assert_string_equal(ev.exe, "/opt/real/x");

	/* Without it: the filename as given. */
	make_event(&ev, EVENT_PROCESS_EXEC, 811, 1, 10);
	ev.exec.filename = "./y";
	ev.exec.args = "./y";
	ev.exec.args_len = 4;
	proctable_apply(fx->pt, &ev);
	e = proctable_find(fx->pt, 811, 10);
	assert_non_null(e);
	assert_string_equal(e->exe, "./y");
	assert_string_equal(ev.exe, "./y");
}

static void apply_exit_and_done(void **state)
{
	struct fixture *fx = *state;
	struct proctable_stats s;
	struct proc_entry *e;
	struct event ev;

	e = proctable_upsert(fx->pt, 900, 77);
	assert_int_equal(proctable_set_exe(e, "/usr/bin/true"), 0);
	e->ppid = 1;

	make_event(&ev, EVENT_PROCESS_EXIT, 900, 1, 77);
	proctable_apply(fx->pt, &ev);
	/* Still there while the event is handled: exe is borrowed from it. */
	assert_non_null(ev.exe);
	assert_string_equal(ev.exe, "/usr/bin/true");
	assert_ptr_equal(proctable_find(fx->pt, 900, 77), e);
	proctable_event_done(fx->pt, &ev);
	assert_null(proctable_find(fx->pt, 900, 0));
	proctable_get_stats(fx->pt, &s);
	assert_int_equal(s.live, 0);
}

static void apply_other_events(void **state)
{
	struct fixture *fx = *state;
	struct proctable_stats s;
	struct proc_entry *e;
	struct event ev;

	e = proctable_upsert(fx->pt, 950, 12);
	assert_int_equal(proctable_set_exe(e, "/usr/bin/python3"), 0);
	e->ppid = 1;

	/* A connect from a known process: exe filled, ppid refreshed, kept after. */
	make_event(&ev, EVENT_NET_CONNECT, 950, 949, 12);
	proctable_apply(fx->pt, &ev);
	assert_string_equal(ev.exe, "/usr/bin/python3");
	assert_int_equal(e->ppid, 949);
	proctable_event_done(fx->pt, &ev);
	assert_ptr_equal(proctable_find(fx->pt, 950, 12), e);

	/* TLS from a process not in the table nor in (fake) /proc: tracked, exe unknown. */
	make_event(&ev, EVENT_TLS_WRITE, 951, 950, 13);
	proctable_apply(fx->pt, &ev);
	assert_null(ev.exe);
	e = proctable_find(fx->pt, 951, 13);
	assert_non_null(e);
	assert_int_equal(e->ppid, 950);

	/* agent.stats touches nothing. */
	proctable_get_stats(fx->pt, &s);
	make_event(&ev, EVENT_AGENT_STATS, 0, 0, 0);
	proctable_apply(fx->pt, &ev);
	proctable_event_done(fx->pt, &ev);
	assert_null(ev.exe);
	{
		struct proctable_stats s2;

		proctable_get_stats(fx->pt, &s2);
		assert_memory_equal(&s, &s2, sizeof(s));
	}
}

/* ---- /proc scanning ------------------------------------------------------ */

static const char fake_cmdline[] = "prog\0--flag\0x y"; /* sizeof: 16, NUL-ended */

static void scan_fake_root(void **state)
{
	struct fixture *fx = *state;
	struct proctable_stats s;
	struct proc_entry *e;
	char line[512];

	stat_line(line, sizeof(line), 4242, "fake (p) rog", 77, 123456);
	fake_proc(fx->root, 4242, line, fake_cmdline, sizeof(fake_cmdline), "/opt/fake/bin/prog");
	/* Not processes: ignored. */
	fake_proc(fx->root, 17, "garbage", NULL, 0, NULL);
	fake_proc(fx->root, 18, NULL, NULL, 0, NULL);
	/* Names that are not (only) a pid, though they start like one or hold a stat. */
	for (const char *const *name = (const char *const[]){ "self", "4242x", "4242.1", NULL };
	     *name; name++) {
		char path[PATH_MAX];

		snprintf(path, sizeof(path), "%s/%s", fx->root, *name);
		assert_int_equal(mkdir(path, 0755), 0);
		write_file(path, "stat", line, strlen(line));
	}

	assert_int_equal(proctable_scan(fx->pt), 1);
	e = proctable_find(fx->pt, 4242, 123456);
	assert_non_null(e);
	assert_int_equal(e->pid, 4242);
	assert_int_equal(e->ppid, 77);
	assert_int_equal(e->start_ticks, 123456);
	assert_string_equal(e->comm, "fake (p) rog");
	assert_non_null(e->exe);
	assert_string_equal(e->exe, "/opt/fake/bin/prog");
	assert_int_equal(e->cmdline_len, sizeof(fake_cmdline));
	assert_memory_equal(e->cmdline, fake_cmdline, sizeof(fake_cmdline));
	assert_null(proctable_find(fx->pt, 17, 0));
	assert_null(proctable_find(fx->pt, 18, 0));
	proctable_get_stats(fx->pt, &s);
	assert_int_equal(s.live, 1);
	assert_int_equal(s.proc_lookups, 1);
}

static void scan_no_exe_no_cmdline(void **state)
{
	struct fixture *fx = *state;
	struct proc_entry *e;
	char line[512];

	/* A kernel thread: no exe link, empty cmdline. */
	stat_line(line, sizeof(line), 2, "kthreadd", 0, 1);
	fake_proc(fx->root, 2, line, "", 0, NULL);
	assert_int_equal(proctable_scan(fx->pt), 1);
	e = proctable_find(fx->pt, 2, 1);
	assert_non_null(e);
	assert_int_equal(e->ppid, 0);
	assert_string_equal(e->comm, "kthreadd");
	assert_null(e->exe);
	assert_null(e->cmdline);
	assert_int_equal(e->cmdline_len, 0);
}

static void scan_table_full(void **state)
{
	struct fixture *fx = *state;
	struct proctable_stats s;
	char line[512];

	for (unsigned int pid = 100; pid < 106; pid++) {
		stat_line(line, sizeof(line), pid, "p", 1, pid);
		fake_proc(fx->root, pid, line, "p", 2, "/bin/p");
	}
	assert_int_equal(proctable_scan(fx->pt), 4);
	proctable_get_stats(fx->pt, &s);
	assert_int_equal(s.live, 4);
	assert_int_equal(s.full, 2);
}

static void scan_missing_root(void **state)
{
	struct proctable *pt;

	(void)state;
	assert_int_equal(proctable_new(4, "/nonexistent/warden/proc", &pt), 0);
	assert_int_equal(proctable_scan(pt), -ENOENT);
	assert_int_equal(proctable_load_pid(pt, 1, NULL), -ENOENT);
	proctable_free(pt);
}

static void load_pid_and_lookup_on_miss(void **state)
{
	struct fixture *fx = *state;
	struct proctable_stats s;
	struct proc_entry *e = (void *)1;
	struct event ev;
	char line[512];

	stat_line(line, sizeof(line), 3000, "worker", 2999, 777);
	fake_proc(fx->root, 3000, line, "worker\0", 7, "/usr/sbin/worker");
	assert_int_equal(proctable_load_pid(fx->pt, 3001, &e), -ENOENT);
	assert_null(e);

	/* An exit of a process the table never saw: read from /proc on the miss. */
	make_event(&ev, EVENT_PROCESS_EXIT, 3000, 2999, 777);
	proctable_apply(fx->pt, &ev);
	assert_non_null(ev.exe);
	assert_string_equal(ev.exe, "/usr/sbin/worker");
	e = proctable_find(fx->pt, 3000, 777);
	assert_non_null(e);
	assert_string_equal(e->comm, "worker");
	proctable_get_stats(fx->pt, &s);
	assert_int_equal(s.proc_lookups, 1);
	proctable_event_done(fx->pt, &ev);
	assert_null(proctable_find(fx->pt, 3000, 0));

	/*
	 * /proc has a different process under that pid: the event's ended. It
	 * gets nothing of the live one, and the live one's entry stays whole.
	 */
	make_event(&ev, EVENT_NET_CONNECT, 3000, 2999, 778);
	proctable_apply(fx->pt, &ev);
	assert_null(ev.exe);
	assert_null(proctable_find(fx->pt, 3000, 778));
	e = proctable_find(fx->pt, 3000, 777);
	assert_non_null(e);
	assert_string_equal(e->exe, "/usr/sbin/worker");
	proctable_event_done(fx->pt, &ev);
	assert_non_null(proctable_find(fx->pt, 3000, 777));
	proctable_get_stats(fx->pt, &s);
	assert_int_equal(s.stale, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parse_stat_simple),
		cmocka_unit_test(parse_stat_real_kernel_line),
		cmocka_unit_test(parse_stat_weird_comm),
		cmocka_unit_test(parse_stat_self),
		cmocka_unit_test(parse_stat_truncated),
		cmocka_unit_test(parse_stat_garbage),
		cmocka_unit_test(parse_stat_respects_len),
		cmocka_unit_test(parse_stat_no_overread),
		cmocka_unit_test(table_new_invalid),
		cmocka_unit_test_setup_teardown(table_upsert_find_remove, setup, teardown),
		cmocka_unit_test_setup_teardown(table_pid_reuse, setup, teardown),
		cmocka_unit_test_setup_teardown(table_full, setup, teardown),
		cmocka_unit_test_setup_teardown(table_hash_chain, setup, teardown),
		cmocka_unit_test_setup_teardown(table_set_limits, setup, teardown),
		cmocka_unit_test_setup_teardown(ns_to_ticks, setup, teardown),
		cmocka_unit_test_setup_teardown(apply_fork_inherits_exe, setup, teardown),
		cmocka_unit_test_setup_teardown(apply_fork_unknown_or_stale_parent, setup, teardown),
		cmocka_unit_test_setup_teardown(apply_exec_sets_exe, setup, teardown),
		cmocka_unit_test_setup_teardown(apply_exec_relative_filename, setup, teardown),
		cmocka_unit_test_setup_teardown(apply_exit_and_done, setup, teardown),
		cmocka_unit_test_setup_teardown(apply_other_events, setup, teardown),
		cmocka_unit_test_setup_teardown(scan_fake_root, setup, teardown),
		cmocka_unit_test_setup_teardown(scan_no_exe_no_cmdline, setup, teardown),
		cmocka_unit_test_setup_teardown(scan_table_full, setup, teardown),
		cmocka_unit_test(scan_missing_root),
		cmocka_unit_test_setup_teardown(load_pid_and_lookup_on_miss, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
