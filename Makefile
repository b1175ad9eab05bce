# devcall top-level Makefile.
#   make            build the host daemon, library and tests
#   make check      unit tests, then end-to-end tests (as root)
#   make unit       unit tests only
#   make hostile    hostile-guest suite against the real daemon (as root)
#   make ctl-test   devcallctl against the real daemon (as root)
#   make fuzz       every libFuzzer target (request decoder, device side)
#                   for FUZZ_SECONDS each (default 60), from tests/fuzz/corpus
#   make fuzz-seeds regenerate the checked-in fuzz seeds (make_seeds.c)
#   make clean
# Quiet by default; V=1 shows commands. Warnings are errors when CI=true or
# WERROR=1. Each folder lists its sources in its own .mk fragment.

BUILD	?= build
CC	?= gcc
AR	?= ar
V	?= 0

ifeq ($(V),1)
Q	:=
quiet	= @true
else
Q	:= @
quiet	= @printf '  %-7s %s\n'
endif

WARN	:= -Wall -Wextra -Wmissing-prototypes -Wstrict-prototypes \
	   -Wsign-compare -Wshadow -Wformat=2 -Wno-format-nonliteral
ifeq ($(CI),true)
WERROR	?= 1
endif
ifeq ($(WERROR),1)
WARN	+= -Werror
endif

INCLUDES := -Iinclude -Iabi -Imemmap -Icall-mechanism-host -Ivmm-glue -Icall-mechanism-guest \
	    -Iexamples/emudrive -Itests/unit
CFLAGS	?= -O2 -g
CFLAGS	+= -std=gnu11 $(WARN) -D_GNU_SOURCE -fno-strict-aliasing \
	   -fstack-protector-strong $(INCLUDES) -MMD -MP
LDLIBS_HOST := $(shell pkg-config --libs inih 2>/dev/null || echo -linih) \
	       -lpthread -ldl
LDLIBS_CMOCKA := $(shell pkg-config --libs cmocka 2>/dev/null || echo -lcmocka)

all: deps
	$(Q)$(MAKE) --no-print-directory build-all

deps:
	$(Q)scripts/install-deps.sh build

# The host library every binary links; fragments name it in their rules.
LIB	:= $(BUILD)/libdevcall-host.a

include memmap/memmap.mk
include call-mechanism-host/call-mechanism-host.mk
include tests/unit/unit.mk
-include call-mechanism-guest/guest.mk
-include vmm-glue/vmm-glue.mk
-include vmm-glue/ctl.mk
-include tests/fuzz/fuzz.mk
-include tests/hostile/hostile.mk
-include tests/e2e/e2e.mk
-include examples/examples.mk
-include sdk.mk
-include man/man.mk
-include tests/service/service.mk
-include install.mk
-include examples/bench/bench.mk
-include packaging.mk

LIB_SRCS := $(MEMMAP_SRCS) $(HOST_SRCS)
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/%.o)

$(BUILD)/%.o: %.c
	$(quiet) CC $@
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) -c -o $@ $<

$(LIB): $(LIB_OBJS)
	$(quiet) AR $@
	$(Q)rm -f $@
	$(Q)$(AR) rcs $@ $^

build-all: $(LIB) $(UNIT_BINS) $(BUILD_ALL_EXTRA)

unit: deps
	$(Q)$(MAKE) --no-print-directory $(UNIT_BINS)
	$(Q)tests/run-unit.sh $(UNIT_BINS)

check: unit $(CHECK_EXTRA)

clean:
	$(quiet) CLEAN $(BUILD)
	$(Q)rm -rf $(BUILD)

.PHONY: all deps build-all unit check clean
.SECONDARY:
-include $(shell find $(BUILD) -name '*.d' -type f 2>/dev/null)
