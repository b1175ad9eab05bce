# The README's main job: a guest using host devices through devcall.
demo: e2e-deps
	$(Q)$(MAKE) -s --no-print-directory $(E2E_DEPS)
	$(Q)examples/demo.sh

.PHONY: demo
