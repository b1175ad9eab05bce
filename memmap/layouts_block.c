// SPDX-License-Identifier: MIT
/*
 * Block devices, loop devices and the file ioctls a block node answers.
 * Where the kernel moves another size than the number encodes (BLKBSZGET:
 * size_t in the number, an int in blkdev_ioctl), the layout uses the
 * kernel's size: the guest's variable is that big, writing more back
 * would overrun it.
 *
 * Not here: BLKREPORTZONE (a header and as many zones as it says, inline
 * in the argument: no layout kind describes a variable-length argument),
 * BLKTRACE* (tracing setup, CAP_SYS_ADMIN, pointers into debugfs).
 */
#include <linux/blkzoned.h>
#include <linux/fs.h>
#include <linux/hdreg.h>
#include <linux/loop.h>

#include "layouts_macros.h"

_Static_assert(sizeof(struct hd_geometry) == 16, "hd_geometry, x86_64");
_Static_assert(sizeof(struct loop_info64) == 232, "loop_info64");
_Static_assert(sizeof(struct blk_zone_range) == 16, "blk_zone_range");
_Static_assert(sizeof(struct fsxattr) == 28, "fsxattr");

static const struct ioctl_layout layouts_block[] = {
	SCALAR(BLKROSET, IN, int),
	SCALAR(BLKROGET, OUT, int),
	SCALAR(BLKGETSIZE, OUT, unsigned long),
	NOARG(BLKFLSBUF),
	INTARG(BLKRASET),
	SCALAR(BLKRAGET, OUT, long),
	INTARG(BLKFRASET),
	SCALAR(BLKFRAGET, OUT, long),
	SCALAR(BLKSECTGET, OUT, unsigned short),
	SCALAR_AS(BLKBSZGET, OUT, int),
	SCALAR_AS(BLKBSZSET, IN, int),
	SCALAR(BLKDISCARD, IN, uint64_t[2]),
	SCALAR(BLKIOMIN, OUT, unsigned int),
	SCALAR(BLKIOOPT, OUT, unsigned int),
	SCALAR(BLKALIGNOFF, OUT, int),
	SCALAR(BLKPBSZGET, OUT, unsigned int),
	SCALAR(BLKDISCARDZEROES, OUT, unsigned int),
	SCALAR(BLKSECDISCARD, IN, uint64_t[2]),
	SCALAR(BLKROTATIONAL, OUT, unsigned short),
	SCALAR(BLKZEROOUT, IN, uint64_t[2]),
	SCALAR(BLKGETDISKSEQ, OUT, __u64),
	SCALAR(BLKGETZONESZ, OUT, __u32),
	SCALAR(BLKGETNRZONES, OUT, __u32),
	SCALAR(BLKRESETZONE, IN, struct blk_zone_range),
	SCALAR(BLKOPENZONE, IN, struct blk_zone_range),
	SCALAR(BLKCLOSEZONE, IN, struct blk_zone_range),
	SCALAR(BLKFINISHZONE, IN, struct blk_zone_range),
	SCALAR(HDIO_GETGEO, OUT, struct hd_geometry),
};

static const struct ioctl_layout layouts_loop[] = {
	SCALAR(LOOP_SET_STATUS, IN, struct loop_info),
	SCALAR(LOOP_GET_STATUS, OUT, struct loop_info),
	SCALAR(LOOP_SET_STATUS64, IN, struct loop_info64),
	SCALAR(LOOP_GET_STATUS64, OUT, struct loop_info64),
	NOARG(LOOP_CLR_FD),
	NOARG(LOOP_SET_CAPACITY),
	INTARG(LOOP_SET_DIRECT_IO),
	INTARG(LOOP_SET_BLOCK_SIZE),
	/*
	 * The descriptor is one of the guest's files of the same VM: the
	 * loop device is backed by the daemon's file of that export.
	 */
	FDARG(LOOP_SET_FD),
	FDARG(LOOP_CHANGE_FD),
	FDFIELD(LOOP_CONFIGURE, IN, struct loop_config, fd),
	INTARG(LOOP_CTL_ADD),		/* on /dev/loop-control */
	INTARG(LOOP_CTL_REMOVE),
	NOARG(LOOP_CTL_GET_FREE),
};

/* The kernel's flags and version are ints whatever the numbers say. */
static const struct ioctl_layout layouts_fs[] = {
	SCALAR(FIGETBSZ, OUT, int),
	SCALAR_AS(FS_IOC_GETFLAGS, OUT, int),
	SCALAR_AS(FS_IOC_SETFLAGS, IN, int),
	SCALAR_AS(FS_IOC_GETVERSION, OUT, int),
	SCALAR_AS(FS_IOC_SETVERSION, IN, int),
	SCALAR(FS_IOC_FSGETXATTR, OUT, struct fsxattr),
	SCALAR(FS_IOC_FSSETXATTR, IN, struct fsxattr),
};

const struct layout_table layout_table_block = LAYOUT_TABLE("block",
							    layouts_block);
const struct layout_table layout_table_loop = LAYOUT_TABLE("loop",
							   layouts_loop);
const struct layout_table layout_table_fs = LAYOUT_TABLE("fs", layouts_fs);
