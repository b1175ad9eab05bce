# Guest kernel modules. Kbuild writes next to its sources, so the sources
# are copied into $(BUILD)/guest and built there: the tree stays clean.
# The call mechanism and the frontends build apart, each folder with only
# the headers it may use: the frontends see the call mechanism's API
# (devcall_call.h, layout_walk.h) and its Module.symvers, the call
# mechanism sees no frontend. The modules are then gathered in GUEST_DIR.
GUEST_DIR	:= $(BUILD)/guest
GUEST_CM_DIR	:= $(GUEST_DIR)/call-mechanism-guest
GUEST_FE_DIR	:= $(GUEST_DIR)/guest-frontend
GUEST_CM_SRCS	:= $(wildcard call-mechanism-guest/*.c call-mechanism-guest/*.h) \
		   call-mechanism-guest/Kbuild \
		   abi/devcall_abi.h abi/devcall_ivshmem.h
GUEST_FE_SRCS	:= $(wildcard guest-frontend/*.c guest-frontend/*.h) \
		   guest-frontend/Kbuild call-mechanism-guest/devcall_call.h \
		   call-mechanism-guest/layout_walk.h \
		   call-mechanism-guest/node_info.h abi/devcall_abi.h
GUEST_MODULES	:= $(GUEST_DIR)/devcall_ivshmem.ko $(GUEST_DIR)/devcall.ko \
		   $(GUEST_DIR)/devcall_frontend.ko $(GUEST_DIR)/devcall_blk.ko
GUEST_KERNEL_ENV := $(BUILD)/guest-kernel.env
GUEST_KBUILD	= . ./$(GUEST_KERNEL_ENV) && $(MAKE) -C $$KDIR \
		  $(if $(filter 1,$(V)),V=1,-s) \
		  $(if $(filter 1,$(WERROR)),KCFLAGS=-Werror)

$(GUEST_KERNEL_ENV): scripts/guest-kernel.sh
	$(quiet) KERNEL $@
	$(Q)mkdir -p $(BUILD)
	$(Q)scripts/guest-kernel.sh $(BUILD)/guest-kernel > $@.tmp && mv $@.tmp $@

$(GUEST_MODULES) &: $(GUEST_CM_SRCS) $(GUEST_FE_SRCS) $(GUEST_KERNEL_ENV)
	$(quiet) KBUILD $(GUEST_DIR)
	$(Q)mkdir -p $(GUEST_CM_DIR) $(GUEST_FE_DIR)
	$(Q)cp $(GUEST_CM_SRCS) $(GUEST_CM_DIR)/
	$(Q)cp $(GUEST_FE_SRCS) $(GUEST_FE_DIR)/
	$(Q)$(GUEST_KBUILD) M=$(abspath $(GUEST_CM_DIR)) modules
	$(Q)$(GUEST_KBUILD) M=$(abspath $(GUEST_FE_DIR)) \
		KBUILD_EXTRA_SYMBOLS=$(abspath $(GUEST_CM_DIR))/Module.symvers modules
	$(Q)cp $(GUEST_CM_DIR)/*.ko $(GUEST_FE_DIR)/*.ko $(GUEST_DIR)/

guest-modules: $(GUEST_MODULES)

.PHONY: guest-modules
