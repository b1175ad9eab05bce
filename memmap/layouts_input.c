// SPDX-License-Identifier: MIT
/*
 * Input: evdev, uinput and hidraw. Numbers with the length in _IOC_SIZE
 * (EVIOCGNAME(len), EVIOCGBIT(ev, len), HIDIOCGFEATURE(len) ...) are
 * families: one entry matches every length up to LAYOUT_ARG_MAX, and the
 * guest is answered with the concrete number's layout.
 *
 * Not here: EVIOCSFF, UI_BEGIN_FF_UPLOAD and UI_END_FF_UPLOAD (struct
 * ff_effect holds a user pointer, custom_data, inside a union selected by
 * the effect type: no layout kind follows a union), UI_SET_PHYS (the
 * argument is itself a pointer to a string), HIDIOCGRDESC (its argument is
 * 4100 bytes, over the wire's DEVCALL_LAYOUT_ARG_MAX).
 */
#include <linux/hidraw.h>
#include <linux/input.h>
#include <linux/uinput.h>

#include "layouts_macros.h"

#define FAM_MAX		LAYOUT_ARG_MAX

_Static_assert(sizeof(struct input_mask) == 16, "input_mask");
_Static_assert(offsetof(struct input_mask, codes_ptr) == 8, "codes_ptr");
_Static_assert(sizeof(struct input_absinfo) == 24, "input_absinfo");

/* The largest event mask: KEY_MAX bits. */
#define INPUT_MASK_MAX	((KEY_MAX + 8) / 8)

#define MASK(nr, d) {							\
	.cmd = (nr), .name = #nr,					\
	.arg_size = LAYOUT_SIZEOF(nr, struct input_mask),		\
	.arg_dir = IN, .nr_ptrs = 1,					\
	.ptr = { {							\
		.off = offsetof(struct input_mask, codes_ptr),		\
		.kind = LAYOUT_PTR_BUF, .dir = (d),			\
		.len_field = FIELD(struct input_mask, codes_size, 0),	\
		.len_max = INPUT_MASK_MAX } } }

#define ABS(a)	SCALAR(EVIOCGABS(a), OUT, struct input_absinfo),	\
		SCALAR(EVIOCSABS(a), IN, struct input_absinfo)
#define ABS8(a)	ABS(a), ABS(a + 1), ABS(a + 2), ABS(a + 3),		\
		ABS(a + 4), ABS(a + 5), ABS(a + 6), ABS(a + 7)

_Static_assert(ABS_MAX == 0x3f, "EVIOCGABS covers 0..ABS_MAX");

static const struct ioctl_layout layouts_evdev[] = {
	SCALAR(EVIOCGVERSION, OUT, int),
	SCALAR(EVIOCGID, OUT, struct input_id),
	SCALAR(EVIOCGREP, OUT, unsigned int[2]),
	SCALAR(EVIOCSREP, IN, unsigned int[2]),
	SCALAR(EVIOCGKEYCODE, BOTH, unsigned int[2]),	/* scancode in */
	SCALAR(EVIOCGKEYCODE_V2, BOTH, struct input_keymap_entry),
	SCALAR(EVIOCSKEYCODE, IN, unsigned int[2]),
	SCALAR(EVIOCSKEYCODE_V2, IN, struct input_keymap_entry),
	FAMILY(EVIOCGNAME(FAM_MAX), OUT),
	FAMILY(EVIOCGPHYS(FAM_MAX), OUT),
	FAMILY(EVIOCGUNIQ(FAM_MAX), OUT),
	FAMILY(EVIOCGPROP(FAM_MAX), OUT),
	FAMILY(EVIOCGMTSLOTS(FAM_MAX), BOTH),	/* the code comes in */
	FAMILY(EVIOCGKEY(FAM_MAX), OUT),
	FAMILY(EVIOCGLED(FAM_MAX), OUT),
	FAMILY(EVIOCGSND(FAM_MAX), OUT),
	FAMILY(EVIOCGSW(FAM_MAX), OUT),
	/* The event types evdev answers EVIOCGBIT for. */
	FAMILY(EVIOCGBIT(0, FAM_MAX), OUT),
	FAMILY(EVIOCGBIT(EV_KEY, FAM_MAX), OUT),
	FAMILY(EVIOCGBIT(EV_REL, FAM_MAX), OUT),
	FAMILY(EVIOCGBIT(EV_ABS, FAM_MAX), OUT),
	FAMILY(EVIOCGBIT(EV_MSC, FAM_MAX), OUT),
	FAMILY(EVIOCGBIT(EV_LED, FAM_MAX), OUT),
	FAMILY(EVIOCGBIT(EV_SND, FAM_MAX), OUT),
	FAMILY(EVIOCGBIT(EV_FF, FAM_MAX), OUT),
	FAMILY(EVIOCGBIT(EV_SW, FAM_MAX), OUT),
	ABS8(0x00), ABS8(0x08), ABS8(0x10), ABS8(0x18),
	ABS8(0x20), ABS8(0x28), ABS8(0x30), ABS8(0x38),
	INTARG(EVIOCRMFF),
	SCALAR(EVIOCGEFFECTS, OUT, int),
	INTARG(EVIOCGRAB),
	INTARG(EVIOCREVOKE),
	SCALAR(EVIOCSCLOCKID, IN, int),
	MASK(EVIOCGMASK, OUT),
	MASK(EVIOCSMASK, IN),
};

static const struct ioctl_layout layouts_uinput[] = {
	NOARG(UI_DEV_CREATE),
	NOARG(UI_DEV_DESTROY),
	SCALAR(UI_DEV_SETUP, IN, struct uinput_setup),
	SCALAR(UI_ABS_SETUP, IN, struct uinput_abs_setup),
	INTARG(UI_SET_EVBIT),
	INTARG(UI_SET_KEYBIT),
	INTARG(UI_SET_RELBIT),
	INTARG(UI_SET_ABSBIT),
	INTARG(UI_SET_MSCBIT),
	INTARG(UI_SET_LEDBIT),
	INTARG(UI_SET_SNDBIT),
	INTARG(UI_SET_FFBIT),
	INTARG(UI_SET_SWBIT),
	INTARG(UI_SET_PROPBIT),
	SCALAR(UI_BEGIN_FF_ERASE, BOTH, struct uinput_ff_erase),
	SCALAR(UI_END_FF_ERASE, IN, struct uinput_ff_erase),
	FAMILY(UI_GET_SYSNAME(FAM_MAX), OUT),
	SCALAR(UI_GET_VERSION, OUT, unsigned int),
};

static const struct ioctl_layout layouts_hidraw[] = {
	SCALAR(HIDIOCGRDESCSIZE, OUT, int),
	SCALAR(HIDIOCGRAWINFO, OUT, struct hidraw_devinfo),
	FAMILY(HIDIOCGRAWNAME(FAM_MAX), OUT),
	FAMILY(HIDIOCGRAWPHYS(FAM_MAX), OUT),
	FAMILY(HIDIOCGRAWUNIQ(FAM_MAX), OUT),
	/* The report number travels in byte 0 of every report. */
	FAMILY(HIDIOCSFEATURE(FAM_MAX), BOTH),
	FAMILY(HIDIOCGFEATURE(FAM_MAX), BOTH),
	FAMILY(HIDIOCSINPUT(FAM_MAX), BOTH),
	FAMILY(HIDIOCGINPUT(FAM_MAX), BOTH),
	FAMILY(HIDIOCSOUTPUT(FAM_MAX), BOTH),
	FAMILY(HIDIOCGOUTPUT(FAM_MAX), BOTH),
};

const struct layout_table layout_table_evdev = LAYOUT_TABLE("evdev",
							    layouts_evdev);
const struct layout_table layout_table_uinput = LAYOUT_TABLE("uinput",
							     layouts_uinput);
const struct layout_table layout_table_hidraw = LAYOUT_TABLE("hidraw",
							     layouts_hidraw);
