# Unit tests: one cmocka binary per module, linked with the host library.
UNIT_TESTS := \
	test_request \
	test_guest_mem \
	test_ioctl_layout \
	test_ptr_rewrite \
	test_config \
	test_dispatch \
	test_backend_sys

UNIT_BINS := $(UNIT_TESTS:%=$(BUILD)/tests/unit/%)

UNIT_HELPERS := $(BUILD)/tests/unit/fake_guest.o

$(UNIT_BINS): $(BUILD)/tests/unit/%: $(BUILD)/tests/unit/%.o $(UNIT_HELPERS) $(LIB)
	$(quiet) LD $@
	$(Q)$(CC) $(CFLAGS) -o $@ $< $(UNIT_HELPERS) $(LIB) $(LDLIBS_CMOCKA) \
		$(LDLIBS_HOST)
