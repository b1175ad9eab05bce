# devcallctl: the control socket's client (docs/devcallctl.md), its unit
# test, and its test against the real daemon (tests/ctl).
DEVCALLCTL	:= $(BUILD)/vmm-glue/devcallctl

$(DEVCALLCTL): $(BUILD)/vmm-glue/devcallctl.o $(BUILD)/vmm-glue/ctl_proto.o \
	       $(LIB)
	$(quiet) LD $@
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS_JSON) $(LDLIBS_HOST)

BUILD_ALL_EXTRA += $(DEVCALLCTL)

CTL_UNIT_BIN	:= $(BUILD)/tests/unit/test_ctl

$(CTL_UNIT_BIN): %: %.o $(BUILD)/vmm-glue/ctl_proto.o $(LIB)
	$(quiet) LD $@
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS_CMOCKA) $(LDLIBS_JSON) \
		$(LDLIBS_HOST)

UNIT_BINS += $(CTL_UNIT_BIN)

# devcallctl against the real devcalld and a fake QEMU/guest (as root).
CTL_TEST_BIN	:= $(BUILD)/tests/ctl/ctl_test

$(CTL_TEST_BIN): $(BUILD)/tests/ctl/ctl_test.o \
		 $(BUILD)/tests/hostile/fakeqemu.o
	$(quiet) LD $@
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS_JSON) -lpthread

BUILD_ALL_EXTRA += $(CTL_TEST_BIN)

ctl-test: deps
	$(Q)$(MAKE) -s --no-print-directory $(DEVCALLD) $(DEVCALLCTL) \
		$(CTL_TEST_BIN)
	$(Q)BUILD=$(abspath $(BUILD)) tests/ctl/run.sh

CHECK_EXTRA += ctl-test
.PHONY: ctl-test

# What counting and tracing cost a call, in ns (not part of check).
CTL_BENCH_BIN	:= $(BUILD)/tests/ctl/bench_trace

$(CTL_BENCH_BIN): $(BUILD)/tests/ctl/bench_trace.o $(LIB)
	$(quiet) LD $@
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS_HOST)

BUILD_ALL_EXTRA += $(CTL_BENCH_BIN)

ctl-bench: $(CTL_BENCH_BIN)
	$(Q)$(CTL_BENCH_BIN)

.PHONY: ctl-bench
