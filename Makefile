# A thin wrapper over CMake: make, make test, make demo, make fuzz,
# make install PREFIX=...
PREFIX  ?= /usr/local
BUILD   ?= build
ASAN    ?= build-asan
FUZZ    ?= build-fuzz
TSAN    ?= build-tsan
JOBS    ?= $(shell nproc)
CMAKE   ?= cmake

.PHONY: all build test test-plain test-asan test-tsan demo demo-schemes bench bench-curves perf-page fuzz fuzz-run install clean

all: build

$(BUILD)/CMakeCache.txt:
	$(CMAKE) -S . -B $(BUILD) -DCMAKE_INSTALL_PREFIX=$(PREFIX)

build: $(BUILD)/CMakeCache.txt
	$(CMAKE) --build $(BUILD) -j $(JOBS)

$(ASAN)/CMakeCache.txt:
	$(CMAKE) -S . -B $(ASAN) -DIPCX_SANITIZE=address,undefined -DCMAKE_BUILD_TYPE=Debug

test-plain: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

test-asan: $(ASAN)/CMakeCache.txt
	$(CMAKE) --build $(ASAN) -j $(JOBS)
	cd $(ASAN) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --output-on-failure -j $(JOBS)

# The code that threads share (src/sync/) under ThreadSanitizer: only the
# tests/sync binaries are built, so it stays quick.
$(TSAN)/CMakeCache.txt:
	$(CMAKE) -S . -B $(TSAN) -DIPCX_SANITIZE=thread -DCMAKE_BUILD_TYPE=Debug

test-tsan: $(TSAN)/CMakeCache.txt
	$(CMAKE) --build $(TSAN) -j $(JOBS) --target ipcx_sync_tests shm_threads ipcx_cmd demo_cannibals
	cd $(TSAN) && TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
	  ctest --output-on-failure -j $(JOBS) -L tsan

# The whole suite plainly, under ASan+UBSan, and src/sync/ under TSan.
test: test-plain test-asan test-tsan

# The demos build quietly: the build's output is shown only when it fails.
DEMO_LOG = $(BUILD)/demo-build.log
QUIET_BUILD = mkdir -p $(BUILD) && { { [ -f $(BUILD)/CMakeCache.txt ] || \
	$(CMAKE) -S . -B $(BUILD) -DCMAKE_INSTALL_PREFIX=$(PREFIX); } && \
	$(CMAKE) --build $(BUILD) -j $(JOBS); } >$(DEMO_LOG) 2>&1 || \
	{ cat $(DEMO_LOG); echo "make: the build failed (above; also in $(DEMO_LOG))"; exit 1; }

# The main job: Werkstück A (conv, log, stat, report) with the fastest
# mechanism, one value every 800 ms, until Ctrl-C; its banner says who is
# who, its summary what they did.  Watch it from another terminal:
# pstree -p $$(pgrep -nx werkstueck), ipcx ls.
demo:
	@$(QUIET_BUILD)
	@$(BUILD)/demos/werkstueck --log $(BUILD)/werkstueck.log

# A tour: a receiver and its senders exchange messages over every scheme,
# each exchange checked.
demo-schemes:
	@$(QUIET_BUILD)
	@./demos/twoproc.sh $(BUILD)/tools/ipcx

# The standard benchmark set (under 5 minutes on 2 cores): the table on
# stdout, JSON, CSV and an SVG chart in $(BUILD)/bench-results/.
BENCH_COUNT ?= 10000
bench: build
	mkdir -p $(BUILD)/bench-results
	$(BUILD)/tools/ipcx bench -n $(BENCH_COUNT) --json $(BUILD)/bench-results/bench.json \
	  --csv $(BUILD)/bench-results/bench.csv --plot $(BUILD)/bench-results/bench.svg | tee $(BUILD)/bench-results/bench.md

# Curves instead of points (ipcx bench --sweep): round trip and throughput
# against message size, senders, subscribers, producers and consumers; CSV,
# Markdown, JSON and SVG plots (gnuplot) in $(BUILD)/curves/.  A few minutes.
bench-curves: build
	$(BUILD)/tools/ipcx bench --sweep -n $(BENCH_COUNT) --out $(BUILD)/curves

# docs/PERF.md written anew from one run of every benchmark (bench/perf_page.sh;
# the prose comes from docs/perf-notes.md).  Run it on a quiet machine.
perf-page: build
	$(CMAKE) --build $(BUILD) -j $(JOBS) --target sync_bench shm_bench
	./bench/perf_page.sh $(BUILD) docs/PERF.md

$(FUZZ)/CMakeCache.txt:
	CC=clang $(CMAKE) -S . -B $(FUZZ) -DIPCX_FUZZ=ON -DBUILD_TESTING=OFF

fuzz: $(FUZZ)/CMakeCache.txt
	$(CMAKE) --build $(FUZZ) -j $(JOBS)

# Each fuzz target for FUZZ_SECONDS (default 30).
FUZZ_SECONDS ?= 30
fuzz-run: fuzz
	./fuzz/run.sh $(FUZZ) $(FUZZ_SECONDS)

# Configure again with PREFIX, so ipcx.pc names the prefix installed to.
install: build
	$(CMAKE) -S . -B $(BUILD) -DCMAKE_INSTALL_PREFIX=$(PREFIX) >/dev/null
	$(CMAKE) --build $(BUILD) -j $(JOBS)
	$(CMAKE) --install $(BUILD) --prefix $(PREFIX)

clean:
	rm -rf $(BUILD) $(ASAN) $(FUZZ) $(TSAN)
