# `make bench` (examples/bench.sh): numbers, never a test, not in check.
DCBENCH		:= $(BUILD)/guest-tools/dcbench
BENCHHOST	:= $(BUILD)/examples/benchhost
BENCH_DEPS	:= $(DCBENCH) $(BENCHHOST) $(EMUDRIVE)

# Static: the same binary runs on the host and in the guest.
$(DCBENCH): examples/bench/dcbench.c
	$(quiet) CCSTATIC $@
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) -static -O2 $(WARN) -o $@ $< -lpthread

$(BENCHHOST): $(BUILD)/examples/bench/benchhost.o \
	      $(BUILD)/tests/hostile/fakeqemu.o $(EMUDRIVE_OBJS) $(LIB)
	$(quiet) LD $@
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS_HOST) -lpthread

$(BUILD)/examples/bench/benchhost.o: CFLAGS += -Itests/hostile

BUILD_ALL_EXTRA += $(BENCH_DEPS)

# The fake-guest rows alone: no TCG, repeatable enough to compare commits.
bench-fake: $(BENCHHOST) $(DEVCALLD)
	$(Q)BUILD=$(abspath $(BUILD)) examples/bench/fake-rows.sh
.PHONY: bench-fake
