#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Build the selftests once, for every ABI, into .cache/selftests/ and print
# that directory (binaries <name>_<abi> and the TESTS list):
#   scripts/build-selftests.sh
# Uses the kselftest headers of the 6.12 source (scripts/linux-source.sh).
# The build output goes to .cache/selftests.log (shown on failure).
# KVMC_SELFTESTS_SRC builds another tree than selftests/ (testing the
# harness itself).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/lib.sh"

out=$KVMC_CACHE/selftests
log=$out.log
sdir=${KVMC_SELFTESTS_SRC:-$top/selftests}
[ -f "$sdir/Makefile" ] || kvmc_die "no $sdir/Makefile"
src=$("$top/scripts/linux-source.sh")
mkdir -p "$out"
if ! make -C "$sdir" OUTPUT="$out" \
	KSFT_DIR="$src/tools/testing/selftests" >"$log" 2>&1; then
	tail -n 40 "$log" >&2
	kvmc_die "selftests build failed (log: $log)"
fi
[ -f "$out/TESTS" ] || kvmc_die "selftests build wrote no $out/TESTS"
grep -i 'skip\|not built\|absent' "$log" >&2 || :
echo "$out"
