# Unit tests: one cmocka binary per module, linked with the host library.
UNIT_TESTS := \
	test_request \
	test_guest_mem \
	test_ioctl_layout \
	test_layouts \
	test_compat_layouts \
	test_layout_file \
	test_ptr_rewrite \
	test_config \
	test_dispatch \
	test_backend_sys \
	test_waitset \
	test_reload

UNIT_BINS := $(UNIT_TESTS:%=$(BUILD)/tests/unit/%)

UNIT_HELPERS := $(BUILD)/tests/unit/fake_guest.o

$(UNIT_BINS): $(BUILD)/tests/unit/%: $(BUILD)/tests/unit/%.o $(UNIT_HELPERS) $(LIB)
	$(quiet) LD $@
	$(Q)$(CC) $(CFLAGS) -o $@ $< $(UNIT_HELPERS) $(LIB) $(LDLIBS_CMOCKA) \
		$(LDLIBS_HOST)

# The guest module's layout walk, built in userspace, against the host.
WALK_UNIT_BIN	:= $(BUILD)/tests/unit/test_layout_walk
WALK_OBJ	:= $(BUILD)/call-mechanism-guest/layout_walk.o

$(WALK_UNIT_BIN): %: %.o $(WALK_OBJ) $(UNIT_HELPERS) $(LIB)
	$(quiet) LD $@
	$(Q)$(CC) $(CFLAGS) -o $@ $< $(WALK_OBJ) $(UNIT_HELPERS) $(LIB) \
		$(LDLIBS_CMOCKA) $(LDLIBS_HOST)

UNIT_BINS += $(WALK_UNIT_BIN)
