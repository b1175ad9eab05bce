# memmap: guest-physical translation, ioctl layouts, pointer rewriting.
MEMMAP_SRCS := \
	memmap/guest_mem.c \
	memmap/guest_buf.c \
	memmap/ioctl_layout.c \
	memmap/compat_layout.c \
	memmap/layouts_compat.c \
	memmap/layouts_builtin.c \
	memmap/layouts_block.c \
	memmap/layouts_bus.c \
	memmap/layouts_cdrom.c \
	memmap/layouts_input.c \
	memmap/layouts_misc.c \
	memmap/layouts_tables.c \
	memmap/layouts_tty.c \
	memmap/layouts_tun.c \
	memmap/ptr_rewrite.c \
	memmap/layout_wire.c \
	memmap/layout_file.c
