# Lens build. `make` builds the three programs into build/bin; `make test`
# builds them again with AddressSanitizer and UndefinedBehaviorSanitizer into
# build/san and runs every suite; `make demo` and `make bench` run the
# scripts of the same names. Every library comes through pkg-config, except
# nng, whose Debian package ships no .pc file (see NNG_LIBS).

SAN ?= 0
ifeq ($(SAN),1)
  B := build/san
  SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
  OPT := -O1 -g
else
  B := build
  SANFLAGS :=
  OPT := -O2 -g
endif

CC ?= cc
PKGS := libprotobuf-c jansson libmicrohttpd libpq libcurl libnghttp2 libbpf libcap libzstd libpcre2-8 zlib libhs
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS))
PKG_LIBS := $(shell pkg-config --libs $(PKGS))
NNG_LIBS := $(shell pkg-config --libs nng 2>/dev/null || echo -lnng)
CMOCKA_LIBS := $(shell pkg-config --libs cmocka 2>/dev/null)

VERSION := 0.1.0-$(shell git describe --always --dirty 2>/dev/null || echo unknown)
CFLAGS := -std=gnu11 $(OPT) -Wall -Wextra -Werror -Wshadow -Wno-missing-field-initializers -Wno-format-zero-length -Wno-format-truncation \
          -D_GNU_SOURCE \
          -Icommon -I$(B)/gen $(PKG_CFLAGS) $(SANFLAGS) $(EXTRA_CFLAGS)
LDFLAGS := $(SANFLAGS) $(EXTRA_LDFLAGS)
LIBS := $(NNG_LIBS) $(PKG_LIBS) -lpthread -lm

COMMON_SRC := $(wildcard common/*.c)
AGENT_SRC := $(filter-out agent/main.c,$(wildcard agent/*.c))
AGG_SRC := $(filter-out aggregator/main.c,$(wildcard aggregator/*.c))
CLI_SRC := $(filter-out cli/main.c,$(wildcard cli/*.c))
TRACE_SRC := $(wildcard trace/*.c)
MIGRATIONS := $(sort $(wildcard aggregator/migrations/*.sql))

PROTOS := lens podresources
GEN := $(foreach p,$(PROTOS),$(B)/gen/$(p).pb-c.c $(B)/gen/$(p).pb-c.h) $(B)/gen/migrations_data.c $(B)/gen/version.h $(B)/gen/opcat_table.h
OBJ = $(patsubst %.c,$(B)/obj/%.o,$(1))

# eBPF: one object per concern, CO-RE against the build machine's BTF,
# wrapped in a libbpf skeleton the agent links in.
BPF_SRC := $(wildcard bpf/*.bpf.c)
BPF_SKELS := $(patsubst bpf/%.bpf.c,$(B)/gen/%.skel.h,$(BPF_SRC))
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_x86 -Wall -Werror -I$(B)/gen -Ibpf

LIBCOMMON := $(B)/lib/libcommon.a
LIBAGENT := $(B)/lib/libagent.a
LIBAGG := $(B)/lib/libaggregator.a
LIBCLI := $(B)/lib/libcli.a
LIBTRACE := $(B)/lib/libtrace.a

BINS := $(B)/bin/lens-agent $(B)/bin/lens-aggregator $(B)/bin/lensctl
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(B)/tests/%,$(UNIT_SRC))
TOOL_SRC := $(wildcard tests/tools/*.c)
TOOL_BINS := $(patsubst tests/tools/%.c,$(B)/tests/%,$(TOOL_SRC)) $(B)/tests/fake_kubelet

.PHONY: all deps test demo bench fuzz clean testbins FORCE
all: $(BINS)

deps:
	@scripts/install-deps.sh

# Generated code -------------------------------------------------------------
# version.h is rewritten only when the version changes, so a new commit
# rebuilds just what prints the version.
$(B)/gen/version.h: FORCE
	@mkdir -p $(B)/gen
	@echo '#define LENS_VERSION "$(VERSION)"' > $@.tmp
	@cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@
FORCE:
# Generated sources stay after the build (make would delete them as intermediates).
.SECONDARY: $(GEN) $(patsubst bpf/%.bpf.c,$(B)/bpf/%.bpf.o,$(BPF_SRC))

$(B)/gen/%.pb-c.c $(B)/gen/%.pb-c.h: proto/%.proto
	@mkdir -p $(B)/gen
	protoc-c --proto_path=proto --c_out=$(B)/gen $<

# The build machine's kernel types; where it has no BTF, the committed
# fallback (a Linux 6.18 dump): CO-RE relocates to the running kernel at load.
$(B)/gen/vmlinux.h:
	@mkdir -p $(B)/gen
	@if [ -r /sys/kernel/btf/vmlinux ]; then \
	  bpftool btf dump file /sys/kernel/btf/vmlinux format c > $@.tmp; \
	else \
	  echo "no /sys/kernel/btf/vmlinux: using bpf/vmlinux.h.xz" >&2; xz -dc bpf/vmlinux.h.xz > $@.tmp; \
	fi && mv $@.tmp $@

# bpftool gen object keeps BTF and drops DWARF: the skeleton embeds the
# object, and the agent's binary and RSS need no debug info of BPF code.
$(B)/bpf/%.bpf.o: bpf/%.bpf.c $(wildcard bpf/*.h) $(B)/gen/vmlinux.h
	@mkdir -p $(dir $@)
	@echo "  BPF     $<"
	@clang $(BPF_CFLAGS) -c $< -o $@.full.o
	@bpftool gen object $@ $@.full.o && rm -f $@.full.o

$(B)/gen/%.skel.h: $(B)/bpf/%.bpf.o
	@bpftool gen skeleton $< name $*_bpf > $@.tmp && mv $@.tmp $@

$(B)/gen/migrations_data.c: $(MIGRATIONS) scripts/embed-migrations.sh
	@mkdir -p $(B)/gen
	scripts/embed-migrations.sh $(MIGRATIONS) > $@.tmp && mv $@.tmp $@

# TraceLens's op categories, sorted by name (C locale) for a binary search.
$(B)/gen/opcat_table.h: trace/op_category_registry.csv scripts/gen-opcat.sh
	@mkdir -p $(B)/gen
	@scripts/gen-opcat.sh $< > $@.tmp && mv $@.tmp $@

# Objects --------------------------------------------------------------------
$(B)/obj/%.o: %.c $(B)/gen/lens.pb-c.h $(B)/gen/podresources.pb-c.h | $(B)/gen/version.h
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(CFLAGS) -Iagent -Iaggregator -Icli -Ibpf -Itrace -MMD -MP -c $< -o $@

$(call OBJ,trace/traceops.c): $(B)/gen/opcat_table.h

$(B)/obj/gen/%.o: $(B)/gen/%.c $(B)/gen/lens.pb-c.h $(B)/gen/podresources.pb-c.h
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(CFLAGS) -Iaggregator -Wno-unused-parameter -c $< -o $@

# The loader includes every skeleton.
$(call OBJ,agent/kevents.c): $(BPF_SKELS)

$(LIBCOMMON): $(call OBJ,$(COMMON_SRC)) $(B)/obj/gen/lens.pb-c.o $(B)/obj/gen/podresources.pb-c.o
$(LIBAGENT): $(call OBJ,$(AGENT_SRC))
$(LIBAGG): $(call OBJ,$(AGG_SRC)) $(B)/obj/gen/migrations_data.o
$(LIBCLI): $(call OBJ,$(CLI_SRC))
$(LIBTRACE): $(call OBJ,$(TRACE_SRC))
$(B)/lib/%.a:
	@mkdir -p $(dir $@)
	@rm -f $@ && ar rcs $@ $^

# Programs -------------------------------------------------------------------
$(B)/bin/lens-agent: $(call OBJ,agent/main.c) $(LIBAGENT) $(LIBTRACE) $(LIBCOMMON)
$(B)/bin/lens-aggregator: $(call OBJ,aggregator/main.c) $(LIBAGG) $(LIBCOMMON)
$(B)/bin/lensctl: $(call OBJ,cli/main.c) $(LIBCLI) $(LIBTRACE) $(LIBCOMMON)
$(BINS):
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

# Tests ----------------------------------------------------------------------
$(B)/tests/test_%: $(call OBJ,tests/unit/test_%.c) $(LIBAGENT) $(LIBAGG) $(LIBCLI) $(LIBTRACE) $(LIBCOMMON)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS) $(CMOCKA_LIBS)

$(B)/tests/%: $(call OBJ,tests/tools/%.c) $(LIBAGENT) $(LIBAGG) $(LIBTRACE) $(LIBCOMMON)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

# The SMTP test receiver speaks STARTTLS with OpenSSL.
$(B)/tests/smtp_sink: LIBS += $(shell pkg-config --libs openssl)

$(B)/tests/fake_kubelet: $(call OBJ,tests/fixtures/kubelet/fake_kubelet.c) $(LIBAGENT) $(LIBCOMMON)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

testbins: $(BINS) $(UNIT_BINS) $(TOOL_BINS)

test: deps
	$(MAKE) SAN=1 testbins
	@tests/run.sh build/san

# Explores with the fuzzers for FUZZ_SECONDS each (default 60).
fuzz: deps
	$(MAKE) SAN=1 testbins
	FUZZ_SECONDS=$${FUZZ_SECONDS:-60} tests/fuzz/run.sh

demo: deps
	$(MAKE) all build/tests/fake_kubelet build/tests/webhook_sink
	@scripts/demo.sh

bench: deps
	$(MAKE) all build/tests/bench_ingest build/tests/bench_podmap build/tests/bench_kevents build/tests/bench_logs build/tests/bench_trainlog build/tests/bench_trace build/tests/bench_rules build/tests/nngsink build/tests/fake_kubelet
	@scripts/bench.sh

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)
