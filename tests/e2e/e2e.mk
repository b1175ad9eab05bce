# End-to-end tests in real guests (root): the daemon, the guest modules,
# the launcher. `make check` runs them after the unit tests.
e2e-deps:
	$(Q)scripts/install-deps.sh build e2e

e2e: e2e-deps
	$(Q)$(MAKE) --no-print-directory $(DEVCALLD) guest-modules
	$(Q)tests/e2e/run.sh

CHECK_EXTRA += e2e
.PHONY: e2e e2e-deps
