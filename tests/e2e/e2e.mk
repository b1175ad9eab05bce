# End-to-end tests in real guests (root): the daemon, the guest modules,
# the launcher. `make check` runs them after the unit tests.
DCPROBE		:= $(BUILD)/guest-tools/dcprobe
DCWAIT		:= $(BUILD)/guest-tools/dcwait
E2E_DEPS	:= $(DEVCALLD) $(DEVCALL_MEMMAP) $(GUEST_MODULES) $(DCPROBE) \
		   $(DCWAIT)

$(BUILD)/guest-tools/%: tests/e2e/guest/%.c
	$(quiet) CCSTATIC $@
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) -static -O2 $(WARN) -o $@ $<

e2e-deps:
	$(Q)scripts/install-deps.sh build e2e

e2e: e2e-deps
	$(Q)$(MAKE) -s --no-print-directory $(E2E_DEPS)
	$(Q)tests/e2e/test_memmap_mtree.sh
	$(Q)DCPROBE=$(abspath $(DCPROBE)) tests/e2e/run.sh
	$(Q)tests/e2e/test_cdrecord.sh
	$(Q)tests/e2e/test_waiting.sh
	$(Q)tests/e2e/test_failures.sh
	$(Q)DCPROBE=$(abspath $(DCPROBE)) tests/e2e/test_fsync.sh
	$(Q)BUILD=$(abspath $(BUILD)) tests/e2e/test_privilege.sh
	$(Q)BUILD=$(abspath $(BUILD)) tests/e2e/test_blockdev.sh

CHECK_EXTRA += e2e
.PHONY: e2e e2e-deps
