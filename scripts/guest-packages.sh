#!/bin/bash
# Install Debian packages into a guest root tree (an initramfs being
# built) without touching the host's package state: apt resolves each
# package's dependency closure against an empty private dpkg status, the
# .debs land in a shared cache ($DEVCALL_CACHE/debs, reused by every run),
# dpkg-deb unpacks them, ldconfig indexes the tree's libraries, and every
# ELF file of the named packages is checked to find all the libraries it
# needs inside the tree.
#
#   scripts/guest-packages.sh [-q] [--tag NAME] ROOT PACKAGE...
#
# Left out (never for a package named on the command line): packages
# marked Essential (busybox stands in for their commands) and the
# packaging and boot machinery that only maintainer scripts or a booted
# init use (see "machinery" below). The private status records them as
# installed, so apt does not pull in what only they need either.
# Progress goes to stderr, one line a step (-q: errors only).
set -euo pipefail

tag=guest-packages quiet=0
while [ $# -gt 0 ]; do
	case "$1" in
	-q) quiet=1; shift ;;
	--tag) tag=$2; shift 2 ;;
	*) break ;;
	esac
done
[ $# -ge 2 ] || { echo "usage: $0 [-q] [--tag NAME] ROOT PACKAGE..." >&2; exit 2; }
root=$1
shift
named=("$@")
# The package names without apt's =VERSION, /RELEASE or :ARCH.
names=("${named[@]%%[=/:]*}")

say() { [ $quiet = 1 ] || echo "$tag: $*" >&2; }
die() { echo "$tag: $*" >&2; exit 1; }

# Packaging and boot machinery a busybox initramfs runs none of.
machinery=" debconf cdebconf adduser passwd usrmerge usr-is-merged ucf
	install-info lsb-base sensible-utils systemd systemd-sysv init udev
	dbus "

cache=${DEVCALL_CACHE:-/var/cache/devcall}
debs=$cache/debs
mkdir -p "$debs" "$cache/apt" || die "cannot create the package cache $debs"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
: > "$tmp/status"
# Our own status and extended states, so the host's installed set neither
# shortens the closure nor changes; the parsed-lists cache is shared (the
# Docker images' apt config turns apt's own off, and parsing the lists
# every run costs seconds).
apt=(-o "Dir::State::status=$tmp/status"
     -o "Dir::State::extended_states=$tmp/extended_states"
     -o "Dir::Cache::pkgcache=" -o "Dir::Cache::srcpkgcache=$cache/apt/srcpkgcache.bin"
     -o Debug::NoLocking=1 -o APT::Install-Recommends=0
     -o APT::Install-Suggests=0 -o APT::Sandbox::User=root)

lists_present() {
	local dir
	eval "$(apt-config shell dir Dir::State::lists/d)"
	compgen -G "$dir*_Packages*" >/dev/null
}

updated=0
apt_update() {
	[ $updated = 0 ] || return 1
	say "updating the apt package lists"
	apt-get update -qq >&2 || die "apt-get update failed"
	updated=1
}

# The closure apt would install: lines "NAME VERSION ARCH".
closure() {
	local err=$tmp/apt.err
	if ! apt-get -s install "${apt[@]}" "${named[@]}" >"$tmp/sim" 2>"$err"; then
		sed -n 's/^E: /apt: /p' "$err" | while read -r line; do
			echo "$tag: $line" >&2
		done
		die "cannot resolve --package ${named[*]} (a Debian package name? 'apt-get update' refreshes the lists)"
	fi
	# "Inst NAME [OLD] (VERSION ORIGINS [ARCH]) []": the trailing [] marks
	# a package in a dependency loop.
	sed -n 's/^Inst \([^ ]*\) \(\[[^]]*\] \)\{0,1\}(\([^ ]*\) [^[]*\[\([^]]*\)\]).*/\1 \3 \4/p' \
		"$tmp/sim"
}

# Package records of NAME=VERSION...: lines "NAME VERSION ARCH ESSENTIAL
# SHA256 PROVIDES" (PROVIDES with commas, no spaces).
records() {
	apt-cache show "${apt[@]}" "$@" | awk '
	function out() {
		if (p != "" && !(p in seen)) {
			seen[p] = 1
			print p, v, a, (e == "" ? "no" : e), h, (pr == "" ? "-" : pr)
		}
		p = v = a = e = h = pr = ""
	}
	/^Package: / { p = $2 }
	/^Version: / { v = $2 }
	/^Architecture: / { a = $2 }
	/^Essential: / { e = $2 }
	/^SHA256: / { h = $2 }
	/^Provides: / { sub(/^Provides: /, ""); gsub(/ /, ""); pr = $0 }
	/^$/ { out() }
	END { out() }'
}

is_named() {
	case " ${names[*]} " in *" $1 "*) return 0 ;; esac
	return 1
}

# Resolve, dropping what the initramfs does not take, until the closure
# holds none of it: each pass records the dropped packages as installed.
resolve() {
	local pass name ver arch ess sha prov new
	skipped=()
	: > "$tmp/status"
	for pass in 1 2 3 4 5; do
		closure > "$tmp/closure"
		[ -s "$tmp/closure" ] || die "apt resolved nothing for ${named[*]}"
		records $(awk '{print $1 "=" $2}' "$tmp/closure") > "$tmp/records"
		new=0
		while read -r name ver arch ess sha prov; do
			is_named "$name" && continue
			[ "$ess" = yes ] || [[ "$machinery" == *[[:space:]]"$name"[[:space:]]* ]] ||
				continue
			skipped+=("$name")
			new=1
			{
				echo "Package: $name"
				echo "Status: install ok installed"
				echo "Version: $ver"
				echo "Architecture: $arch"
				[ "$prov" = - ] || echo "Provides: ${prov//,/, }"
				echo
			} >> "$tmp/status"
		done < "$tmp/records"
		[ $new = 1 ] || return 0
	done
	die "the closure of ${named[*]} keeps pulling in Essential packages"
}

deb_of() {	# deb_of NAME VERSION ARCH: the cache file, named as apt names it
	echo "$debs/${1}_${2//:/%3a}_$3.deb"
}

# Download what the cache lacks (or holds damaged), checked against the
# SHA256 of the lists, then moved in whole so concurrent runs share it.
fetch() {
	local name ver arch ess sha prov f want=() dl
	while read -r name ver arch ess sha prov; do
		echo "$sha  $(deb_of "$name" "$ver" "$arch")"
	done < "$tmp/records" > "$tmp/sums"
	# sha256sum -c: "FILE: OK", or FAILED, or an open error for a new one
	while IFS=: read -r f ok; do
		[ "$ok" = " OK" ] && continue
		f=${f##*/}
		f=${f%.deb}
		want+=("${f%%_*}=$(v=${f#*_}; v=${v%_*}; echo "${v//%3a/:}")")
	done < <(sha256sum -c "$tmp/sums" 2>/dev/null || true)
	say "downloading ${#want[@]} .debs (cached $(($(wc -l < "$tmp/sums") - ${#want[@]})))"
	[ ${#want[@]} -gt 0 ] || return 0
	dl=$(mktemp -d "$debs/.download.XXXXXX")
	if ! (cd "$dl" && apt-get download -qq "${apt[@]}" "${want[@]}" >&2); then
		rm -rf "$dl"
		return 1
	fi
	sed "s|  $debs/|  $dl/|" "$tmp/sums" | grep -F "$dl/" |
		(cd "$dl" && sha256sum -c --quiet --ignore-missing) >&2 ||
		{ rm -rf "$dl"; die "a downloaded .deb does not match the SHA256 in the apt lists"; }
	for f in "$dl"/*.deb; do
		mv -f "$f" "$debs/"
	done
	rm -rf "$dl"
}

# A resolution holds while the apt lists and this script stay as they
# are: keep it in the cache, as solving takes apt seconds.
resolved_key() {
	local dir
	eval "$(apt-config shell dir Dir::State::lists/d)"
	{ printf '%s\n' "${named[@]}" | sort -u; sha256sum < "$0"
	  stat -c '%n %s %Y' "$dir"*_Packages* 2>/dev/null; } |
		sha256sum | cut -c1-32
}
resolve_cached() {
	local key f
	key=$(resolved_key)
	f=$cache/resolved/$key
	if [ -f "$f" ]; then
		read -r -a skipped < "$f"
		tail -n +2 "$f" > "$tmp/records"
		say "resolving packages: ${named[*]} (cached)"
		return
	fi
	say "resolving packages: ${named[*]}"
	resolve
	mkdir -p "$cache/resolved"
	{ echo "${skipped[*]}"; cat "$tmp/records"; } > "$f.$$"
	mv -f "$f.$$" "$f"
}

lists_present || apt_update
resolve_cached
# A download that fails is most often a version the mirror dropped:
# refresh the lists once and resolve again.
if ! fetch; then
	apt_update || die "downloading the .debs failed"
	resolve_cached
	fetch || die "downloading the .debs failed"
fi
n=$(wc -l < "$tmp/records")
say "unpacking $n packages${skipped[*]:+ (left out: ${skipped[*]})}"
while read -r name ver arch ess sha prov; do
	dpkg-deb -x "$(deb_of "$name" "$ver" "$arch")" "$root" ||
		die "dpkg-deb cannot unpack $name $ver"
done < "$tmp/records"

# libc-bin (Essential) owns /etc/ld.so.conf; libc6 ships the multiarch
# directories in ld.so.conf.d.
[ -f "$root/etc/ld.so.conf" ] ||
	echo 'include /etc/ld.so.conf.d/*.conf' > "$root/etc/ld.so.conf"
ldconfig -r "$root" || die "ldconfig -r $root failed"

# Sonames the tree's loader finds through its cache.
declare -A soname
while read -r so path; do
	soname[$so]=$path
done < <(ldconfig -p -C "$root/etc/ld.so.cache" |
	 sed -n 's/^\t\([^ ]*\) (libc6,x86-64[^)]*) => \(.*\)$/\1 \2/p')

# find_lib FILE SONAME RUNPATH: the tree path FILE's loader would use, or
# nothing.
find_lib() {
	local dir
	for dir in ${3//:/ }; do
		dir=${dir//\$ORIGIN/${1%/*}}
		dir=${dir//\$\{ORIGIN\}/${1%/*}}
		[ -e "$root$dir/$2" ] && { echo "$dir/$2"; return; }
	done
	[ -n "${soname[$2]:-}" ] && { echo "${soname[$2]}"; return; }
	for dir in /lib/x86_64-linux-gnu /usr/lib/x86_64-linux-gnu /lib /usr/lib; do
		[ -e "$root$dir/$2" ] && { echo "$dir/$2"; return; }
	done
	return 0
}

is_elf() { [ "$(head -c 4 "$1" 2>/dev/null | tr -d '\0')" = $'\x7fELF' ]; }

# Every ELF file of the named packages, and the libraries those need in
# turn, must resolve inside the tree: the guest has nothing else.
missing=0
declare -A checked
check_elf() {	# check_elf TREE-PATH PACKAGE
	local f=$1 elf interp rp so lib
	[ -z "${checked[$f]:-}" ] || return 0
	checked[$f]=1
	elf=$(readelf -W -l -d "$root$f" 2>/dev/null || true)
	interp=$(sed -n 's/.*Requesting program interpreter: \(.*\)\]$/\1/p' <<< "$elf")
	if [ -n "$interp" ] && [ ! -e "$root$interp" ]; then
		echo "$tag: $2: $f needs the loader $interp, not in the initramfs" >&2
		missing=$((missing + 1))
	fi
	rp=$(sed -n 's/.*(R\(UN\)\{0,1\}PATH).*\[\(.*\)\]$/\2/p' <<< "$elf")
	for so in $(sed -n 's/.*(NEEDED).*\[\(.*\)\]$/\1/p' <<< "$elf"); do
		lib=$(find_lib "$f" "$so" "$rp")
		if [ -z "$lib" ]; then
			echo "$tag: $2: $f needs $so, which no package in the initramfs provides" >&2
			missing=$((missing + 1))
		else
			check_elf "$lib" "$2"
		fi
	done
}
declare -A applet
for a in $(/bin/busybox --list); do applet[$a]=1; done
declare -A noint
for p in "${names[@]}"; do
	# (a virtual package named is installed under its provider's name)
	rec=$(awk -v p="$p" '$1 == p {print $1, $2, $3}' "$tmp/records")
	[ -n "$rec" ] || continue
	deb=$(deb_of $rec)
	while read -r f; do
		f=${f#.}
		[ -f "$root$f" ] && [ ! -L "$root$f" ] || continue
		[ -x "$root$f" ] || [[ "$f" == *.so* ]] || continue
		if is_elf "$root$f"; then
			check_elf "$f" "$p"
			continue
		fi
		# A script's interpreter: busybox has sh, the rest must be here.
		read -r interp arg < <(head -n 1 "$root$f" | sed -n 's/^#! *//p') || true
		[ -n "${interp:-}" ] || continue
		if [ "${interp##*/}" = env ]; then
			interp=${arg%% *}
			for d in /usr/sbin /usr/bin /sbin /bin; do
				[ -e "$root$d/$interp" ] && interp=$d/$interp && break
			done
		fi
		[ -e "$root$interp" ] || [ -n "${applet[${interp##*/}]:-}" ] ||
			noint[$interp]="${noint[$interp]:-} ${f##*/}"
	done < <(dpkg-deb --fsys-tarfile "$deb" | tar -t | grep -v '^\./usr/share/')
	for interp in "${!noint[@]}"; do
		set -- ${noint[$interp]}
		[ $quiet = 1 ] || echo "$tag: note: $p: $# scripts need $interp, not in the initramfs (add its package with --package): $*" >&2
	done
	noint=()
done
[ $missing = 0 ] || die "$missing librar$([ $missing = 1 ] && echo y || echo ies) missing for ${named[*]}"
exit 0
