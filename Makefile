# SPDX-License-Identifier: GPL-2.0-only
# vni: build the BPF objects, their skeletons, the loader library and vnictl.

PREFIX ?= /usr/local
DESTDIR ?=
BUILD := build
ARCH := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')

CC ?= gcc
CLANG ?= clang
BPFTOOL ?= bpftool
CFLAGS ?= -O2 -g
CFLAGS += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Iinclude -Iloader -I$(BUILD)
BPF_CFLAGS := -target bpf -g -O2 -D__TARGET_ARCH_$(ARCH) -Ivmlinux -Iinclude -Ibpf -Wall -Werror
# libcap, libinih, libresolv and libcurl are loaded when used (sys/dl.h)
LDLIBS := -lbpf -lelf -lz -lmnl -lsqlite3 -ljson-c -pthread

# One object (one skeleton) per attach domain: instance cgroups, the cgroup2
# root (guard), network namespaces (sk_lookup), LSM, the UDP iterator of
# services (run by vnictl); maps shared by pinning.
BPF_NAMES := vni_inst vni_guard vni_lookup vni_lsm vni_iter
BPF_OBJS := $(BPF_NAMES:%=$(BUILD)/%.bpf.o)
SKELS := $(BPF_NAMES:%=$(BUILD)/%.skel.h)
# loader/: sys/ (OS and kernel wrappers) <- core/ (one node) <- cli/ (vnictl);
# nss/ uses core/hostsfile and sys/util only. docs/architecture.md.
LIB_SRCS := $(wildcard loader/sys/*.c loader/core/*.c)
LIB_OBJS := $(LIB_SRCS:loader/%.c=$(BUILD)/%.o)
CLI_SRCS := $(wildcard loader/cli/*.c)
CLI_OBJS := $(CLI_SRCS:loader/%.c=$(BUILD)/%.o)
HEADERS := $(wildcard include/*.h loader/*/*.h)

.PHONY: all programs clean deps test test-host vmtest criu-numbers bench fuzz unit demo install vmlinux deb
.DELETE_ON_ERROR:
.SECONDARY:

# What is installed (and packaged): vnictl and the NSS module.
.DEFAULT_GOAL := all
programs: $(BUILD)/vnictl $(BUILD)/libnss_vni.so.2

all: $(BUILD)/vnictl $(BUILD)/libnss_vni.so.2 $(BUILD)/sockprobe $(BUILD)/linkprobe \
	$(BUILD)/test_validate $(BUILD)/test_ckptmeta $(BUILD)/test_hostsfile $(BUILD)/test_unitconf \
	$(BUILD)/test_pathmap

$(BUILD):
	mkdir -p $@

# BPF: compile, link/strip with bpftool, then generate the skeleton.
$(BUILD)/%.tmp.o: bpf/%.bpf.c $(wildcard bpf/*.bpf.h) include/vni_shared.h vmlinux/vmlinux.h | $(BUILD)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@
$(BUILD)/%.bpf.o: $(BUILD)/%.tmp.o
	$(BPFTOOL) gen object $@ $<
$(BUILD)/%.skel.h: $(BUILD)/%.bpf.o
	$(BPFTOOL) gen skeleton $< name $*_bpf > $@

# What init pins (names, attach types), read from the objects at build time
# (tools/pintable.c) so that vnictl need not open them at every start.
$(BUILD)/pintable: tools/pintable.c $(SKELS)
	$(CC) $(CFLAGS) -o $@ $< -lbpf -lelf -lz
$(BUILD)/vni_pins.h: $(BUILD)/pintable
	$< > $@
$(BUILD)/core/bpfobj.o: $(BUILD)/vni_pins.h

$(BUILD)/%.o: loader/%.c $(HEADERS) $(SKELS) | $(BUILD)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/libvni.a: $(LIB_OBJS)
	$(AR) rcs $@ $^

$(BUILD)/vnictl: $(CLI_OBJS) $(BUILD)/libvni.a
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

# The NSS module: only the hosts file reader and its entry points are exported.
NSS_SRCS := loader/nss/nss_vni.c loader/core/hostsfile.c loader/sys/util.c
$(BUILD)/libnss_vni.so.2: $(NSS_SRCS) loader/core/hostsfile.h loader/sys/util.h | $(BUILD)
	$(CC) $(CFLAGS) -fPIC -shared -fvisibility=hidden -Wl,-soname,libnss_vni.so.2 \
		-Wl,-z,defs -o $@ $(NSS_SRCS)

$(BUILD)/sockprobe: tests/sockprobe.c | $(BUILD)
	$(CC) $(CFLAGS) -o $@ $<

$(BUILD)/linkprobe: tests/linkprobe.c $(BUILD)/libvni.a
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

# cmocka unit tests of the pure parts (tests/unit/), one binary each; the
# hosts file test also loads the NSS module from beside it.
UNIT_TESTS := $(BUILD)/test_validate $(BUILD)/test_ckptmeta $(BUILD)/test_hostsfile \
	$(BUILD)/test_unitconf $(BUILD)/test_pathmap
$(UNIT_TESTS): $(BUILD)/test_%: tests/unit/test_%.c $(BUILD)/libvni.a
	$(CC) $(CFLAGS) -o $@ $^ -lcmocka $(LDLIBS)
$(BUILD)/test_hostsfile: | $(BUILD)/libnss_vni.so.2

# Benchmarks (bench/): load generator, LD_PRELOAD comparison shim, attach cost.
$(BUILD)/loadgen: bench/loadgen.c | $(BUILD)
	$(CC) $(CFLAGS) -pthread -o $@ $<

$(BUILD)/preload_shim.so: bench/preload_shim.c | $(BUILD)
	$(CC) $(CFLAGS) -fPIC -shared -o $@ $< -ldl

$(BUILD)/attach_bench: bench/attach_bench.c bench/bench_util.h $(BUILD)/libvni.a
	$(CC) $(CFLAGS) -o $@ $(filter-out %.h,$^) $(LDLIBS)

$(BUILD)/node_toggle: bench/node_toggle.c | $(BUILD)
	$(CC) $(CFLAGS) -o $@ $< -lbpf

$(BUILD)/mem_bench: bench/mem_bench.c bench/bench_util.h $(BUILD)/libvni.a
	$(CC) $(CFLAGS) -o $@ $(filter-out %.h,$^) $(LDLIBS)

BENCH_BINS := $(BUILD)/loadgen $(BUILD)/preload_shim.so $(BUILD)/attach_bench $(BUILD)/node_toggle $(BUILD)/mem_bench

# QUICK=1: the short version (under two minutes).
bench: deps
	$(MAKE) all $(BENCH_BINS)
	QUICK=$(QUICK) bench/run.sh
	QUICK=$(QUICK) bench/registry.sh
	$(if $(QUICK),SIZES="100 1000") bench/attach_curve.sh $(BUILD)/bench/attach-scale.svg
	NOV6=1 $(if $(QUICK),SIZES="100 1000") bench/attach_curve.sh $(BUILD)/bench/attach-scale-nov6.svg

# libFuzzer targets for every parser of outside input (tests/fuzz/); each
# runs FUZZ_SECONDS; inputs that crashed once are kept in its corpus.
FUZZ_SECONDS ?= 30
FUZZ_TARGETS := vip names ckptmeta hosts unitconf pathmap
FUZZ_CFLAGS := -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined \
	-Iinclude -Iloader
FUZZ_SRCS := loader/core/validate.c loader/sys/util.c loader/core/ckptmeta.c loader/core/hostsfile.c \
	loader/core/unitconf.c loader/core/pathmap.c loader/core/pool.c loader/sys/caps.c \
	loader/sys/dl.c
$(BUILD)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_SRCS) | $(BUILD)
	$(CLANG) $(FUZZ_CFLAGS) -o $@ $< $(FUZZ_SRCS) -ljson-c

fuzz: deps
	$(MAKE) $(FUZZ_TARGETS:%=$(BUILD)/fuzz_%)
	for t in $(FUZZ_TARGETS); do \
		mkdir -p $(BUILD)/fuzz-corpus/$$t && \
		$(BUILD)/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -print_final_stats=0 \
			$(BUILD)/fuzz-corpus/$$t tests/fuzz/corpus/$$t || exit 1; \
	done

# Regenerate vmlinux/vmlinux.h from the running kernel's BTF (x86_64 committed).
vmlinux:
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > vmlinux/vmlinux.h

unit: $(UNIT_TESTS)
	status=0; for t in $(UNIT_TESTS); do $$t || status=1; done; exit $$status

# Debian packages needed to build and test (apt-get, only when missing).
deps:
	tools/install-deps.sh

# Need root: real cgroups, BPF programs and network namespaces. Both install
# what is missing first, so each is the one command on a fresh machine.
# The kernel matrix: this machine's kernel, then Debian's 6.1 LTS in a VM
# (with the CRIU tests, which need a kernel CRIU 3.17 supports).
test: deps
	$(MAKE) all
	tests/run.sh
	$(MAKE) deb
	tools/vmrun.sh --kernel 6.1 -- tests/run.sh --vm
	tests/vm/systemd.sh --kernel 6.1

test-host: all
	tests/run.sh

vmtest: all
	tools/vmrun.sh --kernel 6.1 -- tests/run.sh --vm
	tests/vm/systemd.sh --kernel 6.1

# Checkpoint/restore costs, vni against plain CRIU (docs/checkpoint.md).
criu-numbers: all
	tools/vmrun.sh --kernel 6.1 -- tools/criu-numbers.sh

demo: deps
	$(MAKE) all
	tools/demo.sh

# The NSS module goes where glibc looks for it, whatever PREFIX is; the
# systemd units (systemd/*.in, with vnictl's path filled in) where systemd
# looks for them ($(PREFIX)/lib/systemd/system is on its search path).
LIBDIR ?= /lib/$(shell $(CC) -print-multiarch)
SBINDIR ?= $(PREFIX)/sbin
UNITDIR ?= $(PREFIX)/lib/systemd/system
# ip(8) names the protocol of vni's routes (118) "vni" from this file
SYSCONFDIR ?= /etc
UNITS := vni.service vni@.service vni-agent.service
install: $(BUILD)/vnictl $(BUILD)/libnss_vni.so.2
	install -D -m 0755 $(BUILD)/vnictl $(DESTDIR)$(SBINDIR)/vnictl
	install -D -m 0644 $(BUILD)/libnss_vni.so.2 $(DESTDIR)$(LIBDIR)/libnss_vni.so.2
	install -D -m 0644 docs/man/vnictl.8 $(DESTDIR)$(PREFIX)/share/man/man8/vnictl.8
	install -D -m 0644 docs/man/vni.conf.5 $(DESTDIR)$(PREFIX)/share/man/man5/vni.conf.5
	install -d $(DESTDIR)$(UNITDIR)
	for u in $(UNITS); do \
		sed 's|@SBINDIR@|$(SBINDIR)|g' systemd/$$u.in >$(DESTDIR)$(UNITDIR)/$$u && \
		chmod 0644 $(DESTDIR)$(UNITDIR)/$$u || exit 1; \
	done
	install -D -m 0644 tools/completion/vnictl.bash \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions/vnictl
	install -D -m 0644 tools/iproute2/vni.conf $(DESTDIR)$(SYSCONFDIR)/iproute2/rt_protos.d/vni.conf

# A Debian package (debhelper, debian/), built from a copy of the tree in
# build/deb/ (dpkg-buildpackage writes the .deb next to the source), then
# checked by lintian: errors fail the build.
VERSION := $(shell sed -n '1s/.*(\(.*\)).*/\1/p' debian/changelog)
deb: deps
	rm -rf $(BUILD)/deb && mkdir -p $(BUILD)/deb/vni-$(VERSION)
	tar -cf - --exclude=./build --exclude=./.git . | tar -xf - -C $(BUILD)/deb/vni-$(VERSION)
	cd $(BUILD)/deb/vni-$(VERSION) && dpkg-buildpackage -us -uc -b
	lintian --fail-on error $(BUILD)/deb/vni_$(VERSION)_*.deb

clean:
	rm -rf $(BUILD)
