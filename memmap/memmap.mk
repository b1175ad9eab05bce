# memmap: guest-physical translation, ioctl layouts, pointer rewriting.
MEMMAP_SRCS := \
	memmap/guest_mem.c \
	memmap/guest_buf.c \
	memmap/ioctl_layout.c \
	memmap/layouts_builtin.c \
	memmap/ptr_rewrite.c \
	memmap/layout_wire.c
