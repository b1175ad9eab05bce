// SPDX-License-Identifier: MIT
/*
 * Built-in ioctl layouts: SCSI generic (what cdrecord uses), block devices
 * and terminals. Numbers and sizes come from the kernel's own headers and
 * are checked at compile time.
 */
#include <stddef.h>
#include <asm/termbits.h>
#include <linux/blkpg.h>
#include <linux/cdrom.h>
#include <linux/fs.h>
#include <scsi/scsi.h>
#include <scsi/sg.h>
#include <sys/ioctl.h>

#include "devcall_abi.h"
#include "ioctl_layout.h"

#define FIELD(type, member, sgn) { \
	.off = offsetof(type, member), \
	.size = sizeof(((type *)0)->member), \
	.is_signed = (sgn) }

/* An argument that is one value the driver reads or writes. */
#define SCALAR(nr, dir, type) {						\
	.cmd = (nr), .name = #nr, .arg_size = sizeof(type),		\
	.arg_dir = (dir) }

#define SG_MAX_CDB	16	/* sg accepts up to 16 bytes without
				 * SG_FLAG_... extensions */
#define SG_IO_MAX_SENSE	255	/* mx_sb_len is a u8 */
#define SG_MAX_DXFER	(16u << 20)
#define SG_MAX_IOVEC	32

_Static_assert(sizeof(struct sg_io_hdr) == 88, "sg_io_hdr on x86_64");
_Static_assert(offsetof(struct sg_io_hdr, dxferp) == 16, "dxferp");
_Static_assert(offsetof(struct sg_io_hdr, cmdp) == 24, "cmdp");
_Static_assert(offsetof(struct sg_io_hdr, sbp) == 32, "sbp");
_Static_assert(offsetof(struct sg_io_hdr, usr_ptr) == 56, "usr_ptr");
_Static_assert(sizeof(struct sg_iovec) == 16, "sg_iovec");
_Static_assert(sizeof(struct blkpg_ioctl_arg) == 24, "blkpg_ioctl_arg");
_Static_assert(offsetof(struct blkpg_ioctl_arg, data) == 16, "blkpg data");
_Static_assert(sizeof(struct blkpg_partition) == 152, "blkpg_partition");
_Static_assert(sizeof(struct termios) == 36, "kernel termios");
_Static_assert(sizeof(struct cdrom_generic_command) == 64, "cgc");
_Static_assert(offsetof(struct cdrom_generic_command, cmd) == 0, "cgc cmd");
_Static_assert(offsetof(struct cdrom_generic_command, buffer) == 16, "buffer");
_Static_assert(offsetof(struct cdrom_generic_command, sense) == 32, "sense");
_Static_assert(offsetof(struct cdrom_generic_command, reserved) == 56,
	       "reserved");
_Static_assert(SCSI_IOCTL_GET_IDLUN == 0x5382, "GET_IDLUN");
_Static_assert(SCSI_IOCTL_GET_BUS_NUMBER == 0x5386, "GET_BUS_NUMBER");

#define SG_IO_LAYOUT(nr, label, adir)					\
		.cmd = (nr), .name = (label),				\
		.arg_size = sizeof(struct sg_io_hdr),			\
		.arg_dir = (adir),					\
		.nr_ptrs = 4,						\
		.ptr = {						\
			{	/* the CDB */				\
				.off = offsetof(struct sg_io_hdr, cmdp), \
				.kind = LAYOUT_PTR_BUF,			\
				.dir = LAYOUT_DIR_IN,			\
				.len_field = FIELD(struct sg_io_hdr, cmd_len, 0), \
				.len_max = SG_MAX_CDB,			\
			},						\
			{	/* sense data */			\
				.off = offsetof(struct sg_io_hdr, sbp),	\
				.kind = LAYOUT_PTR_BUF,			\
				.dir = LAYOUT_DIR_OUT,			\
				.len_field = FIELD(struct sg_io_hdr, mx_sb_len, 0), \
				.len_max = SG_IO_MAX_SENSE,		\
			},						\
			{	/* data: plain, or iovec_count sg_iovecs */ \
				.off = offsetof(struct sg_io_hdr, dxferp), \
				.kind = LAYOUT_PTR_IOVEC,		\
				.dir = LAYOUT_DIR_BY_FIELD,		\
				.len_field = FIELD(struct sg_io_hdr, dxfer_len, 0), \
				.len_max = SG_MAX_DXFER,		\
				.count_field = FIELD(struct sg_io_hdr, iovec_count, 0), \
				.count_max = SG_MAX_IOVEC,		\
				.dir_field = FIELD(struct sg_io_hdr, dxfer_direction, 1), \
				.nr_dir_map = 4,			\
				.dir_map = {				\
					{ SG_DXFER_NONE, LAYOUT_DIR_NONE }, \
					{ SG_DXFER_TO_DEV, LAYOUT_DIR_IN }, \
					{ SG_DXFER_FROM_DEV, LAYOUT_DIR_OUT }, \
					{ SG_DXFER_TO_FROM_DEV, LAYOUT_DIR_BOTH }, \
				},					\
			},						\
			{	/* the caller's cookie, echoed, never followed */ \
				.off = offsetof(struct sg_io_hdr, usr_ptr), \
				.kind = LAYOUT_PTR_OPAQUE,		\
			},						\
		},

const struct ioctl_layout layout_builtin[] = {
	{ SG_IO_LAYOUT(SG_IO, "SG_IO", LAYOUT_DIR_BOTH) },
	/*
	 * sg's v3 write(2), sent as this call (abi/devcall_abi.h): the same
	 * buffers; the header goes in only, write(2) leaves it as it was.
	 */
	{ SG_IO_LAYOUT(DEVCALL_SG_V3_WRITE, "SG_IO (v3 write)",
		       LAYOUT_DIR_IN) },
	{	/* CDB inside the argument; sense a whole request_sense or NULL */
		.cmd = CDROM_SEND_PACKET, .name = "CDROM_SEND_PACKET",
		.arg_size = sizeof(struct cdrom_generic_command),
		.arg_dir = LAYOUT_DIR_BOTH,	/* stat and buflen come back */
		.nr_ptrs = 3,
		.ptr = {
			{
				.off = offsetof(struct cdrom_generic_command,
						buffer),
				.kind = LAYOUT_PTR_BUF,
				.dir = LAYOUT_DIR_BY_FIELD,
				.len_field = FIELD(struct cdrom_generic_command,
						   buflen, 0),
				.len_max = SG_MAX_DXFER,
				.dir_field = FIELD(struct cdrom_generic_command,
						   data_direction, 0),
				.nr_dir_map = 4,
				.dir_map = {	/* as the kernel maps them */
					{ CGC_DATA_WRITE, LAYOUT_DIR_IN },
					{ CGC_DATA_READ, LAYOUT_DIR_OUT },
					{ CGC_DATA_NONE, LAYOUT_DIR_NONE },
					{ CGC_DATA_UNKNOWN, LAYOUT_DIR_BOTH },
				},
			},
			{
				.off = offsetof(struct cdrom_generic_command,
						sense),
				.kind = LAYOUT_PTR_BUF,
				.dir = LAYOUT_DIR_OUT,
				.len_const = sizeof(struct request_sense),
				.len_max = sizeof(struct request_sense),
				.flags = LAYOUT_PF_NULL_OK, /* sr: no sense */
			},
			{	/* never followed by the kernel */
				.off = offsetof(struct cdrom_generic_command,
						reserved),
				.kind = LAYOUT_PTR_OPAQUE,
			},
		},
	},
	SCALAR(SG_GET_VERSION_NUM, LAYOUT_DIR_OUT, int),
	/* sg returns the timeout as the ioctl's value; the arg is unused. */
	{ .cmd = SG_GET_TIMEOUT, .name = "SG_GET_TIMEOUT",
	  .arg_unused = true },
	SCALAR(SG_SET_TIMEOUT, LAYOUT_DIR_IN, int),
	SCALAR(SG_GET_RESERVED_SIZE, LAYOUT_DIR_OUT, int),
	SCALAR(SG_SET_RESERVED_SIZE, LAYOUT_DIR_IN, int),
	SCALAR(SCSI_IOCTL_GET_IDLUN, LAYOUT_DIR_OUT, uint32_t[2]),
	SCALAR(SCSI_IOCTL_GET_BUS_NUMBER, LAYOUT_DIR_OUT, int),
	SCALAR(BLKGETSIZE64, LAYOUT_DIR_OUT, uint64_t),
	SCALAR(BLKSSZGET, LAYOUT_DIR_OUT, int),
	{
		.cmd = BLKPG, .name = "BLKPG",
		.arg_size = sizeof(struct blkpg_ioctl_arg),
		.arg_dir = LAYOUT_DIR_IN,
		.nr_ptrs = 1,
		.ptr = {
			{	/* the kernel always reads a whole partition */
				.off = offsetof(struct blkpg_ioctl_arg, data),
				.kind = LAYOUT_PTR_BUF,
				.dir = LAYOUT_DIR_IN,
				.len_const = sizeof(struct blkpg_partition),
				.len_max = sizeof(struct blkpg_partition),
			},
		},
	},
	/* Rereads the partition table: dispatch lets it through only on
	 * host-partitions = allow exports. */
	{ .cmd = BLKRRPART, .name = "BLKRRPART", .arg_unused = true },
	SCALAR(TCGETS, LAYOUT_DIR_OUT, struct termios),
	SCALAR(TCSETS, LAYOUT_DIR_IN, struct termios),
	SCALAR(TCSETSW, LAYOUT_DIR_IN, struct termios),
	SCALAR(TCSETSF, LAYOUT_DIR_IN, struct termios),
	SCALAR(TIOCGWINSZ, LAYOUT_DIR_OUT, struct winsize),
	SCALAR(TIOCSWINSZ, LAYOUT_DIR_IN, struct winsize),
	SCALAR(TIOCGPTN, LAYOUT_DIR_OUT, unsigned int),
	SCALAR(TIOCSPTLCK, LAYOUT_DIR_IN, int),	/* unlockpt(3) */
	SCALAR(FIONREAD, LAYOUT_DIR_OUT, int),
};

const unsigned int layout_builtin_count =
	sizeof(layout_builtin) / sizeof(layout_builtin[0]);

const struct layout_table layout_table_core = {
	.family = "core", .layouts = layout_builtin,
	.count = sizeof(layout_builtin) / sizeof(layout_builtin[0]),
};
