# A thin wrapper over CMake: make, make test, make demo, make fuzz,
# make install PREFIX=...
PREFIX  ?= /usr/local
BUILD   ?= build
ASAN    ?= build-asan
FUZZ    ?= build-fuzz
JOBS    ?= $(shell nproc)
CMAKE   ?= cmake

.PHONY: all build test test-plain test-asan demo fuzz fuzz-run install clean

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

# The whole suite twice: plainly, then under ASan+UBSan.
test: test-plain test-asan

demo: build
	./demos/twoproc.sh $(BUILD)/tools/ipcx

$(FUZZ)/CMakeCache.txt:
	CC=clang $(CMAKE) -S . -B $(FUZZ) -DIPCX_FUZZ=ON -DBUILD_TESTING=OFF

fuzz: $(FUZZ)/CMakeCache.txt
	$(CMAKE) --build $(FUZZ) -j $(JOBS)

# Each fuzz target for FUZZ_SECONDS (default 30).
FUZZ_SECONDS ?= 30
fuzz-run: fuzz
	./fuzz/run.sh $(FUZZ) $(FUZZ_SECONDS)

install: build
	$(CMAKE) --install $(BUILD) --prefix $(PREFIX)

clean:
	rm -rf $(BUILD) $(ASAN) $(FUZZ)
