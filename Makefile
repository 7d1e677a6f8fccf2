# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
# bpfFlowMon: `make` builds tc_flowmon_kern.o and tc_flowmon_user;
# `make test` runs every test tier (root for the BPF and namespace tiers);
# `make bench` prints the benchmarks. Debian 12: see README.md.

OUTPUT     := .output
CLANG      ?= clang
CC         ?= gcc
BPFTOOL    ?= bpftool
VMLINUX_BTF ?= /sys/kernel/btf/vmlinux
ARCH       := $(shell uname -m | sed 's/x86_64/x86/;s/aarch64/arm64/;s/ppc64le/powerpc/;s/riscv64/riscv/;s/s390x/s390/')
VERSION    := 0.2.0
PREFIX     ?= /usr/local
DESTDIR    ?=
BINDIR     := $(PREFIX)/bin
LIBDIR     := $(PREFIX)/lib/flowmon
MANDIR     := $(PREFIX)/share/man/man8
SYSCONFDIR ?= $(if $(filter /usr,$(PREFIX)),/etc,$(PREFIX)/etc)
# systemd's own folder for /usr (Debian 12: /lib/systemd/system), else under PREFIX
SYSTEMDUNITDIR ?= $(if $(filter /usr,$(PREFIX)),$(shell pkg-config --variable=systemdsystemunitdir \
	systemd 2>/dev/null || echo /lib/systemd/system),$(PREFIX)/lib/systemd/system)
TMPFILESDIR ?= $(if $(filter /usr,$(PREFIX)),/usr/lib/tmpfiles.d,$(PREFIX)/lib/tmpfiles.d)
UNITS      := bpfflowmon.service bpfflowmon@.service
INCDIR     := $(PREFIX)/include/flowmon
PLUGINDIR  := $(LIBDIR)/plugins
DOCDIR     := $(PREFIX)/share/doc/bpfflowmon

PKG_CFLAGS := $(shell pkg-config --cflags libbpf libpcap 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs libbpf libpcap 2>/dev/null || echo -lbpf -lpcap)
# the operator's side: --metrics (libmicrohttpd), sd_notify (libsystemd), top (ncurses)
OPS_CFLAGS := $(shell pkg-config --cflags-only-I libmicrohttpd libsystemd ncursesw 2>/dev/null)
OPS_LIBS   := $(shell pkg-config --libs libmicrohttpd libsystemd ncursesw 2>/dev/null || \
		echo -lmicrohttpd -lsystemd -lncursesw -ltinfo) -lpthread
CFLAGS     ?= -O2 -g
WARN       := -Wall -Wextra -Wno-unused-parameter -Wmissing-field-initializers -Werror=undef
SRC_DIRS   := src/core src/control src/io src/cmd src/native
SRC_INC    := $(addprefix -I,$(SRC_DIRS)) -Isrc/datapath
USER_CFLAGS := -std=gnu11 $(CPPFLAGS) $(CFLAGS) $(WARN) -Iinclude $(SRC_INC) -I$(OUTPUT) $(PKG_CFLAGS) $(OPS_CFLAGS) \
	-DFLOWMON_VERSION='"$(VERSION)"'
BPF_CFLAGS := -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_$(ARCH) -Wall -Werror -Iinclude -Isrc/datapath \
	-I$(OUTPUT)

BPF_OBJ    := tc_flowmon_kern.o
# BPF feature plugins (docs/PLUGINS.md): built as a user builds one, against
# include/flowmon/plugin.h and the system's <linux/bpf.h>
PLUGIN_OBJS := $(patsubst %.bpf.c,%.bpf.o,$(wildcard plugins/*.bpf.c))
PLUGIN_CFLAGS := -g -O2 -target bpf -Wall -Werror -Iinclude \
	-I/usr/include/$(shell $(CC) -dumpmachine)
USER_BIN   := tc_flowmon_user
BPF_HDRS   := $(wildcard src/bpf/*.h src/datapath/*.h) include/flowmon.h include/flowmon/plugin.h

# Userland by layer (docs/DESIGN.md): src/core is pure C (records, formats,
# flow table, IPFIX encoding, link types, options), unit-tested without
# root; src/io does files and sockets; src/control talks to the kernel
# through libbpf; src/cmd holds the commands.
PURE_SRCS  := $(wildcard src/core/*.c) src/io/writer.c src/io/sink.c src/io/export.c \
		src/native/engine.c
BPF_SRCS   := $(wildcard src/control/*.c) src/io/replay.c src/io/httpd.c \
		$(filter-out src/cmd/main.c,$(wildcard src/cmd/*.c))
USER_HDRS  := $(wildcard $(addsuffix /*.h,$(SRC_DIRS)) src/datapath/*.h) include/flowmon.h \
		include/flowmon/plugin.h
PURE_OBJS  := $(patsubst src/%.c,$(OUTPUT)/obj/%.o,$(PURE_SRCS))
LBPF_OBJS  := $(patsubst src/%.c,$(OUTPUT)/obj/%.o,$(BPF_SRCS))
MAIN_OBJ   := $(OUTPUT)/obj/cmd/main.o

UNIT_TESTS := $(wildcard tests/unit/*.c)
BPF_TESTS  := $(filter-out %.bpf.c,$(wildcard tests/bpf/*.c))
# test plugins (tests/bpf/test_plugins.c): the probe, and a second one under another name
TEST_PLUGINS := $(OUTPUT)/tests/plugin_probe.bpf.o $(OUTPUT)/tests/plugin_probe2.bpf.o
BENCH_SRCS := $(filter-out %.bpf.c,$(wildcard bench/*.c))

ifeq ($(V),1)
Q :=
msg =
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

.PHONY: FORCE all clean docs test test-unit test-bpf test-e2e bench install uninstall help check-format \
	deps run build-tests fuzz fuzz-build sanitize bcc-headers
.DELETE_ON_ERROR:
.SECONDARY:

all: $(BPF_OBJ) $(USER_BIN) $(PLUGIN_OBJS)

help:
	@echo "make            build $(BPF_OBJ) and $(USER_BIN)"
	@echo "make test       all tests (root: BPF_PROG_TEST_RUN and namespace tiers)"
	@echo "make bench      benchmarks (ns/packet, ns/flow, replay throughput)"
	@echo "make fuzz       every fuzz harness for FUZZ_TIME seconds (default 30) with ASan and UBSan"
	@echo "make sanitize   rebuild with ASan and UBSan, run the unit and offline tests (then make clean)"
	@echo "make bcc-headers  kernel headers for BCC (tc_flowmon.py) in $(OUTPUT)/bcc-headers (apt-get download)"
	@echo "make install    install to \$$(DESTDIR)\$$(PREFIX) (default $(PREFIX))"
	@echo "make uninstall  remove what install put there"

$(OUTPUT) $(OUTPUT)/tests:
	$(Q)mkdir -p $@

# vmlinux.h from the running kernel's BTF; a temp file so a failed dump
# never leaves a truncated header behind.
$(OUTPUT)/vmlinux.h: | $(OUTPUT)
	$(call msg,GEN,$@)
	$(Q)$(BPFTOOL) btf dump file $(VMLINUX_BTF) format c > $@.tmp && mv $@.tmp $@

$(BPF_OBJ): src/bpf/tc_flowmon_kern.c $(BPF_HDRS) $(OUTPUT)/vmlinux.h
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

plugins/%.bpf.o: plugins/%.bpf.c include/flowmon/plugin.h include/flowmon.h
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(PLUGIN_CFLAGS) -c $< -o $@

# The meter without the plugin hook: make bench measures what the hook costs.
$(OUTPUT)/tc_flowmon_kern_nohook.o: src/bpf/tc_flowmon_kern.c $(BPF_HDRS) $(OUTPUT)/vmlinux.h
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -DFLOWMON_NO_PLUGIN_HOOK -c $< -o $@

$(OUTPUT)/%.bpf.o: bench/%.bpf.c include/flowmon.h $(OUTPUT)/vmlinux.h
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

# The skeleton (libbpf-bootstrap's way): the object linked by bpftool, which
# drops the DWARF, then its skeleton header, which embeds it. loader.c is
# the only file that includes it.
$(OUTPUT)/tc_flowmon_kern.bpf.o: $(BPF_OBJ) | $(OUTPUT)
	$(call msg,GEN-OBJ,$@)
	$(Q)$(BPFTOOL) gen object $@ $<

$(OUTPUT)/tc_flowmon_kern.skel.h: $(OUTPUT)/tc_flowmon_kern.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name tc_flowmon_kern > $@.tmp && mv $@.tmp $@

$(OUTPUT)/obj/control/loader.o: $(OUTPUT)/tc_flowmon_kern.skel.h

$(OUTPUT)/obj/%.o: src/%.c $(USER_HDRS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(USER_CFLAGS) -c $< -o $@

$(USER_BIN): $(MAIN_OBJ) $(PURE_OBJS) $(LBPF_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(USER_CFLAGS) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) $(OPS_LIBS) -lm -lpthread

$(OUTPUT)/tests/test_unit: $(UNIT_TESTS) $(PURE_OBJS) tests/unit/testlib.h | $(OUTPUT)/tests
	$(call msg,LINK,$@)
	$(Q)$(CC) $(USER_CFLAGS) -Itests/unit -o $@ $(UNIT_TESTS) $(PURE_OBJS) -lm

$(OUTPUT)/tests/plugin_probe.bpf.o: tests/bpf/plugin_probe.bpf.c include/flowmon/plugin.h | $(OUTPUT)/tests
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(PLUGIN_CFLAGS) -c $< -o $@

$(OUTPUT)/tests/plugin_probe2.bpf.o: tests/bpf/plugin_probe.bpf.c include/flowmon/plugin.h | $(OUTPUT)/tests
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(PLUGIN_CFLAGS) -DPROBE_NAME='"probe2"' -c $< -o $@

$(OUTPUT)/tests/test_bpf: $(BPF_TESTS) $(wildcard tests/bpf/*.h) tests/unit/testlib.c $(PURE_OBJS) $(LBPF_OBJS) $(TEST_PLUGINS) | $(OUTPUT)/tests
	$(call msg,LINK,$@)
	$(Q)$(CC) $(USER_CFLAGS) -Itests/bpf -Itests/unit -o $@ $(BPF_TESTS) tests/unit/testlib.c $(PURE_OBJS) $(LBPF_OBJS) $(PKG_LIBS) $(OPS_LIBS) -lm -lpthread

$(OUTPUT)/bench: $(BENCH_SRCS) $(wildcard bench/*.h) $(PURE_OBJS) $(LBPF_OBJS) | $(OUTPUT)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(USER_CFLAGS) -Ibench -o $@ $(BENCH_SRCS) $(PURE_OBJS) $(LBPF_OBJS) $(PKG_LIBS) $(OPS_LIBS) -lm -lpthread

# The docs' field lists come from the field table (src/core/docgen.h);
# tests/unit/test_docs.c fails when they are out of date.
DOC_FILES := docs/man/tc_flowmon_user.8 docs/IPFIX.md

$(OUTPUT)/gen_docs: docs/gen_docs.c $(PURE_OBJS) | $(OUTPUT)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(USER_CFLAGS) -o $@ $< $(PURE_OBJS) -lm

docs: $(OUTPUT)/gen_docs
	$(Q)$(OUTPUT)/gen_docs $(DOC_FILES)

# The README's two commands: both install what is missing first.
deps:
	$(Q)scripts/install-deps.sh

# On a terminal the records are brief lines; piped, JSON lines.
run: deps
	$(Q)$(MAKE) --no-print-directory all
	./$(USER_BIN) -I lo -o - $$([ -t 1 ] || echo -j)

# Another party's tcx programs (tests/e2e/test_tcx.sh: order and coexistence).
$(OUTPUT)/tests/tcx_other.bpf.o: tests/e2e/tcx_other/other.bpf.c $(OUTPUT)/vmlinux.h | $(OUTPUT)/tests
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(OUTPUT)/tests/tcx_other: tests/e2e/tcx_other/tcx_other.c | $(OUTPUT)/tests
	$(call msg,LINK,$@)
	$(Q)$(CC) $(USER_CFLAGS) -o $@ $< $(PKG_LIBS)

build-tests: all $(OUTPUT)/tests/test_unit $(OUTPUT)/tests/test_bpf $(OUTPUT)/tests/tcx_other \
	$(OUTPUT)/tests/tcx_other.bpf.o fuzz-build

test: deps
	$(Q)$(MAKE) --no-print-directory build-tests
	$(Q)tests/run.sh


test-unit: $(OUTPUT)/tests/test_unit
	$(Q)tests/run.sh unit

test-bpf: all $(OUTPUT)/tests/test_bpf
	$(Q)tests/run.sh bpf

test-e2e: all
	$(Q)tests/run.sh e2e

bench: all $(OUTPUT)/bench $(OUTPUT)/floor.bpf.o $(OUTPUT)/tc_flowmon_kern_nohook.o
	$(Q)bench/run.sh

# Fuzzing (tests/fuzz): libFuzzer harnesses built by clang with ASan and
# UBSan from their own objects of the pure userland, the capture reader and
# the native engine. "make fuzz" runs each for FUZZ_TIME seconds from the
# committed seeds; the test suite does the same (tests/offline/test_fuzz.sh).
FUZZ_CC     ?= clang
FUZZ_TIME   ?= 30
FUZZ_DIR    := $(OUTPUT)/fuzz
FUZZ_SAN    := -g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined \
		-fno-sanitize-recover=all
FUZZ_CFLAGS := -std=gnu11 $(FUZZ_SAN) $(WARN) -Iinclude $(SRC_INC) -Itests/fuzz $(PKG_CFLAGS) \
		-DFLOWMON_VERSION='"$(VERSION)"'
FUZZ_SRCS   := $(wildcard src/core/*.c) src/io/replay.c src/native/engine.c
FUZZ_OBJS   := $(patsubst src/%.c,$(FUZZ_DIR)/obj/%.o,$(FUZZ_SRCS))
FUZZ_COMMON := tests/fuzz/common.c tests/fuzz/records.c
FUZZERS     := pcap linktype native opts ipfix
FUZZ_BINS   := $(addprefix $(FUZZ_DIR)/fuzz_,$(FUZZERS))

$(FUZZ_DIR)/obj/%.o: src/%.c $(USER_HDRS)
	$(call msg,FUZZ-CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

$(FUZZ_DIR)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_COMMON) $(wildcard tests/fuzz/*.h) $(FUZZ_OBJS)
	$(call msg,FUZZ-LD,$@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_COMMON) $(FUZZ_OBJS) \
		$(PKG_LIBS) -lm

fuzz-build: $(FUZZ_BINS)

fuzz: fuzz-build
	$(Q)FUZZ_TIME=$(FUZZ_TIME) tests/fuzz/run.sh

# Everything again with ASan and UBSan, then the unit and offline tiers on
# it: a one-off check (the objects are left sanitized: make clean after).
SAN_CFLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all

sanitize:
	$(Q)$(MAKE) --no-print-directory clean
	$(Q)$(MAKE) --no-print-directory CC=clang CFLAGS='$(SAN_CFLAGS)' all $(OUTPUT)/tests/test_unit \
		fuzz-build
	$(Q)FUZZ_TIME=5 ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
		tests/run.sh unit offline

# BCC (scripts/tc_flowmon.py) compiles these at run time: installed beside
# the object, in the tree's layout. Kernel headers for it where the kernel
# has none: Debian's, unpacked under $(OUTPUT) (never into system folders).
BCC_SRC := include/flowmon.h include/flowmon/plugin.h src/bpf/tc_flowmon_kern.c \
	$(wildcard src/bpf/*.h) $(wildcard src/datapath/*.h)

bcc-headers:
	$(Q)scripts/bcc-headers.sh $(OUTPUT)/bcc-headers

# The units name the installed binary; the settings file is never overwritten
# (it is the operator's), the logrotate and tmpfiles snippets are.
install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR) $(DESTDIR)$(MANDIR)
	install -m 0755 $(USER_BIN) $(DESTDIR)$(BINDIR)/$(USER_BIN)
	install -m 0755 scripts/tc_flowmon.sh $(DESTDIR)$(BINDIR)/tc_flowmon.sh
	install -m 0755 scripts/tc_flowmon.py $(DESTDIR)$(BINDIR)/tc_flowmon.py
	for f in $(BCC_SRC); do install -D -m 0644 $$f $(DESTDIR)$(LIBDIR)/bcc/$$f || exit 1; done
	install -D -m 0755 scripts/bcc-headers.sh $(DESTDIR)$(LIBDIR)/bcc/scripts/bcc-headers.sh
	install -m 0644 $(BPF_OBJ) $(DESTDIR)$(LIBDIR)/$(BPF_OBJ)
	install -m 0644 docs/man/tc_flowmon_user.8 docs/man/tc_flowmon.sh.8 $(DESTDIR)$(MANDIR)/
	install -d $(DESTDIR)$(SYSTEMDUNITDIR) $(DESTDIR)$(SYSCONFDIR)/default \
		$(DESTDIR)$(SYSCONFDIR)/logrotate.d $(DESTDIR)$(TMPFILESDIR)
	for u in $(UNITS); do \
		sed 's|@BINDIR@|$(BINDIR)|g' dist/$$u.in > $(DESTDIR)$(SYSTEMDUNITDIR)/$$u.tmp && \
		chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/$$u.tmp && \
		mv $(DESTDIR)$(SYSTEMDUNITDIR)/$$u.tmp $(DESTDIR)$(SYSTEMDUNITDIR)/$$u || exit 1; \
	done
	[ -e $(DESTDIR)$(SYSCONFDIR)/default/bpfflowmon ] || \
		install -m 0644 dist/bpfflowmon.default $(DESTDIR)$(SYSCONFDIR)/default/bpfflowmon
	install -m 0644 dist/bpfflowmon.logrotate $(DESTDIR)$(SYSCONFDIR)/logrotate.d/bpfflowmon
	install -m 0644 dist/bpfflowmon.tmpfiles $(DESTDIR)$(TMPFILESDIR)/bpfflowmon.conf
	install -d $(DESTDIR)$(PLUGINDIR) $(DESTDIR)$(INCDIR) $(DESTDIR)$(DOCDIR)/plugin-example
	install -m 0644 $(PLUGIN_OBJS) $(DESTDIR)$(PLUGINDIR)/
	install -m 0644 include/flowmon.h include/flowmon/plugin.h $(DESTDIR)$(INCDIR)/
	install -m 0644 docs/PLUGINS.md $(DESTDIR)$(DOCDIR)/
	install -m 0644 docs/plugin-example/Makefile docs/plugin-example/count.bpf.c \
		$(DESTDIR)$(DOCDIR)/plugin-example/

# The settings file stays when the operator changed it (like a conffile).
uninstall:
	cmp -s dist/bpfflowmon.default $(DESTDIR)$(SYSCONFDIR)/default/bpfflowmon && \
		rm -f $(DESTDIR)$(SYSCONFDIR)/default/bpfflowmon || true
	rm -f $(DESTDIR)$(BINDIR)/$(USER_BIN) $(DESTDIR)$(BINDIR)/tc_flowmon.sh
	rm -f $(DESTDIR)$(BINDIR)/tc_flowmon.py
	rm -rf $(DESTDIR)$(LIBDIR)/bcc
	rm -f $(DESTDIR)$(LIBDIR)/$(BPF_OBJ)
	rm -f $(addprefix $(DESTDIR)$(PLUGINDIR)/,$(notdir $(PLUGIN_OBJS)))
	rm -f $(DESTDIR)$(INCDIR)/flowmon.h $(DESTDIR)$(INCDIR)/plugin.h
	rm -f $(DESTDIR)$(DOCDIR)/PLUGINS.md $(DESTDIR)$(DOCDIR)/plugin-example/Makefile \
		$(DESTDIR)$(DOCDIR)/plugin-example/count.bpf.c
	-rmdir $(DESTDIR)$(DOCDIR)/plugin-example $(DESTDIR)$(DOCDIR) $(DESTDIR)$(INCDIR) \
		$(DESTDIR)$(PLUGINDIR) 2>/dev/null
	-rmdir $(DESTDIR)$(LIBDIR) 2>/dev/null
	rm -f $(DESTDIR)$(MANDIR)/tc_flowmon_user.8 $(DESTDIR)$(MANDIR)/tc_flowmon.sh.8
	rm -f $(addprefix $(DESTDIR)$(SYSTEMDUNITDIR)/,$(UNITS))
	rm -f $(DESTDIR)$(SYSCONFDIR)/logrotate.d/bpfflowmon $(DESTDIR)$(TMPFILESDIR)/bpfflowmon.conf

check-format:
	clang-format --dry-run --Werror $(wildcard src/*/*.[ch] include/*.h)

clean:
	rm -rf $(OUTPUT) $(BPF_OBJ) $(USER_BIN) $(PLUGIN_OBJS)
