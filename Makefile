# SPDX-License-Identifier: GPL-2.0
#
# kvm_compat: top-level Makefile, for humans (kbuild itself reads ./Kbuild).
#
#   make [modules]   build kvm_compat.ko against the running kernel
#                    (KDIR=/lib/modules/$(uname -r)/build, TRANSLATE=y|n)
#   make clean       remove the module build products
#   make selftests   build the selftests for every ABI into .cache/selftests/
#   make check       lint + the whole QEMU test matrix; last line
#                    "N passed, N failed, N skipped"; exit 1 on any failure
#   make check-debug the selftests on a debug kernel (KASAN, lockdep,
#                    kmemleak, UBSAN; built once from linux-source-6.12),
#                    module with gcov; last line "debug: N passed, N failed;
#                    K KASAN, L lockdep, M kmemleak, U UBSAN reports;
#                    coverage C% lines"; exit 1 on any failure or report
#                    (MODES, TESTS, ABIS filter it too)
#   make demo        boot 6.12 three times, print what 32-bit callers see
#   make fuzz        random exploration with the ioctl fuzzer (fresh seeds;
#                    never part of make check): boots the test guests, prints
#                    a "make fuzz ... SEED=... BATCH=..." line that replays
#                    each finding, last "fuzz: N runs of S seeds (C calls),
#                    F findings"; exit 1 on findings (knobs below)
#   make bench       ns/op of each translated and a few passed-through ioctls
#                    from x86_64, ia32 and x32 on /dev/kvm_compat and /dev/kvm
#                    (one 6.12 guest); last line "bench: worst compat/native
#                    ratio R (net of the syscall entry; raw R0)"; exit 0
#                    unless it could not run
#                    (KVMC_BENCH_ROUNDS, _MS, _BATCHES, _FILTER, _TOL,
#                    _SMP: see scripts/bench.sh, Documentation/bench.rst)
#   make abi-audit   every ioctl of <linux/kvm.h>/<asm/kvm.h> and kvm_run,
#                    64-bit vs compat ABIs, for each kernel series present:
#                    writes Documentation/abi-audit.rst; last line
#                    "abi-audit: K headers, N ioctls, D differ, U not
#                    handled upstream, M not handled by kvm_compat"
#                    (AUDIT="name=kvm.h|tree|tarball[@source] ..." audits
#                    your own instead and writes no page)
#   make upstream-check
#                    the patch series of upstream/ proven on a patched
#                    /dev/kvm: checkpatch --strict, applied to 7.3 and
#                    6.12, kvm.ko + kvm-amd.ko built W=1 + sparse against
#                    Debian's headers, every selftest on the unpatched and
#                    the patched build, the selftests as a kselftest
#                    target; last line "upstream: P patches, applied to
#                    V, checkpatch C, build W warnings; R documented
#                    differences resolved, N new differences"
#                    (UPSTREAM_SERIES, TESTS, ABIS; upstream/README)
#   make lint        W=1, sparse, checkpatch, coccinelle, Kconfig; selftests:
#                    checkpatch, -Werror; shellcheck: 0 findings
#   make deps        install the Debian packages all of the above need
#
# Variables for "make check" (a developer's filters):
#   KERNELS="5.10 6.1 6.12 7.2 7.3"
#                        kernel series (pins in scripts/kernels.conf)
#   KDIR=/path/to/tree   instead: a kernel tree you built (its bzImage, and
#                        its KVM as the oracle when built with KVM_AMD)
#   MODES="y n"          CONFIG_KVM_COMPAT_REF_TRANSLATE values
#   TESTS="name ..."     selftests by name (default: all in TESTS)
#   ABIS="64 32 x32"     userspace ABIs
#   NOIA32=1             also boot translate=y with ia32_emulation=0 (on
#                        kernels that know it: 6.7+)
#   LINT=1               run "make lint" first (0 skips it)
#   JOBS=2               guests booted at once
#   e.g. make check KERNELS=6.12 MODES=y TESTS=memslot_test ABIS=32 LINT=0
# Variables for "make fuzz" (also KERNELS, default "6.1 6.12"; MODES,
# default y; ABIS; JOBS):
#   DEVICES="/dev/kvm_compat /dev/kvm"
#   DURATION=120         seconds of fuzzing per boot
#   ITERS=2500           calls per run (a seed, an ABI, a device)
#   SEED=0x... BATCH=B   replay one seed (and only its batch B, every call
#                        printed) instead of drawing seeds
# Other knobs (environment): KVMC_KVER_<series> e.g. KVMC_KVER_6_12 (exact
# kernel release), KVMC_ARCH (scripts/arch/), KVMC_SMP, KVMC_MEM, KVMC_BOOT_TIMEOUT
# (s, default 240), KVMC_TEST_TIMEOUT (s per binary, default 90),
# KVMC_LINT_CACHE=0 (ignore the cached clean lint result).
# One guest by hand: scripts/mkinitramfs.sh + scripts/qemu-run.sh
# (KVMC_INTERACTIVE=1 and -a kvmc.cmd=shell give a shell in the guest).

KDIR ?= /lib/modules/$(shell uname -r)/build
TRANSLATE ?= y

KERNELS ?=
MODES ?=
TESTS ?=
ABIS ?=
NOIA32 ?= 1
# (GNU make predefines LINT=lint: only a value given by the user counts)
ifeq ($(filter command line environment environment override,$(origin LINT)),)
LINT := 1
endif
JOBS ?= 2
DEVICES ?=
DURATION ?=
ITERS ?=
SEED ?=
BATCH ?=

AUDIT ?=

.PHONY: all modules clean selftests check check-debug demo bench fuzz lint deps help
.PHONY: abi-audit upstream-check

all: modules

modules:
	$(MAKE) -C $(KDIR) M=$(CURDIR) CONFIG_KVM_COMPAT_REF=m \
		CONFIG_KVM_COMPAT_REF_TRANSLATE=$(TRANSLATE) modules

clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean

selftests:
	scripts/deps.sh build source
	scripts/build-selftests.sh

# "make check KDIR=/your/tree": that tree is the kernel under test
# (scripts/own-kernel.sh); lint then only runs if LINT=1 is given too.
ifneq ($(filter command line environment environment override,$(origin KDIR)),)
CHECK_OWN_KDIR := $(KDIR)
ifeq ($(filter command line environment environment override,$(origin LINT)),)
LINT := 0
endif
endif

check:
	KERNELS="$(KERNELS)" MODES="$(MODES)" TESTS="$(TESTS)" ABIS="$(ABIS)" \
	NOIA32="$(NOIA32)" LINT="$(LINT)" JOBS="$(JOBS)" \
	OWN_KDIR="$(CHECK_OWN_KDIR)" scripts/check.sh

check-debug:
	MODES="$(MODES)" TESTS="$(TESTS)" ABIS="$(ABIS)" scripts/check-debug.sh

demo:
	scripts/demo.sh

bench:
	scripts/bench.sh

fuzz:
	KERNELS="$(KERNELS)" MODES="$(MODES)" ABIS="$(ABIS)" DEVICES="$(DEVICES)" \
	DURATION="$(DURATION)" ITERS="$(ITERS)" SEED="$(SEED)" BATCH="$(BATCH)" \
	JOBS="$(JOBS)" scripts/fuzz.sh

lint:
	scripts/lint.sh

abi-audit:
	scripts/abi-audit.sh $(AUDIT)

upstream-check:
	UPSTREAM_SERIES="$(UPSTREAM_SERIES)" TESTS="$(TESTS)" ABIS="$(ABIS)" \
	scripts/upstream-check.sh

deps:
	scripts/deps.sh all

help:
	@sed -n '3,/^$$/s/^# \{0,1\}//p' $(firstword $(MAKEFILE_LIST))
