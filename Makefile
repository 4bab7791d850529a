# lua-omics: build, test and demo.
#
#   make            build omics/core.so for Lua 5.4 (omics.lua is the Lua half)
#   make test       install what is missing, build, run every C test and spec
#   make demo       install what is missing, start the emulator, run the example
#   make sanitize   the whole suite with ASan and UBSan
#   make valgrind   the end-to-end specs under valgrind
#   make bench      benchmarks side by side (nginx, libcurl, boto3, lua-cjson)
#   make bench-check  a short benchmark run whose table is checked
#   make fuzz       the libFuzzer targets (FUZZ_SECONDS each)
#   make model      regenerate src/model_omics.c from tools/model (the committed model)
#   make docs       regenerate docs/operations (a page per operation) from tools/model
#   make emulator   run the local HealthOmics emulator on 127.0.0.1:$(PORT)
#   make install    the C library: libomics.so and .a, omics.h and omics.pc;
#                   the Lua 5.4 module and the omics command, under PREFIX
#                   (default /usr/local; DESTDIR for staging)

PORT ?= 9000
LUA ?= lua5.4
PYTHON ?= python3
BUSTED ?= busted
MODEL_DIR ?= tools/model/2022-11-28

CC ?= cc
OPT ?= -O2
WARN = -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes
BASE_CFLAGS = -std=c11 -D_DEFAULT_SOURCE -fPIC -g $(OPT) $(WARN) -fvisibility=hidden
PKG_CFLAGS := $(shell pkg-config --cflags libcurl libcjson 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs libcurl libcjson 2>/dev/null)
# LUA=lua5.4 (default) or LUA=luajit (LuaJIT 2.1, as nginx's Lua module runs);
# the same sources build for both, the differences are in lua_compat.h.
ifeq ($(LUA),luajit)
LUA_PKG = luajit
else
LUA_PKG = $(LUA)
endif
LUA_CFLAGS := $(shell pkg-config --cflags $(LUA_PKG) 2>/dev/null)
CORE_LIBS = $(PKG_LIBS) -lmbedcrypto -lm -lpthread
SAN_FLAGS = -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

BUILD ?= build/$(LUA)
# The C core is compiled once, here, for every Lua runtime and the C library.
CORE_BUILD ?= build/core
PREFIX ?= /usr/local
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
EXTRA_CFLAGS ?=
EXTRA_LDFLAGS ?=
CFLAGS_ALL = $(BASE_CFLAGS) $(PKG_CFLAGS) $(EXTRA_CFLAGS)

CORE_SRC := $(wildcard src/*.c)
CORE_OBJ := $(CORE_SRC:src/%.c=$(CORE_BUILD)/%.o)
# the Lua binding: lua_omics.c and the files lua_omics.h lists
BIND_SRC := $(wildcard lua_*.c)
BIND_OBJ := $(BIND_SRC:%.c=$(BUILD)/%.o)
CTEST_SRC := $(wildcard spec/c/test_*.c)
CTEST_BIN := $(CTEST_SRC:spec/c/%.c=$(BUILD)/%)
ifneq ($(LUA),luajit)
CTEST_BIN += $(patsubst spec/c/lua/test_%.c,$(BUILD)/test_lua_%,$(wildcard spec/c/lua/test_*.c))
endif

.PHONY: docs all deps test check ctest spec sanitize valgrind soak bench bench-transfer demo emulator model clean rock-check \
	bench-emulator install clib bench-check

# The C half is the module omics.core (omics/core.so); omics.lua, the Lua
# half, is loaded by require "omics" and requires it.
# (the Lua 5.4 build is also copied beside omics.lua, so that require "omics"
# works from the repository's root; the LuaJIT one stays in build/luajit)
ifeq ($(LUA),lua5.4)
all: omics/core.so
else
all: $(BUILD)/omics/core.so
endif

omics/core.so: $(BUILD)/omics/core.so
	mkdir -p omics
	cp $< $@

$(CORE_BUILD)/%.o: src/%.c src/*.h | $(CORE_BUILD)
	$(CC) $(CFLAGS_ALL) -c $< -o $@

$(BUILD)/lua_%.o: lua_%.c lua_omics.h lua_compat.h src/*.h | $(BUILD)
	$(CC) $(CFLAGS_ALL) $(LUA_CFLAGS) -Isrc -c $< -o $@

# Every symbol, for the C tests and benchmarks that reach inside the core.
$(CORE_BUILD)/libomics-dev.a: $(CORE_OBJ)
	rm -f $@
	ar rcs $@ $^

# The C library as installed: the API (omics.h) and nothing else.  The
# archive is one relocatable object whose internal (hidden) names are made
# local, so that they cannot clash with a host program's.
$(CORE_BUILD)/libomics.a: $(CORE_OBJ)
	rm -f $@ $(CORE_BUILD)/omics-all.o
	ld -r -o $(CORE_BUILD)/omics-all.o $^
	objcopy --localize-hidden $(CORE_BUILD)/omics-all.o
	ar rcs $@ $(CORE_BUILD)/omics-all.o

$(CORE_BUILD)/libomics.so.0: $(CORE_OBJ)
	$(CC) -shared -Wl,-soname,libomics.so.0 -o $@ $^ $(CORE_LIBS) $(EXTRA_LDFLAGS)

clib: $(CORE_BUILD)/libomics.a $(CORE_BUILD)/libomics.so.0

# A Lua C module does not link liblua: the interpreter provides its symbols.
# It exports luaopen_omics_core and nothing else (--exclude-libs: the core's
# names stay inside).
$(BUILD)/omics/core.so: $(BIND_OBJ) $(CORE_BUILD)/libomics-dev.a
	mkdir -p $(BUILD)/omics
	$(CC) -shared -Wl,--exclude-libs,ALL -o $@ $(BIND_OBJ) $(CORE_BUILD)/libomics-dev.a \
		$(CORE_LIBS) $(EXTRA_LDFLAGS)

$(BUILD)/test_%: spec/c/test_%.c spec/c/ctest.h spec/c/ctest_omics.h $(CORE_BUILD)/libomics-dev.a
	$(CC) $(CFLAGS_ALL) -Isrc -Ispec/c $< $(CORE_BUILD)/libomics-dev.a $(CORE_LIBS) $(EXTRA_LDFLAGS) -o $@

# C tests that host Lua 5.4 themselves and load the module (Lua 5.4 builds only)
$(BUILD)/test_lua_%: spec/c/lua/test_%.c spec/c/ctest.h $(BUILD)/omics/core.so
	$(CC) $(CFLAGS_ALL) $(LUA_CFLAGS) -DOMICS_BUILD_DIR='"$(BUILD)"' -Ispec/c $< \
		$(shell pkg-config --libs $(LUA_PKG)) $(EXTRA_LDFLAGS) -o $@

$(BUILD) $(CORE_BUILD):
	mkdir -p $@

deps:
	@sh tools/deps.sh

# The reference pages: the committed model as the module loads it (Lua 5.4 build).
docs: omics/core.so
	$(LUA) tools/gen_docs.lua docs/operations

ctest: $(CTEST_BIN)

check: all ctest
	@LUAS=$(LUA) BUSTED=$(BUSTED) sh tools/run_tests.sh

# Everything, on Lua 5.4 and on LuaJIT (the nginx spec runs LuaJIT in nginx).
test: deps
	$(MAKE) all ctest clib build/bench/floor build/bench/sign_c
	$(MAKE) LUA=luajit all
	$(MAKE) rock-check
	@LUAS="lua5.4 luajit" BUSTED=$(BUSTED) sh tools/run_tests.sh

# Build and install the rock into a temporary tree, offline, and load it.
rock-check:
	@sh tools/rock_check.sh

sanitize: deps
	$(MAKE) BUILD=build/asan CORE_BUILD=build/asan/core OPT=-O1 EXTRA_CFLAGS="$(SAN_FLAGS)" \
		EXTRA_LDFLAGS="$(SAN_FLAGS)" build/asan/omics/core.so ctest
	@BUILD=build/asan LUAS=lua5.4 BUSTED=$(BUSTED) SANITIZE=1 sh tools/run_tests.sh

# The end-to-end specs under valgrind memcheck (no errors, no definite leaks).
valgrind: deps
	$(MAKE) all $(BUILD)/test_creds_step
	@sh tools/valgrind.sh

# 100,000 calls with faults mixed in; resident memory sampled (CALLS=N).
soak: all
	@sh tools/soak.sh

# Benchmarks side by side, one table (bench/run.lua says what and how).
build/bench/floor: bench/floor.c bench/clock.h
	@mkdir -p $(@D)
	$(CC) -std=c11 -D_DEFAULT_SOURCE -O2 $(WARN) $(PKG_CFLAGS) $< $(PKG_LIBS) -o $@

build/bench/sign_c: bench/sign_c.c bench/clock.h src/omics.h $(CORE_BUILD)/libomics.a
	@mkdir -p $(@D)
	$(CC) -std=c11 -D_DEFAULT_SOURCE -O2 $(WARN) $(PKG_CFLAGS) -Isrc $< $(CORE_BUILD)/libomics.a \
		$(CORE_LIBS) -o $@

bench: deps
	$(MAKE) LUA=lua5.4 all
	$(MAKE) LUA=luajit all
	$(MAKE) build/bench/floor build/bench/sign_c
	@lua5.4 bench/run.lua

# The benchmark's table checked by a short run (bench/layout_spec.lua): not
# a test of the module, so not part of make test.
bench-check: deps
	$(MAKE) LUA=lua5.4 all
	$(MAKE) LUA=luajit all
	$(MAKE) build/bench/floor build/bench/sign_c
	@LUA_PATH="$(CURDIR)/spec/?.lua;$(CURDIR)/?.lua;;" $(BUSTED) --lua=lua5.4 -o plainTerminal \
		--cpath="$(CURDIR)/build/lua5.4/?.so" bench/layout_spec.lua

demo: deps
	$(MAKE) all
	@sh tools/demo.sh

emulator:
	$(PYTHON) tools/emulator/omics_emulator.py --port $(PORT) --seed-demo

# Calls per second against the emulator, one kept-alive connection.
# Whole read sets through the emulator: lua-omics, boto3 and curl --parallel
# side by side (bench/transfer.lua; SIZE_MB per file, default 512).
bench-transfer: deps
	$(MAKE) LUA=lua5.4 all
	@lua5.4 bench/transfer.lua

bench-emulator: all
	@sh tools/bench_emulator.sh

model:
	$(PYTHON) tools/gen_model.py $(MODEL_DIR) src/model_omics.c

# The C library, for C programs: pkg-config --cflags --libs omics; the Lua
# module for Lua 5.4 (LUADIR, LUACDIR) and the command omics (BINDIR), whose
# first lines point it at the module where it was installed.
LUA_VERSION_DIR ?= 5.4
LUADIR ?= $(PREFIX)/share/lua/$(LUA_VERSION_DIR)
LUACDIR ?= $(PREFIX)/lib/lua/$(LUA_VERSION_DIR)
BINDIR ?= $(PREFIX)/bin
install: clib build/lua5.4/omics/core.so
	install -d $(DESTDIR)$(LUADIR)/omics $(DESTDIR)$(LUACDIR)/omics $(DESTDIR)$(BINDIR)
	install -m 644 omics.lua $(DESTDIR)$(LUADIR)/omics.lua
	install -m 644 omics/jmespath.lua omics/ngx.lua omics/cli.lua $(DESTDIR)$(LUADIR)/omics/
	install -m 755 build/lua5.4/omics/core.so $(DESTDIR)$(LUACDIR)/omics/core.so
	{ head -n 1 bin/omics; \
	  echo 'package.path = "$(LUADIR)/?.lua;" .. package.path'; \
	  echo 'package.cpath = "$(LUACDIR)/?.so;" .. package.cpath'; \
	  tail -n +2 bin/omics; } > $(DESTDIR)$(BINDIR)/omics
	chmod 755 $(DESTDIR)$(BINDIR)/omics
	install -d $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(INCLUDEDIR)
	install -m 644 src/omics.h $(DESTDIR)$(INCLUDEDIR)/omics.h
	install -m 644 $(CORE_BUILD)/libomics.a $(DESTDIR)$(LIBDIR)/libomics.a
	install -m 755 $(CORE_BUILD)/libomics.so.0 $(DESTDIR)$(LIBDIR)/libomics.so.0
	ln -sf libomics.so.0 $(DESTDIR)$(LIBDIR)/libomics.so
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' \
		tools/omics.pc.in > $(DESTDIR)$(LIBDIR)/pkgconfig/omics.pc

clean:
	rm -rf build omics/core.so omics.so lua_omics.o src/*.o

# ------------------------------------------------------------------ fuzzing
#   make fuzz               build every tools/fuzz/fuzz_*.c with clang, libFuzzer,
#                           ASan and UBSan (into build/fuzz), run each for
#                           FUZZ_SECONDS (default 60) on a scratch copy of its
#                           seed corpus; fails on any crash, leak or timeout
#   make fuzz-repro         replay the reproducers of fixed bugs in
#                           tools/fuzz/crashes/, once each
# See tools/fuzz/README.md.

FUZZ_SECONDS ?= 60
FUZZ_CC ?= clang
FUZZ_BUILD = build/fuzz
FUZZ_SAN = -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_CFLAGS = -std=c11 -D_DEFAULT_SOURCE -g -O1 $(FUZZ_SAN) $(PKG_CFLAGS)
FUZZ_TARGETS := $(patsubst tools/fuzz/%.c,%,$(wildcard tools/fuzz/fuzz_*.c))
FUZZ_OBJ := $(CORE_SRC:src/%.c=$(FUZZ_BUILD)/obj/%.o)

.PHONY: fuzz fuzz-build fuzz-repro

# The core, instrumented for coverage; each target links what it needs from it.
$(FUZZ_BUILD)/obj/%.o: src/%.c src/*.h
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

$(FUZZ_BUILD)/libomics.a: $(FUZZ_OBJ)
	rm -f $@
	ar rcs $@ $^

$(FUZZ_BUILD)/fuzz_%: tools/fuzz/fuzz_%.c src/*.h $(FUZZ_BUILD)/libomics.a
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(WARN) -fsanitize=fuzzer -Isrc $< $(FUZZ_BUILD)/libomics.a \
		$(CORE_LIBS) -o $@

fuzz-build: $(FUZZ_TARGETS:%=$(FUZZ_BUILD)/%)

fuzz: fuzz-build
	@sh tools/fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS) $(FUZZ_TARGETS)

fuzz-repro: fuzz-build
	@sh tools/fuzz/repro.sh $(FUZZ_BUILD) $(FUZZ_TARGETS)
