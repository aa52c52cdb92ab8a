# convstep: build, run, test, bench, install.
#   make            build build/convstep
#   make run        build (installing missing Debian packages) and open the window
#   make test       build and pass every test (unit, golden, command line, window)
#   make sanitize   the same suite under AddressSanitizer and UBSan
#   make fuzz       libFuzzer harnesses, FUZZ_SECONDS (20) each
#   make fuzz-long  the same for FUZZ_LONG_SECONDS (3600) or FUZZ_LONG_RUNS
#                   (10 million) inputs each, whichever comes first
#   make bench      speed and memory figures
#   make fashion-model  retrain assets/models/fashion.safetensors (seed 1)
CC ?= cc
PREFIX ?= /usr/local
DESTDIR ?=
BUILD ?= build
FUZZ_SECONDS ?= 20
FUZZ_LONG_SECONDS ?= 3600
FUZZ_LONG_RUNS ?= 10000000
VERSION := 0.1.0

# Flags. The user's CFLAGS, CPPFLAGS and LDFLAGS (command line or
# environment, e.g. Debian's dpkg-buildflags) are honoured and added to:
#   CFLAGS   optimisation and debug info, default -O2 -g
#   WERROR   1 (default): warnings are errors; WERROR=0 keeps them warnings
CFLAGS ?= -O2 -g
WERROR ?= 1
WARN := -std=c11 -Wall -Wextra -Wpedantic -Wshadow
ifeq ($(WERROR),1)
WARN += -Werror
endif
DEFINES := -D_POSIX_C_SOURCE=200809L -DCONVSTEP_VERSION='"$(VERSION)"'
ALL_CPPFLAGS = $(DEFINES) $(CPPFLAGS)
DATADIR = $(PREFIX)/share/convstep
MANDIR = $(PREFIX)/share/man/man1

PKGS_APP := sdl2 SDL2_ttf libpng libgif fontconfig libisal
STB_CFLAGS = $(shell pkg-config --cflags stb)
STB_LIBS = $(shell pkg-config --libs stb)
SDL_CFLAGS = $(shell pkg-config --cflags $(filter-out libgif,$(PKGS_APP)))
APP_LIBS = $(shell pkg-config --libs $(filter-out libgif,$(PKGS_APP))) -lgif
# libzip reads .npz weights files (core/npz.c).
ZIP_CFLAGS = $(shell pkg-config --cflags libzip)
ZIP_LIBS = $(shell pkg-config --libs libzip)
# zlib inflates gzipped MNIST IDX files (core/idx.c).
ZLIB_CFLAGS = $(shell pkg-config --cflags zlib)
ZLIB_LIBS = $(shell pkg-config --libs zlib)
# The core's worker pool (core/threads.c) uses POSIX threads.
PTHREAD := -pthread
LDLIBS_CORE = $(STB_LIBS) $(ZIP_LIBS) $(ZLIB_LIBS) -lm $(PTHREAD)

# app/ in rooms (docs/ARCHITECTURE.md). Headers are found by name in every
# room. Only app/ui touches SDL: the rooms in SDL_FREE_DIRS (and core/) are
# compiled without SDL's include flags, so a stray SDL include fails to build.
APP_DIRS := app/cli app/bench app/scenes app/scenes/layer app/scenes/stack app/scenes/net app/toolkit app/ui app/export
SDL_FREE_DIRS := app/cli app/bench app/export app/scenes app/scenes/layer app/scenes/stack app/scenes/net app/toolkit
APP_INCLUDES := -Icore $(APP_DIRS:%=-I%)
CORE_CFLAGS = $(WARN) $(PTHREAD) $(CFLAGS) $(STB_CFLAGS) $(ZIP_CFLAGS) $(ZLIB_CFLAGS) $(EXTRA_CFLAGS)
PURE_APP_CFLAGS = $(WARN) $(PTHREAD) $(CFLAGS) $(APP_INCLUDES) $(STB_CFLAGS) $(EXTRA_CFLAGS)
SDL_APP_CFLAGS = $(PURE_APP_CFLAGS) $(SDL_CFLAGS)
LDFLAGS += $(EXTRA_LDFLAGS)

CORE_SRC := $(wildcard core/*.c)
APP_SRC := $(foreach d,$(APP_DIRS),$(wildcard $(d)/*.c))
PURE_APP_SRC := $(foreach d,$(SDL_FREE_DIRS),$(wildcard $(d)/*.c))
TEST_SRC := $(wildcard tests/test_*.c)
TEST_SUPPORT := $(wildcard tests/support_*.c)
CORE_OBJ := $(CORE_SRC:%.c=$(BUILD)/%.o)
APP_OBJ := $(APP_SRC:%.c=$(BUILD)/%.o)
PURE_APP_OBJ := $(PURE_APP_SRC:%.c=$(BUILD)/%.o)
TEST_BIN := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
TEST_SUPPORT_OBJ := $(TEST_SUPPORT:%.c=$(BUILD)/%.o)

.SECONDARY: $(TEST_BIN:%=%.o) $(TEST_SUPPORT_OBJ)

.PHONY: all run deps test-deps test unit sanitize fuzz fuzz-long bench fashion-model install uninstall clean update-goldens FORCE

all: $(BUILD)/convstep

deps:
	@scripts/deps.sh build

test-deps:
	@scripts/deps.sh test

# The dependency check runs once per build directory (a stamp), before
# compiling; it is order-only, so touching deps.sh rebuilds nothing.
$(BUILD)/.deps-ok:
	@scripts/deps.sh build
	@mkdir -p $(BUILD) && touch $@

# Every object depends on the flags it was built with: a changed CFLAGS,
# CPPFLAGS, VERSION or WERROR rebuilds everything.
FLAGS_TEXT = $(CC) $(ALL_CPPFLAGS) $(WARN) $(CFLAGS) $(EXTRA_CFLAGS) $(SDL_CFLAGS) $(STB_CFLAGS) $(SDL_FREE_DIRS)
$(BUILD)/.flags: FORCE | $(BUILD)/.deps-ok
	@echo '$(FLAGS_TEXT)' | cmp -s - $@ || echo '$(FLAGS_TEXT)' >$@

$(BUILD)/core/%.o: core/%.c $(BUILD)/.flags | $(BUILD)/.deps-ok
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CPPFLAGS) $(CORE_CFLAGS) -MMD -MP -c $< -o $@

app_folder_cflags = $(if $(filter $(PURE_APP_OBJ),$@),$(PURE_APP_CFLAGS),$(SDL_APP_CFLAGS))
$(BUILD)/app/%.o: app/%.c $(BUILD)/.flags | $(BUILD)/.deps-ok
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CPPFLAGS) $(app_folder_cflags) -MMD -MP -c $< -o $@

$(BUILD)/tests/%.o: tests/%.c $(BUILD)/.flags | $(BUILD)/.deps-ok
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CPPFLAGS) $(SDL_APP_CFLAGS) -Itests -MMD -MP -c $< -o $@

# The installed asset folder is compiled into app/scenes/paths.c
# (CONVSTEP_DATADIR); the stamp rebuilds it when PREFIX changes.
$(BUILD)/app/scenes/paths.o: ALL_CPPFLAGS += -DCONVSTEP_DATADIR='"$(DATADIR)"'
$(BUILD)/app/scenes/paths.o: $(BUILD)/.datadir
$(BUILD)/.datadir: FORCE
	@mkdir -p $(BUILD) && echo '$(DATADIR)' | cmp -s - $@ || echo '$(DATADIR)' >$@
FORCE:

$(BUILD)/libconvstep_core.a: $(CORE_OBJ)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/libconvstep_app.a: $(APP_OBJ)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/convstep: $(BUILD)/app/main.o $(BUILD)/libconvstep_app.a $(BUILD)/libconvstep_core.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(APP_LIBS) $(LDLIBS_CORE)

$(BUILD)/tests/test_%: $(BUILD)/tests/test_%.o $(TEST_SUPPORT_OBJ) $(BUILD)/libconvstep_app.a $(BUILD)/libconvstep_core.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ -lcriterion $(APP_LIBS) $(LDLIBS_CORE)

run: $(BUILD)/convstep
	./$(BUILD)/convstep

# Every test: Criterion unit/differential/golden binaries, then the shell
# tests (command line, window under Xvfb). tests/run.sh prints the summary.
test: test-deps $(BUILD)/convstep $(TEST_BIN)
	@BUILD=$(BUILD) tests/run.sh

sanitize:
	$(MAKE) test BUILD=build-san CFLAGS="-O1 -g -fno-omit-frame-pointer" \
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
# Its shifts are left unchecked too: on a corrupt JPEG the bit reader shifts
# by 32 or more (stb_image.h 2.27, around line 2065 and in stbi__extend_receive),
# which gives garbage pixels for a broken file but no memory error, and would
# make `make fuzz` fail on a random run.
FUZZ_CC ?= clang
FUZZ_CFLAGS = -std=c11 -pthread -Wall -Wextra -Wno-unused-parameter -g -O1 -fno-omit-frame-pointer \
    -fsanitize=address,undefined -fno-sanitize-recover=all $(STB_CFLAGS) $(ZIP_CFLAGS) $(ZLIB_CFLAGS)
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=build-fuzz/%)
FUZZ_CORE_OBJ := $(CORE_SRC:%.c=build-fuzz/%.o) build-fuzz/tests/fuzz/stb_image_impl.o \
    build-fuzz/tests/fuzz/stb_image_resize_impl.o
.SECONDARY: $(FUZZ_CORE_OBJ)

build-fuzz/core/%.o: core/%.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(ALL_CPPFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c $< -o $@

build-fuzz/tests/fuzz/stb_image_impl.o: tests/fuzz/stb_image_impl.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(ALL_CPPFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -fno-sanitize=float-cast-overflow,shift -MMD -MP -c $< -o $@

build-fuzz/tests/fuzz/stb_image_resize_impl.o: tests/fuzz/stb_image_resize_impl.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(ALL_CPPFLAGS) $(FUZZ_CFLAGS) -MMD -MP -c $< -o $@

build-fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_CORE_OBJ)
	$(FUZZ_CC) $(ALL_CPPFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer -Icore -MMD -MP $< $(FUZZ_CORE_OBJ) -o $@ $(ZIP_LIBS) $(ZLIB_LIBS) -lm $(PTHREAD)

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

-include $(CORE_OBJ:.o=.d) $(APP_OBJ:.o=.d) $(BUILD)/app/main.d $(TEST_SUPPORT_OBJ:.o=.d) $(TEST_SRC:tests/%.c=$(BUILD)/tests/%.d)

# The network lesson's model: the default small CNN (assets/models/fashion.txt)
# trained on Fashion-MNIST by convstep itself, from a fixed seed, so the
# program reproduces its own demo (the same bytes on the same machine).
fashion-model: $(BUILD)/convstep test-deps
	$(BUILD)/convstep train --layers @assets/models/fashion.txt --epochs 3 --seed 1 --quiet \
		--save assets/models/fashion.safetensors --force
