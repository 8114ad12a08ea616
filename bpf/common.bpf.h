/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers and maps shared by every Warden BPF program. Each bpf/<concern>.bpf.c is
 * compiled alone and the objects are linked with `bpftool gen object`; the
 * shared maps and configuration are __weak so that the linker folds the
 * copies every object carries into one.
 */
#ifndef WARDEN_COMMON_BPF_H
#define WARDEN_COMMON_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_endian.h>
#include "warden/events.h"

#ifndef AF_UNIX
#define AF_UNIX 1
#endif
#ifndef AF_INET
#define AF_INET 2
#endif
#ifndef AF_INET6
#define AF_INET6 10
#endif
#define S_IFMT_ 00170000
#define S_IFSOCK_ 0140000

/*
 * The syscall a task is in, from its user registers (bpf_task_pt_regs), for
 * hooks inside a syscall that need its arguments; libbpf 1.1 has no
 * PT_REGS_PARM6_SYSCALL.
 */
#if defined(__TARGET_ARCH_x86)
#define SYSCALL_NR(regs) ((regs)->orig_ax)
#define SYSCALL_PARM6(regs) ((regs)->r9)
#elif defined(__TARGET_ARCH_arm64)
#define SYSCALL_NR(regs) ((regs)->syscallno)
#define SYSCALL_PARM6(regs) ((regs)->regs[5])
#else
#error "no syscall number register for this architecture"
#endif

/* Set by wardend in skel->rodata before load. */
const volatile __u32 warden_self_tgid __weak = 0; /* never report ourselves */
/*
 * Wake the consumer only once this many bytes wait in the ring (0: every
 * record). wardend also drains on a short timer, so latency stays bounded
 * while a busy host does not cost a context switch per event.
 */
const volatile __u64 warden_wakeup_bytes __weak = 0;
/*
 * 1: userspace probes files for SSL_* (TLS capture on): a file not yet in
 * checked_files wakes it at once. 0 (--no-tls): nothing is ever checked,
 * and waking for every exec would cost a context switch each.
 */
const volatile __u8 warden_probe_files __weak = 1;

/* The single event stream; size set by userspace before load (--ringbuf-size). */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20);
} events SEC(".maps") __weak;

/*
 * Files userspace has inspected (or is inspecting) for SSL_* symbols: the
 * mmap program reports a file not in here, the exec program wakes userspace
 * at once for an executable not in here (it may link TLS statically).
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct warden_file_key);
	__type(value, __u8);
} checked_files SEC(".maps") __weak;

/* Everything that was lost or went wrong, per CPU, read by wardend. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, WARDEN_STAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps") __weak;

/*
 * Per-CPU scratch for records too large for the 512-byte BPF stack. Built
 * here, then copied out with bpf_ringbuf_output() at their real length, so a
 * 40-byte write does not take 16 KiB of ring.
 */
union warden_scratch {
	struct warden_rec_exec exec;
	struct warden_rec_tls tls;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, union warden_scratch);
} scratch SEC(".maps") __weak;

static __always_inline void stat_inc(__u32 slot)
{
	__u64 *v = bpf_map_lookup_elem(&stats, &slot);

	if (v)
		*v += 1; /* per-CPU slot: no atomics needed */
}

/*
 * bpf_task_storage_get(map, t, 0, flags) for every task-storage map here.
 * A lookup (no BPF_LOCAL_STORAGE_GET_F_CREATE) of a task with no entry in
 * any map (most on a host: no connect, no SSL_*, no session) is told by
 * one load, without the helper's call and its per-CPU busy count: lookups
 * run on every open, socket I/O and exit on the host.
 */
static __always_inline void *task_storage(void *map, struct task_struct *t, __u64 flags)
{
	if (!flags && !t->bpf_storage)
		return NULL;
	return bpf_task_storage_get(map, t, 0, flags);
}

static __always_inline void *scratch_get(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&scratch, &zero);
}

/*
 * The current task is fetched once a program and handed down: each
 * bpf_get_current_*() is a helper call (12-17 ns each, counted on a VM
 * whose kernel runs return-thunk mitigations), where a field of a BTF task
 * pointer is a load.
 */
static __always_inline int task_is_self(struct task_struct *t)
{
	return (__u32)t->tgid == warden_self_tgid;
}

static __always_inline int is_self(void)
{
	return task_is_self(bpf_get_current_task_btf());
}

static __always_inline void hdr_init(struct warden_rec_hdr *h, __u16 type, __u32 size)
{
	h->type = type;
	h->flags = 0;
	h->size = size;
	h->ktime = bpf_ktime_get_ns();
}

/*
 * A task's identity through its BTF pointer: the loads are plain
 * (fault-safe) loads the JIT emits inline, where BPF_CORE_READ or the
 * get_current_comm/uid_gid/cgroup_id helpers cost a call each; this runs
 * for every record. The same fields as those helpers read: the comm the
 * kernel keeps NUL-padded (userspace bounds it to its 16 bytes all the
 * same), the real uid of the task's credentials (a kuid is the init
 * namespace's uid), and the id of its cgroup v2 cgroup. Programs run
 * under RCU, which is what keeps cred and cgroups alive meanwhile.
 */
static __always_inline void task_fill(struct warden_task *out, struct task_struct *t)
{
	out->pid = t->tgid;
	out->tid = t->pid;
	out->ppid = t->real_parent->tgid;
	out->start_time = t->group_leader->start_boottime;
	__builtin_memcpy(out->comm, t->comm, sizeof(out->comm));
	out->uid = t->cred->uid.val;
	out->cgroup_id = t->cgroups->dfl_cgrp->kn->id;
}

/*
 * Whether the task sched_process_exit reports is the last of its group.
 * The tracepoint says so where it has group_dead; else signal->live, which
 * the threads of an exit_group() decrement before any of them gets here:
 * two may both read 0 and the process would be reported twice.
 */
static __always_inline bool exit_group_dead(struct trace_event_raw_sched_process_exit *ctx,
					    struct task_struct *t)
{
	if (bpf_core_field_exists(ctx->group_dead))
		return ctx->group_dead;
	return t->signal->live.counter == 0;
}

/*
 * The bytes waiting in the ring: what bpf_ringbuf_query(BPF_RB_AVAIL_DATA)
 * returns, read from the ring itself, without the helper's call (14 ns a
 * record, counted at a connect's exit). The ring map's fields are BTF
 * loads (the verifier allows them to CAP_PERFMON); a kernel whose ring
 * buffer lays them out otherwise takes the helper (CO-RE). The loads are
 * not ordered as the helper's are: the figure decides a wakeup only, and a
 * wakeup missed is made up as a crossing missed is (below).
 */
static __always_inline __u64 rb_avail(void)
{
	if (bpf_core_field_exists(struct bpf_ringbuf_map, rb) &&
	    bpf_core_field_exists(struct bpf_ringbuf, producer_pos) &&
	    bpf_core_field_exists(struct bpf_ringbuf, consumer_pos)) {
		struct bpf_ringbuf *rb = ((struct bpf_ringbuf_map *)&events)->rb;

		return rb->producer_pos - rb->consumer_pos;
	}
	return bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA);
}

/*
 * Whether a record wakes the consumer: once the bytes waiting pass each
 * multiple of warden_wakeup_bytes (a power of two), not at every record past
 * the first. A wakeup is an interrupt on the producing CPU (a VM exit in a
 * guest, some microseconds): forcing one per record while wardend is behind
 * (busy, or throttled by its cgroup's CPU quota) made every traced process
 * pay it on every event, exactly when the host was busiest. One missed
 * because another CPU's record crossed the mark meanwhile is made up by the
 * next mark or wardend's drain timer; a consumer that is awake sees the
 * data waiting anyway (the ring's poll is level-triggered).
 * queued: the record is already in the ring (reserved), of size bytes;
 * else it is about to be copied in (bpf_ringbuf_output).
 */
static __always_inline __u64 rb_flags(__u64 size, bool queued)
{
	__u64 after, before;

	if (!warden_wakeup_bytes)
		return 0;
	after = before = rb_avail();
	if (queued)
		before -= size; /* a reserved record is never consumed before it is submitted */
	else
		after += size;
	if ((before ^ after) < warden_wakeup_bytes)
		return BPF_RB_NO_WAKEUP;
	stat_inc(WARDEN_STAT_RB_WAKEUP);
	return BPF_RB_FORCE_WAKEUP;
}

/* rec starts with its header, whose size is set (hdr_init) */
static __always_inline void rb_submit(void *rec)
{
	bpf_ringbuf_submit(rec, rb_flags(((struct warden_rec_hdr *)rec)->size, true));
}

/* Reserve-or-count: a reservation that fails is never silent. */
static __always_inline void *rb_reserve(__u32 size, __u16 type)
{
	void *p = bpf_ringbuf_reserve(&events, size, 0);

	if (!p)
		stat_inc(WARDEN_STAT_RB_DROP + type);
	return p;
}

static __always_inline void rb_output(void *rec, __u32 size, __u16 type)
{
	if (bpf_ringbuf_output(&events, rec, size, rb_flags(size, false)))
		stat_inc(WARDEN_STAT_RB_DROP + type);
}

/*
 * The same, waking the consumer at once: for the rare record userspace must
 * act on before the traced process goes on (a file to probe for SSL_*).
 */
static __always_inline void rb_submit_now(void *rec)
{
	stat_inc(WARDEN_STAT_RB_WAKEUP);
	bpf_ringbuf_submit(rec, BPF_RB_FORCE_WAKEUP);
}

static __always_inline void rb_output_now(void *rec, __u32 size, __u16 type)
{
	if (bpf_ringbuf_output(&events, rec, size, BPF_RB_FORCE_WAKEUP))
		stat_inc(WARDEN_STAT_RB_DROP + type);
	else
		stat_inc(WARDEN_STAT_RB_WAKEUP);
}

#endif /* WARDEN_COMMON_BPF_H */
