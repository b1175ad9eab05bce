# The README's main job: a guest using host devices through devcall.
demo: e2e-deps
	$(Q)$(MAKE) -s --no-print-directory $(E2E_DEPS)
	$(Q)examples/demo.sh

.PHONY: demo

# Numbers, not a test: devcall against virtio-blk and the host itself.
bench: e2e-deps
	$(Q)$(MAKE) -s --no-print-directory $(E2E_DEPS)
	$(Q)examples/bench.sh

.PHONY: bench
