/* SPDX-License-Identifier: MIT */
/*
 * Shorthands for the built-in layout tables (layouts_*.c). Every size is
 * the uAPI struct's own sizeof and every field offset its offsetof, so a
 * layout cannot disagree with the headers; where a number encodes a size
 * (_IOR/_IOW), the build fails unless the type has that size.
 */
#ifndef DEVCALL_LAYOUTS_MACROS_H
#define DEVCALL_LAYOUTS_MACROS_H

#include <stddef.h>
#include <linux/ioctl.h>

#include "ioctl_layout.h"

#define FIELD(type, member, sgn) { \
	.off = offsetof(type, member), \
	.size = sizeof(((type *)0)->member), \
	.is_signed = (sgn) }

/* sizeof(type), and a build failure if nr encodes another size. */
#define LAYOUT_SIZEOF(nr, type)						\
	(sizeof(type) + 0 * sizeof(struct {				\
		int dummy;						\
		_Static_assert(_IOC_SIZE(nr) == 0 ||			\
			       _IOC_SIZE(nr) == sizeof(type),		\
			       #nr ": size disagrees with the header");	\
	}))

/* An argument that is one value (or struct) the driver reads or writes. */
#define SCALAR(nr, d, type) {						\
	.cmd = (nr), .name = #nr, .arg_size = LAYOUT_SIZEOF(nr, type),	\
	.arg_dir = (d) }

/*
 * The number's encoded size lies (BLKBSZGET says size_t, the kernel moves
 * an int): the kernel's real access size, unchecked against the number.
 */
#define SCALAR_AS(nr, d, type) {					\
	.cmd = (nr), .name = #nr, .arg_size = sizeof(type),		\
	.arg_dir = (d) }

/* The argument is a plain integer value (req.arg). */
#define INTARG(nr) { .cmd = (nr), .name = #nr }

/* The driver ignores the argument; it gets 0. */
#define NOARG(nr) { .cmd = (nr), .name = #nr, .arg_unused = true }

/*
 * A family, length in _IOC_SIZE (EVIOCGNAME(len)): nr names its largest
 * member; every smaller size matches too (layout_lookup).
 */
#define FAMILY(nr, d) {						\
	.cmd = (nr), .name = #nr, .arg_size = _IOC_SIZE(nr),		\
	.arg_dir = (d), .size_family = true }

/* The integer argument is a descriptor of the caller (LOOP_SET_FD). */
#define FDARG(nr) { .cmd = (nr), .name = #nr, .fd = LAYOUT_FD_IN_ARG }

/* The s32 member of the argument is a descriptor (LOOP_CONFIGURE). */
#define FDFIELD(nr, d, type, member)					\
	FD_AT(nr, #nr, d, type, member, LAYOUT_FD_IN_FIELD)

/*
 * The driver writes a new descriptor into the 4-byte member
 * (GPIO_V2_GET_LINE_IOCTL, KVM_CREATE_DEVICE).
 */
#define FDNEWFIELD(nr, d, type, member)					\
	FD_AT(nr, #nr, d, type, member, LAYOUT_FD_OUT_FIELD)

/* name: #nr, stringified before nr expands. */
#define FD_AT(nr, name_, d, type, member, flag) {			\
	.cmd = (nr), .name = (name_),					\
	.arg_size = LAYOUT_SIZEOF(nr, type), .arg_dir = (d), .fd = (flag), \
	.fd_off = offsetof(type, member) +				\
		  0 * sizeof(struct {					\
			int dummy;					\
			_Static_assert(sizeof(((type *)0)->member) == 4,	\
				       #member ": a 4-byte descriptor");	\
		  }) }

/*
 * An integer argument, and the result is a new
 * descriptor (TIOCGPTPEER, KVM_CREATE_VM).
 */
#define FDOUT(nr) { .cmd = (nr), .name = #nr, .fd = LAYOUT_FD_OUT_RET }

#define IN	LAYOUT_DIR_IN
#define OUT	LAYOUT_DIR_OUT
#define BOTH	LAYOUT_DIR_BOTH

#endif /* DEVCALL_LAYOUTS_MACROS_H */
