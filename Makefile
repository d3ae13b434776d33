# firedrill — build, test, bench. See README.md.
#
# Public targets (`all test bench demo`) first make sure the Debian packages
# are installed (scripts/deps.sh), then re-enter make, so that pkg-config sees
# libraries installed a moment ago.
#
#   make            build build/firedrill
#   make test       unit + validation + CLI tests, then the unit tests again
#                   under AddressSanitizer + UndefinedBehaviorSanitizer
#   make bench      the benchmarks (engine, world, kernels), one line per figure
#   make demo       the main job: run a shipped scenario, write HDF5 and a plot
#   make fmt lint   clang-format in place; cppcheck and the error convention
#   make paper      regenerate paper/paper.md, paper.pdf and figures from fresh runs (make paper-deps: pandoc, LaTeX)
#   make test-gpu bench-gpu   on a machine with an NVIDIA GPU
#   make gpu-bundle  the GPU checks packed for a GPU machine without our libraries

.DEFAULT_GOAL := all
SHELL := /bin/bash
.SUFFIXES:

BUILD ?= build
ASAN_BUILD ?= build-asan

# --- configuration ---------------------------------------------------------
GIT_REV := $(shell git describe --always --dirty --abbrev=12 2>/dev/null || echo unknown)
VERSION := 0.1.0

PKG_CFLAGS := $(shell pkg-config --cflags gsl hdf5 libcjson libxxhash openblas libcrypto 2>/dev/null)
# GSL's .pc adds its reference CBLAS; OpenBLAS provides the CBLAS symbols instead.
PKG_LIBS := $(filter-out -lgslcblas,$(shell pkg-config --libs gsl hdf5 libcjson libxxhash openblas libcrypto 2>/dev/null))
CMOCKA_CFLAGS := $(shell pkg-config --cflags cmocka 2>/dev/null)
CMOCKA_LIBS := $(shell pkg-config --libs cmocka 2>/dev/null)

# CUDA is optional at build time: built when nvcc exists (CUDA=0 turns it off).
NVCC ?= $(shell command -v nvcc 2>/dev/null)
CUDA ?= $(if $(NVCC),1,0)
CUDA_HOME ?= $(patsubst %/bin/nvcc,%,$(NVCC))
CUDA_LIBDIR := $(CUDA_HOME)/lib64
NVCCFLAGS ?= -O3 -std=c++17 -Xcompiler -Wall,-Wextra,-Werror \
  -gencode arch=compute_80,code=sm_80 -gencode arch=compute_90,code=sm_90 \
  -gencode arch=compute_90,code=compute_90

WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wvla
BASE_CFLAGS := -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE $(WARN) -I. $(PKG_CFLAGS) \
  -DFIREDRILL_VERSION='"$(VERSION)"' -MMD -MP
CFLAGS ?= -O2 -g
ASAN_FLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
LDLIBS := $(PKG_LIBS) -lpthread -lm -ldl

# The CUDA backend is a shared object, loaded on first use by
# kernels/rec_cuda_loader.c: the program, libfiredrill.a and the tests link no
# CUDA library, so runs that never touch the GPU do not pay for loading them.
# With CUDA=0 it is not built and the loader says so.
CUDA_SO := $(if $(filter 1,$(CUDA)),$(BUILD)/libfiredrill_cuda.so)
CUDA_SO_LDFLAGS := -shared -cudart shared -Xlinker --version-script=kernels/rec_cuda.map \
  -Xlinker -z,defs -Xlinker -rpath=$(CUDA_LIBDIR) -L$(CUDA_LIBDIR) -lcublas -lcudart

# --- sources -----------------------------------------------------------------
# Every .c under these folders is part of the library; sim/main.c is the program.
LIB_DIRS := util sim/engine sim models kernels analysis
LIB_SRCS := $(filter-out sim/main.c,$(foreach d,$(LIB_DIRS),$(wildcard $(d)/*.c)))
CU_SRCS := $(if $(filter 1,$(CUDA)),$(wildcard kernels/*.cu))
# The host C code the .cu files call (fd_errf, MLP shapes), built again
# position-independent into the shared object.
CUDA_SO_C_SRCS := util/fd_status.c kernels/rec_layout.c

# --- MPI (begin) -----------------------------------------------------------------
# `mpirun -n R firedrill sweep` is built when mpicc exists (MPI=0 turns it off,
# MPI=1 asks for it). Only then is sim/sweep_mpi.c compiled and linked; without
# MPI the program builds and runs exactly as before (threads and shards only).
MPICC ?= $(shell command -v mpicc 2>/dev/null)
MPI ?= $(if $(MPICC),1,0)
ifeq ($(MPI),1)
MPI_CFLAGS := $(or $(shell $(MPICC) --showme:compile 2>/dev/null),$(shell pkg-config --cflags ompi-c 2>/dev/null))
MPI_LIBS := $(or $(shell $(MPICC) --showme:link 2>/dev/null),$(shell pkg-config --libs ompi-c 2>/dev/null))
BASE_CFLAGS += -DFIREDRILL_HAVE_MPI=1 $(MPI_CFLAGS)
LDLIBS += $(MPI_LIBS)
else
LIB_SRCS := $(filter-out sim/sweep_mpi.c,$(LIB_SRCS))
endif
# --- MPI (end) -------------------------------------------------------------------
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
VALID_SRCS := $(wildcard tests/validation/test_*.c)
GPU_SRCS := $(wildcard tests/gpu/test_*.c)
CLI_TESTS := $(wildcard tests/cli/test_*.sh)

objs = $(patsubst %.c,$(1)/obj/%.o,$(LIB_SRCS))
CUDA_SO_OBJS := $(patsubst %.cu,$(BUILD)/cuda-so/%.o,$(CU_SRCS)) $(patsubst %.c,$(BUILD)/cuda-so/%.o,$(CUDA_SO_C_SRCS))
LIB := $(BUILD)/libfiredrill.a
ASAN_LIB := $(ASAN_BUILD)/libfiredrill.a
UNIT_BINS := $(patsubst tests/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))
VALID_BINS := $(patsubst tests/%.c,$(BUILD)/tests/%,$(VALID_SRCS))
GPU_BINS := $(patsubst tests/%.c,$(BUILD)/tests/%,$(GPU_SRCS))
ASAN_UNIT_BINS := $(patsubst tests/%.c,$(ASAN_BUILD)/tests/%,$(UNIT_SRCS))

# --- public targets ------------------------------------------------------------
.PHONY: all test bench demo deps fmt lint clean test-gpu bench-gpu gpu-bundle paper
all: deps
	@$(MAKE) --no-print-directory build-firedrill
test: deps
	@$(MAKE) --no-print-directory run-tests
bench: deps
	@$(MAKE) --no-print-directory run-bench
demo: deps
	@$(MAKE) --no-print-directory run-demo
test-gpu: deps
	@$(MAKE) --no-print-directory run-test-gpu
bench-gpu: deps
	@$(MAKE) --no-print-directory run-bench-gpu
# For a GPU machine without this project's libraries: build here, pack, then
# run scripts/gpu_check.sh there (README, "GPU checks").
gpu-bundle: deps
	@scripts/gpu_bundle.sh

# The paper (paper/paper.md, paper/paper.pdf and their figures), regenerated
# from fresh runs and typeset with pandoc and XeLaTeX. paper-deps installs
# those (scripts/deps.sh paper, about 600 MB), apart from `make deps` so that
# `make test` stays lean; tests/cli/test_paper.sh checks the template without them.
.PHONY: paper-deps
paper: paper-deps all
	@paper/build.sh $(BUILD)/firedrill
paper-deps:
	@scripts/deps.sh paper

deps:
	@scripts/deps.sh

# --- build -------------------------------------------------------------------
.PHONY: build-firedrill run-tests run-unit run-validation run-cli run-asan run-bench run-demo \
  run-test-gpu run-bench-gpu run-gpu-or-skip FORCE
build-firedrill: $(BUILD)/firedrill $(CUDA_SO)

# The git revision lives in one generated file, rewritten only when it changes.
$(BUILD)/gen/version.c: FORCE
	@mkdir -p $(@D)
	@printf 'const char firedrill_git_rev[] = "%s";\n' '$(GIT_REV)' > $@.tmp
	@cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@
# Where the loader looks for the CUDA backend last (none with CUDA=0); it is
# rewritten only when it changes, so switching CUDA rebuilds the loader.
$(BUILD)/gen/cuda_config.h: FORCE
	@mkdir -p $(@D)
	@{ echo '/* Generated by the Makefile. */'; \
	  $(if $(CUDA_SO),printf '#define FIREDRILL_CUDA_LIB_DEFAULT "%s"\n' '$(abspath $(CUDA_SO))';) } > $@.tmp
	@cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@
LOADER_OBJS := $(BUILD)/obj/kernels/rec_cuda_loader.o $(ASAN_BUILD)/obj/kernels/rec_cuda_loader.o
$(LOADER_OBJS): $(BUILD)/gen/cuda_config.h
$(LOADER_OBJS): BASE_CFLAGS += -include $(BUILD)/gen/cuda_config.h

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(CFLAGS) -c $< -o $@
$(BUILD)/cuda-so/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(CFLAGS) -fPIC -c $< -o $@
$(BUILD)/cuda-so/%.o: %.cu
	@mkdir -p $(@D)
	$(NVCC) $(NVCCFLAGS) -Xcompiler -fPIC -MMD -MP -I. -c $< -o $@
$(ASAN_BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(ASAN_FLAGS) -c $< -o $@

# Exports only the rec_cuda_* entry points (kernels/rec_cuda.map); -z defs:
# everything else it calls is inside it or in the CUDA and C/C++ libraries.
$(BUILD)/libfiredrill_cuda.so: $(CUDA_SO_OBJS) kernels/rec_cuda.map
	$(NVCC) -o $@ $(CUDA_SO_OBJS) $(CUDA_SO_LDFLAGS)

$(LIB): $(call objs,$(BUILD))
	@rm -f $@
	ar rcs $@ $^
$(ASAN_LIB): $(call objs,$(ASAN_BUILD))
	@rm -f $@
	ar rcs $@ $^

# The programs do not link the CUDA backend, but they load it when asked
# for the GPU: building one builds it (order-only, no relink when it changes).
$(BUILD)/firedrill: $(BUILD)/obj/sim/main.o $(BUILD)/gen/version.c $(LIB) | $(CUDA_SO)
	$(CC) $(BASE_CFLAGS) $(CFLAGS) -o $@ $(BUILD)/obj/sim/main.o $(BUILD)/gen/version.c $(LIB) $(LDLIBS)

$(BUILD)/tests/%: tests/%.c $(LIB) $(BUILD)/gen/version.c | $(CUDA_SO)
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(CFLAGS) $(CMOCKA_CFLAGS) -o $@ $< $(BUILD)/gen/version.c $(LIB) $(CMOCKA_LIBS) $(LDLIBS)
$(ASAN_BUILD)/tests/%: tests/%.c $(ASAN_LIB) $(BUILD)/gen/version.c | $(CUDA_SO)
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(ASAN_FLAGS) $(CMOCKA_CFLAGS) -o $@ $< $(BUILD)/gen/version.c $(ASAN_LIB) $(CMOCKA_LIBS) $(LDLIBS)

# --- tests -------------------------------------------------------------------
# Each test binary runs from the repository root; a failing one stops make.
run-tests: run-unit run-validation run-cli run-gpu-or-skip run-asan
	@echo "make test: all passed"
# Without a GPU these print why they skip and pass; with one they run.
run-gpu-or-skip: $(GPU_BINS) $(CUDA_SO)
	@for t in $(GPU_BINS); do echo "== $$t"; $$t || exit 1; done
run-unit: $(UNIT_BINS)
	@for t in $^; do echo "== $$t"; $$t || exit 1; done
run-validation: $(VALID_BINS)
	@for t in $^; do echo "== $$t"; $$t || exit 1; done
run-cli: $(BUILD)/firedrill
	@for t in $(CLI_TESTS); do echo "== $$t"; FIREDRILL=$(BUILD)/firedrill bash $$t || exit 1; done
# CUDA's runtime (loaded only where there is a driver) maps memory where ASan
# keeps its shadow gap; the GPU code is not instrumented, so let it through.
run-asan: $(ASAN_UNIT_BINS)
	@for t in $^; do echo "== $$t (asan+ubsan)"; \
	  ASAN_OPTIONS=protect_shadow_gap=0:detect_leaks=1 LSAN_OPTIONS=suppressions=$(abspath tests/lsan.supp) \
	  UBSAN_OPTIONS=print_stacktrace=1 $$t || exit 1; done
run-test-gpu: $(GPU_BINS) $(BUILD)/firedrill $(CUDA_SO)
	@for t in $(GPU_BINS); do echo "== $$t"; FIREDRILL_REQUIRE_GPU=1 $$t || exit 1; done

# --- benchmarks ----------------------------------------------------------------
run-bench: $(BUILD)/firedrill
	@tests/bench/run.sh $(BUILD)/firedrill
run-bench-gpu: $(BUILD)/firedrill $(CUDA_SO)
	@$(BUILD)/firedrill bench kernels --backend cuda

run-demo: $(BUILD)/firedrill
	@scripts/demo.sh $(BUILD)/firedrill

# --- hygiene -------------------------------------------------------------------
FMT_FILES = $(shell git ls-files '*.c' '*.h' '*.cu')
fmt:
	clang-format -i $(FMT_FILES)
# cppcheck, then the error convention (scripts/check_errors.sh: one
# formatter, no exit() in library code, exit codes only in sim/cli.c).
lint:
	cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability \
	  --std=c11 --inline-suppr -I. $(filter-out %.cu,$(FMT_FILES))
	@scripts/check_errors.sh

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)

FORCE:

-include $(shell find $(BUILD)/obj $(BUILD)/cuda-so $(ASAN_BUILD)/obj -name '*.d' 2>/dev/null)

# --- fuzzing (begin) -----------------------------------------------------------
# `make fuzz [FUZZ_SECONDS=60]`: libFuzzer (clang, ASan, UBSan, every report
# fatal) on each reader of untrusted input, one target per
# tests/fuzz/fuzz_*.c: scenario files, sweep files, optimize files and the
# resume journal. FUZZ_SECONDS is the total, split evenly among the targets,
# one process at a time. tests/fuzz/run.sh seeds each from the shipped files
# (the journal target writes real journals), prints executions and crashes
# per target and fails if any target crashed; each keeps its corpus, log and
# crash artifacts in build-fuzz/TARGET/. Not part of `make test`.
FUZZ_SECONDS ?= 60
FUZZ_BUILD := build-fuzz
FUZZ_TARGETS := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS := $(patsubst %,$(FUZZ_BUILD)/fuzz_%,$(FUZZ_TARGETS))
FUZZ_CFLAGS := -g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined \
  -fno-sanitize-recover=all -DFUZZ_ROOT='"$(CURDIR)"'
.PHONY: fuzz run-fuzz
fuzz: deps
	@command -v clang >/dev/null || { echo "make fuzz: needs clang (apt-get install clang)"; exit 1; }
	@$(MAKE) --no-print-directory run-fuzz
run-fuzz: $(FUZZ_BINS)
	@tests/fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS) $(FUZZ_TARGETS)
$(FUZZ_BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	clang $(BASE_CFLAGS) $(FUZZ_CFLAGS) -c $< -o $@
$(FUZZ_BUILD)/obj/kernels/rec_cuda_loader.o: $(BUILD)/gen/cuda_config.h
$(FUZZ_BUILD)/obj/kernels/rec_cuda_loader.o: BASE_CFLAGS += -include $(BUILD)/gen/cuda_config.h
$(FUZZ_BUILD)/libfiredrill.a: $(call objs,$(FUZZ_BUILD))
	@rm -f $@
	ar rcs $@ $^
$(FUZZ_BUILD)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h $(FUZZ_BUILD)/libfiredrill.a $(BUILD)/gen/version.c
	clang $(BASE_CFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(BUILD)/gen/version.c \
	  $(FUZZ_BUILD)/libfiredrill.a $(LDLIBS)
-include $(shell find $(FUZZ_BUILD)/obj -name '*.d' 2>/dev/null)
# --- fuzzing (end) -------------------------------------------------------------

# --- memcheck (begin) ------------------------------------------------------------
# `make memcheck`: short end-to-end runs under valgrind (errors and definite
# leaks fail it): a traced run with real model state at request fidelity, and
# a threaded sweep.
.PHONY: memcheck
memcheck: all
	@tests/memcheck.sh $(BUILD)/firedrill
# --- memcheck (end) --------------------------------------------------------------

# --- install (begin) -------------------------------------------------------------
# `make man`: build/firedrill.1, the man page, generated from the --help texts
# by help2man (scripts/gen_man.sh).
# `make install [PREFIX=/usr/local] [DESTDIR=]`: the program, the CUDA backend
# when built, the gnuplot scripts, the scenario schema and the man page:
#   PREFIX/bin/firedrill
#   PREFIX/lib/firedrill/libfiredrill_cuda.so        (found as ../lib/firedrill next to the program)
#   PREFIX/share/firedrill/analysis/plot_*.gp        (found as ../share/firedrill/analysis)
#   PREFIX/share/firedrill/schema.json
#   PREFIX/share/man/man1/firedrill.1
# The program finds its files relative to itself, so a tree installed under
# one PREFIX (or DESTDIR) may be moved. `make uninstall` (same PREFIX and
# DESTDIR) removes exactly these files and the firedrill folders if empty.
PREFIX ?= /usr/local
INSTALL ?= install
INST_BIN := $(DESTDIR)$(PREFIX)/bin
INST_LIB := $(DESTDIR)$(PREFIX)/lib/firedrill
INST_DATA := $(DESTDIR)$(PREFIX)/share/firedrill
INST_MAN := $(DESTDIR)$(PREFIX)/share/man/man1
GP_SCRIPTS := $(wildcard analysis/plot_*.gp)
.PHONY: man install uninstall build-man install-files
man: deps
	@$(MAKE) --no-print-directory build-man
build-man: $(BUILD)/firedrill.1
$(BUILD)/firedrill.1: $(BUILD)/firedrill scripts/gen_man.sh
	scripts/gen_man.sh $(BUILD)/firedrill $@
install: deps
	@$(MAKE) --no-print-directory install-files
install-files: build-firedrill build-man
	$(INSTALL) -d $(INST_BIN) $(INST_DATA)/analysis $(INST_MAN)
	$(INSTALL) -m 755 $(BUILD)/firedrill $(INST_BIN)/firedrill
	$(if $(CUDA_SO),$(INSTALL) -d $(INST_LIB) && $(INSTALL) -m 755 $(CUDA_SO) $(INST_LIB)/libfiredrill_cuda.so)
	$(INSTALL) -m 644 $(GP_SCRIPTS) $(INST_DATA)/analysis/
	$(INSTALL) -m 644 scenarios/schema.json $(INST_DATA)/schema.json
	$(INSTALL) -m 644 $(BUILD)/firedrill.1 $(INST_MAN)/firedrill.1
uninstall:
	rm -f $(INST_BIN)/firedrill $(INST_LIB)/libfiredrill_cuda.so $(INST_DATA)/schema.json \
	  $(addprefix $(INST_DATA)/analysis/,$(notdir $(GP_SCRIPTS))) $(INST_MAN)/firedrill.1
	-rmdir $(INST_DATA)/analysis $(INST_DATA) $(INST_LIB) 2>/dev/null || true
# --- install (end) ---------------------------------------------------------------
