#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Print the table of Documentation/by-version.rst (what each kernel
# series' upstream /dev/kvm did, where that differs between series) from
# the results of a "make check" run over every series:
#   scripts/by-version-table.sh [RESULTS_DIR] > Documentation/by-version-table.rst
# RESULTS_DIR defaults to .cache/results/latest. "make check" over the whole
# matrix compares it with the committed page and fails when they differ.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/lib.sh"

dir=${1:-$KVMC_CACHE/results/latest}
[ -f "$dir/cases.tsv" ] || kvmc_die "no $dir/cases.tsv"
awk -v series="$KVMC_SERIES_ALL" -v byversion="$top/Documentation/by-version.rst" \
	-f "$top/scripts/by-version-table.awk" "$dir/cases.tsv"
