# Man pages: man/NAME.SECTION.scd -> $(BUILD)/man/manSECTION/NAME.SECTION,
# with scdoc (scripts/install-deps.sh build). Every .scd here is built,
# whoever wrote it; `make install` installs them. Without scdoc none are
# built and install says so.
SCDOC		:= $(shell command -v scdoc 2>/dev/null)
MAN_SRCS	:= $(wildcard man/*.scd)
ifneq ($(SCDOC),)
MAN_PAGES	:= $(foreach s,$(MAN_SRCS:.scd=),\
		   $(BUILD)/man/man$(subst .,,$(suffix $(s)))/$(notdir $(s)))
endif

define man_section
$(BUILD)/man/man$(1)/%.$(1): man/%.$(1).scd
	$$(quiet) SCDOC $$@
	$$(Q)mkdir -p $$(dir $$@)
	$$(Q)$(SCDOC) < $$< > $$@.tmp && mv $$@.tmp $$@
endef
$(foreach n,1 5 7 8,$(eval $(call man_section,$(n))))

man: $(MAN_PAGES)

BUILD_ALL_EXTRA += $(MAN_PAGES)
.PHONY: man
