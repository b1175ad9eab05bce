#!/bin/bash
# What `make deb` built (build/deb): the three packages hold what they
# must and nothing of each other's, and lintian finds no error or warning.
# Run by `make deb-check` after `make deb`.
set -u
dir=${1:-build/deb}
pass=0 fail=0
ok() { echo "ok   $1"; pass=$((pass + 1)); }
bad() { echo "FAIL $1"; fail=$((fail + 1)); }
check() { if eval "$2"; then ok "$1"; else bad "$1"; fi; }
files() { dpkg-deb -c "$1" 2>/dev/null | awk '$1 !~ /^d/ {print $6}' | sed 's|^\./|/|'; }

host=$(ls "$dir"/devcall_*_*.deb 2>/dev/null | head -n 1)
dev=$(ls "$dir"/devcall-dev_*.deb 2>/dev/null | head -n 1)
dkms=$(ls "$dir"/devcall-dkms_*_all.deb 2>/dev/null | head -n 1)
check "three packages built" '[ -f "$host" ] && [ -f "$dev" ] && [ -f "$dkms" ]'
h=$(files "$host"); v=$(files "$dev"); k=$(files "$dkms")
for f in /usr/sbin/devcalld /usr/bin/devcallctl /usr/bin/devcall-vm \
	 /lib/systemd/system/devcall.service /etc/devcall/devcall.conf \
	 /usr/libexec/devcall/mkinitramfs.sh /usr/libexec/devcall/devcall-hook \
	 /usr/share/man/man8/devcalld.8.gz /usr/share/man/man8/devcallctl.8.gz \
	 /usr/share/man/man5/devcall.conf.5.gz /usr/share/man/man1/devcall-vm.1.gz; do
	check "devcall has $f" 'grep -qx "$f" <<<"$h"'
done
check "devcall-dev has the header and a multiarch .pc" \
	'grep -qx /usr/include/devcall-plugin.h <<<"$v" &&
	 grep -q "^/usr/lib/[^/]*-linux-gnu/pkgconfig/devcall-plugin.pc$" <<<"$v"'
check "devcall-dkms has dkms.conf, Kbuild and the udev rule" \
	'grep -q "^/usr/src/devcall-[^/]*/dkms.conf$" <<<"$k" &&
	 grep -q "^/usr/src/devcall-[^/]*/Kbuild$" <<<"$k" &&
	 grep -qx /lib/udev/rules.d/60-devcall.rules <<<"$k"'
dups=$(printf '%s\n%s\n%s\n' "$h" "$v" "$k" | grep -v '^/usr/share/doc/' |
	sort | uniq -d)
check "no file in two packages${dups:+: $dups}" '[ -z "$dups" ]'
check "the host package holds no module sources" '! grep -q "^/usr/src/" <<<"$h"'
check "devcall-dkms is Architecture: all and depends on dkms" \
	'[ "$(dpkg-deb -f "$dkms" Architecture)" = all ] &&
	 dpkg-deb -f "$dkms" Depends | grep -q dkms'
check "the unit is Type=notify" \
	'dpkg-deb --fsys-tarfile "$host" | tar -xO ./lib/systemd/system/devcall.service |
	 grep -qx Type=notify'
if [ -f "$dir/lintian.txt" ]; then
	lw=$(grep -E '^[EW]:' "$dir/lintian.txt")
	check "lintian: no error or warning${lw:+: $lw}" '[ -z "$lw" ]'
else
	bad "lintian ran (no $dir/lintian.txt)"
fi
echo "deb: $pass passed, $fail failed"
[ "$fail" = 0 ]
