# mandelfarm: one non-recursive Makefile for every program, test and tool.
#
#   make, make all        build bin/mandelfarm-master, -viewer, -worker and -keygen
#   make run              install missing packages, build, render mandelbrot.png
#   make test             install missing packages, build, run every test
#   make check            build and run every test (no package installed)
#   make test-chaos       a soak of random faults, a minute or so (not part of test)
#   make cross-aarch64    an aarch64 mandelfarm-worker in bin-aarch64/ (Debian's
#                         cross compiler, arm64 libraries in a sysroot of its own,
#                         which cross-sysroot alone makes)
#   make check-aarch64    the kernel suites on aarch64 under qemu, and the same
#                         mu bytes from every kernel variant of both machines
#   make test-cross       check-aarch64, then a shallow and a deep view by an
#                         x86-64 master, an aarch64 worker under qemu and an x86
#                         worker forced to avx2: the same bytes
#   make test-slurm       scripts/mandelfarm.sbatch on a private single-node SLURM
#   make bench            measure kernels, whole renders and the viewer (not part
#                         of test); its parts: bench-kernel, bench-render, bench-viewer,
#                         bench-wire, bench-deep, bench-dispatch, bench-movie
#   make fuzz             fuzz every decoder with clang + libFuzzer (FUZZ_SECONDS each)
#   make fuzz-seeds       write the seed corpora again from the real encoders
#   make screenshot       make docs/screenshot.png again through the viewer's --script
#   make install PREFIX=/usr/local DESTDIR=
#                         the programs, scripts/workers-ssh as mandelfarm-workers-ssh,
#                         the worker's systemd unit (install-systemd alone: the unit),
#                         OpenSeadragon for --dzi when vendored (install-share alone)
#   make uninstall        remove what install installed (uninstall-systemd: the unit,
#                         uninstall-share: OpenSeadragon)
#   make clean            remove build/ and bin/ (clean-cross: the cross build's)
#   make distclean        also the cross sysroot (distclean-cross: only that) and
#                         vendor/node_modules (install-deps.sh --dzi fetches it again)
#   make deps             install the missing packages, nothing else
#   make help             this list
#   make SANITIZE=address,undefined test     with sanitizers;  make V=1: every command
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
DEB_libsodium := libsodium-dev
PKG_MODULES  := libzmq libczmq libpng check sdl2 mpfr libzstd libsodium

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
  PKG_CFLAGS := $(shell pkg-config --cflags libczmq libzmq libpng zlib mpfr libzstd libsodium)
  PKG_LIBS   := $(shell pkg-config --libs libczmq libzmq libpng zlib mpfr libzstd libsodium) -lm
  # Only what this build uses is asked for: a cross build of the worker
  # (PKG_MODULES without sdl2 and check) has neither in its sysroot.
  ifneq ($(filter sdl2,$(PKG_MODULES)),)
    SDL_CFLAGS := $(shell pkg-config --cflags sdl2)
    SDL_LIBS   := $(shell pkg-config --libs sdl2)
  endif
  ifneq ($(filter check,$(PKG_MODULES)),)
    CHECK_CFLAGS := $(shell pkg-config --cflags check)
    CHECK_LIBS := $(shell pkg-config --libs check)
  endif
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

# Rebuild everything when the compiler or flags change. Every object
# depends on $(O)/.flags, which holds the flags of the last build. As
# git's GIT-CFLAGS, only a rule writes it, and only when the flags
# differ; the comparison here only reads it, so `make -n` writes nothing
# and `make -q` says whether the tree is up to date.
FLAGS_STAMP := $(O)/.flags
FLAGS_NOW   := $(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS)
ifneq ($(filter-out $(NODEPS_GOALS) run test bench,$(or $(MAKECMDGOALS),all)),)
  ifneq ($(strip $(FLAGS_NOW)),$(strip $(shell cat $(FLAGS_STAMP) 2>/dev/null)))
    $(FLAGS_STAMP): FORCE
  endif
endif

# ---- sources -----------------------------------------------------------
# The kernel variants for wider instruction sets get their own flags (the
# rest of the program stays baseline x86-64, so one binary runs on every
# machine of a LAN; mf_kernel.c picks the variant from CPU detection).
# Each is compiled only for its architecture (on aarch64 the NEON variant,
# which needs no flags: every aarch64 CPU has Advanced SIMD); the portable
# one is compiled everywhere.
KERNEL_ISA_SRC := common/mf_kernel_avx2.c common/mf_kernel_avx512.c \
                  common/mf_perturb_avx2.c common/mf_perturb_avx512.c
KERNEL_ARM_SRC := common/mf_kernel_neon.c common/mf_perturb_neon.c
COMMON_SRC := $(filter-out $(KERNEL_ISA_SRC) $(KERNEL_ARM_SRC),$(wildcard common/*.c))
TARGET_MACHINE := $(shell $(CC) -dumpmachine 2>/dev/null)
ifneq ($(filter aarch64-%,$(TARGET_MACHINE)),)
  COMMON_SRC += $(KERNEL_ARM_SRC)
endif
ifneq ($(filter x86_64-% i386-% i486-% i586-% i686-%,$(TARGET_MACHINE)),)
  COMMON_SRC += $(KERNEL_ISA_SRC)
  $(O)/common/mf_kernel_avx2.o:   ISA_CFLAGS := -mavx2 -mfma
  $(O)/common/mf_kernel_avx512.o: ISA_CFLAGS := -mavx512f -mavx512dq -mavx2 -mfma
  $(O)/common/mf_perturb_avx2.o:   ISA_CFLAGS := -mavx2 -mfma -mpopcnt
  $(O)/common/mf_perturb_avx512.o: ISA_CFLAGS := -mavx512f -mavx512dq -mavx2 -mfma -mpopcnt
endif
WORKER_LIB := worker/pool.c worker/worker.c worker/worker_options.c worker/discover.c \
              worker/orbits.c worker/fetcher.c worker/builder.c
MASTER_LIB := master/sched.c master/peers.c master/verify.c master/engine.c master/options.c \
              master/spawn.c master/journal.c master/progress.c master/render.c master/auth.c \
              master/launch.c master/announce.c master/report.c \
              master/shipped.c master/reference.c master/poster.c master/movie.c
VIEWER_LIB := viewer/view.c viewer/place.c viewer/keys.c viewer/script.c viewer/frame.c viewer/spare.c \
              viewer/farm.c viewer/save.c viewer/font.c viewer/input.c viewer/status.c \
              viewer/screen.c viewer/playback.c viewer/viewer.c
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
TEST_HELPERS := $(O)/tests/helpers.o $(O)/tests/deep_truth.o
# Kept, not deleted as intermediates: a second `make test` compiles nothing.
.SECONDARY: $(UNIT_SRC:tests/%.c=$(O)/tests/%.o) $(O)/tests/chaos.o $(TEST_HELPERS)

# A fuzzing harness is fuzz/fuzz_NAME.c with its seeds in fuzz/corpus/NAME/
# (fuzz/fuzz.h): found here by name, nothing else to add. `make test`
# replays each seed corpus through a gcc build (fuzz/replay.c as main).
FUZZ_NAMES  := $(patsubst fuzz/fuzz_%.c,%,$(wildcard fuzz/fuzz_*.c))
FUZZ_REPLAY := $(FUZZ_NAMES:%=$(O)/fuzz/replay_%)
UNIT_BIN    += $(FUZZ_REPLAY)
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_O       := $(O)/clang-fuzz

.PHONY: all run test check test-chaos bench bench-kernel bench-render bench-wire bench-deep bench-dispatch bench-movie install uninstall \
        clean distclean deps help fuzz fuzz-run fuzz-seeds bench-viewer screenshot FORCE \
        install-share uninstall-share
.DEFAULT_GOAL := all

all: $(PROGRAMS)

# The flags, written as make sees them (quotes and all), so that the
# comparison above reads back the same text.
$(FLAGS_STAMP):
	@mkdir -p $(dir $@)
	$(call say,FLAGS,$@)printf '%s\n' '$(subst ','\'',$(FLAGS_NOW))' > $@

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

# The test worker: mandelfarm-worker with the testing flags --test-delay
# and --test-corrupt (MF_TEST_FAULTS). Built for the tests, next to them
# (tests/helpers.c starts it for those flags); never in bin/, never installed.
FAULTY_WORKER := $(O)/tests/mandelfarm-worker-faulty
FAULTY_OBJ := $(O)/tests/faulty/worker/main.o $(O)/tests/faulty/worker/worker_options.o

$(O)/tests/faulty/%.o: %.c $(FLAGS_STAMP)
	@mkdir -p $(dir $@)
	$(call say,CC,$<)$(CC) $(ALL_CFLAGS) -DMF_TEST_FAULTS -c $< -o $@

$(FAULTY_WORKER): $(FAULTY_OBJ) $(LIB) $(FLAGS_STAMP)
	$(call say,LINK,$@)$(CC) $(ALL_LDFLAGS) -o $@ $(FAULTY_OBJ) $(LIB) $(PKG_LIBS)

# The test master: mandelfarm-master whose engine damages the orbit bytes
# it sends when MF_TEST_CORRUPT_CHUNKS is set (MF_TEST_FAULTS), for the
# workers' refusal end to end. Built and used like the test worker.
FAULTY_MASTER := $(O)/tests/mandelfarm-master-faulty
FAULTY_MASTER_OBJ := $(MASTER_OBJ) $(O)/tests/faulty/master/engine.o

$(FAULTY_MASTER): $(FAULTY_MASTER_OBJ) $(LIB) $(FLAGS_STAMP)
	$(call say,LINK,$@)$(CC) $(ALL_LDFLAGS) -o $@ $(FAULTY_MASTER_OBJ) $(LIB) $(PKG_LIBS)

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

# Every suite runs even if one fails; the exit status says whether all
# passed. Each Check suite adds its counts and its skipped tests to a
# tally (tests/helpers.h, th_run_suite), which the last line sums up.
check: $(PROGRAMS) $(UNIT_BIN) $(FAULTY_WORKER) $(FAULTY_MASTER)
	@tally=$$(mktemp /tmp/mf-tally-XXXXXX) || exit 1; trap 'rm -f "$$tally"' EXIT; failed=; \
	for t in $(UNIT_BIN); do \
	    echo "== $$t"; \
	    CK_DEFAULT_TIMEOUT=120 MF_BIN=$(CURDIR)/bin MF_TEST_TALLY=$$tally $$t \
	        || failed="$$failed $${t##*/}"; \
	done; \
	scripts/test-summary.sh "$$tally" $(words $(UNIT_BIN)) $$failed

# The soak: 24 random kills, stops and master restarts, paced by the
# render's progress (not in test).
test-chaos: deps
	@$(MAKE) --no-print-directory $(PROGRAMS) $(O)/tests/chaos $(FAULTY_WORKER)
	MF_BIN=$(CURDIR)/bin $(O)/tests/chaos

# ---- benchmarks (never part of test) ---------------------------------------
# Each part writes bench-results/PART.json; `make bench` installs the tools
# it compares against, runs every part of BENCHES, and merges the parts
# into bench-results/bench.json. A new benchmark is a target that writes
# its own part, added to BENCHES.
BENCHES := bench-kernel bench-render bench-viewer bench-wire bench-deep bench-dispatch bench-movie

$(O)/bench/bench_kernel: $(O)/bench/bench_kernel.o $(LIB) $(FLAGS_STAMP)
	$(call say,LINK,$@)$(CC) $(ALL_LDFLAGS) -o $@ $< $(LIB) $(PKG_LIBS)

#  The deep core alone on one view (bench/bench_deep.c says how); not in BENCHES.
$(O)/bench/bench_deep: $(O)/bench/bench_deep.o $(LIB) $(FLAGS_STAMP)
	$(call say,LINK,$@)$(CC) $(ALL_LDFLAGS) -o $@ $< $(LIB) $(PKG_LIBS)

#  The wire's encodings of a tile's mu (bench/bench_rcodec.c), with lz4's
#  candidates where liblz4 is installed (only this program uses it).
HAVE_LZ4 := $(shell pkg-config --exists liblz4 2>/dev/null && echo yes)
$(O)/bench/bench_rcodec.o: ALL_CFLAGS += $(if $(HAVE_LZ4),-DMF_HAVE_LZ4)
$(O)/bench/bench_rcodec: $(O)/bench/bench_rcodec.o $(LIB) $(FLAGS_STAMP)
	$(call say,LINK,$@)$(CC) $(ALL_LDFLAGS) -o $@ $< $(LIB) $(PKG_LIBS) \
	    $(if $(HAVE_LZ4),$(shell pkg-config --libs liblz4))

bench:
	@scripts/install-deps.sh --bench
	@$(MAKE) --no-print-directory $(BENCHES)
	@scripts/bench.sh merge

bench-kernel: $(PROGRAMS) $(O)/bench/bench_kernel
	@scripts/bench.sh kernel

bench-render: $(PROGRAMS)
	@scripts/bench.sh render

bench-wire: $(PROGRAMS) $(O)/bench/bench_rcodec
	@scripts/bench.sh wire

#  Tiles a second one master hands out and takes back, trivial tiles.
bench-dispatch: $(PROGRAMS)
	@scripts/bench.sh dispatch

#  Deep views through the master, and fractalnow -l mp (scripts/bench-deep.sh).
bench-deep: $(PROGRAMS)
	@scripts/bench-deep.sh

#  A zoom movie farmed against its frames rendered one by one (scripts/bench-movie.sh).
bench-movie: $(PROGRAMS)
	@scripts/bench-movie.sh

# ---- the two commands --------------------------------------------------
deps:
	@scripts/install-deps.sh

# make run needs only the build's packages; make test also the tools its
# tests drive (namespaces, sshd, a browser).
run:
	@scripts/install-deps.sh --run
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

# ---- the zoomable view's library ----------------------------------------
# OpenSeadragon (BSD-3-Clause), which the page of --dzi loads from beside
# itself. scripts/install-deps.sh fetches the version vendor/package-lock.json
# pins (npm ci, checked against its sha512) into vendor/node_modules; the
# build copies what the page needs (the script, its button images, its
# licence) into $(O)/share/mandelfarm/openseadragon, where the master finds
# it from bin/ (common/mf_webview.h), and `make install` into
# $(SHAREDIR)/openseadragon, beside $(BINDIR)/../share. Without it every
# program builds and runs as before: only --dzi refuses, saying how to get it.
SHAREDIR  ?= $(PREFIX)/share/mandelfarm
OSD_PKG   := vendor/node_modules/openseadragon
OSD_SHARE := $(O)/share/mandelfarm/openseadragon
OSD_STAMP := $(O)/share/mandelfarm/.openseadragon
HAVE_OSD  := $(if $(wildcard $(OSD_PKG)/build/openseadragon/openseadragon.min.js),yes)

ifeq ($(HAVE_OSD),yes)
all check: $(OSD_STAMP)
endif

$(OSD_STAMP): $(OSD_PKG)/package.json $(OSD_PKG)/build/openseadragon/openseadragon.min.js
	@rm -rf $(OSD_SHARE) && mkdir -p $(OSD_SHARE)
	$(call say,COPY,$(OSD_SHARE))cp $(OSD_PKG)/build/openseadragon/openseadragon.min.js \
	    $(OSD_PKG)/LICENSE.txt $(OSD_SHARE)/ && cp -R $(OSD_PKG)/build/openseadragon/images $(OSD_SHARE)/
	@touch $@

# ---- install -----------------------------------------------------------
# The ssh launcher goes in beside the programs, named as they are.
install: $(PROGRAMS)
	install -d $(DESTDIR)$(BINDIR)
	install -m 755 $(PROGRAMS) $(DESTDIR)$(BINDIR)/
	install -m 755 scripts/workers-ssh $(DESTDIR)$(BINDIR)/mandelfarm-workers-ssh

uninstall:
	rm -f $(addprefix $(DESTDIR)$(BINDIR)/,$(notdir $(PROGRAMS)) mandelfarm-workers-ssh)

install: install-share
uninstall: uninstall-share

# One line a command: `make -n install` must list install commands only.
OSD_DEST  = $(DESTDIR)$(SHAREDIR)/openseadragon
ifeq ($(HAVE_OSD),yes)
install-share: $(OSD_STAMP)
	install -d $(OSD_DEST)/images
	install -m 644 $(OSD_SHARE)/openseadragon.min.js $(OSD_SHARE)/LICENSE.txt $(OSD_DEST)/
	install -m 644 $(OSD_SHARE)/images/*.png $(OSD_DEST)/images/
else
install-share:
	$(warning OpenSeadragon is not vendored (scripts/install-deps.sh --dzi, then make install): --dzi will refuse until it is)
endif

uninstall-share:
	rm -rf $(DESTDIR)$(SHAREDIR)/openseadragon
	-rmdir $(DESTDIR)$(SHAREDIR) 2>/dev/null

clean:
	rm -rf $(O) bin

# clean keeps vendor/node_modules: a build from scratch needs no network.
distclean: clean
	rm -rf vendor/node_modules

# The comment at the top of this file, up to the line about flags.
help:
	@awk 'NR == 1 { next } /^# Flags/ || !/^#/ { exit } { sub (/^# ?/, ""); print }' Makefile

# ---- LAN: cross build, slurm -------------------------------------------
# The worker's systemd unit, which `make install` installs; the aarch64
# worker; the mixed-machine and SLURM tests (not part of `make test`).

# The worker's systemd template unit, written with the worker's installed
# path. $(PREFIX)/lib/systemd/system is where systemd looks for units that
# software installs: /usr/local/lib/systemd/system for a `make install`,
# /usr/lib/systemd/system for a package (PREFIX=/usr); /etc/systemd/system
# is the administrator's own, for overrides (`systemctl edit`).
UNITDIR     ?= $(PREFIX)/lib/systemd/system
WORKER_UNIT := mandelfarm-worker@.service

install: install-systemd
uninstall: uninstall-systemd

install-systemd:
	install -d $(DESTDIR)$(UNITDIR)
	sed 's|@BINDIR@|$(BINDIR)|g' systemd/$(WORKER_UNIT).in > $(DESTDIR)$(UNITDIR)/$(WORKER_UNIT).new
	chmod 644 $(DESTDIR)$(UNITDIR)/$(WORKER_UNIT).new
	mv -f $(DESTDIR)$(UNITDIR)/$(WORKER_UNIT).new $(DESTDIR)$(UNITDIR)/$(WORKER_UNIT)

uninstall-systemd:
	rm -f $(DESTDIR)$(UNITDIR)/$(WORKER_UNIT)

# An aarch64 mandelfarm-worker, with Debian's cross compiler, against
# Debian's arm64 libraries unpacked into a sysroot of its own
# (scripts/cross-sysroot.sh says why not multiarch): bin-aarch64/. It is
# this tree built a second time, in $(CROSS_O), by a make whose CC is the
# cross compiler and whose pkg-config reads the sysroot; the x86 kernel
# variants drop out and the NEON one comes in by themselves
# (TARGET_MACHINE above). check (Check) is in the sysroot for the unit
# suites of check-aarch64; SDL2 is not: nothing here links the viewer.
CROSS_TRIPLET := aarch64-linux-gnu
CROSS_DIR     := build-aarch64
CROSS_O       := $(CROSS_DIR)/obj
CROSS_SYSROOT := $(CURDIR)/$(CROSS_DIR)/sysroot
CROSS_BIN     := bin-aarch64
CROSS_DEBS    := libczmq-dev libzmq3-dev libpng-dev zlib1g-dev libmpfr-dev libgmp-dev \
                 libzstd-dev libsodium-dev check
CROSS_MODULES := libzmq libczmq libpng mpfr libzstd libsodium check
CROSS_PKGCONFIG := $(CROSS_SYSROOT)/usr/lib/$(CROSS_TRIPLET)/pkgconfig:$(CROSS_SYSROOT)/usr/share/pkgconfig
# How to run an aarch64 program here: qemu-user, libraries from the sysroot.
CROSS_RUN     := qemu-aarch64-static -L $(CROSS_SYSROOT)
# The make that builds for aarch64, given its goals.
CROSS_MAKE     = PKG_CONFIG_SYSROOT_DIR=$(CROSS_SYSROOT) PKG_CONFIG_LIBDIR=$(CROSS_PKGCONFIG) \
                 $(MAKE) --no-print-directory O=$(CROSS_O) \
                 CC="$(CROSS_TRIPLET)-gcc --sysroot=$(CROSS_SYSROOT)" \
                 PKG_MODULES="$(CROSS_MODULES)"
# The unit suites that check-aarch64 runs under qemu: the kernels, the
# sample points and tiles they iterate, mu, and the deep core's numbers.
# (test_kernel_variants without its "programs" case: qemu-user cannot
# start the aarch64 programs it runs; test-cross runs the worker instead.)
CROSS_TESTS   := test_kernel test_kernel_variants test_mu test_region test_tiles \
                 test_fexp test_deep_kernel
# The bit-identity dump (tests/cross_mu.c), built for both machines.
CROSS_MU      := $(O)/tests/cross_mu
.SECONDARY: $(O)/tests/cross_mu.o

cross-sysroot:
	@scripts/install-deps.sh --cross
	@scripts/cross-sysroot.sh arm64 $(CROSS_DIR)/sysroot $(CROSS_DEBS)

cross-aarch64: cross-sysroot
	@$(CROSS_MAKE) $(CROSS_BIN)/mandelfarm-worker
	@echo "cross-aarch64: $(CROSS_BIN)/mandelfarm-worker; run it with $(CROSS_RUN) $(CROSS_BIN)/mandelfarm-worker"

# Only the make that cross-aarch64 starts builds these (its CC targets aarch64).
ifneq ($(filter aarch64-%,$(TARGET_MACHINE)),)
$(CROSS_BIN)/mandelfarm-worker: $(WORKER_OBJ) $(LIB) $(FLAGS_STAMP)
	@mkdir -p $(CROSS_BIN)
	$(call say,LINK,$@)$(CC) $(ALL_LDFLAGS) -o $@ $(WORKER_OBJ) $(LIB) $(PKG_LIBS)

$(CROSS_BIN)/tests/%: $(O)/tests/%.o $(TEST_HELPERS) $(LIB) $(FLAGS_STAMP)
	@mkdir -p $(CROSS_BIN)/tests
	$(call say,LINK,$@)$(CC) $(ALL_LDFLAGS) -o $@ $< $(TEST_HELPERS) $(LIB) \
	    $(CHECK_LIBS) $(PKG_LIBS)
endif

# The kernels on aarch64, under qemu: the unit suites of CROSS_TESTS, then
# the same tiles computed by every kernel variant of both machines (x86
# here, aarch64 under qemu), whose mu bytes must all be the x86
# reference kernel's (scripts/check-aarch64.sh). After cross-aarch64, not
# beside it: one make at a time in $(CROSS_O).
check-aarch64: cross-aarch64 $(CROSS_MU)
	@$(CROSS_MAKE) $(CROSS_TESTS:%=$(CROSS_BIN)/tests/%) $(CROSS_BIN)/tests/cross_mu
	@CROSS_RUN="$(CROSS_RUN)" scripts/check-aarch64.sh $(CURDIR)/$(CROSS_MU) \
	    $(CURDIR)/$(CROSS_BIN)/tests $(CROSS_TESTS)

# A shallow and a deep view rendered by an x86-64 master, an aarch64 worker
# under qemu and an x86 worker forced to avx2: the same PNG and .npy bytes
# as -j 1. The kernels' own checks first: a byte that differs is easier to
# find there.
test-cross: check-aarch64 $(PROGRAMS)
	@CROSS_RUN="$(CROSS_RUN)" scripts/test-cross.sh $(CURDIR)/bin $(CURDIR)/$(CROSS_BIN)

# scripts/mandelfarm.sbatch on a real single-node SLURM that the test sets
# up on 127.0.0.1 (munge, slurmctld, slurmd in a folder of their own).
test-slurm: $(PROGRAMS)
	@scripts/install-deps.sh --slurm
	@scripts/test-slurm.sh $(CURDIR)

clean-cross:
	rm -rf $(CROSS_O) $(CROSS_BIN)
clean: clean-cross
distclean: distclean-cross
distclean-cross:
	rm -rf $(CROSS_DIR)

.PHONY: install-systemd uninstall-systemd cross-sysroot cross-aarch64 check-aarch64 \
        test-cross test-slurm clean-cross distclean-cross

-include $(shell find $(O) -name '*.d' 2>/dev/null)
