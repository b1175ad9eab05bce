/* SPDX-License-Identifier: MIT */
/*
 * Ioctl argument layouts, as data: how big an ioctl's argument is, which of
 * its fields are pointers, what bounds and directs the memory behind each
 * pointer. The host owns these; a new device's ioctls are a new table, not
 * new code.
 *
 * Directions are seen from the driver: IN is read by the driver (guest to
 * host), OUT is written by it (host to guest).
 */
#ifndef DEVCALL_IOCTL_LAYOUT_H
#define DEVCALL_IOCTL_LAYOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "devcall_abi.h"

/*
 * The layout structs and their limits are the plugin SDK's
 * (include/devcall-plugin.h: plugins register layouts); they must be the
 * wire's (devcall_abi.h), which the guest's layout walk has too.
 */
#include "devcall-plugin.h"

_Static_assert(LAYOUT_MAX_PTRS == DEVCALL_LAYOUT_MAX_PTRS, "wire limit");
_Static_assert(LAYOUT_MAX_DIR_MAP == DEVCALL_LAYOUT_MAX_DIR_MAP, "wire limit");
_Static_assert(LAYOUT_ARG_MAX == DEVCALL_LAYOUT_ARG_MAX, "wire limit");
_Static_assert(LAYOUT_MAX_SUBS == DEVCALL_LAYOUT_MAX_SUBS, "wire limit");
_Static_assert(LAYOUT_REC_ELEM_MAX == DEVCALL_LAYOUT_REC_ELEM_MAX, "wire");
_Static_assert(LAYOUT_REC_COUNT_MAX == DEVCALL_LAYOUT_REC_COUNT_MAX, "wire");
_Static_assert(LAYOUT_PF_NULL_OK == DEVCALL_LAYOUT_PF_NULL_OK, "wire flag");
_Static_assert(LAYOUT_FD_IN_ARG == DEVCALL_LAYOUT_FD_IN_ARG &&
	       LAYOUT_FD_IN_FIELD == DEVCALL_LAYOUT_FD_IN_FIELD &&
	       LAYOUT_FD_OUT_RET == DEVCALL_LAYOUT_FD_OUT_RET &&
	       LAYOUT_FD_OUT_FIELD == DEVCALL_LAYOUT_FD_OUT_FIELD &&
	       LAYOUT_FD_ALL == DEVCALL_LAYOUT_FD_ALL, "wire fd bits");
_Static_assert(LAYOUT_DIR_BY_MASK == DEVCALL_LAYOUT_DIR_BY_MASK &&
	       LAYOUT_PTR_RECORDS == DEVCALL_LAYOUT_KIND_RECORDS, "wire");

#define LAYOUT_FD_IN		(LAYOUT_FD_IN_ARG | LAYOUT_FD_IN_FIELD)
#define LAYOUT_FD_FIELD		(LAYOUT_FD_IN_FIELD | LAYOUT_FD_OUT_FIELD)

/* Bytes of a pointer field in l. */
static inline unsigned int layout_ptr_size(const struct ioctl_layout *l)
{
	return l->compat ? 4 : 8;
}

/* A table of built-in layouts: one per device family (layouts_*.c). */
struct layout_table {
	const char *family;	/* "block", "tty" ... */
	const struct ioctl_layout *layouts;
	unsigned int count;
};

#define LAYOUT_TABLE(fam, arr) {					\
	.family = (fam), .layouts = (arr),				\
	.count = sizeof(arr) / sizeof((arr)[0]) }

/* The families' tables (layouts_tables.c). */
extern const struct layout_table *const layout_tables[];
extern const unsigned int layout_tables_count;

/*
 * The layout for cmd: a registered one, else a built-in one; NULL if none.
 * Generic _IOC handling is separate (layout_from_ioc), so that policy can
 * decide whether to allow it.
 */
const struct ioctl_layout *layout_find(uint32_t cmd);

/*
 * layout_find(), and a family member (size_family) made concrete in
 * *scratch: the layout a call with cmd uses. NULL if none.
 */
const struct ioctl_layout *layout_lookup(uint32_t cmd,
					 struct ioctl_layout *scratch);

/* layout_register(): include/devcall-plugin.h */

/*
 * Call fn for every layout layout_find() can return: the registered ones,
 * then the built-ins none of them replaces. Returns how many. fn must not
 * register layouts. (The seccomp filter allows exactly these numbers.)
 */
unsigned int layout_for_each(void (*fn)(const struct ioctl_layout *, void *),
			     void *ctx);

/*
 * One line per layout layout_for_each() visits: number, name, argument
 * size (a family: "<=N"), pointer count. (devcalld --list-layouts.)
 */
void layout_list(FILE *f);

/* Forget every registered layout (tests). */
void layout_unregister_all(void);

/*
 * Check a layout is self-consistent: every field inside the argument, no
 * pointer overlapping another field, sizes and bounds sane. 0 or -EINVAL.
 */
int layout_validate(const struct ioctl_layout *layout);

/*
 * Describe a well-formed _IOC number generically: a pointer to _IOC_SIZE
 * bytes with _IOC_DIR's direction and no embedded pointers. -ENOENT if cmd
 * has no direction or no size (it may be an integer-argument ioctl).
 */
int layout_from_ioc(uint32_t cmd, struct ioctl_layout *out);

/* A layout for an ioctl whose argument is a plain integer value. */
void layout_integer(uint32_t cmd, struct ioctl_layout *out);

/* The first built-in table (SG_IO, BLKGETSIZE64, TCGETS ...). */
extern const struct ioctl_layout layout_builtin[];
extern const unsigned int layout_builtin_count;

/* Whether cmd is a member of family entry l (same dir, type, nr). */
bool layout_family_match(const struct ioctl_layout *l, uint32_t cmd);

/*
 * Per-pointer facts computed from one argument instance: how long the
 * memory is and which way it moves. -EINVAL if the argument's fields are
 * out of the layout's bounds or map to no direction.
 */
struct layout_ptr_instance {
	uint8_t dir;		/* resolved: NONE, IN, OUT or BOTH */
	bool iovec;		/* IOVEC kind with a non-zero count */
	bool records;		/* RECORDS kind with a non-zero count */
	uint64_t len;		/* BUF: bytes; IOVEC: total of the elements;
				 * RECORDS: count * elem_size */
	uint32_t count;		/* IOVEC: elements; RECORDS: records */
	uint64_t guest_ptr;	/* the pointer's value in the guest's copy */
};

int layout_ptr_resolve(const struct ioctl_layout *layout, unsigned int i,
		       const void *arg, struct layout_ptr_instance *out);

/*
 * The records in the argument (rec.in_arg): how many. -EINVAL if
 * arg_size is no multiple of elem_size or there are too many.
 */
int layout_records_in_arg(const struct ioctl_layout *layout,
			  uint32_t *count);

/* Facts of sub-pointer j of one record (its bytes, elem_size of them). */
struct layout_sub_instance {
	uint8_t dir;		/* resolved: NONE, IN, OUT or BOTH */
	uint64_t len;		/* 0: no buffer (also NULL with NULL_OK) */
	uint64_t guest_ptr;
};

int layout_sub_resolve(const struct layout_records *rec, unsigned int j,
		       const void *record, struct layout_sub_instance *out);

/* Read an integer field of arg (sign-extended if is_signed). */
int64_t layout_field_get(const struct layout_field *f, const void *arg);

#endif /* DEVCALL_IOCTL_LAYOUT_H */
