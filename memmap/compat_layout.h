/* SPDX-License-Identifier: MIT */
/*
 * 32-bit (compat) processes: the layouts their ioctls take when the 32-bit
 * form differs from the native one, and the conversion to the native
 * argument the daemon (a 64-bit process) hands the host driver, as data.
 *
 * A 32-bit process's ioctl may differ from a 64-bit one's in its number
 * (_IOC_SIZE of a struct holding a long or a pointer: BLKGETSIZE64 is
 * 0x80041272 there), in its struct (4-byte pointers and longs, u64 aligned
 * to 4: struct compat_sg_io_hdr is 64 bytes, sg_io_hdr 88), or both. For
 * each such ioctl an entry gives the 32-bit number and layout (what the
 * guest walks), the native number, and a list of field copies between the
 * two structs. Everything else (termios, the int and u64 ioctls, most of
 * the tables) is the same in both ABIs: a 32-bit caller gets the native
 * layout as it is. A native layout with pointers and no entry is refused
 * to a 32-bit caller, as the host cannot know its pointer fields' width.
 */
#ifndef DEVCALL_COMPAT_LAYOUT_H
#define DEVCALL_COMPAT_LAYOUT_H

#include <stdbool.h>
#include <stdint.h>

#include "ioctl_layout.h"

#define COMPAT_MAX_COPIES	24

/* compat_copy.flags */
#define COMPAT_SIGNED	(1u << 0) /* sign-extend going, signed range back */
#define COMPAT_CHECK	(1u << 1) /* a value that does not fit coming back
				   * is an error (overflow), not truncated */

/*
 * One field of the argument in both forms. size32 == size64: the bytes as
 * they are. size32 < size64 (a long, a pointer, an old dev_t): the value
 * widened going to the driver (zero- or sign-extended) and narrowed back
 * (truncated, or the entry's overflow error with COMPAT_CHECK). A
 * pointer's value is the guest's user address: the native layout's
 * rewriting replaces it.
 */
struct compat_copy {
	uint16_t off32;
	uint16_t off64;
	uint8_t size32;
	uint8_t size64;
	uint8_t flags;		/* COMPAT_* */
};

struct compat_layout {
	uint32_t cmd32;		/* the 32-bit process's number */
	uint32_t cmd;		/* the native number the driver gets */
	/*
	 * The native layout is right for 32-bit callers too (its pointer
	 * fields are u64 in both ABIs: struct input_mask): no conversion,
	 * and the guest walks 8-byte pointers.
	 */
	bool native;
	/*
	 * What the guest walks: cmd32, the 32-bit struct's size, direction
	 * and pointers (in the native layout's order), compat set. arg_size
	 * 0: an integer argument, only the number changes.
	 */
	struct ioctl_layout layout32;
	/*
	 * The argument is nr_elem records (0: one) of elem32 and elem64
	 * bytes; the copies are one record's (SG_GET_REQUEST_TABLE).
	 */
	uint16_t nr_elem;
	uint16_t elem32;
	uint16_t elem64;
	uint8_t nr_copies;
	struct compat_copy copy[COMPAT_MAX_COPIES];
	uint8_t overflow;	/* COMPAT_CHECK's errno; 0: EOVERFLOW */
};

/* The built-in entries (layouts_compat.c). */
extern const struct compat_layout compat_layouts[];
extern const unsigned int compat_layouts_count;

/* The entry for a 32-bit process's number, or NULL. */
const struct compat_layout *compat_find(uint32_t cmd32);

/*
 * Check an entry against the native layout l the driver call will use:
 * layout32 valid and compat, every copy inside both arguments and of a
 * convertible size, each of layout32's pointers copied (4 -> 8 bytes) to
 * the field of the same pointer in l. 0 or -EINVAL.
 */
int compat_check(const struct compat_layout *c, const struct ioctl_layout *l);

/*
 * The 32-bit argument arg32 (layout32.arg_size bytes) as the native one:
 * arg64 (arg64_size bytes) zeroed, then every copy widened into it.
 */
void compat_to_native(const struct compat_layout *c, const void *arg32,
		      void *arg64, uint32_t arg64_size);

/*
 * The native argument after the call back into arg32, which holds the
 * guest's own bytes: copies narrowed, bytes no copy names left alone.
 * 0, or -overflow (a COMPAT_CHECK value does not fit; arg32 unchanged).
 */
int compat_from_native(const struct compat_layout *c, const void *arg64,
		       void *arg32);

/*
 * Whether native layout l, with no compat entry, serves a 32-bit caller
 * as it is: true when it has no pointers (the built-in tables were
 * checked field by field; docs/layouts.md lists the ones that differ).
 */
bool compat_native_ok(const struct ioctl_layout *l);

#endif /* DEVCALL_COMPAT_LAYOUT_H */
