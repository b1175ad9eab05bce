// SPDX-License-Identifier: MIT
/*
 * The ioctls whose 32-bit (i386 compat) form differs from the x86_64 one,
 * as data: see compat_layout.h. The 32-bit structs are written out here
 * with fixed-width members (as the kernel's compat_* structs are), each
 * size checked against i386; every copy is one member of both structs by
 * name, so an offset cannot be mistyped.
 *
 * Checked field by field and against the kernel's compat handlers
 * (block/ioctl.c, sg.c, scsi_ioctl.c, cdrom.c, loop.c, tty_io.c, tun.c,
 * i2c-dev.c, rtc/dev.c, fs/ioctl.c in 6.1); every other built-in layout is
 * the same in both ABIs. Not needed: FS_IOC32_GETFLAGS and SETFLAGS (the
 * guest's VFS turns them into the native numbers before any driver);
 * numbers whose 32-bit form no kernel answers (RTC_EPOCH_READ,
 * RTC_PLL_GET/SET with the 32-bit size): ENOTTY, as on a 32-bit host.
 */
#include <errno.h>
#include <linux/cdrom.h>
#include <linux/fs.h>
#include <linux/hdreg.h>
#include <linux/i2c-dev.h>
#include <linux/i2c.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <linux/input.h>
#include <linux/loop.h>
#include <linux/blkpg.h>
#include <linux/rtc.h>
#include <linux/serial.h>
#include <scsi/sg.h>
#include <sys/ioctl.h>

#include "compat_layout.h"
#include "layouts_macros.h"

/* The 32-bit numbers (the kernel's own names where it has them). */
#define BLKBSZGET_32		_IOR(0x12, 112, int)
#define BLKBSZSET_32		_IOW(0x12, 113, int)
#define BLKGETSIZE64_32		_IOR(0x12, 114, int)
#define RTC_IRQP_READ32		_IOR('p', 0x0b, __u32)
#define RTC_IRQP_SET32		_IOW('p', 0x0c, __u32)
#define RTC_EPOCH_SET32		_IOW('p', 0x0e, __u32)
#ifndef FS_IOC32_GETVERSION
#define FS_IOC32_GETVERSION	_IOR('v', 1, int)
#define FS_IOC32_SETVERSION	_IOW('v', 2, int)
#endif

#define NONE_	LAYOUT_DIR_NONE
#define SG_MAX_CDB	16
#define SG_IO_MAX_SENSE	255
#define SG_MAX_DXFER	(16u << 20)
#define SG_MAX_IOVEC	32
#define SG_REQ_TABLE_LEN 16

typedef uint32_t compat_uptr_t;		/* a 32-bit user pointer */

struct compat_sg_io_hdr {
	int32_t interface_id;
	int32_t dxfer_direction;
	uint8_t cmd_len;
	uint8_t mx_sb_len;
	uint16_t iovec_count;
	uint32_t dxfer_len;
	compat_uptr_t dxferp;
	compat_uptr_t cmdp;
	compat_uptr_t sbp;
	uint32_t timeout;
	uint32_t flags;
	int32_t pack_id;
	compat_uptr_t usr_ptr;
	uint8_t status;
	uint8_t masked_status;
	uint8_t msg_status;
	uint8_t sb_len_wr;
	uint16_t host_status;
	uint16_t driver_status;
	int32_t resid;
	uint32_t duration;
	uint32_t info;
};

struct compat_cdrom_generic_command {
	uint8_t cmd[CDROM_PACKET_SIZE];
	compat_uptr_t buffer;
	uint32_t buflen;
	int32_t stat;
	compat_uptr_t sense;
	uint8_t data_direction;
	uint8_t pad[3];
	int32_t quiet;
	int32_t timeout;
	compat_uptr_t reserved;
};

struct compat_blkpg_ioctl_arg {
	int32_t op;
	int32_t flags;
	int32_t datalen;
	compat_uptr_t data;
};

struct compat_hd_geometry {
	uint8_t heads;
	uint8_t sectors;
	uint16_t cylinders;
	uint32_t start;
};

struct compat_loop_info {
	int32_t lo_number;
	uint16_t lo_device;		/* compat_dev_t */
	uint32_t lo_inode;
	uint16_t lo_rdevice;
	int32_t lo_offset;
	int32_t lo_encrypt_type;
	int32_t lo_encrypt_key_size;
	int32_t lo_flags;
	char lo_name[LO_NAME_SIZE];
	uint8_t lo_encrypt_key[LO_KEY_SIZE];
	uint32_t lo_init[2];
	char reserved[4];
};

struct compat_sg_req_info {
	char req_state;
	char orphan;
	char sg_io_owned;
	char problem;
	int32_t pack_id;
	compat_uptr_t usr_ptr;
	uint32_t duration;
	int32_t unused;
};

struct compat_serial_struct {
	int32_t type;
	int32_t line;
	uint32_t port;
	int32_t irq;
	int32_t flags;
	int32_t xmit_fifo_size;
	int32_t custom_divisor;
	int32_t baud_base;
	uint16_t close_delay;
	char io_type;
	char reserved_char[1];
	int32_t hub6;
	uint16_t closing_wait;
	uint16_t closing_wait2;
	compat_uptr_t iomem_base;
	uint16_t iomem_reg_shift;
	uint32_t port_high;
	int32_t reserved;		/* iomap_base: not carried */
};

struct compat_i2c_smbus_ioctl_data {
	uint8_t read_write;
	uint8_t command;
	uint32_t size;
	compat_uptr_t data;
};

/* i386 sizes (the kernel's compat structs). */
_Static_assert(sizeof(struct compat_sg_io_hdr) == 64, "compat_sg_io_hdr");
_Static_assert(sizeof(struct compat_cdrom_generic_command) == 44, "cgc32");
_Static_assert(sizeof(struct compat_blkpg_ioctl_arg) == 16, "blkpg32");
_Static_assert(sizeof(struct compat_hd_geometry) == 8, "hd_geometry32");
_Static_assert(sizeof(struct compat_loop_info) == 140, "loop_info32");
_Static_assert(sizeof(struct compat_sg_req_info) == 20, "sg_req_info32");
_Static_assert(sizeof(struct compat_serial_struct) == 60, "serial32");
_Static_assert(sizeof(struct compat_i2c_smbus_ioctl_data) == 12, "smbus32");
#define REQUEST_SENSE_SIZE	sizeof(struct request_sense)
#define COMPAT_IFREQ_SIZE	32	/* struct compat_ifreq: ifmap is 16 */

/* Member m of both structs; sizes differ for longs and pointers. */
#define CP(t32, t64, m, fl) {						\
	.off32 = offsetof(t32, m), .off64 = offsetof(t64, m),		\
	.size32 = sizeof(((t32 *)0)->m),				\
	.size64 = sizeof(((t64 *)0)->m), .flags = (fl) }

/* n bytes at the same place in both (a prefix the kernel reads alike). */
#define RAW(o32, o64, n) { .off32 = (o32), .off64 = (o64),		\
			   .size32 = (n), .size64 = (n) }

#define CPY(c) .nr_copies = sizeof((struct compat_copy[])c) /		\
			    sizeof(struct compat_copy),			\
	       .copy = c
#define LIST(...) { __VA_ARGS__ }

/* A 32-bit layout with no pointers: nr32's own size and direction. */
#define L32(nr32, d, size) {						\
	.cmd = (nr32), .name = #nr32 " (32-bit)", .arg_size = (size),	\
	.arg_dir = (d), .compat = true }

/* One value: n32 bytes for the 32-bit caller, n64 for the driver. */
#define VALUE(nr32, nr, d, n32, n64, fl) {				\
	.cmd32 = (nr32), .cmd = (nr), .layout32 = L32(nr32, d, n32),	\
	CPY(LIST({ .size32 = (n32), .size64 = (n64), .flags = (fl) })) }

/* Only the number differs: the argument is an integer. */
#define INTVALUE(nr32, nr) {						\
	.cmd32 = (nr32), .cmd = (nr),					\
	.layout32 = { .cmd = (nr32), .name = #nr32 " (32-bit)",	\
		      .compat = true } }

/* The native layout serves 32-bit callers (u64 pointer fields). */
#define NATIVE(nr) { .cmd32 = (nr), .cmd = (nr), .native = true }

#define SGH32	struct compat_sg_io_hdr
#define SGH	struct sg_io_hdr
#define CGC32	struct compat_cdrom_generic_command
#define CGC	struct cdrom_generic_command
#define LI32	struct compat_loop_info
#define LI	struct loop_info
#define SS32	struct compat_serial_struct
#define SS	struct serial_struct
#define SM32	struct compat_i2c_smbus_ioctl_data
#define SM	struct i2c_smbus_ioctl_data

#define LOOP_INFO(nr, d) {						\
	.cmd32 = (nr), .cmd = (nr), .layout32 = L32(nr, d, sizeof(LI32)), \
	.overflow = EOVERFLOW,						\
	CPY(LIST(CP(LI32, LI, lo_number, COMPAT_SIGNED),		\
		 CP(LI32, LI, lo_device, COMPAT_CHECK),			\
		 CP(LI32, LI, lo_inode, COMPAT_CHECK),			\
		 CP(LI32, LI, lo_rdevice, COMPAT_CHECK),		\
		 CP(LI32, LI, lo_offset, COMPAT_SIGNED),		\
		 CP(LI32, LI, lo_encrypt_type, 0),			\
		 CP(LI32, LI, lo_encrypt_key_size, 0),			\
		 CP(LI32, LI, lo_flags, 0),				\
		 CP(LI32, LI, lo_name, 0),				\
		 CP(LI32, LI, lo_encrypt_key, 0),			\
		 { offsetof(LI32, lo_init), offsetof(LI, lo_init), 4, 8, \
		   COMPAT_CHECK },					\
		 { offsetof(LI32, lo_init) + 4, offsetof(LI, lo_init) + 8, \
		   4, 8, COMPAT_CHECK },				\
		 CP(LI32, LI, reserved, 0))) }

#define SERIAL32(nr, d) {						\
	.cmd32 = (nr), .cmd = (nr),					\
	.layout32 = { .cmd = (nr), .name = #nr " (32-bit)",		\
		      .arg_size = sizeof(SS32), .arg_dir = (d),		\
		      .compat = true, .nr_ptrs = 1,			\
		      .ptr = { { .off = offsetof(SS32, iomem_base),	\
				 .kind = LAYOUT_PTR_OPAQUE } } },	\
	CPY(LIST(CP(SS32, SS, type, 0), CP(SS32, SS, line, 0),		\
		 CP(SS32, SS, port, 0), CP(SS32, SS, irq, 0),		\
		 CP(SS32, SS, flags, 0), CP(SS32, SS, xmit_fifo_size, 0), \
		 CP(SS32, SS, custom_divisor, 0),			\
		 CP(SS32, SS, baud_base, 0), CP(SS32, SS, close_delay, 0), \
		 CP(SS32, SS, io_type, 0), CP(SS32, SS, reserved_char, 0), \
		 CP(SS32, SS, hub6, 0), CP(SS32, SS, closing_wait, 0),	\
		 CP(SS32, SS, closing_wait2, 0),			\
		 CP(SS32, SS, iomem_base, 0),				\
		 CP(SS32, SS, iomem_reg_shift, 0),			\
		 CP(SS32, SS, port_high, 0))) }

/* tun.c reads and writes only the first sizeof(compat_ifreq) bytes. */
#define IFREQ32(nr, d) {						\
	.cmd32 = (nr), .cmd = (nr),					\
	.layout32 = L32(nr, d, COMPAT_IFREQ_SIZE),			\
	CPY(LIST(RAW(0, 0, COMPAT_IFREQ_SIZE))) }

const struct compat_layout compat_layouts[] = {
	{
		.cmd32 = SG_IO, .cmd = SG_IO,
		.layout32 = {
			.cmd = SG_IO, .name = "SG_IO (32-bit)",
			.arg_size = sizeof(SGH32), .arg_dir = BOTH,
			.compat = true, .nr_ptrs = 4,
			.ptr = {
				{
					.off = offsetof(SGH32, cmdp),
					.kind = LAYOUT_PTR_BUF, .dir = IN,
					.len_field = FIELD(SGH32, cmd_len, 0),
					.len_max = SG_MAX_CDB,
				},
				{
					.off = offsetof(SGH32, sbp),
					.kind = LAYOUT_PTR_BUF, .dir = OUT,
					.len_field = FIELD(SGH32, mx_sb_len, 0),
					.len_max = SG_IO_MAX_SENSE,
				},
				{	/* elements: struct compat_iovec */
					.off = offsetof(SGH32, dxferp),
					.kind = LAYOUT_PTR_IOVEC,
					.dir = LAYOUT_DIR_BY_FIELD,
					.len_field = FIELD(SGH32, dxfer_len, 0),
					.len_max = SG_MAX_DXFER,
					.count_field = FIELD(SGH32, iovec_count,
							     0),
					.count_max = SG_MAX_IOVEC,
					.dir_field = FIELD(SGH32,
							   dxfer_direction, 1),
					.nr_dir_map = 4,
					.dir_map = {
						{ SG_DXFER_NONE, NONE_ },
						{ SG_DXFER_TO_DEV, IN },
						{ SG_DXFER_FROM_DEV, OUT },
						{ SG_DXFER_TO_FROM_DEV, BOTH },
					},
				},
				{
					.off = offsetof(SGH32, usr_ptr),
					.kind = LAYOUT_PTR_OPAQUE,
				},
			},
		},
		CPY(LIST(CP(SGH32, SGH, interface_id, COMPAT_SIGNED),
			 CP(SGH32, SGH, dxfer_direction, COMPAT_SIGNED),
			 CP(SGH32, SGH, cmd_len, 0),
			 CP(SGH32, SGH, mx_sb_len, 0),
			 CP(SGH32, SGH, iovec_count, 0),
			 CP(SGH32, SGH, dxfer_len, 0),
			 CP(SGH32, SGH, dxferp, 0),
			 CP(SGH32, SGH, cmdp, 0),
			 CP(SGH32, SGH, sbp, 0),
			 CP(SGH32, SGH, timeout, 0),
			 CP(SGH32, SGH, flags, 0),
			 CP(SGH32, SGH, pack_id, 0),
			 CP(SGH32, SGH, usr_ptr, 0),
			 CP(SGH32, SGH, status, 0),
			 CP(SGH32, SGH, masked_status, 0),
			 CP(SGH32, SGH, msg_status, 0),
			 CP(SGH32, SGH, sb_len_wr, 0),
			 CP(SGH32, SGH, host_status, 0),
			 CP(SGH32, SGH, driver_status, 0),
			 CP(SGH32, SGH, resid, 0),
			 CP(SGH32, SGH, duration, 0),
			 CP(SGH32, SGH, info, 0))),
	},
	{
		.cmd32 = CDROM_SEND_PACKET, .cmd = CDROM_SEND_PACKET,
		.layout32 = {
			.cmd = CDROM_SEND_PACKET,
			.name = "CDROM_SEND_PACKET (32-bit)",
			.arg_size = sizeof(CGC32), .arg_dir = BOTH,
			.compat = true, .nr_ptrs = 3,
			.ptr = {
				{
					.off = offsetof(CGC32, buffer),
					.kind = LAYOUT_PTR_BUF,
					.dir = LAYOUT_DIR_BY_FIELD,
					.len_field = FIELD(CGC32, buflen, 0),
					.len_max = SG_MAX_DXFER,
					.dir_field = FIELD(CGC32,
							   data_direction, 0),
					.nr_dir_map = 4,
					.dir_map = {
						{ CGC_DATA_WRITE, IN },
						{ CGC_DATA_READ, OUT },
						{ CGC_DATA_NONE, NONE_ },
						{ CGC_DATA_UNKNOWN, BOTH },
					},
				},
				{
					.off = offsetof(CGC32, sense),
					.kind = LAYOUT_PTR_BUF, .dir = OUT,
					.len_const = REQUEST_SENSE_SIZE,
					.len_max = REQUEST_SENSE_SIZE,
				},
				{
					.off = offsetof(CGC32, reserved),
					.kind = LAYOUT_PTR_OPAQUE,
				},
			},
		},
		CPY(LIST(CP(CGC32, CGC, cmd, 0),
			 CP(CGC32, CGC, buffer, 0),
			 CP(CGC32, CGC, buflen, 0),
			 CP(CGC32, CGC, stat, 0),
			 CP(CGC32, CGC, sense, 0),
			 CP(CGC32, CGC, data_direction, 0),
			 CP(CGC32, CGC, quiet, 0),
			 CP(CGC32, CGC, timeout, 0),
			 CP(CGC32, CGC, reserved, 0))),
	},
	{	/* the kernel reads a native blkpg_partition (152 bytes) */
		.cmd32 = BLKPG, .cmd = BLKPG,
		.layout32 = {
			.cmd = BLKPG, .name = "BLKPG (32-bit)",
			.arg_size = sizeof(struct compat_blkpg_ioctl_arg),
			.arg_dir = IN, .compat = true, .nr_ptrs = 1,
			.ptr = { {
				.off = offsetof(struct compat_blkpg_ioctl_arg,
						data),
				.kind = LAYOUT_PTR_BUF, .dir = IN,
				.len_const = sizeof(struct blkpg_partition),
				.len_max = sizeof(struct blkpg_partition),
			} },
		},
		CPY(LIST(CP(struct compat_blkpg_ioctl_arg,
			    struct blkpg_ioctl_arg, op, 0),
			 CP(struct compat_blkpg_ioctl_arg,
			    struct blkpg_ioctl_arg, flags, 0),
			 CP(struct compat_blkpg_ioctl_arg,
			    struct blkpg_ioctl_arg, datalen, 0),
			 CP(struct compat_blkpg_ioctl_arg,
			    struct blkpg_ioctl_arg, data, 0))),
	},
	/* Block: longs are 32 bits; three numbers encode size_t. */
	VALUE(BLKGETSIZE64_32, BLKGETSIZE64, OUT, 8, 8, 0),
	{
		.cmd32 = BLKGETSIZE, .cmd = BLKGETSIZE,
		.layout32 = L32(BLKGETSIZE, OUT, 4), .overflow = EFBIG,
		CPY(LIST({ .size32 = 4, .size64 = 8,
			   .flags = COMPAT_CHECK })),
	},
	VALUE(BLKRAGET, BLKRAGET, OUT, 4, 8, COMPAT_SIGNED),
	VALUE(BLKFRAGET, BLKFRAGET, OUT, 4, 8, COMPAT_SIGNED),
	VALUE(BLKBSZGET_32, BLKBSZGET, OUT, 4, 4, 0),
	VALUE(BLKBSZSET_32, BLKBSZSET, IN, 4, 4, 0),
	{
		.cmd32 = HDIO_GETGEO, .cmd = HDIO_GETGEO,
		.layout32 = L32(HDIO_GETGEO, OUT,
				sizeof(struct compat_hd_geometry)),
		CPY(LIST(CP(struct compat_hd_geometry, struct hd_geometry,
			    heads, 0),
			 CP(struct compat_hd_geometry, struct hd_geometry,
			    sectors, 0),
			 CP(struct compat_hd_geometry, struct hd_geometry,
			    cylinders, 0),
			 CP(struct compat_hd_geometry, struct hd_geometry,
			    start, 0))),
	},
	LOOP_INFO(LOOP_SET_STATUS, IN),
	LOOP_INFO(LOOP_GET_STATUS, OUT),
	VALUE(FS_IOC32_GETVERSION, FS_IOC_GETVERSION, OUT, 4, 4, 0),
	VALUE(FS_IOC32_SETVERSION, FS_IOC_SETVERSION, IN, 4, 4, 0),
	/* SCSI generic and CD-ROM. */
	{
		.cmd32 = SG_GET_REQUEST_TABLE, .cmd = SG_GET_REQUEST_TABLE,
		.layout32 = L32(SG_GET_REQUEST_TABLE, OUT, SG_REQ_TABLE_LEN *
				sizeof(struct compat_sg_req_info)),
		.nr_elem = SG_REQ_TABLE_LEN,
		.elem32 = sizeof(struct compat_sg_req_info),
		.elem64 = sizeof(sg_req_info_t),
		CPY(LIST(RAW(0, 0, offsetof(sg_req_info_t, usr_ptr)),
			 CP(struct compat_sg_req_info, sg_req_info_t,
			    usr_ptr, 0),
			 CP(struct compat_sg_req_info, sg_req_info_t,
			    duration, 0),
			 CP(struct compat_sg_req_info, sg_req_info_t,
			    unused, 0))),
	},
	VALUE(CDROM_NEXT_WRITABLE, CDROM_NEXT_WRITABLE, OUT, 4, 8,
	      COMPAT_SIGNED),
	VALUE(CDROM_LAST_WRITTEN, CDROM_LAST_WRITTEN, OUT, 4, 8,
	      COMPAT_SIGNED),
	/* Terminals, TUN, i2c, RTC, evdev. */
	SERIAL32(TIOCGSERIAL, OUT),
	SERIAL32(TIOCSSERIAL, IN),
	IFREQ32(TUNSETIFF, BOTH),
	IFREQ32(TUNGETIFF, OUT),
	IFREQ32(TUNSETQUEUE, IN),
	VALUE(I2C_FUNCS, I2C_FUNCS, OUT, 4, 8, 0),
	{
		.cmd32 = I2C_SMBUS, .cmd = I2C_SMBUS,
		.layout32 = {
			.cmd = I2C_SMBUS, .name = "I2C_SMBUS (32-bit)",
			.arg_size = sizeof(SM32), .arg_dir = IN,
			.compat = true, .nr_ptrs = 1,
			.ptr = { {
				.off = offsetof(SM32, data),
				.kind = LAYOUT_PTR_BUF,
				.dir = LAYOUT_DIR_BY_FIELD,
				.len_const = sizeof(union i2c_smbus_data),
				.len_max = sizeof(union i2c_smbus_data),
				.dir_field = FIELD(SM32, read_write, 0),
				.nr_dir_map = 2,
				.dir_map = {
					{ I2C_SMBUS_WRITE, LAYOUT_DIR_IN },
					{ I2C_SMBUS_READ, LAYOUT_DIR_BOTH },
				},
			} },
		},
		CPY(LIST(CP(SM32, SM, read_write, 0),
			 CP(SM32, SM, command, 0),
			 CP(SM32, SM, size, 0),
			 CP(SM32, SM, data, 0))),
	},
	VALUE(RTC_IRQP_READ32, RTC_IRQP_READ, OUT, 4, 8, 0),
	INTVALUE(RTC_IRQP_SET32, RTC_IRQP_SET),
	INTVALUE(RTC_EPOCH_SET32, RTC_EPOCH_SET),
	NATIVE(EVIOCGMASK),
	NATIVE(EVIOCSMASK),
};

const unsigned int compat_layouts_count =
	sizeof(compat_layouts) / sizeof(compat_layouts[0]);
