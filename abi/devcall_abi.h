/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * devcall wire ABI: what a guest sends to the host call mechanism and what
 * comes back. Included by the guest kernel modules and by the host daemon.
 *
 * Every field is fixed-width little-endian; every struct has explicit
 * padding and a size checked at compile time on both sides. A request is a
 * header, then nr_segs segment descriptors, then inline_len bytes of inline
 * payload, all in one device-readable buffer. A response is a header
 * followed by inline_len bytes of inline payload in one device-writable
 * buffer.
 *
 * Buffers. A request names up to DEVCALL_MAX_BUFS logical buffers by index.
 * Buffer 0 is the primary data: the bytes read or written by READ/WRITE, or
 * the ioctl argument for IOCTL. Buffers 1.. are the memory behind pointers
 * embedded in an ioctl argument, numbered in the order the host's layout for
 * that ioctl lists them. A buffer's bytes live in guest RAM, described by
 * the segments whose 'buf' field names it, in order; or, for buffer 0 only,
 * inline: in the request's inline payload (data to the host) or in the
 * response's inline payload (data from the host). The host never trusts a
 * guest-supplied length: it recomputes every buffer's size and rejects a
 * request whose segments do not cover it.
 */
#ifndef DEVCALL_ABI_H
#define DEVCALL_ABI_H

#include <linux/types.h>

#define DEVCALL_ABI_VERSION	1
#define DEVCALL_REQ_MAGIC	0x4c435644u	/* "DVCL" */

/* Operations (devcall_req.op). */
enum devcall_op {
	DEVCALL_OP_OPEN		= 1,	/* export_id, arg = DEVCALL_O_* */
	DEVCALL_OP_CLOSE	= 2,	/* handle */
	DEVCALL_OP_READ		= 3,	/* handle, len, [offset]; buf 0 out */
	DEVCALL_OP_WRITE	= 4,	/* handle, len, [offset]; buf 0 in */
	DEVCALL_OP_IOCTL	= 5,	/* handle, cmd, arg or buf 0 (+ 1..) */
	DEVCALL_OP_POLL		= 6,	/* reserved */
	DEVCALL_OP_FSYNC	= 7,	/* handle, arg = 1 fdatasync, 0 fsync */
	DEVCALL_OP_CANCEL	= 8,	/* reserved: arg = tag to cancel */
	DEVCALL_OP_LAYOUT	= 9,	/* handle, cmd: the host's layout */
	/* 10, 11: reserved */
	DEVCALL_OP_BLKINFO	= 12,	/* handle: struct devcall_blkinfo out */
	DEVCALL_OP_MAX		= 12,
};

/*
 * The sg driver's asynchronous protocol, v3: a write(2) of a whole struct
 * sg_io_hdr (interface_id 'S') on an sg node starts a command whose reply
 * a later read(2) returns. The header names guest buffers, so the guest
 * sends such a write as an IOCTL call with this number: the host walks it
 * by the SG_IO layout (the header only goes in; data and sense come back
 * through the rewritten pointers) and the backend queues the completed
 * header for read. In sg's own range, a number sg does not use.
 */
#define DEVCALL_SG_V3_WRITE	0x22f3u

/* devcall_req.flags */
#define DEVCALL_REQ_F_NONBLOCK	(1u << 0) /* the guest file is O_NONBLOCK now */
#define DEVCALL_REQ_F_OFFSET	(1u << 1) /* READ/WRITE at 'offset' (pread) */
#define DEVCALL_REQ_F_ARG_BUF	(1u << 2) /* IOCTL: argument is buffer 0, 'len' bytes */
/*
 * READ/WRITE on a file opened DEVCALL_O_DIRECT: the guest file is O_DIRECT
 * now. Without it the host runs the request buffered: the guest turned
 * O_DIRECT off by fcntl (dd does, for a misaligned last block).
 */
#define DEVCALL_REQ_F_DIRECT	(1u << 3)
/*
 * IOCTL and LAYOUT from a 32-bit (compat) process: cmd is its number, the
 * argument its struct, with 4-byte pointers. The host answers LAYOUT with
 * the layout the guest walks for it (DEVCALL_RESP_F_COMPAT says whether
 * its pointers are 4 bytes) and converts the argument for the host's
 * 64-bit driver (docs/layouts.md, "32-bit processes"). A host without it
 * refuses the bit with EINVAL.
 */
#define DEVCALL_REQ_F_COMPAT	(1u << 4)
/*
 * IOCTL whose layout takes a descriptor (DEVCALL_LAYOUT_FD_IN_*): 'offset'
 * carries the handle of the guest's file that stands for it (a file of
 * the same VM); the guest's descriptor number never travels. Without the
 * flag such an ioctl fails with EBADF.
 */
#define DEVCALL_REQ_F_FD_IN	(1u << 5)
/*
 * IOCTL whose layout returns a descriptor (DEVCALL_LAYOUT_FD_OUT_RET):
 * the guest will make a file of the handle the host answers (the result;
 * size, mode and DEVCALL_RESP_F_SEEKABLE describe it as for OPEN). A host
 * refuses such an ioctl without it (EOPNOTSUPP): an older guest would
 * take the handle for a descriptor.
 */
#define DEVCALL_REQ_F_FD_OUT	(1u << 6)
#define DEVCALL_REQ_F_ALL	(DEVCALL_REQ_F_NONBLOCK | DEVCALL_REQ_F_OFFSET | \
				 DEVCALL_REQ_F_ARG_BUF | DEVCALL_REQ_F_DIRECT | \
				 DEVCALL_REQ_F_COMPAT | DEVCALL_REQ_F_FD_IN | \
				 DEVCALL_REQ_F_FD_OUT)

/*
 * OPEN flags (devcall_req.arg); our own bits, independent of any arch.
 * DIRECT and DSYNC (and FSYNC, DEVCALL_REQ_F_DIRECT) came after the first
 * version-1 hosts, without a version change: such a host refuses the
 * unknown bits with EINVAL and answers FSYNC with EOPNOTSUPP, both of
 * which the guest passes to the caller as they are; nothing is silently
 * ignored. REQ_F_DIRECT only goes with a file the host opened O_DIRECT.
 */
#define DEVCALL_O_RDONLY	0u
#define DEVCALL_O_WRONLY	1u
#define DEVCALL_O_RDWR		2u
#define DEVCALL_O_ACCMODE	3u
#define DEVCALL_O_NONBLOCK	(1u << 8)
#define DEVCALL_O_EXCL		(1u << 9)
#define DEVCALL_O_SYNC		(1u << 10) /* O_SYNC (implies O_DSYNC) */
#define DEVCALL_O_DIRECT	(1u << 11) /* O_DIRECT: the host's alignment */
#define DEVCALL_O_DSYNC		(1u << 12) /* O_DSYNC */
#define DEVCALL_O_ALL		(DEVCALL_O_ACCMODE | DEVCALL_O_NONBLOCK | \
				 DEVCALL_O_EXCL | DEVCALL_O_SYNC | \
				 DEVCALL_O_DIRECT | DEVCALL_O_DSYNC)

/* Limits every implementation enforces, whatever a VM's own limits say. */
#define DEVCALL_MAX_SEGS	4096u	/* segments in one request */
#define DEVCALL_MAX_BUFS	64u	/* logical buffers in one request */
#define DEVCALL_INLINE_MAX	512u	/* inline payload, either direction */
#define DEVCALL_MAX_IO		(64u << 20) /* bytes moved by one request */
#define DEVCALL_NAME_MAX	32u	/* export name, NUL included */

struct devcall_req {
	__le32 magic;		/*  0: DEVCALL_REQ_MAGIC */
	__le16 version;		/*  4: DEVCALL_ABI_VERSION */
	__le16 op;		/*  6: enum devcall_op */
	__le64 tag;		/*  8: guest's request id, echoed */
	__le64 handle;		/* 16: host-issued open-file handle */
	__le32 export_id;	/* 24: OPEN: which export */
	__le32 flags;		/* 28: DEVCALL_REQ_F_* */
	__le64 offset;		/* 32: READ/WRITE with DEVCALL_REQ_F_OFFSET */
	__le64 arg;		/* 40: OPEN: DEVCALL_O_*; IOCTL: integer arg */
	__le32 cmd;		/* 48: IOCTL: the request number */
	__le32 len;		/* 52: READ/WRITE: bytes; IOCTL: arg size */
	__le16 nr_segs;		/* 56: struct devcall_seg entries that follow */
	__le16 inline_len;	/* 58: inline payload bytes after the segments */
	__le32 reserved;	/* 60: zero */
};

/* devcall_seg.flags: which way the host moves the bytes. */
#define DEVCALL_SEG_TO_HOST	(1u << 0) /* host reads guest memory */
#define DEVCALL_SEG_FROM_HOST	(1u << 1) /* host writes guest memory */
#define DEVCALL_SEG_DIR_MASK	(DEVCALL_SEG_TO_HOST | DEVCALL_SEG_FROM_HOST)

struct devcall_seg {
	__le64 addr;		/*  0: guest-physical address */
	__le32 len;		/*  8: bytes, > 0 */
	__le16 flags;		/* 12: DEVCALL_SEG_* */
	__le16 buf;		/* 14: logical buffer index */
};

/* devcall_resp.flags */
#define DEVCALL_RESP_F_SEEKABLE	(1u << 0) /* OPEN: pread/pwrite work */
#define DEVCALL_RESP_F_BLOCK	(1u << 1) /* OPEN: host node is a block device */
/*
 * LAYOUT with DEVCALL_REQ_F_COMPAT: the layout is a 32-bit one. Its
 * pointers are 4-byte user addresses and an IOVEC's elements are 8 bytes,
 * { __u32 base; __u32 len; }. Without it, a compat LAYOUT's answer is the
 * native layout, good for 32-bit callers as it is (no pointers, or 64-bit
 * pointer fields such as struct input_mask's codes_ptr).
 */
#define DEVCALL_RESP_F_COMPAT	(1u << 2)
/*
 * IOCTL with a DEVCALL_LAYOUT_FD_OUT_FIELD layout that succeeded: size is
 * the handle of the new file (mode and DEVCALL_RESP_F_SEEKABLE describe
 * it as for OPEN); the field at fd_off of the argument holds -1 and the
 * guest puts its own descriptor's number there.
 */
#define DEVCALL_RESP_F_FD_FIELD	(1u << 3)

struct devcall_resp {
	__le64 tag;		/*  0: the request's tag */
	__le64 result;		/*  8: s64: >= 0 success value, < 0 -errno */
	__le32 flags;		/* 16: DEVCALL_RESP_F_* */
	__le16 inline_len;	/* 20: inline payload bytes after the header */
	__le16 reserved;	/* 22: zero */
	__le64 size;		/* 24: OPEN: device or file size in bytes */
	__le32 mode;		/* 32: OPEN: st_mode of the host node */
	__le32 reserved2;	/* 36: zero */
};

/*
 * Ioctl layouts, as the host publishes them (DEVCALL_OP_LAYOUT: handle and
 * cmd in, a struct devcall_layout as the response's inline payload out;
 * result -ENOTTY if the host has no layout and would refuse the ioctl).
 * The guest walks a layout to learn which memory to send with an ioctl:
 * buffer 0 is the argument (arg_size bytes, arg_dir); then each pointer in
 * order, numbered as memmap/ptr_rewrite.h describes. A layout with
 * arg_size 0 is an integer-argument ioctl: the value travels in req.arg.
 * The meaning of every field is memmap/ioctl_layout.h's. A compat layout
 * (DEVCALL_RESP_F_COMPAT) has the same fields; its pointer fields are 4
 * bytes wide instead of 8.
 */
#define DEVCALL_LAYOUT_MAX_PTRS		4u
#define DEVCALL_LAYOUT_MAX_DIR_MAP	4u
#define DEVCALL_LAYOUT_ARG_MAX		4096u	/* largest argument struct */
#define DEVCALL_LAYOUT_MAX_IOVEC	32u	/* elements of one IOVEC pointer */

struct devcall_layout_field {
	__le16 off;		/* 0: offset in the argument */
	__u8 size;		/* 2: 0 (unused), 1, 2, 4 or 8 */
	__u8 is_signed;		/* 3 */
};

struct devcall_layout_dir_map {
	__le64 value;		/* 0: value of dir_field */
	__u8 dir;		/* 8: NONE 0, IN 1, OUT 2, BOTH 3 */
	__u8 pad[7];		/* 9 */
};

struct devcall_layout_ptr {
	__le16 off;		/*  0: pointer field offset (8 bytes) */
	__u8 kind;		/*  2: BUF 1, IOVEC 2, OPAQUE 3, RECORDS 4 */
	__u8 dir;		/*  3: NONE 0, IN 1, OUT 2, BOTH 3, BY_FIELD 4 */
	__le32 len_const;	/*  4 */
	struct devcall_layout_field len_field;	/*  8 */
	__le32 len_max;		/* 12 */
	struct devcall_layout_field count_field; /* 16 */
	__le32 count_max;	/* 20 */
	struct devcall_layout_field dir_field;	/* 24 */
	__u8 nr_dir_map;	/* 28 */
	__u8 pad[3];		/* 29 */
	struct devcall_layout_dir_map dir_map[DEVCALL_LAYOUT_MAX_DIR_MAP]; /* 32 */
};

/*
 * devcall_layout.fd_flags: descriptors in and out of an ioctl. FD_IN_ARG:
 * the integer argument is a descriptor (LOOP_SET_FD); FD_IN_FIELD: the
 * 4-byte field at fd_off of the argument is one (LOOP_CONFIGURE). The
 * guest sends the handle of the file it names (DEVCALL_REQ_F_FD_IN).
 * FD_OUT_RET: the ioctl's result is a new descriptor (TIOCGPTPEER,
 * KVM_CREATE_VM); the host answers a new handle (DEVCALL_REQ_F_FD_OUT).
 * FD_OUT_FIELD: the driver writes a new descriptor into the 4-byte field
 * at fd_off of the (OUT or BOTH) argument (GPIO_V2_GET_LINE_IOCTL,
 * KVM_CREATE_DEVICE); the host answers its handle in the response's size
 * with DEVCALL_RESP_F_FD_FIELD and -1 in the field, and the guest puts
 * the number of its own new descriptor there (DEVCALL_REQ_F_FD_OUT).
 * Hosts before these bits sent zeros here.
 */
#define DEVCALL_LAYOUT_FD_IN_ARG	(1u << 0)
#define DEVCALL_LAYOUT_FD_IN_FIELD	(1u << 1)
#define DEVCALL_LAYOUT_FD_OUT_RET	(1u << 2)
#define DEVCALL_LAYOUT_FD_OUT_FIELD	(1u << 3)
#define DEVCALL_LAYOUT_FD_ALL		(DEVCALL_LAYOUT_FD_IN_ARG | \
					 DEVCALL_LAYOUT_FD_IN_FIELD | \
					 DEVCALL_LAYOUT_FD_OUT_RET | \
					 DEVCALL_LAYOUT_FD_OUT_FIELD)

/*
 * Nested pointers: arrays of records that carry pointers (I2C_RDWR's
 * i2c_msg, spidev's spi_ioc_transfer). Appended after ptr[]: a host that
 * predates them sends only the first DEVCALL_LAYOUT_V1_SIZE bytes, which a
 * guest reads as all of this being zero; a guest that predates them reads
 * the first DEVCALL_LAYOUT_V1_SIZE bytes and refuses a RECORDS kind.
 *
 * The records are either the memory behind a pointer of kind RECORDS
 * (count in its count_field, at most rec.count_max; always IN) or, with
 * DEVCALL_LAYOUT_REC_IN_ARG, the argument itself (count = arg_size /
 * elem_size). Each record has nr_subs pointers (8 bytes at sub[j].off in
 * the record), each with its length (len_field in the record, or
 * len_const, at most len_max) and direction (dir, or BY_MASK: dir_set if
 * the record's dir_field has a bit of dir_mask set, else dir_clear). The
 * lengths of all records' buffers add up to at most rec.total_max.
 */
#define DEVCALL_LAYOUT_V1_SIZE		400u	/* before ptr_flags */
#define DEVCALL_LAYOUT_MAX_SUBS		2u	/* pointers in one record */
#define DEVCALL_LAYOUT_REC_ELEM_MAX	128u	/* bytes in one record */
#define DEVCALL_LAYOUT_REC_COUNT_MAX	63u	/* records in one argument */
#define DEVCALL_LAYOUT_KIND_RECORDS	4u	/* devcall_layout_ptr.kind */
#define DEVCALL_LAYOUT_DIR_BY_MASK	5u	/* devcall_layout_sub.dir */
/* ptr_flags[] and devcall_layout_sub.flags */
#define DEVCALL_LAYOUT_PF_NULL_OK	(1u << 0) /* NULL: no buffer, passed on */
/* devcall_layout_records.flags */
#define DEVCALL_LAYOUT_REC_IN_ARG	(1u << 0) /* the argument is the array */

struct devcall_layout_sub {
	__le16 off;		/*  0: pointer offset in the record */
	__u8 dir;		/*  2: IN 1, OUT 2, BOTH 3, BY_MASK 5 */
	__u8 flags;		/*  3: DEVCALL_LAYOUT_PF_* */
	__le32 len_const;	/*  4 */
	struct devcall_layout_field len_field;	/*  8: in the record */
	__le32 len_max;		/* 12 */
	struct devcall_layout_field dir_field;	/* 16: in the record */
	__le32 dir_mask;	/* 20 */
	__u8 dir_set;		/* 24: NONE 0, IN 1, OUT 2, BOTH 3 */
	__u8 dir_clear;		/* 25 */
	__u8 pad[2];		/* 26 */
};

struct devcall_layout_records {
	__le16 elem_size;	/*  0: 0 = no records */
	__le16 count_max;	/*  2 */
	__u8 nr_subs;		/*  4 */
	__u8 flags;		/*  5: DEVCALL_LAYOUT_REC_* */
	__u8 pad[2];		/*  6 */
	__le32 total_max;	/*  8: bytes over all records' buffers */
};

struct devcall_layout {
	__le32 cmd;		/* 0 */
	__le32 arg_size;	/* 4: 0 = integer argument */
	__u8 arg_dir;		/* 8 */
	__u8 nr_ptrs;		/* 9 */
	__u8 fd_flags;		/* 10: DEVCALL_LAYOUT_FD_* */
	__u8 pad;		/* 11: zero */
	__le16 fd_off;		/* 12: FD_IN_FIELD: offset of the s32 */
	__u8 pad2[2];		/* 14: zero */
	struct devcall_layout_ptr ptr[DEVCALL_LAYOUT_MAX_PTRS]; /* 16 */
	/* Appended (see above); zero when a layout has no use for them. */
	__u8 ptr_flags[DEVCALL_LAYOUT_MAX_PTRS];	/* 400: PF_* */
	struct devcall_layout_records rec;	/* 404 */
	struct devcall_layout_sub sub[DEVCALL_LAYOUT_MAX_SUBS]; /* 416 */
};

/*
 * DEVCALL_OP_BLKINFO: the queue limits of the block device behind an open
 * handle, as the host kernel states them (its ioctls and its sysfs queue
 * attributes), so a guest disk can take the same ones. The response's
 * inline payload; result 0, or -ENOTBLK for a file that is no block
 * device. Sizes in bytes; 0 where the host does not say (no discard, no
 * write zeroes, no preference). A host that knows more fields than the
 * guest sends a longer struct; the guest reads what it knows.
 */
#define DEVCALL_BLKINFO_F_RO		(1u << 0) /* the host node is read-only */
#define DEVCALL_BLKINFO_F_ROTATIONAL	(1u << 1) /* a spinning disk */

struct devcall_blkinfo {
	__le64 size;		/*  0: bytes (BLKGETSIZE64) */
	__le32 logical_block_size;  /*  8: BLKSSZGET */
	__le32 physical_block_size; /* 12: BLKPBSZGET */
	__le32 io_min;		/* 16: BLKIOMIN */
	__le32 io_opt;		/* 20: BLKIOOPT */
	__le32 max_hw_bytes;	/* 24: max_hw_sectors_kb * 1024 */
	__le32 flags;		/* 28: DEVCALL_BLKINFO_F_* */
	__le64 discard_max_bytes;   /* 32: queue/discard_max_bytes */
	__le32 discard_granularity; /* 40: queue/discard_granularity */
	__le32 max_request;	/* 44: the VM's max-request: the most one
				 * READ/WRITE may move */
	__le64 write_zeroes_max_bytes; /* 48: queue/write_zeroes_max_bytes */
	__le64 reserved2;	/* 56: zero */
};

/*
 * Result values are Linux errno numbers (asm-generic), which both the x86_64
 * guest and host use. OPEN returns the handle (> 0) in result.
 */

/*
 * Device configuration: the exports this VM may open. At the start of the
 * virtio device config space: a header, then nr_exports entries.
 */
#define DEVCALL_EXPORT_F_RO		(1u << 0) /* read-only */
#define DEVCALL_EXPORT_F_EXCLUSIVE	(1u << 1) /* one opener across all VMs */
/*
 * Served as a block device: the guest makes a disk of it (a blk-mq queue
 * whose requests are READ/WRITE at offsets, FSYNC and ioctls on one host
 * file), not a node whose file operations are forwarded one by one.
 */
#define DEVCALL_EXPORT_F_BLOCK		(1u << 2)

struct devcall_config {
	__le32 abi_version;	/* 0: DEVCALL_ABI_VERSION */
	__le32 nr_exports;	/* 4 */
};

struct devcall_config_export {
	__le32 id;		/*  0: export_id for OPEN */
	__le32 flags;		/*  4: DEVCALL_EXPORT_F_* */
	char name[DEVCALL_NAME_MAX]; /* 8: NUL-terminated, [A-Za-z0-9_.-] */
};

/*
 * The node table: how the guest names and protects each export's node.
 * It follows the export table (at 8 + nr_exports * 40 in config space)
 * and has one entry per export, in the same order. A guest that predates
 * it never reads past the export table; a host that predates it leaves
 * no magic there, and the guest keeps its defaults (/dev/devcall/NAME,
 * root, 0600, a dynamic number).
 */
#define DEVCALL_NODES_MAGIC	0x314e4344u	/* "DCN1" */

struct devcall_config_nodes {
	__le32 magic;		/* 0: DEVCALL_NODES_MAGIC */
	__le32 entry_size;	/* 4: sizeof(struct devcall_config_node) */
};

#define DEVCALL_NODE_F_MODE		(1u << 0) /* mode is set */
#define DEVCALL_NODE_F_UID		(1u << 1) /* uid is set */
#define DEVCALL_NODE_F_GID		(1u << 2) /* gid is set */
/* Register under devnum_major:devnum_minor if that number is free. */
#define DEVCALL_NODE_F_DEVNUM		(1u << 3)

/* What the host node is (host_type). */
enum devcall_host_type {
	DEVCALL_HOST_UNKNOWN	= 0,
	DEVCALL_HOST_CHAR	= 1,
	DEVCALL_HOST_BLOCK	= 2,
	DEVCALL_HOST_REGULAR	= 3,
	DEVCALL_HOST_FIFO	= 4,
};

#define DEVCALL_NODE_NAME_MAX	64u	/* NUL included */
#define DEVCALL_NODE_ALIASES_MAX 88u
#define DEVCALL_NODE_USER_MAX	32u

struct devcall_config_node {
	__le32 id;		/*   0: the export's id (a cross-check) */
	__le32 flags;		/*   4: DEVCALL_NODE_F_* */
	__le32 mode;		/*   8: permission bits, 0..0777 */
	__le32 uid;		/*  12: numeric owner in the guest */
	__le32 gid;		/*  16: numeric group in the guest */
	__le32 host_type;	/*  20: enum devcall_host_type */
	__le32 host_major;	/*  24: char and block host nodes */
	__le32 host_minor;	/*  28 */
	/* 32: path under /dev, [A-Za-z0-9_.+-] components joined by '/';
	 * "" for devcall/<export name>. */
	char name[DEVCALL_NODE_NAME_MAX];
	/* 96: more paths under /dev, comma-separated (symlinks: udev) */
	char aliases[DEVCALL_NODE_ALIASES_MAX];
	__le32 devnum_major;	/* 184: DEVCALL_NODE_F_DEVNUM: the number */
	__le32 devnum_minor;	/* 188    the guest node should have */
	/* 192, 224: owner and group by name, for udev to resolve */
	char owner[DEVCALL_NODE_USER_MAX];
	char group[DEVCALL_NODE_USER_MAX];
};

/* Sizes both sides rely on. */
#ifdef __cplusplus
#define DEVCALL_STATIC_ASSERT static_assert
#else
#define DEVCALL_STATIC_ASSERT _Static_assert
#endif
DEVCALL_STATIC_ASSERT(sizeof(struct devcall_req) == 64, "devcall_req size");
DEVCALL_STATIC_ASSERT(sizeof(struct devcall_seg) == 16, "devcall_seg size");
DEVCALL_STATIC_ASSERT(sizeof(struct devcall_resp) == 40, "devcall_resp size");
DEVCALL_STATIC_ASSERT(sizeof(struct devcall_config) == 8, "devcall_config size");
DEVCALL_STATIC_ASSERT(sizeof(struct devcall_config_export) == 40,
		      "devcall_config_export size");
DEVCALL_STATIC_ASSERT(sizeof(struct devcall_config_nodes) == 8,
		      "devcall_config_nodes size");
DEVCALL_STATIC_ASSERT(sizeof(struct devcall_config_node) == 256,
		      "devcall_config_node size");
DEVCALL_STATIC_ASSERT(sizeof(struct devcall_blkinfo) == 64,
		      "devcall_blkinfo size");
DEVCALL_STATIC_ASSERT(sizeof(struct devcall_layout_ptr) == 96,
		      "devcall_layout_ptr size");
DEVCALL_STATIC_ASSERT(sizeof(struct devcall_layout_sub) == 28,
		      "devcall_layout_sub size");
DEVCALL_STATIC_ASSERT(sizeof(struct devcall_layout_records) == 12,
		      "devcall_layout_records size");
DEVCALL_STATIC_ASSERT(DEVCALL_LAYOUT_V1_SIZE == 16 + 4 * 96,
		      "devcall_layout version-1 size");
DEVCALL_STATIC_ASSERT(sizeof(struct devcall_layout) ==
		      DEVCALL_LAYOUT_V1_SIZE + 4 + 12 + 2 * 28,
		      "devcall_layout size");
DEVCALL_STATIC_ASSERT(sizeof(struct devcall_layout) <= DEVCALL_INLINE_MAX,
		      "a layout travels inline");

#endif /* DEVCALL_ABI_H */
