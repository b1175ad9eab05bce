# The hostile-guest suite: a fake QEMU and guest (no VM booted) attack the
# real devcalld; `make check` runs it before the end-to-end tests. As root.
HOSTILE_BIN	:= $(BUILD)/tests/hostile/hostile
HOSTILE_OBJS	:= $(BUILD)/tests/hostile/hostile.o \
		   $(BUILD)/tests/hostile/fakeqemu.o

$(HOSTILE_BIN): $(HOSTILE_OBJS)
	$(quiet) LD $@
	$(Q)$(CC) $(CFLAGS) -o $@ $^ -lpthread

BUILD_ALL_EXTRA += $(HOSTILE_BIN)

hostile: deps
	$(Q)$(MAKE) -s --no-print-directory $(DEVCALLD) $(HOSTILE_BIN)
	$(Q)BUILD=$(abspath $(BUILD)) tests/hostile/run.sh

CHECK_EXTRA += hostile
.PHONY: hostile
