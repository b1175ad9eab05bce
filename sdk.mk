# The plugin SDK: include/devcall-plugin.h and its pkg-config file.
#   make install-sdk [PREFIX=/usr/local] [DESTDIR=]
#                     header to $(INCLUDEDIR), devcall-plugin.pc to
#                     $(PKGCONFIGDIR) (Debian: /usr/lib/<multiarch>/pkgconfig)
#   make sdk-check    install to a staging DESTDIR, build the mock sensor
#                     example from it with pkg-config only, unit-test the
#                     loader's ABI check
#   make mock-sensor-check   (root, QEMU) the sensor test in a guest
PREFIX		?= /usr/local
DESTDIR		?=
INCLUDEDIR	?= $(PREFIX)/include
PKGCONFIGDIR	?= $(PREFIX)/lib/pkgconfig
SDK_VERSION	:= $(shell sed -n 's/^\#define DEVCALL_PLUGIN_VERSION[^"]*"\(.*\)"/\1/p' \
		     include/devcall-plugin.h)
SDK_PC		:= $(BUILD)/sdk/devcall-plugin.pc

$(SDK_PC): include/devcall-plugin.pc.in include/devcall-plugin.h FORCE
	$(Q)mkdir -p $(dir $@)
	$(Q)sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(SDK_VERSION)|' \
		$< > $@.tmp
	$(Q)cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@

install-sdk: $(SDK_PC)
	$(quiet) INSTALL $(DESTDIR)$(INCLUDEDIR)/devcall-plugin.h
	$(Q)install -d $(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(PKGCONFIGDIR)
	$(Q)install -m 0644 include/devcall-plugin.h $(DESTDIR)$(INCLUDEDIR)/
	$(Q)install -m 0644 $(SDK_PC) $(DESTDIR)$(PKGCONFIGDIR)/

# The example, built as a user would: from a staged install, nothing else
# of this tree on its include path.
SDK_STAGE	:= $(abspath $(BUILD)/sdk/stage)
MOCK_SENSOR_OUT	:= $(BUILD)/examples/mock-sensor
MOCK_SENSOR	:= $(MOCK_SENSOR_OUT)/devcall-mock-sensor.so
SENSOR_GUEST	:= $(MOCK_SENSOR_OUT)/sensor-guest
SDK_WERROR	:= $(if $(filter -Werror,$(WARN)),-Werror)

$(MOCK_SENSOR) $(SENSOR_GUEST) &: examples/mock-sensor/mock_sensor.c \
		examples/mock-sensor/sensor_guest.c examples/mock-sensor/sensor.h \
		examples/mock-sensor/Makefile include/devcall-plugin.h \
		include/devcall-plugin.pc.in
	$(quiet) SDK $(MOCK_SENSOR)
	$(Q)rm -rf $(SDK_STAGE)
	$(Q)$(MAKE) -s --no-print-directory install-sdk DESTDIR=$(SDK_STAGE) \
		PREFIX=/usr
	$(Q)PKG_CONFIG_LIBDIR=$(SDK_STAGE)/usr/lib/pkgconfig \
		PKG_CONFIG_SYSROOT_DIR=$(SDK_STAGE) \
		$(MAKE) -s --no-print-directory -C examples/mock-sensor \
		OUT=$(abspath $(MOCK_SENSOR_OUT)) EXTRA_CFLAGS=$(SDK_WERROR)

# The loader's checks, with plugins stamped for this ABI and another.
SDK_UNIT_BIN	:= $(BUILD)/tests/unit/test_plugin_sdk
SDK_TEST_PLUGINS := $(BUILD)/tests/unit/plugin_abi_ok.so \
		    $(BUILD)/tests/unit/plugin_abi_bad.so

$(BUILD)/tests/unit/plugin_abi_ok.so: tests/unit/plugin_abi.c include/devcall-plugin.h
	$(quiet) LD $@
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) -fPIC -shared -o $@ $<

$(BUILD)/tests/unit/plugin_abi_bad.so: tests/unit/plugin_abi.c include/devcall-plugin.h
	$(quiet) LD $@
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) -DPLUGIN_ABI_OTHER -fPIC -shared -o $@ $<

$(SDK_UNIT_BIN): %: %.o $(LIB) $(SDK_TEST_PLUGINS)
	$(quiet) LD $@
	$(Q)$(CC) $(CFLAGS) -rdynamic -o $@ $< $(LIB) $(LDLIBS_CMOCKA) \
		$(LDLIBS_HOST)

UNIT_BINS += $(SDK_UNIT_BIN)

# The scripted mock backend: parser, matching, answers and record.
SCRIPT_UNIT_BIN	:= $(BUILD)/tests/unit/test_backend_script

$(SCRIPT_UNIT_BIN): %: %.o $(LIB)
	$(quiet) LD $@
	$(Q)$(CC) $(CFLAGS) -o $@ $< $(LIB) $(LDLIBS_CMOCKA) $(LDLIBS_HOST)

UNIT_BINS += $(SCRIPT_UNIT_BIN)
BUILD_ALL_EXTRA += $(MOCK_SENSOR)

sdk-check: $(MOCK_SENSOR) $(SENSOR_GUEST)
	$(Q)! readelf -l $(SENSOR_GUEST) | grep -q 'program interpreter'
	$(Q)nm -D $(MOCK_SENSOR) | grep -q ' D devcall_plugin$$'
	$(Q)echo "sdk: example built from the staged SDK ($(SDK_STAGE))"

CHECK_EXTRA += sdk-check

.PHONY: install-sdk sdk-check FORCE
FORCE:

# The sensor in a guest: a cmocka test that boots once through devcall-vm.
MOCK_SENSOR_TEST := $(MOCK_SENSOR_OUT)/test_mock_sensor

$(MOCK_SENSOR_TEST): examples/mock-sensor/test_mock_sensor.c
	$(quiet) LD $@
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) -o $@ $< $(LDLIBS_CMOCKA)

mock-sensor-check: e2e-deps
	$(Q)$(MAKE) -s --no-print-directory $(E2E_DEPS) $(MOCK_SENSOR) \
		$(SENSOR_GUEST) $(MOCK_SENSOR_TEST)
	$(Q)TOP=$(CURDIR) BUILD=$(abspath $(BUILD)) $(MOCK_SENSOR_TEST)

CHECK_EXTRA += mock-sensor-check
.PHONY: mock-sensor-check

# The scripted mock backend in a guest: busybox and dcprobe against a
# device answered from tests/e2e/mockscript/device.script.
mockscript-check: e2e-deps
	$(Q)$(MAKE) -s --no-print-directory $(E2E_DEPS) $(SDK_TEST_PLUGINS)
	$(Q)BUILD=$(abspath $(BUILD)) tests/e2e/test_mockscript.sh

CHECK_EXTRA += mockscript-check
.PHONY: mockscript-check
