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
		   call-mechanism-guest/node_info.h \
		   call-mechanism-guest/devcall_compat.h abi/devcall_abi.h
GUEST_MODULES	:= $(GUEST_DIR)/devcall_ivshmem.ko $(GUEST_DIR)/devcall.ko \
		   $(GUEST_DIR)/devcall_frontend.ko $(GUEST_DIR)/devcall_blk.ko
GUEST_KERNEL_ENV := $(BUILD)/guest-kernel.env
# $(call guest-kbuild,ENV): kbuild against the headers ENV names.
guest-kbuild	= . ./$(1) && $(MAKE) -C $$KDIR \
		  $(if $(filter 1,$(V)),V=1,-s) \
		  $(if $(filter 1,$(WERROR)),KCFLAGS=-Werror)
# $(call guest-build,DIR,ENV): both halves in DIR, the modules gathered.
define guest-build
	$(quiet) KBUILD $(1)
	$(Q)mkdir -p $(1)/call-mechanism-guest $(1)/guest-frontend
	$(Q)cp $(GUEST_CM_SRCS) $(1)/call-mechanism-guest/
	$(Q)cp $(GUEST_FE_SRCS) $(1)/guest-frontend/
	$(Q)$(call guest-kbuild,$(2)) \
		M=$(abspath $(1))/call-mechanism-guest modules
	$(Q)$(call guest-kbuild,$(2)) M=$(abspath $(1))/guest-frontend \
		KBUILD_EXTRA_SYMBOLS=$(abspath $(1))/call-mechanism-guest/Module.symvers \
		modules
	$(Q)cp $(1)/call-mechanism-guest/*.ko $(1)/guest-frontend/*.ko $(1)/
endef

$(GUEST_KERNEL_ENV): scripts/guest-kernel.sh
	$(quiet) KERNEL $@
	$(Q)mkdir -p $(BUILD)
	$(Q)scripts/guest-kernel.sh $(BUILD)/guest-kernel > $@.tmp && mv $@.tmp $@

$(GUEST_MODULES) &: $(GUEST_CM_SRCS) $(GUEST_FE_SRCS) $(GUEST_KERNEL_ENV)
	$(call guest-build,$(GUEST_DIR),$(GUEST_KERNEL_ENV))

guest-modules: $(GUEST_MODULES)

# The same modules against Debian 12's newer kernel series, the newest
# version of it resolved at run time and fetched into the cache: the API
# drift between the two shows in `make check`, not in a user's DKMS log.
DEVCALL_CACHE	?= /var/cache/devcall
GUEST_NEXT	:= 6.12
GUEST_NEXT_DIR	:= $(BUILD)/guest-$(GUEST_NEXT)
GUEST_NEXT_ENV	:= $(BUILD)/guest-kernel-$(GUEST_NEXT).env
GUEST_NEXT_MODULES := $(GUEST_MODULES:$(GUEST_DIR)/%=$(GUEST_NEXT_DIR)/%)

$(GUEST_NEXT_ENV): scripts/guest-kernel.sh
	$(quiet) KERNEL $@
	$(Q)mkdir -p $(BUILD)
	$(Q)scripts/guest-kernel.sh $(DEVCALL_CACHE)/guest-kernel \
		$(GUEST_NEXT) > $@.tmp && mv $@.tmp $@

$(GUEST_NEXT_MODULES) &: $(GUEST_CM_SRCS) $(GUEST_FE_SRCS) $(GUEST_NEXT_ENV)
	$(call guest-build,$(GUEST_NEXT_DIR),$(GUEST_NEXT_ENV))

guest-modules-$(GUEST_NEXT): $(GUEST_NEXT_MODULES)

CHECK_EXTRA += guest-modules-$(GUEST_NEXT)
.PHONY: guest-modules guest-modules-$(GUEST_NEXT)
