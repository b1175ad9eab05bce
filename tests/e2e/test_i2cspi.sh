#!/bin/bash
# Nested pointers in a real guest: I2C_RDWR (an array of i2c_msg, each
# with its own buffer), SPI_IOC_MESSAGE(n) (the argument is the transfers,
# each with tx and rx pointers, either NULL) and I2C_SMBUS with a NULL
# data pointer, through /dev/devcall against the i2cspi test plugin (an
# EEPROM at 0x50 and a SPI loopback in memory: this host has no I2C or SPI
# hardware). The guest tool checks the bytes (guest/i2cspi.c).
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD:-$top/build}
out=$build/e2e/i2cspi
vm=$top/vmm-glue/devcall-vm
tool=${I2CSPI:-$build/guest-tools/i2cspi}
plugin=${I2CSPI_PLUGIN:-$build/tests/e2e/devcall-i2cspi.so}
mkdir -p "$out"
. "$top/tests/e2e/lib.sh"
finish() { echo "i2cspi: $pass passed, $fail failed"; [ "$fail" = 0 ]; exit; }
[ -x "$tool" ] && [ -f "$plugin" ] ||
	{ result i2cspi-deps fail "no $tool or $plugin: run 'make e2e'"; finish; }

: > "$out/bus"
"$vm" --name e2e-i2cspi --timeout 240 --plugin "$plugin" \
	--export "i2c=$out/bus,backend=i2cspi" \
	--export "spi=$out/bus,backend=i2cspi" \
	--file "$tool:/i2cspi" \
	--log "$out/console.log" --daemon-log "$out/devcalld.log" \
	-- /i2cspi > "$out/guest.out" 2>&1
rc=$?
result guest-ran "$([ $rc = 0 ] && grep -q '^DONE' "$out/guest.out" && echo ok || echo fail)" "status $rc"
while read -r _ name verdict detail; do
	result "$name" "$verdict" "$detail"
done < <(grep '^CHECK ' "$out/guest.out" | tr -d '\r')
for name in open i2c-rdwr-write i2c-rdwr-read i2c-rdwr-three i2c-rdwr-nak \
	    i2c-rdwr-too-many i2c-rdwr-42 i2c-rdwr-too-long i2c-slave \
	    i2c-smbus-quick-null i2c-smbus-byte-data spi-message-3 \
	    spi-pointers-kept spi-message-1-4096 spi-partial-transfer \
	    spi-bad-pointer; do
	grep -q "^CHECK $name " "$out/guest.out" || result "$name" fail "did not run"
done
finish
