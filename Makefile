# mandelfarm: one non-recursive Makefile for every program, test and tool.
#
#   make                  build bin/mandelfarm-master, -worker and -keygen
#   make run              install missing packages, build, render mandelbrot.png
#   make test             install missing packages, build, run every test
#   make test-chaos       a soak of random faults, a few minutes (not part of test)
#   make bench            measure kernels and whole renders (not part of test)
#   make fuzz             fuzz every decoder with clang + libFuzzer (FUZZ_SECONDS each)
#   make install PREFIX=/usr/local DESTDIR=
#   make SANITIZE=address,undefined test
#
# Flags that change rebuild everything (build/.flags records them).

VERSION   := 0.1.0
PREFIX    ?= /usr/local
BINDIR    ?= $(PREFIX)/bin
DESTDIR   ?=
CC        ?= cc
SANITIZE  ?=
WERROR    ?= 1
O         := build
V         ?= 0
# Quiet by default, like git and Linux: `make V=1` shows every command.
ifeq ($(V),1)
  Q :=
  say :=
else
  Q := @
  say = @printf '  %-6s %s\n' $(1) $(2);
endif

# pkg-config module -> the Debian package that provides it
DEB_libzmq   := libzmq3-dev
DEB_libczmq  := libczmq-dev
DEB_libpng   := libpng-dev
DEB_check    := check
DEB_sdl2     := libsdl2-dev
DEB_mpfr     := libmpfr-dev
DEB_libzstd  := libzstd-dev
PKG_MODULES  := libzmq libczmq libpng check sdl2 mpfr libzstd

# Goals that need no libraries (and must work before they are installed).
NODEPS_GOALS := clean distclean deps help
ifneq ($(filter-out $(NODEPS_GOALS) run test bench,$(or $(MAKECMDGOALS),all)),)
  HAVE_PKGCONFIG := $(shell command -v pkg-config >/dev/null 2>&1 && echo yes)
  ifeq ($(HAVE_PKGCONFIG),yes)
    MISSING := $(foreach m,$(PKG_MODULES),$(if $(shell pkg-config --exists $(m) && echo ok),,$(DEB_$(m))))
  else
    MISSING := pkg-config $(foreach m,$(PKG_MODULES),$(DEB_$(m)))
  endif
  ifneq ($(strip $(MISSING)),)
    $(error missing build dependencies: $(strip $(MISSING)). Install them with: sudo apt-get install $(strip $(MISSING)) (or run scripts/install-deps.sh; `make run` and `make test` do it for you))
  endif
  PKG_CFLAGS := $(shell pkg-config --cflags libczmq libzmq libpng zlib mpfr libzstd)
  PKG_LIBS   := $(shell pkg-config --libs libczmq libzmq libpng zlib mpfr libzstd) -lm
  SDL_CFLAGS := $(shell pkg-config --cflags sdl2)
  SDL_LIBS   := $(shell pkg-config --libs sdl2)
  CHECK_CFLAGS := $(shell pkg-config --cflags check)
  CHECK_LIBS := $(shell pkg-config --libs check)
endif

# -ffp-contract=off: no fused operation the source does not spell out, so
# every code path and every machine rounds the same way. Never fast-math.
WARN      := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wno-unused-parameter
ifeq ($(WERROR),1)
  WARN    += -Werror
endif
CFLAGS    ?= -O2 -g
BASE_CFLAGS := -std=c11 -D_GNU_SOURCE -DMF_VERSION='"$(VERSION)"' -pthread \
               -ffp-contract=off -fno-fast-math $(WARN) -MMD -MP \
               -iquote common -iquote worker -iquote master -iquote viewer
LDFLAGS   ?=
ifneq ($(SANITIZE),)
  SAN_FLAGS := -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
endif
ALL_CFLAGS  = $(BASE_CFLAGS) $(PKG_CFLAGS) $(SDL_CFLAGS) $(SAN_FLAGS) $(CFLAGS)
ALL_LDFLAGS = -pthread $(SAN_FLAGS) $(LDFLAGS)

# Rebuild everything when the compiler or flags change.
FLAGS_STAMP := $(O)/.flags
FLAGS_NOW   := $(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS)
ifneq ($(filter-out $(NODEPS_GOALS) run test bench,$(or $(MAKECMDGOALS),all)),)
  $(shell mkdir -p $(O); echo '$(FLAGS_NOW)' | cmp -s - $(FLAGS_STAMP) || echo '$(FLAGS_NOW)' > $(FLAGS_STAMP))
endif

# ---- sources -----------------------------------------------------------
# The kernel variants for wider instruction sets get their own flags (the
# rest of the program stays baseline x86-64, so one binary runs on every
# machine of a LAN; mf_kernel.c picks the variant from CPU detection).
# Elsewhere than x86 they compile to nothing and the portable one is used.
KERNEL_ISA_SRC := common/mf_kernel_avx2.c common/mf_kernel_avx512.c \
                  common/mf_perturb_avx2.c common/mf_perturb_avx512.c
COMMON_SRC := $(filter-out $(KERNEL_ISA_SRC),$(wildcard common/*.c))
TARGET_MACHINE := $(shell $(CC) -dumpmachine 2>/dev/null)
ifneq ($(filter x86_64-% i386-% i486-% i586-% i686-%,$(TARGET_MACHINE)),)
  COMMON_SRC += $(KERNEL_ISA_SRC)
  $(O)/common/mf_kernel_avx2.o:   ISA_CFLAGS := -mavx2 -mfma
  $(O)/common/mf_kernel_avx512.o: ISA_CFLAGS := -mavx512f -mavx512dq -mavx2 -mfma
  $(O)/common/mf_perturb_avx2.o:   ISA_CFLAGS := -mavx2 -mfma -mpopcnt
  $(O)/common/mf_perturb_avx512.o: ISA_CFLAGS := -mavx512f -mavx512dq -mavx2 -mfma -mpopcnt
endif
WORKER_LIB := worker/pool.c worker/worker.c
MASTER_LIB := master/sched.c master/engine.c master/options.c master/spawn.c master/journal.c \
              master/progress.c master/render.c master/auth.c
VIEWER_LIB := viewer/view.c viewer/script.c viewer/frame.c viewer/farm.c viewer/save.c \
              viewer/font.c viewer/viewer.c
LIB_SRC    := $(COMMON_SRC) $(WORKER_LIB) $(MASTER_LIB)
LIB_OBJ    := $(LIB_SRC:%.c=$(O)/%.o)
LIB        := $(O)/libmandelfarm.a
# The viewer, and SDL2 with it, only go into mandelfarm-viewer: the
# headless master starts faster without them (master/main.c says why).
VIEWER_OBJ := $(VIEWER_LIB:%.c=$(O)/%.o)
VIEWER_A   := $(O)/libmandelfarm-viewer.a

MASTER_OBJ := $(O)/master/main.o
VIEWER_MAIN_OBJ := $(O)/master/main-viewer.o
WORKER_OBJ := $(O)/worker/main.o
KEYGEN_OBJ := $(O)/keygen/main.o
PROGRAMS   := bin/mandelfarm-master bin/mandelfarm-viewer bin/mandelfarm-worker \
              bin/mandelfarm-keygen

UNIT_SRC   := $(wildcard tests/test_*.c)
UNIT_BIN   := $(UNIT_SRC:tests/%.c=$(O)/tests/%)
TEST_HELPERS := $(O)/tests/helpers.o

# A fuzzing harness is fuzz/fuzz_NAME.c with its seeds in fuzz/corpus/NAME/
# (fuzz/fuzz.h): found here by name, nothing else to add. `make test`
# replays each seed corpus through a gcc build (fuzz/replay.c as main).
FUZZ_NAMES  := $(patsubst fuzz/fuzz_%.c,%,$(wildcard fuzz/fuzz_*.c))
FUZZ_REPLAY := $(FUZZ_NAMES:%=$(O)/fuzz/replay_%)
UNIT_BIN    += $(FUZZ_REPLAY)
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_O       := $(O)/clang-fuzz

.PHONY: all run test check test-chaos bench bench-kernel bench-render install uninstall \
        clean distclean deps help fuzz fuzz-run fuzz-seeds bench-viewer screenshot
.DEFAULT_GOAL := all

all: $(PROGRAMS)

$(O)/%.o: %.c $(FLAGS_STAMP)
	@mkdir -p $(dir $@)
	$(call say,CC,$<)$(CC) $(ALL_CFLAGS) $(ISA_CFLAGS) -c $< -o $@

$(LIB): $(LIB_OBJ)
	@rm -f $@
	$(call say,AR,$@)ar rcs $@ $^

$(VIEWER_A): $(VIEWER_OBJ)
	@rm -f $@
	$(call say,AR,$@)ar rcs $@ $^

$(VIEWER_MAIN_OBJ): master/main.c $(FLAGS_STAMP)
	@mkdir -p $(dir $@)
	$(call say,CC,$<)$(CC) $(ALL_CFLAGS) -DMF_VIEWER -c $< -o $@

bin/mandelfarm-master: $(MASTER_OBJ) $(LIB) $(FLAGS_STAMP)
	@mkdir -p bin
	$(call say,LINK,$@)$(CC) $(ALL_LDFLAGS) -o $@ $(MASTER_OBJ) $(LIB) $(PKG_LIBS)

bin/mandelfarm-viewer: $(VIEWER_MAIN_OBJ) $(VIEWER_A) $(LIB) $(FLAGS_STAMP)
	@mkdir -p bin
	$(call say,LINK,$@)$(CC) $(ALL_LDFLAGS) -o $@ $(VIEWER_MAIN_OBJ) $(VIEWER_A) $(LIB) \
	    $(PKG_LIBS) $(SDL_LIBS)

bin/mandelfarm-worker: $(WORKER_OBJ) $(LIB) $(FLAGS_STAMP)
	@mkdir -p bin
	$(call say,LINK,$@)$(CC) $(ALL_LDFLAGS) -o $@ $(WORKER_OBJ) $(LIB) $(PKG_LIBS)

bin/mandelfarm-keygen: $(KEYGEN_OBJ) $(LIB) $(FLAGS_STAMP)
	@mkdir -p bin
	$(call say,LINK,$@)$(CC) $(ALL_LDFLAGS) -o $@ $(KEYGEN_OBJ) $(LIB) $(PKG_LIBS)

# ---- tests -------------------------------------------------------------
$(O)/tests/%: $(O)/tests/%.o $(TEST_HELPERS) $(VIEWER_A) $(LIB) $(FLAGS_STAMP)
	$(call say,LINK,$@)$(CC) $(ALL_LDFLAGS) -o $@ $< $(TEST_HELPERS) $(VIEWER_A) $(LIB) \
	    $(CHECK_LIBS) $(PKG_LIBS) $(SDL_LIBS)

$(O)/tests/%.o: tests/%.c $(FLAGS_STAMP)
	@mkdir -p $(dir $@)
	$(call say,CC,$<)$(CC) $(ALL_CFLAGS) $(CHECK_CFLAGS) -c $< -o $@

$(O)/fuzz/replay_%: $(O)/fuzz/fuzz_%.o $(O)/fuzz/replay.o $(LIB) $(FLAGS_STAMP)
	$(call say,LINK,$@)$(CC) $(ALL_LDFLAGS) -o $@ $< $(O)/fuzz/replay.o $(LIB) $(PKG_LIBS)

$(O)/fuzz/replay.o: ALL_CFLAGS += -DMF_FUZZ_CORPUS='"$(CURDIR)/fuzz/corpus"'
.SECONDARY: $(FUZZ_NAMES:%=$(O)/fuzz/fuzz_%.o) $(O)/fuzz/replay.o $(O)/fuzz/seeds.o

# ---- fuzzing: clang, libFuzzer, ASan and UBSan, in a build of its own ----
# New inputs go to fuzz/corpus-new/NAME (not committed), crashes to
# $(FUZZ_O)/crashes/; reproduce one with $(O)/fuzz/replay_NAME FILE.
fuzz:
	@scripts/install-deps.sh --fuzz
	@$(MAKE) --no-print-directory O=$(FUZZ_O) CC=$(FUZZ_CC) \
	    SANITIZE=fuzzer-no-link,address,undefined fuzz-run

fuzz-run: $(FUZZ_NAMES:%=$(O)/fuzz/fuzz_%)
	@mkdir -p $(O)/crashes
	@for name in $(FUZZ_NAMES); do \
	    mkdir -p fuzz/corpus-new/$$name; \
	    echo "== fuzz $$name for $(FUZZ_SECONDS) s"; \
	    $(O)/fuzz/fuzz_$$name -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=2048 \
	        -print_final_stats=1 -artifact_prefix=$(O)/crashes/$$name- \
	        fuzz/corpus-new/$$name fuzz/corpus/$$name || exit 1; \
	done; echo "make fuzz: no harness found a problem"

# Rewrites the committed seed corpora from the real encoders (fuzz/seeds.c).
fuzz-seeds: $(O)/fuzz/seeds
	$(O)/fuzz/seeds fuzz/corpus

$(O)/fuzz/seeds: $(O)/fuzz/seeds.o $(LIB) $(FLAGS_STAMP)
	$(call say,LINK,$@)$(CC) $(ALL_LDFLAGS) -o $@ $< $(LIB) $(PKG_LIBS)

$(O)/fuzz/fuzz_%: $(O)/fuzz/fuzz_%.o $(LIB) $(FLAGS_STAMP)
	$(call say,LINK,$@)$(CC) $(ALL_LDFLAGS) -fsanitize=fuzzer -o $@ $< $(LIB) $(PKG_LIBS)

# Every suite runs even if one fails; the exit status says whether all passed.
check: $(PROGRAMS) $(UNIT_BIN)
	@failed=0; for t in $(UNIT_BIN); do \
	    echo "== $$t"; CK_DEFAULT_TIMEOUT=120 MF_BIN=$(CURDIR)/bin $$t || failed=1; \
	done; \
	if [ $$failed -ne 0 ]; then echo "make test: FAILED"; exit 1; fi; \
	echo "make test: all suites passed"

# The soak: minutes of random kills, stops and master restarts (not in test).
test-chaos: deps
	@$(MAKE) --no-print-directory $(PROGRAMS) $(O)/tests/chaos
	MF_BIN=$(CURDIR)/bin $(O)/tests/chaos

# ---- benchmarks (never part of test) ---------------------------------------
# Each part writes bench-results/PART.json; `make bench` installs the tools
# it compares against, runs every part of BENCHES, and merges the parts
# into bench-results/bench.json. A new benchmark is a target that writes
# its own part, added to BENCHES.
BENCHES := bench-kernel bench-render bench-viewer

$(O)/bench/bench_kernel: $(O)/bench/bench_kernel.o $(LIB) $(FLAGS_STAMP)
	$(call say,LINK,$@)$(CC) $(ALL_LDFLAGS) -o $@ $< $(LIB) $(PKG_LIBS)

#  The deep core alone on one view (bench/bench_deep.c says how); not in BENCHES.
$(O)/bench/bench_deep: $(O)/bench/bench_deep.o $(LIB) $(FLAGS_STAMP)
	$(call say,LINK,$@)$(CC) $(ALL_LDFLAGS) -o $@ $< $(LIB) $(PKG_LIBS)

bench:
	@scripts/install-deps.sh --bench
	@$(MAKE) --no-print-directory $(BENCHES)
	@scripts/bench.sh merge

bench-kernel: $(PROGRAMS) $(O)/bench/bench_kernel
	@scripts/bench.sh kernel

bench-render: $(PROGRAMS)
	@scripts/bench.sh render

# ---- the two commands --------------------------------------------------
deps:
	@scripts/install-deps.sh

run: deps
	@$(MAKE) --no-print-directory all
	bin/mandelfarm-master -o mandelbrot.png
	@echo "The image is in $(CURDIR)/mandelbrot.png"

test: deps
	@$(MAKE) --no-print-directory check

# ---- viewer ------------------------------------------------------------
# Times of the live viewer (not part of test); make screenshot regenerates
# docs/screenshot.png through the viewer's --script (scripts/screenshot.sh).
bench-viewer: $(PROGRAMS)
	scripts/bench-viewer.sh

screenshot: $(PROGRAMS)
	scripts/screenshot.sh

# ---- install -----------------------------------------------------------
install: $(PROGRAMS)
	install -d $(DESTDIR)$(BINDIR)
	install -m 755 $(PROGRAMS) $(DESTDIR)$(BINDIR)/

uninstall:
	rm -f $(addprefix $(DESTDIR)$(BINDIR)/,$(notdir $(PROGRAMS)))

clean:
	rm -rf $(O) bin

distclean: clean

help:
	@sed -n '2,10p' Makefile | sed 's/^# \{0,1\}//'

-include $(shell find $(O) -name '*.d' 2>/dev/null)
