# convstep: build, run, test, bench, install.
#   make            build build/convstep
#   make run        build (installing missing Debian packages) and open the window
#   make test       build and pass every test (unit, golden, command line, window)
#   make sanitize   the same suite under AddressSanitizer and UBSan
#   make fuzz       libFuzzer harnesses, FUZZ_SECONDS (20) each
#   make fuzz-long  the same for FUZZ_LONG_SECONDS (3600) or FUZZ_LONG_RUNS
#                   (10 million) inputs each, whichever comes first
#   make bench      speed and memory figures
CC ?= cc
PREFIX ?= /usr/local
DESTDIR ?=
BUILD ?= build
FUZZ_SECONDS ?= 20
FUZZ_LONG_SECONDS ?= 3600
FUZZ_LONG_RUNS ?= 10000000
VERSION := 0.1.0

PKGS_APP := sdl2 SDL2_ttf libpng libgif fontconfig
WARN := -std=c11 -Wall -Wextra -Wpedantic -Werror -Wshadow -Wno-unused-parameter
OPT ?= -O2 -g
CPPFLAGS += -D_POSIX_C_SOURCE=200809L -DCONVSTEP_VERSION='"$(VERSION)"'
DATADIR = $(PREFIX)/share/convstep
MANDIR = $(PREFIX)/share/man/man1
STB_CFLAGS = $(shell pkg-config --cflags stb)
STB_LIBS = $(shell pkg-config --libs stb)
APP_CFLAGS = $(shell pkg-config --cflags $(filter-out libgif,$(PKGS_APP)))
APP_LIBS = $(shell pkg-config --libs $(filter-out libgif,$(PKGS_APP))) -lgif
# core/ is compiled without SDL's include flags, so a stray SDL include fails.
CORE_CFLAGS = $(WARN) $(OPT) $(STB_CFLAGS) $(EXTRA_CFLAGS)
APP_ALL_CFLAGS = $(WARN) $(OPT) -Icore $(APP_CFLAGS) $(STB_CFLAGS) $(EXTRA_CFLAGS)
LDLIBS_CORE = $(STB_LIBS) -lm
LDFLAGS += $(EXTRA_LDFLAGS)

CORE_SRC := $(wildcard core/*.c)
APP_SRC := $(filter-out app/main.c,$(wildcard app/*.c))
TEST_SRC := $(wildcard tests/test_*.c)
TEST_SUPPORT := $(wildcard tests/support_*.c)
CORE_OBJ := $(CORE_SRC:%.c=$(BUILD)/%.o)
APP_OBJ := $(APP_SRC:%.c=$(BUILD)/%.o)
TEST_BIN := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
TEST_SUPPORT_OBJ := $(TEST_SUPPORT:%.c=$(BUILD)/%.o)

.SECONDARY: $(TEST_BIN:%=%.o) $(TEST_SUPPORT_OBJ)

.PHONY: all run deps test-deps test unit sanitize fuzz fuzz-long bench install uninstall clean update-goldens FORCE

all: $(BUILD)/convstep

deps:
	@scripts/deps.sh build

test-deps:
	@scripts/deps.sh test

# The dependency check runs once per build directory (a stamp), before compiling.
$(BUILD)/.deps-ok: scripts/deps.sh
	@scripts/deps.sh build
	@mkdir -p $(BUILD) && touch $@

$(BUILD)/core/%.o: core/%.c $(BUILD)/.deps-ok
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CORE_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/app/%.o: app/%.c $(BUILD)/.deps-ok
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(APP_ALL_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/tests/%.o: tests/%.c $(BUILD)/.deps-ok
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(APP_ALL_CFLAGS) -Iapp -Itests -MMD -MP -c $< -o $@

# The installed asset folder is compiled into app/paths.c (CONVSTEP_DATADIR);
# the stamp rebuilds it when PREFIX changes.
$(BUILD)/app/paths.o: CPPFLAGS += -DCONVSTEP_DATADIR='"$(DATADIR)"'
$(BUILD)/app/paths.o: $(BUILD)/.datadir
$(BUILD)/.datadir: FORCE
	@mkdir -p $(BUILD) && echo '$(DATADIR)' | cmp -s - $@ || echo '$(DATADIR)' >$@
FORCE:

$(BUILD)/libconvstep_core.a: $(CORE_OBJ)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/libconvstep_app.a: $(APP_OBJ)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/convstep: $(BUILD)/app/main.o $(BUILD)/libconvstep_app.a $(BUILD)/libconvstep_core.a
	$(CC) $(LDFLAGS) -o $@ $^ $(APP_LIBS) $(LDLIBS_CORE)

$(BUILD)/tests/test_%: $(BUILD)/tests/test_%.o $(TEST_SUPPORT_OBJ) $(BUILD)/libconvstep_app.a $(BUILD)/libconvstep_core.a
	$(CC) $(LDFLAGS) -o $@ $^ -lcriterion $(APP_LIBS) $(LDLIBS_CORE)

run: $(BUILD)/convstep
	./$(BUILD)/convstep

# Every test: Criterion unit/differential/golden binaries, then the shell
# tests (command line, window under Xvfb). tests/run.sh prints the summary.
test: test-deps $(BUILD)/convstep $(TEST_BIN)
	@BUILD=$(BUILD) tests/run.sh

sanitize:
	$(MAKE) test BUILD=build-san OPT="-O1 -g -fno-omit-frame-pointer" \
	    EXTRA_CFLAGS="-fsanitize=address,undefined -fno-sanitize-recover=all" \
	    EXTRA_LDFLAGS="-fsanitize=address,undefined"

# libFuzzer harnesses: every tests/fuzz/fuzz_NAME.c, linked with the core
# built for fuzzing into build-fuzz/, runs FUZZ_SECONDS from a copy of
# tests/fuzz/corpus_NAME/ (tests/fuzz/run.sh); a crash fails the target.
# stb_image is compiled in with the same instrumentation (tests/fuzz/
# stb_image_impl.c) instead of linking Debian's uninstrumented libstb, so
# coverage and ASan reach inside the decoders; stb_image_resize too, with
# the sanitizers but no coverage (it parses nothing). The decoders' float-to-byte
# casts are left unchecked: stb's PSD loader casts out-of-range floats when it
# removes a white matte (stb_image.h 2.27, line 6226), which wraps on x86 but
# is undefined behaviour that would stop every run at the first RGBA PSD.
FUZZ_CC ?= clang
FUZZ_CFLAGS = -std=c11 -Wall -Wextra -Wno-unused-parameter -g -O1 -fno-omit-frame-pointer \
    -fsanitize=address,undefined -fno-sanitize-recover=all $(STB_CFLAGS)
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=build-fuzz/%)
FUZZ_CORE_OBJ := $(CORE_SRC:%.c=build-fuzz/%.o) build-fuzz/tests/fuzz/stb_image_impl.o \
    build-fuzz/tests/fuzz/stb_image_resize_impl.o
.SECONDARY: $(FUZZ_CORE_OBJ)

build-fuzz/core/%.o: core/%.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c $< -o $@

build-fuzz/tests/fuzz/stb_image_impl.o: tests/fuzz/stb_image_impl.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -fno-sanitize=float-cast-overflow -MMD -MP -c $< -o $@

build-fuzz/tests/fuzz/stb_image_resize_impl.o: tests/fuzz/stb_image_resize_impl.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_CFLAGS) -MMD -MP -c $< -o $@

build-fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_CORE_OBJ)
	$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer -Icore -MMD -MP $< $(FUZZ_CORE_OBJ) -o $@ -lm

fuzz: test-deps $(FUZZ_BIN)
	@FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fuzz/run.sh $(FUZZ_BIN)

fuzz-long: test-deps $(FUZZ_BIN)
	@FUZZ_SECONDS=$(FUZZ_LONG_SECONDS) FUZZ_RUNS=$(FUZZ_LONG_RUNS) tests/fuzz/run.sh $(FUZZ_BIN)

-include $(FUZZ_CORE_OBJ:.o=.d) $(FUZZ_BIN:=.d)

# convstep bench, then the same convolution in PyTorch (one thread) when
# python3 can import torch, and the ratio.
bench: $(BUILD)/convstep
	@BUILD=$(BUILD) bench/run.sh
	@BUILD=$(BUILD) bench/export_bench.sh

install: $(BUILD)/convstep
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(DATADIR) $(DESTDIR)$(MANDIR)
	install -m 755 $(BUILD)/convstep $(DESTDIR)$(PREFIX)/bin/convstep
	cp -R assets/. $(DESTDIR)$(DATADIR)/
	install -m 644 docs/convstep.1 $(DESTDIR)$(MANDIR)/convstep.1

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/convstep $(DESTDIR)$(MANDIR)/convstep.1
	rm -rf $(DESTDIR)$(DATADIR)

update-goldens: $(TEST_BIN)
	@UPDATE_GOLDENS=1 BUILD=$(BUILD) tests/run.sh golden

clean:
	rm -rf build build-san build-fuzz

-include $(CORE_OBJ:.o=.d) $(APP_OBJ:.o=.d) $(BUILD)/app/main.d $(TEST_SRC:tests/%.c=$(BUILD)/tests/%.d)
