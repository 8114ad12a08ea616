# Warden build. `make run` and `make test` are the two commands; see README.md.
.DEFAULT_GOAL := all

BUILD    ?= build
CC       ?= cc
CLANG    ?= clang
BPFTOOL  ?= bpftool
PYTHON   ?= /usr/bin/python3

ARCH := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
VMLINUX_DIR := bpf/vmlinux/$(ARCH)

WARN     := -Wall -Wextra -Werror
CFLAGS   ?= -O2 -g
CFLAGS   += $(WARN) -std=gnu11 -D_GNU_SOURCE -Iinclude -I$(BUILD)
LDLIBS   := -lbpf -lelf -lz -ljansson -lnghttp2 -lsqlite3 -lcrypto -lpthread
# BPF_PROG/BPF_KPROBE name every argument, used or not.
BPF_CFLAGS := -g -O2 $(WARN) -Wno-unused-parameter -target bpf -D__TARGET_ARCH_$(ARCH) \
	-I$(VMLINUX_DIR) -Iinclude -Ibpf

# net.bpf.c hands a connect's outcome over between CPUs with atomic fetch-or,
# which needs BPF ISA v3 (Linux 5.12; Warden needs 5.17 for bpf_loop).
$(BUILD)/bpf/net.bpf.o: BPF_CFLAGS += -mcpu=v3

BPF_SRCS := $(wildcard bpf/*.bpf.c)
BPF_OBJS := $(patsubst bpf/%.bpf.c,$(BUILD)/bpf/%.bpf.o,$(BPF_SRCS))
SKEL     := $(BUILD)/warden.skel.h

# Everything but the two main()s: the daemon, the CLI and the tests link it.
LIB_SRCS := src/event.c src/pipeline.c src/capture.c src/util/encode.c src/util/parse.c src/util/bufutil.c $(wildcard src/session/*.c) \
	src/sensor/record.c src/sensor/ldcache.c \
	src/sensor/elfsym.c $(wildcard src/decode/*.c) $(wildcard src/store/*.c)
# The parts that need libbpf (the fuzz targets link the library without it).
SENSOR_SRCS := src/sensor/sensor.c src/sensor/tls_attach.c src/sensor/kfeature.c
LIB_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(LIB_SRCS))
SENSOR_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(SENSOR_SRCS))
LIB      := $(BUILD)/libwarden.a

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))

.PHONY: all deps run test unit e2e clean vmlinux format bench bench-smoke fuzz fuzz-smoke
all: $(BUILD)/wardend $(BUILD)/warden $(BUILD)/replay

deps:
	@tools/deps.sh

$(BUILD)/bpf/%.bpf.o: bpf/%.bpf.c $(wildcard bpf/*.bpf.h) include/warden/events.h
	@mkdir -p $(@D)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

# One object, one skeleton: per-concern objects share the ring buffer and
# counters through __weak definitions the static linker folds together.
$(BUILD)/warden.bpf.o: $(BPF_OBJS)
	$(BPFTOOL) gen object $@ $^

$(SKEL): $(BUILD)/warden.bpf.o
	$(BPFTOOL) gen skeleton $< name warden_bpf > $@.tmp && mv $@.tmp $@

$(BUILD)/%.o: %.c $(wildcard include/warden/*.h include/warden/*/*.h src/*/*.h)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c $< -o $@

$(SENSOR_OBJS): $(SKEL)

$(LIB): $(LIB_OBJS)
	$(AR) rcs $@ $^

$(BUILD)/wardend: $(BUILD)/src/wardend.o $(SENSOR_OBJS) $(LIB)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/warden: $(BUILD)/src/warden.o $(LIB)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/replay: tools/replay.c $(LIB)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: tests/unit/%.c $(LIB)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS) -lcmocka

run: deps all
	$(BUILD)/wardend

# test_store also runs the CLI over a synthetic store.
unit: $(UNIT_BINS) $(BUILD)/warden
	@fail=0; for t in $(UNIT_BINS); do $$t || fail=1; done; exit $$fail

# Sensor tests, decoding tests (real SDKs from the npm registry, see tools/npm-setup.sh),
# agent sessions (the same SDK agents; 1,000 generated sessions), the store and the CLI.
# A helper process for the sensor tests (threads that exit together).
$(BUILD)/tests/thread_exit: tests/e2e/thread_exit.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $< -lpthread

# And one for the session tests: an agent's tool that opens and connects through io_uring.
$(BUILD)/tests/uring_ops: tests/e2e/uring_ops.c tools/uring_ring.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $<

e2e: all $(BUILD)/tests/thread_exit $(BUILD)/tests/uring_ops
	@fail=0; $(PYTHON) tests/e2e/sensor_test.py --wardend $(BUILD)/wardend || fail=1; \
	  $(PYTHON) tests/e2e/decode_test.py --wardend $(BUILD)/wardend || fail=1; \
	  $(PYTHON) tests/e2e/session_test.py --wardend $(BUILD)/wardend || fail=1; \
	  $(PYTHON) tests/e2e/store_test.py --wardend $(BUILD)/wardend || fail=1; exit $$fail

test: deps all
	@$(MAKE) --no-print-directory unit
	@$(MAKE) --no-print-directory e2e
	@$(MAKE) --no-print-directory fuzz-smoke
	@$(MAKE) --no-print-directory bench-smoke

# Benchmarks: tools/bench. The empty-program floor has its own skeleton, generated from
# Warden's object: one empty program for each of Warden's, on the same hook.
BENCH_BINS := $(BUILD)/bench/empty_probe $(BUILD)/bench/tls_rt $(BUILD)/bench/exec_storm \
	$(BUILD)/bench/gen_capture $(BUILD)/bench/proc_farm $(BUILD)/bench/sqlite_floor \
	$(BUILD)/replay

$(BUILD)/bench/empty.bpf.c: $(BUILD)/warden.bpf.o tools/bench/gen_empty.py
	@mkdir -p $(@D)
	$(PYTHON) tools/bench/gen_empty.py $< > $@.tmp && mv $@.tmp $@

$(BUILD)/bench/empty.bpf.o: $(BUILD)/bench/empty.bpf.c
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/bench/empty.skel.h: $(BUILD)/bench/empty.bpf.o
	$(BPFTOOL) gen skeleton $< name empty_bpf > $@.tmp && mv $@.tmp $@

$(BUILD)/bench/empty_probe: tools/bench/empty_probe.c src/sensor/kfeature.c $(BUILD)/bench/empty.skel.h
	$(CC) $(CFLAGS) -I$(BUILD)/bench -o $@ tools/bench/empty_probe.c src/sensor/kfeature.c -lbpf -lelf -lz

$(BUILD)/bench/tls_rt: tools/bench/tls_rt.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $< -lssl -lcrypto -lpthread

$(BUILD)/bench/gen_capture: tools/bench/gen_capture.c $(LIB)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/bench/proc_farm: tools/bench/proc_farm.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $< -lssl -lcrypto

$(BUILD)/bench/sqlite_floor: tools/bench/sqlite_floor.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $< -lsqlite3

$(BUILD)/bench/exec_storm: tools/bench/exec_storm.c tools/uring_ring.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $<

bench: deps all $(BENCH_BINS)
	$(PYTHON) tools/bench/bench.py

bench-smoke: all $(BENCH_BINS)
	BENCH_QUICK=1 $(PYTHON) tools/bench/bench.py

# libFuzzer targets: tests/fuzz/fuzz_<name>.c, each over the pure decoders
# and utilities (no BPF, no I/O), built with ASan and UBSan.
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(FUZZ_SRCS))
FUZZ_LIB_SRCS := $(LIB_SRCS)
FUZZ_SECONDS ?= 20
FUZZ_FLAGS := -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-std=gnu11 -D_GNU_SOURCE -Iinclude -I$(BUILD) $(WARN)

$(BUILD)/fuzz/%: tests/fuzz/%.c $(FUZZ_LIB_SRCS)
	@mkdir -p $(@D)
	$(CLANG) $(FUZZ_FLAGS) -o $@ $^ -lelf -lz -ljansson -lnghttp2 -lsqlite3 -lcrypto -lpthread

fuzz: $(FUZZ_BINS)

# Each target for FUZZ_SECONDS from its seed corpus (tests/fuzz/corpus/<name>);
# any crash fails the run.
fuzz-smoke: $(FUZZ_BINS)
	@for f in $(FUZZ_BINS); do n=$$(basename $$f); c=tests/fuzz/corpus/$$n; \
	  w=$(BUILD)/fuzz/work-$$n; rm -rf $$w; mkdir -p $$w; \
	  echo "fuzz: $$n for $(FUZZ_SECONDS)s"; \
	  $$f -max_total_time=$(FUZZ_SECONDS) -print_final_stats=0 -artifact_prefix=$(BUILD)/fuzz/ \
	    $$w $$( [ -d $$c ] && echo $$c ) 2>$(BUILD)/fuzz/$$n.log || \
	    { tail -40 $(BUILD)/fuzz/$$n.log; exit 1; }; done

vmlinux:
	tools/gen-vmlinux.sh

format:
	clang-format -i $(wildcard src/*.c src/*/*.c include/warden/*.h include/warden/*/*.h bpf/*.c bpf/*.h tests/unit/*.c tests/fuzz/*.c)

clean:
	rm -rf $(BUILD)
