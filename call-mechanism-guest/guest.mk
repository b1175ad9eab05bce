# Guest kernel modules. Kbuild writes next to its sources, so the sources
# are copied into $(BUILD)/guest and built there: the tree stays clean.
GUEST_DIR	:= $(BUILD)/guest
GUEST_SRCS	:= $(wildcard call-mechanism-guest/*.c call-mechanism-guest/*.h \
		   guest-frontend/*.c guest-frontend/*.h) \
		   abi/devcall_abi.h abi/devcall_ivshmem.h \
		   call-mechanism-guest/Kbuild
GUEST_MODULES	:= $(GUEST_DIR)/devcall_ivshmem.ko $(GUEST_DIR)/devcall.ko
GUEST_KERNEL_ENV := $(BUILD)/guest-kernel.env

$(GUEST_KERNEL_ENV): scripts/guest-kernel.sh
	$(quiet) KERNEL $@
	$(Q)mkdir -p $(BUILD)
	$(Q)scripts/guest-kernel.sh $(BUILD)/guest-kernel > $@.tmp && mv $@.tmp $@

$(GUEST_MODULES) &: $(GUEST_SRCS) $(GUEST_KERNEL_ENV)
	$(quiet) KBUILD $(GUEST_DIR)
	$(Q)mkdir -p $(GUEST_DIR)
	$(Q)cp $(GUEST_SRCS) $(GUEST_DIR)/
	$(Q). ./$(GUEST_KERNEL_ENV) && $(MAKE) -C $$KDIR M=$(abspath $(GUEST_DIR)) \
		$(if $(filter 1,$(V)),V=1,-s) $(if $(filter 1,$(WERROR)),KCFLAGS=-Werror) modules

guest-modules: $(GUEST_MODULES)

.PHONY: guest-modules
