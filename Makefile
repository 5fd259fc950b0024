# MicroV's workflow. Every target that needs tools first runs scripts/deps.sh (quick when all is there).
#   make demo                   start the test bed and show MicroV's main job
#   make test                   every test: unit (plain and ASan+UBSan), image checks, integration
#   make itest T=<name> [CPUS=n]                  one integration test in the test bed
#   make vm-run SCRIPT=<path> [FILES="..."] [CPUS=n]   any script inside the test bed
#   GDB=1 with itest, vm-run or demo: the machine waits for gdb on localhost:1234
#   make loader_quick | start | stop | dump | status   on a REAL AMD-V host: hoist THIS OS (see README)
#   make build | unit | unit-asan | coverage | integration | info | format | format-check | tidy | clean
# Variables: BUILD_TYPE=Debug|Release, CPUS (default 2), BUILD (build tree, default build).

BUILD ?= build
BUILD_TYPE ?= Debug
CPUS ?= 2
ASAN_BUILD := $(BUILD)-asan
JOBS ?= $(shell nproc)
ITESTS := $(sort $(wildcard tests/integration/*.sh))
# GDB=1 starts the test bed halted with QEMU's gdb stub on localhost:1234.
TESTBED := testbed/run.sh --build $(BUILD) --cpus $(CPUS) $(if $(GDB),--gdb)
export CC := clang
export CXX := clang++

.PHONY: loader_quick start stop dump status
.PHONY: all deps configure build build-asan coverage unit unit-asan integration test demo itest vm-run info format format-check tidy clean

all: build

deps:
	@scripts/deps.sh

$(BUILD)/build.ninja:
	@scripts/deps.sh
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE)

$(ASAN_BUILD)/build.ninja:
	@scripts/deps.sh
	cmake -S . -B $(ASAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DMICROV_SANITIZE=ON -DMICROV_BUILD_MODULES=OFF

configure: $(BUILD)/build.ninja

build: $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

unit: build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)

build-asan: $(ASAN_BUILD)/build.ninja
	cmake --build $(ASAN_BUILD) -j $(JOBS)

unit-asan: build-asan
	ctest --test-dir $(ASAN_BUILD) --output-on-failure -j $(JOBS)

integration: build
	$(TESTBED) $(ITESTS)

test: deps
	@scripts/test-all.sh

demo: build
	$(TESTBED) --stream testbed/demo.sh

itest: build
	@test -n "$(T)" || { echo "usage: make itest T=<name> [CPUS=n]; tests: $(notdir $(basename $(ITESTS)))"; exit 2; }
	@test -f tests/integration/$(T).sh || { echo "no integration test '$(T)'; tests: $(notdir $(basename $(ITESTS)))"; exit 2; }
	$(TESTBED) tests/integration/$(T).sh

vm-run: build
	@test -n "$(SCRIPT)" || { echo "usage: make vm-run SCRIPT=<path> [FILES=\"<paths>\"] [CPUS=n]"; exit 2; }
	$(TESTBED) --stream --files "$(FILES)" $(SCRIPT)

# On a real Linux host with AMD-V: these hoist the host's OWN running OS into MicroV's root VM.
# Only on a machine you can afford to lose; never on a build or CI machine. POOL is in MiB.
POOL ?= 32
VMMCTL := $(BUILD)/tools/vmmctl/vmmctl
loader_quick: build
	@echo "WARNING: loading MicroV's loader into the kernel of THIS machine"
	-sudo rmmod microv_loader 2>/dev/null
	sudo insmod $(BUILD)/loader/linux/microv_loader.ko

start: build
	@echo "WARNING: demoting THIS machine's running OS into MicroV's root VM"
	sudo $(VMMCTL) start --kernel $(BUILD)/kernel/microv_kernel.bin --ext $(BUILD)/vmm/microv_vmm.elf --pool $(POOL)

stop:
	sudo $(VMMCTL) stop

dump:
	sudo $(VMMCTL) dump

status:
	sudo $(VMMCTL) status

COV_BUILD := $(BUILD)-cov
coverage:
	@scripts/deps.sh
	cmake -S . -B $(COV_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DMICROV_COVERAGE=ON -DMICROV_BUILD_MODULES=OFF
	cmake --build $(COV_BUILD) -j $(JOBS)
	@scripts/coverage.sh $(COV_BUILD)

info: $(BUILD)/build.ninja
	@scripts/info.sh $(BUILD)

FORMAT_FILES = $(shell git ls-files --cached --others --exclude-standard '*.c' '*.h' '*.cpp' '*.hpp')
format:
	clang-format -i $(FORMAT_FILES)

format-check:
	clang-format --dry-run --Werror $(FORMAT_FILES)

tidy: build
	@scripts/tidy.sh $(BUILD)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(COV_BUILD)
