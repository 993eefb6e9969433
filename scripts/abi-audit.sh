#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# "make abi-audit": is KVM's uAPI the same for 64-bit and compat callers?
#   scripts/abi-audit.sh                 every series of scripts/kernels.conf
#                                        that is present; writes
#                                        Documentation/abi-audit.rst
#   scripts/abi-audit.sh [-o PAGE] SPEC...   your own headers or trees
#   scripts/abi-audit.sh -n [SPEC...]    no page (make lint's check)
# A SPEC is NAME=HEADERS[@SOURCE]:
#   HEADERS  a linux-source tarball, a kernel tree or linux-headers-*-common
#            directory (uapi headers installed from it, headers_install's
#            way), an installed include directory (with linux/kvm.h), or a
#            kvm.h file (put in place of <linux/kvm.h>, or of <asm/kvm.h>
#            when it has no KVM_API_VERSION, in the first series' headers)
#   SOURCE   a tarball or tree whose virt/kvm and arch/*/kvm classify the
#            findings (default: HEADERS when it is a tarball or tree)
# e.g. scripts/abi-audit.sh mine=/tmp/kvm.h@/usr/src/linux-source-6.12.tar.xz
# For each header set and each ABI pair of scripts/abi-pairs.conf, the
# layouts come from clang (scripts/abi-layout.sh), upstream's handlers from
# the source (scripts/abi-upstream.awk), kvm_compat's from its own
# (scripts/kvmc-ioctls.sh); scripts/abi-findings.awk compares and
# classifies, scripts/abi-audit-rst.awk writes the page. A series whose
# headers are not on this machine is skipped, and said so.
# Last line:
#   abi-audit: K headers, N ioctls, D differ, U not handled upstream,
#   M not handled by kvm_compat
# (K header sets, one per series and architecture; N ioctls and struct
# kvm_run; D of them differ between a 64-bit and a compat ABI where the
# architecture implements them (wherever they are defined, for a header set
# without source); U reach upstream's compat path untranslated;
# M differ in what kvm_compat implements without a translation). Exit 1 if
# M > 0, if gcc disagrees with clang about an ABI it can target
# (scripts/abi-gcc-check.sh), or if an x86 ioctl upstream does not handle
# has no observed
# behaviour in selftests/ (" * abi-audit: NAME: ..." comment lines, see
# selftests/compat_gap_test.c).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/lib.sh"
. "$top/scripts/abi-pairs.conf"

page="$top/Documentation/abi-audit.rst"
default=y
if [ "${1:-}" = -o ]; then
	page=$2
	shift 2
	default=n
elif [ "${1:-}" = -n ]; then
	page=
	shift
elif [ $# -gt 0 ]; then
	page=
fi
[ $# -eq 0 ] || default=n
roots=${KVMC_ROOTS:-$KVMC_CACHE/roots}
work="$KVMC_CACHE/audit"
# KVMC_AUDIT_RUN: where the findings go (.cache/audit/run); KVMC_AUDIT_ARCHS:
# only these architectures of scripts/abi-pairs.conf.
run=${KVMC_AUDIT_RUN:-$work/run}
rm -rf "$run"
mkdir -p "$run"
skipped="$run/skipped"
: >"$skipped"
: >"$run/sets"

"$top/scripts/deps.sh" audit
# The linux-source of each series of another suite, in its build root
# (the host's own come with "deps.sh audit").
if [ "$default" = y ]; then
	for s in $KVMC_SERIES_ALL; do
		r=$(kvmc_root "$s")
		[ -n "$r" ] || continue
		kvmc_pkg_installed "linux-source-$s" "$r" && continue
		kvmc_log "abi-audit: installing linux-source-$s in $r"
		kvmc_pkg_available "linux-source-$s" "$r" || kvmc_apt_update_once "$r"
		kvmc_apt "$r" apt-get install -y -qq --no-install-recommends \
			"linux-source-$s" >&2
	done
fi

# The series' own headers and source: on the host for its own suite, else
# in the suite's build root (scripts/build-root.sh, .cache/roots/<suite>/).
# shellcheck disable=SC2154
series_specs() {
	for s in $KVMC_SERIES_ALL; do
		v=$(printf '%s' "$s" | tr . _)
		eval "pin=\${kvmc_pin_$v:-}"
		eval "suite=\${kvmc_suite_$v:-}"
		r=
		if [ -n "$suite" ] && [ "$suite" != "${KVMC_HOST_SUITE:-bookworm}" ]; then
			r="$roots/$suite"
		fi
		tarball="$r/usr/src/linux-source-$s.tar.xz"
		common=$(ls -d "$r/usr/src/linux-headers-$pin"*-common 2>/dev/null | head -n1 || :)
		if [ -f "$tarball" ]; then
			echo "$s=$tarball"
		elif [ -n "$common" ]; then
			echo "$s=$common"
		else
			echo "skipped $s: no linux-source-$s.tar.xz or linux-headers-$pin*-common in ${r:-/}usr/src" >>"$skipped"
		fi
	done
}

if [ "$default" = y ]; then
	# shellcheck disable=SC2046
	set -- $(series_specs)
fi
[ $# -gt 0 ] || kvmc_die "abi-audit: no header set to audit (see $skipped)"

"$top/scripts/kvmc-ioctls.sh" >"$run/kvmc"
echo "$KVMC_ABI_PAIRS" | while read -r arch sym abi64 compats; do
	[ -n "$arch" ] || continue
	case " ${KVMC_AUDIT_ARCHS:-$arch} " in *" $arch "*) ;; *) continue ;; esac
	echo "$arch $sym $abi64 $compats"
done >"$run/pairs"

for spec in "$@"; do
	name=${spec%%=*}
	rest=${spec#*=}
	hdr=${rest%%@*}
	src=
	[ "$rest" != "$hdr" ] && src=${rest#*@}
	tree=
	if [ -f "$hdr" ] && [ "${hdr%.tar.*}" != "$hdr" ]; then
		tree=$("$top/scripts/kernel-tree.sh" "$hdr")
	elif [ -d "$hdr" ] && [ -d "$hdr/include/uapi" ]; then
		tree=$(cd "$hdr" && pwd)
	fi
	if [ -z "$src" ] && [ -n "$tree" ] && [ -d "$tree/virt/kvm" ]; then
		src=$tree
	elif [ -n "$src" ]; then
		src=$("$top/scripts/kernel-tree.sh" "$src")
		[ -d "$src/virt/kvm" ] || { echo "$name: $src has no virt/kvm: findings not classified" >>"$skipped"; src=; }
	fi
	while read -r arch sym abi64 compats; do
		set_dir="$run/$name-$arch"
		mkdir -p "$set_dir"
		inc=
		if [ -n "$tree" ]; then
			if [ ! -d "$tree/arch/$arch/include/uapi/asm" ]; then
				echo "skipped $name $arch: no arch/$arch uapi headers" >>"$skipped"
				continue
			fi
			inc=$("$top/scripts/uapi-headers.sh" "$tree" "$arch" "$work/inc/$name-$arch")
		elif [ -d "$hdr" ] && [ -f "$hdr/linux/kvm.h" ]; then
			# An installed include directory is one architecture's:
			# taken as the first one's (x86).
			if [ -f "$run/sets" ] && grep -q "^$name " "$run/sets"; then
				echo "skipped $name $arch: $hdr taken as $(grep "^$name " "$run/sets" | cut -d' ' -f2)'s" >>"$skipped"
				continue
			fi
			inc=$(cd "$hdr" && pwd)
		elif [ -f "$hdr" ]; then
			base=$(cat "$run/first-inc-$arch" 2>/dev/null || :)
			[ -n "$base" ] || { echo "skipped $name $arch: no series headers to put $hdr in" >>"$skipped"; continue; }
			inc="$set_dir/inc"
			cp -r "$base" "$inc"
			if grep -q KVM_API_VERSION "$hdr"; then
				cp "$hdr" "$inc/linux/kvm.h"
			else
				cp "$hdr" "$inc/asm/kvm.h"
			fi
		else
			echo "skipped $name: $hdr is not a tarball, tree, include directory or header" >>"$skipped"
			break
		fi
		[ -f "$run/first-inc-$arch" ] || echo "$inc" >"$run/first-inc-$arch"
		echo "$name $arch" >>"$run/sets"

		# Upstream's handlers for this architecture.
		: >"$set_dir/upstream"
		if [ -n "$src" ] && [ -d "$src/arch/$arch/kvm" ]; then
			# shellcheck disable=SC2046 # file lists, no spaces
			awk -v arch_sym="$sym" -f "$top/scripts/abi-upstream.awk" \
				"$src/virt/kvm/Kconfig" \
				$(ls "$src/include/linux/kvm_host.h" 2>/dev/null) \
				"$src"/virt/kvm/*.c \
				$(find "$src/arch/$arch/kvm" -name '*.c' | LC_ALL=C sort) \
				>"$set_dir/upstream"
		else
			echo "$name $arch: no KVM source: findings not classified against upstream" >>"$skipped"
		fi

		# Every ABI's layout, two at a time; one that does not compile
		# is skipped (its errors in <abi>.err), and said so.
		a64=${abi64%%:*}
		pids=
		for at in $abi64 $compats; do
			tgt=${at#*:}
			"$top/scripts/abi-layout.sh" "$inc" "${tgt%%:*}" "$set_dir/${at%%:*}.tsv" \
				2>"$set_dir/${at%%:*}.err" || rm -f "$set_dir/${at%%:*}.tsv" &
			pids="$pids $!"
			if [ "$(echo "$pids" | wc -w)" -ge 2 ]; then
				for p in $pids; do wait "$p" || :; done
				pids=
			fi
		done
		for p in $pids; do wait "$p" || :; done
		for at in $abi64 $compats; do
			n=${at%%:*} tgt=${at#*:}
			gf=
			[ "${tgt#*:}" = "$tgt" ] || gf=${tgt#*:}
			if [ ! -f "$set_dir/$n.tsv" ]; then
				echo "skipped $name $arch $n: the headers do not compile for ${tgt%%:*} ($(grep -m1 'error:' "$set_dir/$n.err" | sed 's/.*error: //'))" >>"$skipped"
			elif [ -n "$gf" ]; then
				if r=$("$top/scripts/abi-gcc-check.sh" "$set_dir/$n.tsv" "$inc" "$gf"); then
					echo "$name $n ${r%% *}" >>"$run/gcc-agrees"
				else
					echo "$r" >&2
					echo "$name $arch $n: gcc $gf disagrees with clang" >>"$run/gcc-disagrees"
				fi
			fi
		done
		[ -f "$set_dir/$a64.tsv" ] || continue
		for at in $compats; do
			c=${at%%:*}
			[ -f "$set_dir/$c.tsv" ] || continue
			awk -v series="$name" -v arch="$arch" -v pair="$a64/$c" \
				-v kvmc_arch="${KVMC_ARCH%_64}" \
				-f "$top/scripts/abi-findings.awk" "$set_dir/$a64.tsv" \
				"$set_dir/$c.tsv" "$set_dir/upstream" "$run/kvmc" >>"$run/findings"
		done
	done <"$run/pairs"
done

# Observed behaviour: the selftests' " * abi-audit: NAME: text" comment
# lines, continued on " *   more text" lines.
awk '/^ \* abi-audit: [A-Za-z_0-9]+: / {
	if (name != "") print "observed\t" name "\t" text
	name = $3; sub(/:$/, "", name); text = $0; sub(/^ \* abi-audit: [A-Za-z_0-9]+: /, "", text)
	next
}
name != "" && /^ \*   +[^ ]/ { l = $0; sub(/^ \*   +/, "", l); text = text " " l; next }
name != "" { print "observed\t" name "\t" text; name = "" }
END { if (name != "") print "observed\t" name "\t" text }' "$top"/selftests/*.c >"$run/observed"

if [ -n "$page" ]; then
	awk -v skipped="$skipped" -f "$top/scripts/abi-audit-rst.awk" \
		"$run/observed" "$run/findings" >"$page.tmp"
	mv "$page.tmp" "$page"
	echo "abi-audit: wrote ${page#"$top"/}"
fi

while read -r l; do echo "abi-audit: $l"; done <"$skipped"
if [ -s "$run/gcc-agrees" ]; then
	echo "abi-audit: gcc agrees with clang on $(awk '{ s += $3 } END { print s }' "$run/gcc-agrees") ioctl values, sizes, alignments and offsets ($(awk '{ print $2 }' "$run/gcc-agrees" | sort -u | tr '\n' ' ' | sed 's/ $//'))"
fi
gcc_bad=0
if [ -s "$run/gcc-disagrees" ]; then
	sed 's/^/abi-audit: /' "$run/gcc-disagrees"
	gcc_bad=1
fi
# The counts (distinct names over every header set and pair).
awk -F'\t' -v sets="$(wc -l <"$run/sets")" -v gcc_bad="$gcc_bad" '
FILENAME == ARGV[1] { obs[$2] = 1; next }
$1 != "ioctl" { next }
{
	n[$4] = 1
	if ($6 == "y" && $7 != "not-on-arch") d[$4] = 1
	if ($7 == "not-handled") { u[$4] = 1; if ($3 ~ /^x86_64\//) ux[$4] = 1 }
	if ($8 == "not-handled") m[$4] = 1
}
END {
	for (i in n) N++
	for (i in d) D++
	for (i in u) U++
	for (i in m) { M++; print "abi-audit: not handled by kvm_compat: " i }
	for (i in ux) if (!(i in obs)) { bad = 1; print "abi-audit: no selftest shows what upstream answers for " i " (add a \" * abi-audit: " i ": ...\" comment to the test that does)" }
	printf "abi-audit: %d headers, %d ioctls, %d differ, %d not handled upstream, %d not handled by kvm_compat\n", sets, N, D, U, M
	exit (M > 0 || bad || gcc_bad)
}' "$run/observed" "$run/findings"
