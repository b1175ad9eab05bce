# make install [DESTDIR=...] [PREFIX=/usr/local]: the host side, as a
# distribution package lays it out (the dkms package's debian/rules runs
# `make install DESTDIR=debian/tmp PREFIX=/usr`):
#   SBINDIR/devcalld, BINDIR/devcallctl (when built), BINDIR/devcall-vm,
#   LIBEXECDIR/devcall/mkinitramfs.sh (what devcall-vm runs),
#   LIBDIR/devcall/ the guest modules and guest-kernel.env, when built,
#   MANDIR/manN/ the man pages (man/man.mk), SYSCONFDIR/devcall/devcall.conf
#   (an example that exports nothing), SYSTEMDUNITDIR/devcall.service.
PREFIX		?= /usr/local
BINDIR		?= $(PREFIX)/bin
SBINDIR		?= $(PREFIX)/sbin
LIBEXECDIR	?= $(PREFIX)/libexec
LIBDIR		?= $(PREFIX)/lib
MANDIR		?= $(PREFIX)/share/man
SYSCONFDIR	?= /etc
SYSTEMDUNITDIR	?= /lib/systemd/system
INSTALL		?= install

DEVCALLCTL	:= $(BUILD)/vmm-glue/devcallctl

# The unit, with the daemon's path filled in: for install, and for the
# check (tests/service), which verifies it against the built daemon.
# Made again every time: the paths are make variables, not files.
$(BUILD)/systemd/devcall.service: systemd/devcall.service.in FORCE
	$(quiet) GEN $@
	$(Q)mkdir -p $(dir $@)
	$(Q)sed 's|@SBINDIR@|$(SBINDIR)|g; s|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
		$< > $@

# devcall-vm finds its pieces by the three lines after its marker; the
# installed copy gets the installed paths (the tree's build dir for the
# guest kernel and modules unless make install found them built).
$(BUILD)/install/devcall-vm: vmm-glue/devcall-vm FORCE
	$(quiet) GEN $@
	$(Q)mkdir -p $(dir $@)
	$(Q)sed -e 's|^devcalld=.*|devcalld=$(SBINDIR)/devcalld|' \
		-e 's|^guest=.*|guest=$${DEVCALL_GUEST_DIR:-$(LIBDIR)/devcall}|' \
		-e 's|^scripts=.*|scripts=$(LIBEXECDIR)/devcall|' $< > $@
	$(Q)grep -q '^scripts=$(LIBEXECDIR)/devcall$$' $@

# devcallctl when its source is there (vmm-glue.mk's rule builds it).
INSTALL_BINS	:= $(DEVCALLD) $(if $(wildcard vmm-glue/devcallctl.c),$(DEVCALLCTL))

install: install-sdk $(INSTALL_BINS) $(BUILD)/systemd/devcall.service \
	 $(BUILD)/install/devcall-vm $(MAN_PAGES)
	$(quiet) INSTALL $(DESTDIR)$(PREFIX)
	$(Q)$(INSTALL) -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) \
		$(DESTDIR)$(LIBEXECDIR)/devcall $(DESTDIR)$(SYSCONFDIR)/devcall \
		$(DESTDIR)$(SYSTEMDUNITDIR)
	$(Q)$(INSTALL) -m 0755 $(DEVCALLD) $(DESTDIR)$(SBINDIR)/devcalld
	$(Q)if [ -x $(DEVCALLCTL) ]; then \
		$(INSTALL) -m 0755 $(DEVCALLCTL) $(DESTDIR)$(BINDIR)/devcallctl; \
	fi
	$(Q)$(INSTALL) -m 0755 $(BUILD)/install/devcall-vm \
		$(DESTDIR)$(BINDIR)/devcall-vm
	$(Q)$(INSTALL) -m 0755 scripts/mkinitramfs.sh \
		$(DESTDIR)$(LIBEXECDIR)/devcall/mkinitramfs.sh
	$(Q)$(INSTALL) -m 0755 scripts/guest-packages.sh \
		$(DESTDIR)$(LIBEXECDIR)/devcall/guest-packages.sh
	$(Q)$(INSTALL) -m 0755 libvirt/devcall-hook \
		$(DESTDIR)$(LIBEXECDIR)/devcall/devcall-hook
	$(Q)$(INSTALL) -m 0644 $(BUILD)/systemd/devcall.service \
		$(DESTDIR)$(SYSTEMDUNITDIR)/devcall.service
	$(Q)$(INSTALL) -m 0644 systemd/devcall.conf \
		$(DESTDIR)$(SYSCONFDIR)/devcall/devcall.conf
	$(if $(MAN_PAGES),,@echo "install: no scdoc: man pages not installed" >&2)
	$(Q)for p in $(MAN_PAGES); do \
		s=$${p##*.}; \
		$(INSTALL) -d $(DESTDIR)$(MANDIR)/man$$s && \
		$(INSTALL) -m 0644 $$p $(DESTDIR)$(MANDIR)/man$$s/ || exit 1; \
	done
	$(Q)$(MAKE) --no-print-directory install-guest

# The guest side devcall-vm boots, if `make guest-modules` built it: the
# modules, and the kernel's paths made absolute (the kernel itself stays
# where scripts/guest-kernel.sh put it).
install-guest:
	$(Q)if [ -f $(GUEST_KERNEL_ENV) ] && [ -f $(GUEST_DIR)/devcall.ko ]; then \
		$(INSTALL) -d $(DESTDIR)$(LIBDIR)/devcall/guest && \
		$(INSTALL) -m 0644 $(GUEST_MODULES) \
			$(DESTDIR)$(LIBDIR)/devcall/guest/ && \
		sed 's|=\([^/]\)|=$(CURDIR)/\1|; s|^KVER=$(CURDIR)/|KVER=|' \
			$(GUEST_KERNEL_ENV) \
			> $(DESTDIR)$(LIBDIR)/devcall/guest-kernel.env; \
	fi

uninstall:
	$(Q)rm -f $(DESTDIR)$(SBINDIR)/devcalld $(DESTDIR)$(BINDIR)/devcallctl \
		$(DESTDIR)$(BINDIR)/devcall-vm \
		$(DESTDIR)$(LIBEXECDIR)/devcall/mkinitramfs.sh \
		$(DESTDIR)$(LIBEXECDIR)/devcall/guest-packages.sh \
		$(DESTDIR)$(LIBEXECDIR)/devcall/devcall-hook \
		$(DESTDIR)$(SYSTEMDUNITDIR)/devcall.service
	$(Q)rm -rf $(DESTDIR)$(LIBDIR)/devcall/guest \
		$(DESTDIR)$(LIBDIR)/devcall/guest-kernel.env
	$(Q)for p in $(notdir $(MAN_PAGES)); do \
		rm -f $(DESTDIR)$(MANDIR)/man$${p##*.}/$$p; \
	done

FORCE:

.PHONY: install install-guest uninstall FORCE
