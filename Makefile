# Backprop — build, test and demo.
#
#   make demo       the main job (for now: seed 02's single neuron trained by the C kernels)
#   make test       every test: Swift build and tests, the C harness
#   make check-c    the C test harness alone
#   make consumer   build and run Examples/Consumer, a package that depends on Backprop
#   make sanitize   the C harness under ASan + UBSan, then under valgrind memcheck
#   make lib        static library + headers for C programs (.build-c/)
#   make deps       install missing system packages (apt-get; sudo when not root)
#   make bench-gemm GEMM benchmark against OpenBLAS (installs libopenblas-dev; OpenBLAS
#                   is linked into the benchmark only), writes Benchmarks/results/gemm.json

SHELL   := /bin/bash
CC      ?= cc
BUILD_C := .build-c
CFLAGS  ?= -O2
CFLAGS  += -std=c11 -Wall -Wextra -pedantic -ICKernels/include
KERNEL_SRC := $(wildcard CKernels/*.c)
KERNEL_HDR := $(wildcard CKernels/include/*.h CKernels/*.h)
HARNESS_SRC := $(wildcard Tests/CHarness/*.c)
HARNESS_HDR := $(wildcard Tests/CHarness/*.h)
SUDO    := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# Resolved lazily, after `deps` has had a chance to install the packages.
GSL_LIBS     = $(shell pkg-config --libs gsl)
GSL_CFLAGS   = $(shell pkg-config --cflags gsl)
CMOCKA_LIBS  = $(shell pkg-config --libs cmocka)
CMOCKA_CFLAGS = $(shell pkg-config --cflags cmocka)

.PHONY: bench-peers bench-gemm deps-bench all deps deps-sanitize build test swift-test check-c sanitize demo lib clean consumer half-adder-seeds

all: build

# Each package is installed only when pkg-config cannot find it.
deps:
	@missing=""; \
	command -v pkg-config >/dev/null || missing="$$missing pkg-config"; \
	pkg-config --exists gsl 2>/dev/null || missing="$$missing libgsl-dev"; \
	pkg-config --exists cmocka 2>/dev/null || missing="$$missing libcmocka-dev"; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi

deps-sanitize: deps
	@command -v valgrind >/dev/null || { $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq valgrind; }

build: deps
	swift build

swift-test: deps
	swift test

# Every suite (Swift tests, the C harness, the consumer package), closing
# with one line "tests: N passed, M failed".
test: deps build $(BUILD_C)/charness
	scripts/run-tests.sh

# A separate package that depends on Backprop by path: proof that it embeds.
consumer: deps
	swift build --package-path Examples/Consumer
	swift run --package-path Examples/Consumer Consumer

# How many of 20 seeds learn seed 03's half adder (release build).
half-adder-seeds: deps
	swift run --package-path Examples/Consumer -c release HalfAdderSeeds

# --- C library and harness -------------------------------------------------

$(BUILD_C)/obj/%.o: CKernels/%.c $(KERNEL_HDR)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(GSL_CFLAGS) -c $< -o $@

KERNEL_OBJ := $(patsubst CKernels/%.c,$(BUILD_C)/obj/%.o,$(KERNEL_SRC))

$(BUILD_C)/libbackprop.a: $(KERNEL_OBJ)
	rm -f $@
	ar rcs $@ $^

lib: deps $(BUILD_C)/libbackprop.a
	@mkdir -p $(BUILD_C)/include
	cp CKernels/include/*.h $(BUILD_C)/include/
	@echo "built $(BUILD_C)/libbackprop.a; compile a C program with:"
	@echo "  cc -std=c11 prog.c -I$(BUILD_C)/include -L$(BUILD_C) -lbackprop $$(pkg-config --libs gsl) -lm"

# The harness counts allocations (test_exec.c: a call through a bp_exec
# must allocate nothing) by wrapping the allocation functions at link time.
HARNESS_WRAP := -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=posix_memalign

$(BUILD_C)/charness: $(BUILD_C)/libbackprop.a $(HARNESS_SRC) $(HARNESS_HDR)
	$(CC) $(CFLAGS) -ITests/CHarness $(CMOCKA_CFLAGS) $(GSL_CFLAGS) $(HARNESS_SRC) \
	  $(BUILD_C)/libbackprop.a $(HARNESS_WRAP) $(CMOCKA_LIBS) $(GSL_LIBS) -lpthread -lm -o $@

check-c: deps $(BUILD_C)/charness
	$(BUILD_C)/charness

# Sanitizer build: everything recompiled with ASan + UBSan, UB is fatal.
SAN_FLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all

$(BUILD_C)/charness-asan: $(KERNEL_SRC) $(KERNEL_HDR) $(HARNESS_SRC) $(HARNESS_HDR)
	@mkdir -p $(BUILD_C)
	$(CC) -std=c11 -Wall -Wextra -ICKernels/include -ITests/CHarness $(SAN_FLAGS) \
	  $(CMOCKA_CFLAGS) $(GSL_CFLAGS) $(KERNEL_SRC) $(HARNESS_SRC) \
	  $(HARNESS_WRAP) $(CMOCKA_LIBS) $(GSL_LIBS) -lpthread -lm -o $@

sanitize: deps-sanitize $(BUILD_C)/charness-asan $(BUILD_C)/charness
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  $(BUILD_C)/charness-asan
	valgrind --error-exitcode=1 --leak-check=full --show-leak-kinds=definite,indirect,possible \
	  --errors-for-leak-kinds=definite,indirect,possible -q $(BUILD_C)/charness
	@echo "make sanitize: clean (ASan + UBSan, valgrind memcheck)"

# --- GEMM benchmark (OpenBLAS is linked into the benchmark, never the library) ---

deps-bench: deps
	@[ -f /usr/include/x86_64-linux-gnu/openblas-pthread/cblas.h ] || [ -f /usr/include/openblas/cblas.h ] || \
	  { $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq libopenblas-dev; }

BENCH_WRAP := -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=posix_memalign
OPENBLAS_INC = $(firstword $(wildcard /usr/include/$(shell gcc -print-multiarch 2>/dev/null)/openblas-pthread /usr/include/openblas))

$(BUILD_C)/bench_gemm: Benchmarks/gemm/bench_gemm.c $(BUILD_C)/libbackprop.a
	$(CC) $(CFLAGS) -I$(OPENBLAS_INC) $< $(BUILD_C)/libbackprop.a $(BENCH_WRAP) \
	  -lopenblas $(GSL_LIBS) -lpthread -lm -o $@

bench-gemm: deps-bench
	$(MAKE) $(BUILD_C)/bench_gemm
	@mkdir -p Benchmarks/results
	Benchmarks/gemm/run.sh $(BUILD_C)/bench_gemm --json Benchmarks/results/gemm.json $(BENCH_ARGS)

# --- Peer benchmark: W1–W5 against numpy, PyTorch, FANN and an OpenBLAS composition ---
# Not part of `make test`. Installs what it needs (apt: libfann-dev, libopenblas-dev;
# pip: numpy, torch CPU, threadpoolctl), builds BackpropBench in release, prints one
# table of ratios and writes Benchmarks/results/peers.json (Benchmarks/peers/README.md).

bench-peers: deps
	python3 Benchmarks/peers/run.py --json Benchmarks/results/peers.json $(BENCH_ARGS)

# --- demo ----------------------------------------------------------------------

$(BUILD_C)/single_neuron: Examples/c/single_neuron.c $(BUILD_C)/libbackprop.a
	$(CC) $(CFLAGS) $< $(BUILD_C)/libbackprop.a $(GSL_LIBS) -lm -o $@

demo: deps $(BUILD_C)/single_neuron
	$(BUILD_C)/single_neuron

clean:
	rm -rf $(BUILD_C) .build
