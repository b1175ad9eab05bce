# devcalld as a systemd service, on a machine whose PID 1 need not be
# systemd: the unit checked by systemd-analyze verify, and a fake systemd
# (fake_systemd.c) that runs the daemon through a restart with its fd
# store. `make check` runs it after the hostile suite. As root.
FAKE_SYSTEMD	:= $(BUILD)/tests/service/fake_systemd
SERVICE_UNIT	:= $(BUILD)/tests/service/devcall.service

$(FAKE_SYSTEMD): $(BUILD)/tests/service/fake_systemd.o \
		 $(BUILD)/tests/hostile/fakeqemu.o
	$(quiet) LD $@
	$(Q)$(CC) $(CFLAGS) -o $@ $^ -lpthread

# The unit as installed, but naming the daemon just built: verify checks
# that ExecStart= is there.
$(SERVICE_UNIT): systemd/devcall.service.in
	$(quiet) GEN $@
	$(Q)mkdir -p $(dir $@)
	$(Q)sed 's|@SBINDIR@|$(abspath $(dir $(DEVCALLD)))|g; s|@SYSCONFDIR@|/etc|g' \
		$< > $@

BUILD_ALL_EXTRA += $(FAKE_SYSTEMD)

# The protocol itself, against a socket of the test's (make unit).
SDN_UNIT_BIN	:= $(BUILD)/tests/unit/test_sd_notify

$(SDN_UNIT_BIN): %: %.o $(BUILD)/vmm-glue/sd_notify.o $(LIB)
	$(quiet) LD $@
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS_CMOCKA) $(LDLIBS_HOST)

UNIT_BINS += $(SDN_UNIT_BIN)

service: deps
	$(Q)scripts/install-deps.sh build service
	$(Q)$(MAKE) -s --no-print-directory $(DEVCALLD) $(FAKE_SYSTEMD) \
		$(SERVICE_UNIT) $(MAN_PAGES)
	$(Q)BUILD=$(abspath $(BUILD)) tests/service/run.sh

CHECK_EXTRA += service
.PHONY: service
