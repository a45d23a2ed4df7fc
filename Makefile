# Backprop — build, test and demo.
#
#   make demo       the main job: `backprop demo` (DEMO=circles|moons|spiral|blobs|xor|half-adder)
#   make plots-check  draws every kind of plot and checks it in headless Chromium (installs chromium)
#   make test       every test: Swift build and tests, the C harness, the snippets, the docs
#   make docs       the DocC documentation of every module, warnings as errors
#                   (.build-docs/Backprop.doccarchive)
#   make check-c    the C test harness alone
#   make consumer   build and run Examples/Consumer, a package that depends on Backprop
#   make sanitize   the C harness under ASan + UBSan, then under valgrind memcheck
#   make sanitize-swift  the Swift tests under AddressSanitizer, then ThreadSanitizer
#   make fuzz       libFuzzer targets (CSV reader, model-file reader, C API), each for
#                   FUZZ_RUNS executions (default 1000000) within FUZZ_TIME seconds (Fuzz/README.md)
#   make lib        static library + headers for C programs (.build-c/)
#   make deps       install missing system packages (apt-get; sudo when not root)
#   make format     clang-format (.clang-format) over the C sources; make format-check
#                   fails on a file that does not match (installs clang-format)
#   make bench-gemm GEMM benchmark against OpenBLAS (installs libopenblas-dev; OpenBLAS
#                   is linked into the benchmark only), writes Benchmarks/results/gemm.json

SHELL   := /bin/bash
CC      ?= cc
BUILD_C := .build-c
# GCC's -O2 vectorises only loops that need no run-time checks or epilogue
# (its "very cheap" cost model): a ReLU over a 256 × 1024 batch ran 30×
# slower than clang's -O2 build. -fvect-cost-model=dynamic lets it vectorise
# as clang does; -O3 would too, but made the portable float micro-kernel 5×
# slower. Compilers without the option (clang) do not get it.
VECT_FLAG := $(shell $(CC) -Werror -fvect-cost-model=dynamic -c -x c /dev/null -o /dev/null 2>/dev/null && echo -fvect-cost-model=dynamic)
# GCC also keeps floating-point exceptions exact by default, so it will not
# compute both sides of `z > 0 ? d : slope·d` and select (the leaky-ReLU
# derivative stayed a branchy scalar loop). The library never reads the
# exception flags; clang, which builds the Swift package, assumes the same.
# Likewise GCC keeps sqrt a library call that may set errno, which stops the
# optimisers' passes (Adam, RMSprop, Adagrad) from vectorising; nothing in
# the library reads errno, and the roots are the same correctly rounded
# values (clang's builds use an errno-free builtin, ops/update_rules.h).
CFLAGS  ?= -O2 $(VECT_FLAG) -fno-trapping-math -fno-math-errno
# -Wno-psabi: GCC notes that the narrow engine's static functions pass 64-
# and 128-byte vectors in a way that differs between ISAs (no outside
# caller; its pragma cannot silence this one). Clang is silenced in source.
CFLAGS  += -std=c11 -Wall -Wextra -pedantic -Wno-psabi -ICKernels/include -ICKernels
KERNEL_SRC := $(shell find CKernels -name "*.c" | sort)
KERNEL_HDR := $(shell find CKernels -name "*.h" | sort)
HARNESS_SRC := $(wildcard Tests/CHarness/*.c)
HARNESS_HDR := $(wildcard Tests/CHarness/*.h)
SUDO    := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# Resolved lazily, after `deps` has had a chance to install the packages.
GSL_LIBS     = $(shell pkg-config --libs gsl)
GSL_CFLAGS   = $(shell pkg-config --cflags gsl)
CMOCKA_LIBS  = $(shell pkg-config --libs cmocka)
CMOCKA_CFLAGS = $(shell pkg-config --cflags cmocka)

.PHONY: docs format format-check deps-format fuzz fuzz-build fuzz-c fuzz-swift sanitize-swift charness-clang bench bench-update bench-build bench-workloads bench-optimizers bench-peers bench-side bench-gemm deps-bench all deps deps-sanitize build test swift-test check-c sanitize demo lib clean consumer half-adder-seeds

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

# Every suite (Swift tests, the C harness, the consumer package and its
# application on BackpropCore alone, the check that every public C function
# is defined under its own name), closing
# with one line "tests: N passed, M failed".
# The harness is built a second time by clang when it is installed: SwiftPM
# builds CKernels with clang, and some code paths follow the compiler (the
# reduction lanes of narrow_tmpl.h), so both builds are held to the
# references.
CLANG_CC := $(shell command -v clang 2>/dev/null)

test: deps build $(BUILD_C)/charness $(if $(CLANG_CC),charness-clang)
	scripts/run-tests.sh

charness-clang: deps
	$(MAKE) --no-print-directory CC=clang BUILD_C=.build-c-clang .build-c-clang/charness

# A separate package that depends on Backprop by path: proof that it embeds.
consumer: deps
	$(call DROP_PLAN,Examples/Consumer/.build)
	swift build --package-path Examples/Consumer
	swift run --package-path Examples/Consumer Consumer
	swift run --package-path Examples/Consumer CoreConsumer

# How many of 20 seeds learn seed 03's half adder (release build).
half-adder-seeds: deps
	$(call DROP_PLAN,Examples/Consumer/.build)
	swift run --package-path Examples/Consumer -c release HalfAdderSeeds

# --- Documentation -------------------------------------------------------------
# A DocC catalogue per module (Sources/NAME/NAME.docc) and the seeds' worked
# examples in Snippets/, built by swift-docc-plugin into one archive with
# links between the modules (combined documentation: each module's pages
# may link to the modules it depends on, ``/BackpropCore/Matrix``). A
# warning (a symbol link that does not resolve, an undocumented parameter)
# fails the build. BACKPROP_DOCS makes Package.swift add the plugin, in a
# scratch folder of its own, so the package's users and its other builds
# never fetch it (Package.swift). The result is a static site: serve
# .build-docs/Backprop.doccarchive and open /documentation/backprop.
DOCS_TARGETS := BackpropCore BackpropTabular BackpropPlots Backprop
DOCS_ARCHIVE := .build-docs/Backprop.doccarchive

docs: deps
	BACKPROP_DOCS=1 swift package --scratch-path .build-docs generate-documentation \
	  --enable-experimental-combined-documentation $(addprefix --target ,$(DOCS_TARGETS)) \
	  --warnings-as-errors --output-path $(DOCS_ARCHIVE)
	@# the plugin does not check the exit status of the final `docc merge`
	@for m in $(DOCS_TARGETS); do \
	  page=$(DOCS_ARCHIVE)/data/documentation/$$(echo $$m | tr A-Z a-z).json; \
	  [ -f $$page ] || { echo "make docs: $$page is missing"; exit 1; }; \
	done
	@echo "make docs: $(DOCS_ARCHIVE)"

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
	@echo "  cc -std=c11 prog.c -I$(BUILD_C)/include -L$(BUILD_C) -lbackprop $$(pkg-config --libs gsl) -lm -lpthread"

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
	$(CC) -std=c11 -Wall -Wextra -ICKernels/include -ICKernels -ITests/CHarness $(SAN_FLAGS) \
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
	Benchmarks/gemm/run.sh $(BUILD_C)/bench_gemm Benchmarks/results $(BENCH_ARGS)

# --- Peer benchmark: W1–W5 against numpy, PyTorch, FANN and an OpenBLAS composition ---
# Not part of `make test`. Installs what it needs (apt: libfann-dev, libopenblas-dev;
# pip: numpy, torch CPU, threadpoolctl), builds BackpropBench in release, prints one
# table of ratios and writes Benchmarks/results/peers.json (Benchmarks/peers/README.md).

bench-peers: deps
	python3 Benchmarks/peers/run.py --json Benchmarks/results/peers.json $(BENCH_ARGS)

# W3/W4 in one process, one thread: the OpenBLAS composition with either library's GEMM
# and Backprop's own epoch, alternating (Benchmarks/peers/README.md).
bench-side: deps
	python3 Benchmarks/peers/run.py --side-by-side --rounds 5 $(BENCH_ARGS)

# --- demo ----------------------------------------------------------------------

$(BUILD_C)/single_neuron: Examples/c/single_neuron.c $(BUILD_C)/libbackprop.a
	$(CC) $(CFLAGS) $< $(BUILD_C)/libbackprop.a $(GSL_LIBS) -lm -lpthread -o $@

# The `backprop` command's demo: trains on a built-in data set with live
# progress, prints train and test accuracy, writes loss.svg and
# decision-boundary.svg (plus the model and the data) into backprop-demo/.
DEMO ?= circles
demo: deps
	swift build --product backprop
	"$$(swift build --show-bin-path)/backprop" demo $(DEMO) --out backprop-demo

# Seed 02's single neuron, trained by the C kernels alone (the C example).
demo-c: deps $(BUILD_C)/single_neuron
	$(BUILD_C)/single_neuron

# Every plot the library draws, rendered and checked in headless Chromium
# (Debian's `chromium`, installed when missing): well-formed XML in the
# browser, series and points laid out inside the picture, a non-blank
# screenshot. PNGs are left beside the SVGs in .build-plots/.
plots-check: deps
	@command -v chromium >/dev/null || { $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium; }
	swift build --product backprop
	bash Tests/PlotsCheck/plots-check.sh "$$(swift build --show-bin-path)/backprop" .build-plots

clean:
	rm -rf $(BUILD_C) .build

# --- Workload benchmarks and the regression gate --------------------------------
# `make bench` builds release, runs the workloads (W1–W5, f64 and f32, 1 and 2
# threads), the GEMM comparison against OpenBLAS, then gates on figures that
# are stable on a shared machine — callgrind instruction counts of fixed
# workloads, GEMM ratios against OpenBLAS measured in the same run, and
# allocations per step — against Benchmarks/baselines/baseline.json
# (thresholds in Benchmarks/gate.py). `make bench-update` refreshes the baseline.
BENCH_BIN := Benchmarks/Workloads/.build-release/release/BackpropBench

# SwiftPM keeps the build plan of a package that depends on this one by
# path, and with it the list of CKernels' source files: a C file added since
# is then missing at link time ("undefined reference"). Dropping the plan
# (DROP_PLAN) makes it plan again, which takes a second.
DROP_PLAN = rm -f $(1)/debug.yaml $(1)/release.yaml

bench-build: deps
	$(call DROP_PLAN,Benchmarks/Workloads/.build-release)
	swift build -c release --package-path Benchmarks/Workloads --scratch-path Benchmarks/Workloads/.build-release

bench-workloads: bench-build
	@mkdir -p Benchmarks/results
	for p in f64 f32; do for t in 1 2; do \
	  $(BENCH_BIN) --precision $$p --threads $$t --json Benchmarks/results/workloads-$$p-$${t}t.json || exit 1; \
	done; done

# An optimiser's step against plain SGD's: W3 and W4 (f64/f32, 1 and 2
# threads) trained by SGD, momentum and Adam in turn in one process; the
# ratios go to Benchmarks/results/optimizers.json, reported by the gate
# against the target of 1.15 (not gated: time ratios, Benchmarks/README.md).
bench-optimizers: bench-build
	@mkdir -p Benchmarks/results
	$(BENCH_BIN) --step-cost --json Benchmarks/results/optimizers.json

bench: deps-bench deps-sanitize bench-workloads bench-gemm bench-optimizers
	python3 Benchmarks/gate.py measure Benchmarks/results/current.json
	python3 Benchmarks/gate.py compare Benchmarks/baselines/baseline.json Benchmarks/results/current.json

bench-update: deps-bench deps-sanitize bench-build bench-gemm
	@mkdir -p Benchmarks/baselines
	python3 Benchmarks/gate.py update Benchmarks/baselines/baseline.json

# --- Fuzzing and the Swift tests under sanitizers --------------------------------
# Not part of `make test`. Fuzz/README.md says what each target checks.
# libFuzzer ships with the Swift toolchain's clang; the C target is built by
# it with ASan + UBSan, the Swift targets (the package in Fuzz/, which
# depends on this one by path) by swiftc with -sanitize=fuzzer,address. Each
# target runs FUZZ_RUNS executions, stopped (and failed) at FUZZ_TIME
# seconds; what it finds is kept in .build-fuzz/corpus/, crashes in
# .build-fuzz/crashes/.
FUZZ_CC   ?= $(dir $(realpath $(shell command -v swift)))clang
FUZZ_RUNS ?= 1000000
FUZZ_TIME ?= 1200
FUZZ_DIR  := .build-fuzz
FUZZ_SAN  := -O1 -g -fno-omit-frame-pointer -fno-sanitize-recover=all
FUZZ_SWIFT_BIN = Fuzz/.build/release

$(FUZZ_DIR)/obj/%.o: CKernels/%.c $(KERNEL_HDR)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) -std=c11 -ICKernels/include -ICKernels $(GSL_CFLAGS) $(FUZZ_SAN) \
	  -fsanitize=fuzzer-no-link,address,undefined -c $< -o $@

$(FUZZ_DIR)/fuzz_mlp: Fuzz/c/fuzz_mlp.c Fuzz/c/fuzz_mlp_tmpl.h $(patsubst CKernels/%.c,$(FUZZ_DIR)/obj/%.o,$(KERNEL_SRC))
	$(FUZZ_CC) -std=c11 -Wall -Wextra -ICKernels/include -ICKernels $(GSL_CFLAGS) $(FUZZ_SAN) \
	  -fsanitize=fuzzer,address,undefined $(filter %.c %.o,$^) $(GSL_LIBS) -lpthread -lm -o $@

# The C harness on the same objects: clang's UBSan also checks offsets
# applied to NULL, which GCC's (`make sanitize`) does not.
$(FUZZ_DIR)/charness: $(HARNESS_SRC) $(HARNESS_HDR) $(patsubst CKernels/%.c,$(FUZZ_DIR)/obj/%.o,$(KERNEL_SRC))
	$(FUZZ_CC) -std=c11 -ICKernels/include -ICKernels -ITests/CHarness $(CMOCKA_CFLAGS) $(GSL_CFLAGS) $(FUZZ_SAN) \
	  -Wno-psabi -fsanitize=fuzzer-no-link,address,undefined $(filter %.c %.o,$^) $(HARNESS_WRAP) \
	  $(CMOCKA_LIBS) $(GSL_LIBS) -lpthread -lm -o $@

fuzz-swift: deps
	$(call DROP_PLAN,Fuzz/.build)
	swift build -c release --package-path Fuzz -Xswiftc -sanitize=fuzzer,address

fuzz-c: deps
	$(MAKE) --no-print-directory $(FUZZ_DIR)/fuzz_mlp $(FUZZ_DIR)/charness

fuzz-build: fuzz-c fuzz-swift

fuzz: fuzz-build
	ASAN_OPTIONS=detect_leaks=1 $(FUZZ_DIR)/charness >$(FUZZ_DIR)/charness.log 2>&1 || \
	  { tail -30 $(FUZZ_DIR)/charness.log; exit 1; }
	@echo "C harness under clang ASan + UBSan: clean"
	@status=0; \
	Fuzz/run.sh mlp $(FUZZ_DIR)/fuzz_mlp $(FUZZ_RUNS) $(FUZZ_TIME) $(FUZZ_DIR) || status=1; \
	Fuzz/run.sh csv $(FUZZ_SWIFT_BIN)/FuzzCSV $(FUZZ_RUNS) $(FUZZ_TIME) $(FUZZ_DIR) -dict=Fuzz/csv.dict || status=1; \
	Fuzz/run.sh model $(FUZZ_SWIFT_BIN)/FuzzModelFile $(FUZZ_RUNS) $(FUZZ_TIME) $(FUZZ_DIR) -dict=Fuzz/model.dict || status=1; \
	exit $$status

# The Swift tests (every suite, and the `backprop` processes the command's
# tests start) under AddressSanitizer, then ThreadSanitizer, each in a
# build directory of its own. Leaks inside Foundation and XCTest, and
# nothing else, are suppressed: Fuzz/sanitizers/ says which and why.
SAN_SUPP := $(CURDIR)/Fuzz/sanitizers
sanitize-swift: deps
	LSAN_OPTIONS=suppressions=$(SAN_SUPP)/lsan.supp:print_suppressions=0 \
	  swift test --sanitize=address --scratch-path .build-asan
	TSAN_OPTIONS=suppressions=$(SAN_SUPP)/tsan.supp:halt_on_error=1 \
	  swift test --sanitize=thread --scratch-path .build-tsan
	@echo "make sanitize-swift: clean (AddressSanitizer, ThreadSanitizer)"

# --- C formatting ------------------------------------------------------------------
# .clang-format describes the style of every C file of the project; `make
# format` rewrites them, `make format-check` lists those that differ.
C_FORMATTED = $(shell find CKernels Tests/CHarness Examples/c Fuzz/c Benchmarks/gemm -name '*.[ch]' | sort)

CLANG_FORMAT_VERSION := 23.1.5
CLANG_FORMAT = $(shell command -v clang-format-$(CLANG_FORMAT_VERSION) 2>/dev/null || python3 -c 'import clang_format, os; print(os.path.join(os.path.dirname(clang_format.__file__), "data", "bin", "clang-format"))' 2>/dev/null)

# clang-format from PyPI, pinned: another version formats some lines otherwise.
deps-format:
	@python3 -c 'import clang_format' 2>/dev/null && \
	  python3 -m pip show clang-format 2>/dev/null | grep -q '^Version: $(CLANG_FORMAT_VERSION)$$' || \
	  python3 -m pip install -q 'clang-format==$(CLANG_FORMAT_VERSION)'

format: deps-format
	$(CLANG_FORMAT) -i $(C_FORMATTED)

format-check: deps-format
	@bad=$$(for f in $(C_FORMATTED); do $(CLANG_FORMAT) $$f | cmp -s - $$f || echo $$f; done); \
	if [ -n "$$bad" ]; then echo "not formatted (make format):"; echo "$$bad"; exit 1; fi; \
	echo "make format-check: every C file matches .clang-format"
