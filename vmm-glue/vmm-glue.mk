# vmm-glue: the devcalld daemon (ivshmem server + virtio device side).
VMM_SRCS	:= vmm-glue/virtqueue.c vmm-glue/vm_session.c vmm-glue/fd_keeper.c \
		   vmm-glue/qmp_events.c vmm-glue/ivshmem_server.c \
		   vmm-glue/shm_transport.c vmm-glue/ram_map.c \
		   vmm-glue/worker_pool.c vmm-glue/guest_ram.c vmm-glue/sock.c \
		   vmm-glue/privilege.c vmm-glue/sd_notify.c \
		   vmm-glue/ctl_server.c vmm-glue/ctl_proto.c \
		   vmm-glue/ram_discover.c vmm-glue/runtime_state.c
LDLIBS_JSON	:= $(shell pkg-config --libs json-c 2>/dev/null || echo -ljson-c)
LDLIBS_PRIV	:= $(shell pkg-config --libs libcap-ng libseccomp 2>/dev/null || \
		     echo -lcap-ng -lseccomp)
VMM_OBJS	:= $(VMM_SRCS:%.c=$(BUILD)/%.o)
DEVCALLD	:= $(BUILD)/vmm-glue/devcalld

# -rdynamic: plugins call backend_register() and layout_register().
$(DEVCALLD): $(BUILD)/vmm-glue/devcalld.o $(VMM_OBJS) $(LIB)
	$(quiet) LD $@
	$(Q)$(CC) $(CFLAGS) -rdynamic -o $@ $^ $(LDLIBS_HOST) $(LDLIBS_JSON) \
		$(LDLIBS_PRIV)

BUILD_ALL_EXTRA += $(DEVCALLD)

# The RAM layout devcalld uses, printed (for the mtree comparison test).
DEVCALL_MEMMAP	:= $(BUILD)/vmm-glue/devcall-memmap

$(DEVCALL_MEMMAP): $(BUILD)/vmm-glue/devcall-memmap.o $(LIB)
	$(quiet) LD $@
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS_HOST)

BUILD_ALL_EXTRA += $(DEVCALL_MEMMAP)

# Unit tests of the daemon's own logic.
VMM_UNIT_BINS	:= $(BUILD)/tests/unit/test_virtqueue

$(VMM_UNIT_BINS): %: %.o $(UNIT_HELPERS) $(BUILD)/vmm-glue/virtqueue.o $(LIB)
	$(quiet) LD $@
	$(Q)$(CC) $(CFLAGS) -o $@ $< $(UNIT_HELPERS) $(BUILD)/vmm-glue/virtqueue.o $(LIB) \
		$(LDLIBS_CMOCKA) $(LDLIBS_HOST)

UNIT_BINS += $(VMM_UNIT_BINS)

QMP_UNIT_BIN	:= $(BUILD)/tests/unit/test_qmp_events

$(QMP_UNIT_BIN): %: %.o $(BUILD)/vmm-glue/qmp_events.o
	$(quiet) LD $@
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS_CMOCKA) $(LDLIBS_JSON)

UNIT_BINS += $(QMP_UNIT_BIN)

DISC_UNIT_BIN	:= $(BUILD)/tests/unit/test_ram_discover

$(DISC_UNIT_BIN): %: %.o $(BUILD)/vmm-glue/ram_discover.o \
		  $(BUILD)/vmm-glue/guest_ram.o $(LIB)
	$(quiet) LD $@
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS_CMOCKA) $(LDLIBS_HOST)

UNIT_BINS += $(DISC_UNIT_BIN)

KEEPER_UNIT_BIN	:= $(BUILD)/tests/unit/test_fd_keeper

$(KEEPER_UNIT_BIN): %: %.o $(BUILD)/vmm-glue/fd_keeper.o $(BUILD)/vmm-glue/sock.o
	$(quiet) LD $@
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS_CMOCKA)

UNIT_BINS += $(KEEPER_UNIT_BIN)

RAM_UNIT_BIN	:= $(BUILD)/tests/unit/test_guest_ram

$(RAM_UNIT_BIN): %: %.o $(BUILD)/vmm-glue/guest_ram.o $(LIB)
	$(quiet) LD $@
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS_CMOCKA) $(LDLIBS_HOST)

UNIT_BINS += $(RAM_UNIT_BIN)

STATE_UNIT_BIN	:= $(BUILD)/tests/unit/test_runtime_state

$(STATE_UNIT_BIN): %: %.o $(BUILD)/vmm-glue/runtime_state.o
	$(quiet) LD $@
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS_CMOCKA)

UNIT_BINS += $(STATE_UNIT_BIN)

SOCK_UNIT_BIN	:= $(BUILD)/tests/unit/test_sock

$(SOCK_UNIT_BIN): %: %.o $(BUILD)/vmm-glue/sock.o
	$(quiet) LD $@
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS_CMOCKA)

UNIT_BINS += $(SOCK_UNIT_BIN)

# Capabilities, the ioctl allow-list, and the filter in a forked child.
PRIV_UNIT_BIN	:= $(BUILD)/tests/unit/test_privilege

$(PRIV_UNIT_BIN): %: %.o $(BUILD)/vmm-glue/privilege.o $(LIB)
	$(quiet) LD $@
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS_CMOCKA) $(LDLIBS_HOST) \
		$(LDLIBS_PRIV)

UNIT_BINS += $(PRIV_UNIT_BIN)

# Guest node identity: the export keys, the node table on the wire, and
# the guest's reading of it (node_info.c, built in userspace).
NODE_UNIT_BIN	:= $(BUILD)/tests/unit/test_node_table

$(NODE_UNIT_BIN): %: %.o $(BUILD)/vmm-glue/shm_transport.o \
		  $(BUILD)/call-mechanism-guest/node_info.o $(LIB)
	$(quiet) LD $@
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS_CMOCKA) $(LDLIBS_HOST)

UNIT_BINS += $(NODE_UNIT_BIN)
