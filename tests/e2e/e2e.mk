# End-to-end tests in real guests (root): the daemon, the guest modules,
# the launcher. `make check` runs them after the unit tests.
DCPROBE		:= $(BUILD)/guest-tools/dcprobe
DCWAIT		:= $(BUILD)/guest-tools/dcwait
DCDEV		:= $(BUILD)/guest-tools/dcdev
SGRW		:= $(BUILD)/guest-tools/sgrw
DCDEV32		:= $(BUILD)/guest-tools/dcdev32
I2CSPI		:= $(BUILD)/guest-tools/i2cspi
I2CSPI_PLUGIN	:= $(BUILD)/tests/e2e/devcall-i2cspi.so
# One source, both ABIs: 32-bit guest processes get the 64-bit results.
DCCOMPAT	:= $(BUILD)/guest-tools/dccompat
DCCOMPAT32	:= $(BUILD)/guest-tools/dccompat32
E2E_DEPS	:= $(DEVCALLD) $(DEVCALL_MEMMAP) $(GUEST_MODULES) $(DCPROBE) \
		   $(DCWAIT) $(DCDEV) $(DCDEV32) $(I2CSPI) $(I2CSPI_PLUGIN) \
		   $(DCCOMPAT) $(DCCOMPAT32) $(SGRW)

# A test plugin: an I2C EEPROM and a SPI loopback in memory.
$(I2CSPI_PLUGIN): $(BUILD)/pic/tests/e2e/plugins/i2cspi.o
	$(quiet) LD $@
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) -shared -o $@ $^ -lpthread

$(BUILD)/guest-tools/%: tests/e2e/guest/%.c
	$(quiet) CCSTATIC $@
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) -static -O2 $(WARN) -o $@ $<

$(BUILD)/guest-tools/%32: tests/e2e/guest/%.c
	$(quiet) CCSTATIC32 $@
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) -m32 -static -O2 $(WARN) -o $@ $<

e2e-deps:
	$(Q)scripts/install-deps.sh build e2e libvirt

e2e: e2e-deps
	$(Q)$(MAKE) -s --no-print-directory $(E2E_DEPS)
	$(Q)tests/e2e/test_memmap_mtree.sh
	$(Q)DCPROBE=$(abspath $(DCPROBE)) tests/e2e/run.sh
	$(Q)tests/e2e/test_cdrecord.sh
	$(Q)BUILD=$(abspath $(BUILD)) tests/e2e/test_burners.sh
	$(Q)tests/e2e/test_waiting.sh
	$(Q)tests/e2e/test_failures.sh
	$(Q)DCPROBE=$(abspath $(DCPROBE)) tests/e2e/test_fsync.sh
	$(Q)BUILD=$(abspath $(BUILD)) tests/e2e/test_i2cspi.sh
	$(Q)BUILD=$(abspath $(BUILD)) tests/e2e/test_privilege.sh
	$(Q)BUILD=$(abspath $(BUILD)) tests/e2e/test_devices.sh
	$(Q)BUILD=$(abspath $(BUILD)) tests/e2e/test_blockdev.sh
	$(Q)BUILD=$(abspath $(BUILD)) tests/e2e/test_compat32.sh
	$(Q)BUILD=$(abspath $(BUILD)) tests/e2e/test_nodes.sh
	$(Q)BUILD=$(abspath $(BUILD)) tests/e2e/test_hotplug.sh
	$(Q)BUILD=$(abspath $(BUILD)) tests/e2e/test_ram_discover.sh
	$(Q)BUILD=$(abspath $(BUILD)) tests/e2e/test_qmp_early.sh
	$(Q)BUILD=$(abspath $(BUILD)) tests/e2e/test_libvirt.sh
	$(Q)BUILD=$(abspath $(BUILD)) tests/e2e/test_launcher.sh

CHECK_EXTRA += e2e
.PHONY: e2e e2e-deps
