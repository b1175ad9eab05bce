// SPDX-License-Identifier: MIT
/*
 * The built-in layout tables, one per device family. A new ioctl goes in
 * its family's file; only a new family adds a line here. (A linker section
 * would spare even that, but the host library is a static archive, and
 * the linker would drop a family file nothing refers to.)
 */
#include "ioctl_layout.h"

extern const struct layout_table layout_table_core, layout_table_block,
	layout_table_loop, layout_table_fs, layout_table_sg,
	layout_table_cdrom, layout_table_tty, layout_table_tun,
	layout_table_evdev, layout_table_uinput, layout_table_hidraw,
	layout_table_i2c, layout_table_spi, layout_table_gpio,
	layout_table_rtc, layout_table_watchdog, layout_table_misc;

const struct layout_table *const layout_tables[] = {
	&layout_table_core,
	&layout_table_block,
	&layout_table_loop,
	&layout_table_fs,
	&layout_table_sg,
	&layout_table_cdrom,
	&layout_table_tty,
	&layout_table_tun,
	&layout_table_evdev,
	&layout_table_uinput,
	&layout_table_hidraw,
	&layout_table_i2c,
	&layout_table_spi,
	&layout_table_gpio,
	&layout_table_rtc,
	&layout_table_watchdog,
	&layout_table_misc,
};

const unsigned int layout_tables_count =
	sizeof(layout_tables) / sizeof(layout_tables[0]);
