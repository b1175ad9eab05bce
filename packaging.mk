# Packaging: the guest modules' DKMS tree and the Debian packages.
#   make install-dkms DESTDIR=D  sources + dkms.conf in D/usr/src/devcall-V,
#                                the udev rule in D/lib/udev/rules.d
#   make deb                     devcall and devcall-dkms .debs in build/deb
#   make deb-dkms                devcall-dkms alone (what guests install)
#   make deb-check               make deb, then check what it built
# The version is debian/changelog's, without a Debian revision.
VERSION	?= ${shell sed -n '1s/^[^(]*(\([^)-]*\).*/\1/p' debian/changelog}
DEB_DIR	:= $(BUILD)/deb
DKMS_DEB := $(DEB_DIR)/devcall-dkms_$(VERSION)_all.deb

# One flat directory, one Kbuild: DKMS builds all four modules in one
# pass, so the frontends find devcall.ko's symbols without a symvers file.
DKMS_SRCS := $(filter-out %/Kbuild,$(sort $(GUEST_CM_SRCS) $(GUEST_FE_SRCS)))

install-dkms:
	$(quiet) INSTALL $(DESTDIR)/usr/src/devcall-$(VERSION)
	$(Q)install -d $(DESTDIR)/usr/src/devcall-$(VERSION)
	$(Q)install -m 0644 $(DKMS_SRCS) $(DESTDIR)/usr/src/devcall-$(VERSION)/
	$(Q)cat call-mechanism-guest/Kbuild guest-frontend/Kbuild \
		> $(DESTDIR)/usr/src/devcall-$(VERSION)/Kbuild
	$(Q)sed 's/#MODULE_VERSION#/$(VERSION)/' dkms.conf \
		> $(DESTDIR)/usr/src/devcall-$(VERSION)/dkms.conf
	$(Q)install -D -m 0644 guest-frontend/60-devcall.rules \
		$(DESTDIR)/lib/udev/rules.d/60-devcall.rules

# $(call deb-build,ARGS,PATTERN): dpkg-buildpackage ARGS in a copy of the
# tree outside it (the tree stays clean, and no debian/*/rules.d lands
# where the top Makefile looks for .d files); PATTERN's .debs to DEB_DIR.
deb-build = w=$$(mktemp -d /tmp/devcall-deb.XXXXXX) && \
	mkdir -p $(DEB_DIR) $$w/devcall-$(VERSION) && \
	tar -c --exclude=./$(BUILD) --exclude=./.git . | \
		tar -x -C $$w/devcall-$(VERSION) && \
	if (cd $$w/devcall-$(VERSION) && dpkg-buildpackage -us -uc $(1) \
		> $$w/build.log 2>&1); then \
		mv $$w/$(2) $(DEB_DIR)/ && rm -rf $$w; \
	else tail -n 40 $$w/build.log; rm -rf $$w; exit 1; fi
lintian-run = if command -v lintian >/dev/null; then \
	lintian --allow-root --info $(DEB_DIR)/*.deb | tee $(DEB_DIR)/lintian.txt; fi

deb-deps:
	$(Q)scripts/install-deps.sh build deb

deb: deb-deps
	$(quiet) DEB $(DEB_DIR)
	$(Q)$(call deb-build,-b,*.deb)
	$(Q)$(lintian-run)

$(DKMS_DEB): debian/changelog debian/control debian/rules dkms.conf \
	     debian/devcall-dkms.postinst packaging.mk $(GUEST_CM_SRCS) \
	     $(GUEST_FE_SRCS) guest-frontend/60-devcall.rules
	$(quiet) DEB $@
	$(Q)$(call deb-build,-A,devcall-dkms_*.deb)

deb-dkms: deb-deps
	$(Q)$(MAKE) --no-print-directory $(DKMS_DEB)

.PHONY: install-dkms deb deb-deps deb-dkms

# make deb, then what it built: contents, no overlaps, lintian clean.
deb-check: deb
	$(Q)tests/packaging/check-deb.sh $(DEB_DIR)

CHECK_EXTRA += deb-check
.PHONY: deb-check

# The .deb in real Debian 12 guests (6.1 and 6.12): DKMS builds, udev
# loads, wodim burns. Root filesystems are cached in DEVCALL_CACHE.
e2e-dkms: e2e-deps deb-deps
	$(Q)$(MAKE) -s --no-print-directory $(DEVCALLD) $(EMUDRIVE) $(DKMS_DEB)
	$(Q)BUILD=$(abspath $(BUILD)) DEVCALL_CACHE=$(DEVCALL_CACHE) \
		tests/e2e/test_dkms.sh

CHECK_EXTRA += e2e-dkms
.PHONY: e2e-dkms
