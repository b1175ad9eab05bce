# The emulated CD-R/RW drive, a devcalld plugin backend.
EMUDRIVE_SRCS	:= examples/emudrive/emudrive.c examples/emudrive/mmc.c \
		   examples/emudrive/disc.c
EMUDRIVE_OBJS	:= $(EMUDRIVE_SRCS:%.c=$(BUILD)/pic/%.o)
EMUDRIVE	:= $(BUILD)/examples/devcall-emudrive.so

$(BUILD)/pic/%.o: %.c
	$(quiet) CC $@
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) -Iexamples/emudrive -fPIC -c -o $@ $<

$(EMUDRIVE): $(EMUDRIVE_OBJS)
	$(quiet) LD $@
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) -shared -o $@ $^ -lpthread

BUILD_ALL_EXTRA += $(EMUDRIVE)
E2E_DEPS += $(EMUDRIVE)

# Its unit tests drive the backend directly, linked in.
EMU_UNIT_BIN	:= $(BUILD)/tests/unit/test_emudrive

$(EMU_UNIT_BIN): %: %.o $(EMUDRIVE_OBJS) $(LIB)
	$(quiet) LD $@
	$(Q)$(CC) $(CFLAGS) -o $@ $< $(EMUDRIVE_OBJS) $(LIB) $(LDLIBS_CMOCKA) \
		$(LDLIBS_HOST)

UNIT_BINS += $(EMU_UNIT_BIN)

# The README's main job: a guest using host devices through devcall.
demo: e2e-deps
	$(Q)$(MAKE) -s --no-print-directory $(E2E_DEPS)
	$(Q)examples/demo.sh

.PHONY: demo

# Numbers, not a test: devcall against virtio-blk and the host itself.
bench: e2e-deps
	$(Q)$(MAKE) -s --no-print-directory $(E2E_DEPS) $(BENCH_DEPS)
	$(Q)BUILD=$(abspath $(BUILD)) examples/bench.sh

.PHONY: bench
