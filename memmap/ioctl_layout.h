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

/* The wire's limits (devcall_abi.h): the guest's layout walk has the same. */
#define LAYOUT_MAX_PTRS		DEVCALL_LAYOUT_MAX_PTRS
#define LAYOUT_MAX_DIR_MAP	DEVCALL_LAYOUT_MAX_DIR_MAP
#define LAYOUT_ARG_MAX		DEVCALL_LAYOUT_ARG_MAX	/* we copy at most */
#define LAYOUT_MAX_SUBS		DEVCALL_LAYOUT_MAX_SUBS
#define LAYOUT_REC_ELEM_MAX	DEVCALL_LAYOUT_REC_ELEM_MAX
#define LAYOUT_REC_COUNT_MAX	DEVCALL_LAYOUT_REC_COUNT_MAX

enum layout_dir {
	LAYOUT_DIR_NONE		= 0,
	LAYOUT_DIR_IN		= 1,
	LAYOUT_DIR_OUT		= 2,
	LAYOUT_DIR_BOTH		= 3,
	LAYOUT_DIR_BY_FIELD	= 4,	/* looked up in dir_map by dir_field */
	LAYOUT_DIR_BY_MASK	= 5,	/* records' pointers only: see
					 * struct layout_sub */
};

/* layout_ptr.flags, layout_sub.flags */
#define LAYOUT_PF_NULL_OK	DEVCALL_LAYOUT_PF_NULL_OK /* NULL: no buffer */

enum layout_ptr_kind {
	LAYOUT_PTR_BUF		= 1,	/* points at len bytes */
	LAYOUT_PTR_IOVEC	= 2,	/* count_field != 0: array of
					 * {void *base; size_t len} elements;
					 * count_field == 0: a plain BUF */
	LAYOUT_PTR_OPAQUE	= 3,	/* never dereferenced: passed through */
	LAYOUT_PTR_RECORDS	= 4,	/* points at count_field records of
					 * the layout's rec (always IN) */
};

/* Descriptors in and out (struct ioctl_layout.fd): the wire's bits. */
#define LAYOUT_FD_IN_ARG	DEVCALL_LAYOUT_FD_IN_ARG
#define LAYOUT_FD_IN_FIELD	DEVCALL_LAYOUT_FD_IN_FIELD
#define LAYOUT_FD_OUT_RET	DEVCALL_LAYOUT_FD_OUT_RET
#define LAYOUT_FD_OUT_FIELD	DEVCALL_LAYOUT_FD_OUT_FIELD
#define LAYOUT_FD_ALL		DEVCALL_LAYOUT_FD_ALL
#define LAYOUT_FD_IN		(LAYOUT_FD_IN_ARG | LAYOUT_FD_IN_FIELD)
#define LAYOUT_FD_FIELD		(LAYOUT_FD_IN_FIELD | LAYOUT_FD_OUT_FIELD)

/* An integer field of the argument. size 0 means "not used". */
struct layout_field {
	uint16_t off;
	uint8_t size;		/* 1, 2, 4 or 8 */
	bool is_signed;
};

struct layout_dir_map {
	int64_t value;		/* value of dir_field */
	uint8_t dir;		/* enum layout_dir, never BY_FIELD */
};

struct layout_ptr {
	uint16_t off;		/* offset of the pointer (8 bytes, x86_64;
				 * 4 in a compat layout) */
	uint8_t kind;		/* enum layout_ptr_kind */
	uint8_t dir;		/* enum layout_dir */
	uint32_t len_const;	/* length when len_field.size == 0 */
	struct layout_field len_field; /* length in bytes from the argument */
	uint32_t len_max;	/* longer is -EINVAL (absurd lengths) */
	struct layout_field count_field; /* IOVEC: element count */
	uint32_t count_max;	/* IOVEC: more elements is -EINVAL */
	struct layout_field dir_field; /* BY_FIELD: selects the direction */
	uint8_t nr_dir_map;
	struct layout_dir_map dir_map[LAYOUT_MAX_DIR_MAP]; /* unmapped: -EINVAL */
	uint8_t flags;		/* LAYOUT_PF_*: NULL_OK, a NULL value is
				 * "no buffer" (the driver gets NULL) */
};

/*
 * A pointer inside a record: fields are offsets in the record. Its
 * direction is dir, or for LAYOUT_DIR_BY_MASK dir_set when the record's
 * dir_field has any bit of dir_mask set, else dir_clear (I2C_M_RD).
 */
struct layout_sub {
	uint16_t off;
	uint8_t dir;		/* IN, OUT, BOTH or BY_MASK */
	uint8_t flags;		/* LAYOUT_PF_* */
	uint32_t len_const;
	struct layout_field len_field;
	uint32_t len_max;
	struct layout_field dir_field;
	uint32_t dir_mask;
	uint8_t dir_set, dir_clear;	/* NONE, IN, OUT or BOTH */
};

/*
 * An array of records that carry pointers (nested pointers): behind the
 * layout's one RECORDS pointer, or, in_arg, the argument itself (count =
 * arg_size / elem_size; it then has no pointers of its own). elem_size 0:
 * no records.
 */
struct layout_records {
	uint16_t elem_size;
	uint16_t count_max;
	bool in_arg;
	uint32_t total_max;	/* bytes over all records' buffers */
	uint8_t nr_subs;
	struct layout_sub sub[LAYOUT_MAX_SUBS];
};

struct ioctl_layout {
	uint32_t cmd;		/* the ioctl request number */
	const char *name;	/* for logs: "SG_IO" */
	uint32_t arg_size;	/* 0: the argument is a plain integer */
	bool arg_unused;	/* arg_size 0: the driver ignores the value;
				 * it gets 0 whatever the caller passed */
	uint8_t arg_dir;	/* direction of the argument struct itself */
	uint8_t nr_ptrs;
	struct layout_ptr ptr[LAYOUT_MAX_PTRS];
	struct layout_records rec;
	/*
	 * A family (EVIOCGNAME(len), HIDIOCGFEATURE(len)): the entry matches
	 * every number with cmd's direction, type and nr whatever its
	 * _IOC_SIZE, up to arg_size bytes; layout_lookup() hands out a copy
	 * whose cmd and arg_size are the concrete number's. No pointers;
	 * records in the argument (SPI_IOC_MESSAGE(n)) are allowed.
	 */
	bool size_family;
	/*
	 * Descriptors (DEVCALL_LAYOUT_FD_* of devcall_abi.h). FD_IN_ARG: the
	 * integer argument is a descriptor; FD_IN_FIELD: the 4-byte field at
	 * fd_off of the argument (IN or BOTH) is one. The host puts its own
	 * descriptor of the file the guest named there, and restores the
	 * guest's value in what goes back. FD_OUT_RET: the result is a new
	 * descriptor the host makes a handle of. FD_OUT_FIELD: the driver
	 * writes a new descriptor into the 4-byte field at fd_off of the
	 * argument (OUT or BOTH); the guest sees its own there.
	 */
	uint8_t fd;
	uint16_t fd_off;
	/*
	 * A 32-bit process's layout (memmap/compat_layout.h): each pointer
	 * field is 4 bytes (a compat_uptr_t), an IOVEC's elements are 8,
	 * { u32 base; u32 len; }. Only the guest walks such a layout; the
	 * host driver always gets the native one.
	 */
	bool compat;
};

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

/*
 * Register a layout (a plugin's own ioctls). Checked with layout_validate();
 * replaces a built-in of the same number. Returns 0, -EINVAL, -EEXIST (a
 * registered one already has that number) or -ENOSPC.
 */
int layout_register(const struct ioctl_layout *layout);

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
