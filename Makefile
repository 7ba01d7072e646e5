# whorl - top-level build.
#   make            build everything into $(BUILD)/ (lib/, bin/)
#   make demo       install missing packages, build, run the demo end to end
#   make check      install missing packages, build, run every test
#   make san        unit tests under ASan+UBSan (build-san/)
#   make fuzz       each libFuzzer target for FUZZ_SECONDS (build-fuzz/)
#   make fuzz-long  each target for FUZZ_LONG_SECONDS (30 min), figures per target
#   make style      formatting (.clang-format) and function length (scripts/style-check.sh)
#   make bench      build the benchmark programs (and the test cartridges swap_stress loads)
#   make install PREFIX=/usr/local DESTDIR=
# Sources are picked up by wildcard: adding a file to a folder is enough.
# WERROR=1 turns warnings into errors (CI sets it).

BUILD ?= build
PREFIX ?= /usr/local
DESTDIR ?=
# SpamAssassin's site configuration, where the whorl plugin goes: Debian's
# spamassassin reads /etc/spamassassin whatever PREFIX whorl is built for.
SA_SITE_DIR ?= /etc/spamassassin
CC ?= cc
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 60
VERSION := 0.1.0

PKGS := libsodium libcurl libpcre2-8 zlib libpng libcrypto
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CHECK_CFLAGS := $(shell pkg-config --cflags check 2>/dev/null)
CHECK_LIBS := $(shell pkg-config --libs check 2>/dev/null)

WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter
ifeq ($(WERROR),1)
WARN += -Werror
endif
OPT ?= -O2 -g
SANFLAGS ?=
CFLAGS_ALL := -std=c11 -D_GNU_SOURCE -DWHORL_VERSION='"$(VERSION)"' $(OPT) $(WARN) -fPIC \
	-fvisibility=hidden -pthread -I. -Iabi -Ihost $(PKG_CFLAGS) $(SANFLAGS) $(CFLAGS)
LIBS := $(PKG_LIBS) -lgif -ljpeg -lzbar -lpthread -lm -ldl
# cartridge.so does not link libzbar, libcurl or libcrypto: an engine opens
# each the first time it needs it (cartridge/util/dynlib.h: the first QR
# search, the first transfer, an anonymised host id), so a process that
# meets no picture, talks to no server and anonymises nothing never maps
# them and the forty libraries they pull in.
CART_LIBS := $(filter-out -lzbar -lcurl -lcrypto,$(LIBS))
LDFLAGS_ALL := -pthread $(SANFLAGS) $(LDFLAGS)

CART_SRC := $(wildcard cartridge/*.c cartridge/*/*.c)
# libwhorl reads files the one way the engine does (cartridge/util/file_read.c).
HOST_SRC := $(wildcard host/libwhorl/*.c) cartridge/util/file_read.c cartridge/util/file_write.c
PUBLIB_SRC := $(wildcard publisher/lib/*.c)
# The collector's database (SQLite or PostgreSQL), for whorl-collect and
# whorl-publish --never-seen.
COLLECTDB_SRC := $(wildcard publisher/collectdb/*.c)
CART_OBJ := $(CART_SRC:%.c=$(BUILD)/obj/%.o)
HOST_OBJ := $(HOST_SRC:%.c=$(BUILD)/obj/%.o)
PUBLIB_OBJ := $(PUBLIB_SRC:%.c=$(BUILD)/obj/%.o)
COLLECTDB_OBJ := $(COLLECTDB_SRC:%.c=$(BUILD)/obj/%.o)

# Programs: one folder each under host/ and publisher/ with a main.
# Daemons go to sbin/ (whorld, whorl-milter), everything else to bin/.
SBIN_PROGS := whorld whorl-milter
HOST_PROGS := $(filter-out $(SBIN_PROGS),$(notdir $(filter-out host/libwhorl,$(patsubst %/,%,$(wildcard host/*/)))))
PUB_PROGS := $(notdir $(filter-out publisher/lib publisher/collectdb,$(patsubst %/,%,$(wildcard publisher/*/))))
BIN_PROGS := $(HOST_PROGS:%=$(BUILD)/bin/%) $(PUB_PROGS:%=$(BUILD)/bin/%)
SBIN_PROG_FILES := $(SBIN_PROGS:%=$(BUILD)/sbin/%)
PROGS := $(BIN_PROGS) $(SBIN_PROG_FILES)
SYSTEMD_UNIT_DIR ?= $(PREFIX)/lib/systemd/system

UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/unit/%)
TEST_CART_SRC := $(wildcard tests/cartridges/*.c)
TEST_CARTS := $(TEST_CART_SRC:tests/cartridges/%.c=$(BUILD)/tests/cartridges/%.so)
BENCH_SRC := $(wildcard tests/bench/*.c)
BENCH_BIN := $(BENCH_SRC:tests/bench/%.c=$(BUILD)/bench/%)
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)

CARTRIDGE := $(BUILD)/lib/cartridge.so
CART_A := $(BUILD)/lib/libcartridge_internal.a
LIBWHORL_SO := $(BUILD)/lib/libwhorl.so
LIBWHORL_A := $(BUILD)/lib/libwhorl.a
PUBLIB_A := $(BUILD)/lib/libwhorl_publish.a
COLLECTDB_A := $(BUILD)/lib/libwhorl_collectdb.a

.PHONY: all deps demo check unit integration san tsan fuzz fuzz-long bench style install clean
all: $(CARTRIDGE) $(CART_A) $(LIBWHORL_SO) $(LIBWHORL_A) $(PROGS) \
	$(BUILD)/etc/categories $(BUILD)/etc/cartridge.cfg.sample $(BUILD)/etc/whitelist.cfg.sample \
	$(BUILD)/etc/whorld.cfg.sample $(BUILD)/etc/whorl-milter.cfg.sample

# The build tree is laid out like an installation (bin/, lib/, etc/), so the
# programs find their cartridge and configuration the same way in both.
$(BUILD)/etc/%: etc/%
	@mkdir -p $(@D)
	cp $< $@

deps:
	@sh scripts/deps.sh

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) -MMD -MP -c $< -o $@

-include $(CART_OBJ:.o=.d) $(HOST_OBJ:.o=.d) $(PUBLIB_OBJ:.o=.d) $(COLLECTDB_OBJ:.o=.d)

$(CARTRIDGE): $(CART_OBJ) cartridge/cartridge.map
	@mkdir -p $(@D)
	$(CC) -shared -o $@ $(CART_OBJ) -Wl,--version-script=cartridge/cartridge.map \
		-Wl,-z,defs -Wl,-z,now $(LDFLAGS_ALL) $(CART_LIBS)

$(CART_A): $(CART_OBJ)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

$(LIBWHORL_SO): $(HOST_OBJ) host/libwhorl.map
	@mkdir -p $(@D)
	$(CC) -shared -o $@ $(HOST_OBJ) -Wl,--version-script=host/libwhorl.map \
		-Wl,-soname,libwhorl.so.1 $(LDFLAGS_ALL) $(LIBS)

$(LIBWHORL_A): $(HOST_OBJ)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

$(PUBLIB_A): $(PUBLIB_OBJ)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

$(COLLECTDB_A): $(COLLECTDB_OBJ)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

# A program is every .c in its folder, linked with libwhorl (and the
# publisher library for publisher programs). Programs get an rpath-free
# static libwhorl; cartridge.so is found relative to the binary.
define host_prog
$(BUILD)/$(2)/$(1): $(patsubst %.c,$(BUILD)/obj/%.o,$(wildcard host/$(1)/*.c)) $(LIBWHORL_A)
	@mkdir -p $$(@D)
	$$(CC) -o $$@ $$^ $$(LDFLAGS_ALL) $(3) $$(LIBS)
-include $(patsubst %.c,$(BUILD)/obj/%.d,$(wildcard host/$(1)/*.c))
endef
define pub_prog
$(BUILD)/bin/$(1): $(patsubst %.c,$(BUILD)/obj/%.o,$(wildcard publisher/$(1)/*.c)) $($(1)_ARCHIVES) $(PUBLIB_A) $(LIBWHORL_A) $(CART_A)
	@mkdir -p $$(@D)
	$$(CC) -o $$@ $$^ $$(LDFLAGS_ALL) $$(LIBS) $$($(1)_LIBS)
-include $(patsubst %.c,$(BUILD)/obj/%.d,$(wildcard publisher/$(1)/*.c))
endef
# whorl-collect alone links an HTTP server; it and whorl-publish (which reads
# the collector's database for --never-seen) link the two SQL client
# libraries (README: dependencies); nothing else gets them.
COLLECT_PKGS := libmicrohttpd sqlite3 libpq
COLLECTDB_PKGS := sqlite3 libpq
whorl-collect_LIBS := $(shell pkg-config --libs $(COLLECT_PKGS) 2>/dev/null)
whorl-publish_LIBS := $(shell pkg-config --libs $(COLLECTDB_PKGS) 2>/dev/null)
whorl-collect_ARCHIVES := $(COLLECTDB_A)
whorl-publish_ARCHIVES := $(COLLECTDB_A)
$(BUILD)/obj/publisher/whorl-collect/%.o: CFLAGS_ALL += $(shell pkg-config --cflags $(COLLECT_PKGS) 2>/dev/null)
$(BUILD)/obj/publisher/collectdb/%.o: CFLAGS_ALL += $(shell pkg-config --cflags $(COLLECTDB_PKGS) 2>/dev/null)
$(foreach p,$(HOST_PROGS),$(eval $(call host_prog,$(p),bin)))
# whorld serves HTTP with libmicrohttpd (README, dependencies).
MHD_CFLAGS := $(shell pkg-config --cflags libmicrohttpd 2>/dev/null)
MHD_LIBS := $(shell pkg-config --libs libmicrohttpd 2>/dev/null)
$(BUILD)/obj/host/whorld/%.o: CFLAGS_ALL += $(MHD_CFLAGS)
$(eval $(call host_prog,whorld,sbin,$(MHD_LIBS)))
# whorl-milter alone links Debian's libmilter (README, dependencies).
$(eval $(call host_prog,whorl-milter,sbin,-lmilter))
$(foreach p,$(PUB_PROGS),$(eval $(call pub_prog,$(p))))

# Tests: every tests/unit/test_*.c is its own Check program linked with the
# engine's internal archive, libwhorl and the publisher library.
$(BUILD)/tests/unit/%: tests/unit/%.c $(CART_A) $(LIBWHORL_A) $(PUBLIB_A)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) $(CHECK_CFLAGS) -o $@ $< $(PUBLIB_A) $(LIBWHORL_A) $(CART_A) \
		$(LDFLAGS_ALL) $(CHECK_LIBS) $(LIBS)

# Deliberately odd cartridges the loader tests use (each one .c file).
$(BUILD)/tests/cartridges/%.so: tests/cartridges/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) -MMD -MP -shared -o $@ $< $(LDFLAGS_ALL)
-include $(TEST_CARTS:.so=.d)

$(BUILD)/bench/%: tests/bench/%.c $(CART_A) $(LIBWHORL_A) $(PUBLIB_A)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) -o $@ $< $(PUBLIB_A) $(LIBWHORL_A) $(CART_A) $(LDFLAGS_ALL) $(LIBS)

bench: all $(BENCH_BIN) $(TEST_CARTS)

unit: all $(UNIT_BIN) $(TEST_CARTS) $(BENCH_BIN)
	@sh tests/run_unit.sh $(BUILD)

integration: all $(TEST_CARTS) $(BENCH_BIN)
	@sh tests/run_integration.sh $(BUILD)

check: deps
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory unit
	@$(MAKE) --no-print-directory integration

san:
	@$(MAKE) --no-print-directory BUILD=build-san OPT="-O1 -g -fno-omit-frame-pointer" \
		SANFLAGS="-fsanitize=address,undefined -fno-sanitize-recover=undefined" unit

# ThreadSanitizer over the tests where threads race: lock-free snapshot
# swaps, scans racing data reloads and whitelist reloads, grace periods
# under more scans than scratch slots, feedback reports recorded from
# several threads (test_feedback, on the echo cartridge), jobs walked away
# from at their deadline (test_job), file:// mirror reads forked from a
# threaded process beside a thread that reaps every child (test_child_read)
# (tests/run_tsan.sh).
TSAN_BUILD := build-tsan
TSAN_TESTS := test_sigdb_live test_engine_threads test_wl_engine test_stats_engine test_scratch_grace test_feedback test_job \
	test_child_read
tsan:
	@$(MAKE) --no-print-directory BUILD=$(TSAN_BUILD) OPT="-O1 -g" SANFLAGS=-fsanitize=thread \
		$(TSAN_BUILD)/lib/cartridge.so $(TSAN_BUILD)/tests/cartridges/good_echo.so \
		$(TSAN_TESTS:%=$(TSAN_BUILD)/tests/unit/%)
	@sh tests/run_tsan.sh $(TSAN_BUILD) $(TSAN_TESTS)

# libFuzzer: the engine is rebuilt with clang and coverage instrumentation.
FUZZ_BUILD := build-fuzz
fuzz:
	@$(MAKE) --no-print-directory BUILD=$(FUZZ_BUILD) CC=$(FUZZ_CC) OPT="-O1 -g" \
		SANFLAGS="-fsanitize=fuzzer-no-link,address,undefined" $(FUZZ_BUILD)/lib/libcartridge_internal.a \
		$(FUZZ_BUILD)/lib/libwhorl.a $(FUZZ_BUILD)/lib/libwhorl_publish.a
	@FUZZ_LIBS="$(LIBS)" sh tests/run_fuzz.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)

# Every target for FUZZ_LONG_SECONDS (default 30 min each); the figures per
# target (execs/s, coverage) go in docs/BENCHMARKS.md.
FUZZ_LONG_SECONDS ?= 1800
fuzz-long:
	@$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=$(FUZZ_LONG_SECONDS)

style: deps
	@sh scripts/style-check.sh

demo: deps
	@$(MAKE) --no-print-directory all
	@sh scripts/demo.sh $(BUILD)

# whorl.pc is written here, so it always names the PREFIX of this install.
install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/lib/whorl \
		$(DESTDIR)$(PREFIX)/include/whorl $(DESTDIR)$(PREFIX)/lib/pkgconfig \
		$(DESTDIR)$(PREFIX)/etc/whorl
	install -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(SYSTEMD_UNIT_DIR) \
		$(DESTDIR)$(PREFIX)/share/man/man5
	install -m 0755 $(BIN_PROGS) $(DESTDIR)$(PREFIX)/bin/
	install -m 0755 $(SBIN_PROG_FILES) $(DESTDIR)$(PREFIX)/sbin/
	for u in whorld.service whorld.socket whorl-milter.service; do \
		sed -e 's|@PREFIX@|$(PREFIX)|g' etc/systemd/$$u.in > $(DESTDIR)$(SYSTEMD_UNIT_DIR)/$$u; \
		chmod 0644 $(DESTDIR)$(SYSTEMD_UNIT_DIR)/$$u; done
	install -m 0644 docs/whorld.cfg.5 docs/whorl-milter.cfg.5 $(DESTDIR)$(PREFIX)/share/man/man5/
	install -m 0755 $(CARTRIDGE) $(DESTDIR)$(PREFIX)/lib/whorl/cartridge.so
	install -m 0755 $(LIBWHORL_SO) $(DESTDIR)$(PREFIX)/lib/libwhorl.so.1
	ln -sf libwhorl.so.1 $(DESTDIR)$(PREFIX)/lib/libwhorl.so
	install -m 0644 $(LIBWHORL_A) $(DESTDIR)$(PREFIX)/lib/
	install -m 0644 abi/whorl_cartridge.h host/whorl.h host/cmae.h $(DESTDIR)$(PREFIX)/include/whorl/
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|$(VERSION)|g' whorl.pc.in \
		> $(DESTDIR)$(PREFIX)/lib/pkgconfig/whorl.pc
	install -m 0644 etc/cartridge.cfg.sample etc/whitelist.cfg.sample etc/categories etc/whorld.cfg.sample etc/whorl-milter.cfg.sample \
		$(DESTDIR)$(PREFIX)/etc/whorl/
	install -d $(DESTDIR)$(SA_SITE_DIR)
	install -m 0644 integrations/spamassassin/Whorl.pm integrations/spamassassin/whorl.pre \
		integrations/spamassassin/whorl.cf $(DESTDIR)$(SA_SITE_DIR)/

clean:
	rm -rf build build-san build-fuzz build-*
