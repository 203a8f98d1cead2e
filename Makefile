# mandelfarm: one non-recursive Makefile for every program, test and tool.
#
#   make                  build bin/mandelfarm-master and bin/mandelfarm-worker
#   make run              install missing packages, build, render mandelbrot.png
#   make test             install missing packages, build, run every test
#   make bench            measure kernels and whole renders (not part of test)
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
PKG_MODULES  := libzmq libczmq libpng check sdl2

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
  PKG_CFLAGS := $(shell pkg-config --cflags libczmq libzmq libpng zlib)
  PKG_LIBS   := $(shell pkg-config --libs libczmq libzmq libpng zlib) -lm
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
KERNEL_ISA_SRC := common/mf_kernel_avx2.c common/mf_kernel_avx512.c
COMMON_SRC := $(filter-out $(KERNEL_ISA_SRC),$(wildcard common/*.c))
TARGET_MACHINE := $(shell $(CC) -dumpmachine 2>/dev/null)
ifneq ($(filter x86_64-% i386-% i486-% i586-% i686-%,$(TARGET_MACHINE)),)
  COMMON_SRC += $(KERNEL_ISA_SRC)
  $(O)/common/mf_kernel_avx2.o:   ISA_CFLAGS := -mavx2 -mfma
  $(O)/common/mf_kernel_avx512.o: ISA_CFLAGS := -mavx512f -mavx512dq -mavx2 -mfma
endif
WORKER_LIB := worker/pool.c worker/worker.c
MASTER_LIB := master/sched.c master/engine.c master/options.c master/spawn.c \
              master/progress.c master/render.c
LIB_SRC    := $(COMMON_SRC) $(WORKER_LIB) $(MASTER_LIB)
LIB_OBJ    := $(LIB_SRC:%.c=$(O)/%.o)
LIB        := $(O)/libmandelfarm.a

MASTER_OBJ := $(O)/master/main.o
WORKER_OBJ := $(O)/worker/main.o
PROGRAMS   := bin/mandelfarm-master bin/mandelfarm-worker

UNIT_SRC   := $(wildcard tests/test_*.c)
UNIT_BIN   := $(UNIT_SRC:tests/%.c=$(O)/tests/%)
TEST_HELPERS := $(O)/tests/helpers.o

.PHONY: all run test check bench bench-kernel bench-render install uninstall clean distclean deps help
.DEFAULT_GOAL := all

all: $(PROGRAMS)

$(O)/%.o: %.c $(FLAGS_STAMP)
	@mkdir -p $(dir $@)
	$(call say,CC,$<)$(CC) $(ALL_CFLAGS) $(ISA_CFLAGS) -c $< -o $@

$(LIB): $(LIB_OBJ)
	@rm -f $@
	$(call say,AR,$@)ar rcs $@ $^

bin/mandelfarm-master: $(MASTER_OBJ) $(LIB) $(FLAGS_STAMP)
	@mkdir -p bin
	$(call say,LINK,$@)$(CC) $(ALL_LDFLAGS) -o $@ $(MASTER_OBJ) $(LIB) $(PKG_LIBS) $(SDL_LIBS)

bin/mandelfarm-worker: $(WORKER_OBJ) $(LIB) $(FLAGS_STAMP)
	@mkdir -p bin
	$(call say,LINK,$@)$(CC) $(ALL_LDFLAGS) -o $@ $(WORKER_OBJ) $(LIB) $(PKG_LIBS)

# ---- tests -------------------------------------------------------------
$(O)/tests/%: $(O)/tests/%.o $(TEST_HELPERS) $(LIB) $(FLAGS_STAMP)
	$(call say,LINK,$@)$(CC) $(ALL_LDFLAGS) -o $@ $< $(TEST_HELPERS) $(LIB) $(CHECK_LIBS) $(PKG_LIBS)

$(O)/tests/%.o: tests/%.c $(FLAGS_STAMP)
	@mkdir -p $(dir $@)
	$(call say,CC,$<)$(CC) $(ALL_CFLAGS) $(CHECK_CFLAGS) -c $< -o $@

# Every suite runs even if one fails; the exit status says whether all passed.
check: $(PROGRAMS) $(UNIT_BIN)
	@failed=0; for t in $(UNIT_BIN); do \
	    echo "== $$t"; CK_DEFAULT_TIMEOUT=120 MF_BIN=$(CURDIR)/bin $$t || failed=1; \
	done; \
	if [ $$failed -ne 0 ]; then echo "make test: FAILED"; exit 1; fi; \
	echo "make test: all suites passed"

# ---- benchmarks (never part of test) ---------------------------------------
# Each part writes bench-results/PART.json; `make bench` installs the tools
# it compares against, runs every part of BENCHES, and merges the parts
# into bench-results/bench.json. A new benchmark is a target that writes
# its own part, added to BENCHES.
BENCHES := bench-kernel bench-render

$(O)/bench/bench_kernel: $(O)/bench/bench_kernel.o $(LIB) $(FLAGS_STAMP)
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
