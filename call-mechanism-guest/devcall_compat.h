/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel API drift between the kernels the guest modules build against:
 * Debian 12's 6.1 and its 6.12 (and, through DKMS, what lies between).
 * Each difference is here once, keyed on the release that made it, so
 * the modules' code reads as for one kernel.
 */
#ifndef DEVCALL_COMPAT_H
#define DEVCALL_COMPAT_H

#include <linux/version.h>

/* 6.2: device_type.devnode; 6.3: bus_type.uevent take a const device. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 2, 0)
#define DEVCALL_DEVNODE_CONST const
#else
#define DEVCALL_DEVNODE_CONST
#endif
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
#define DEVCALL_UEVENT_CONST const
#else
#define DEVCALL_UEVENT_CONST
#endif
/* 6.11: bus_type.match takes a const driver. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 11, 0)
#define DEVCALL_MATCH_CONST const
#else
#define DEVCALL_MATCH_CONST
#endif

/* 6.4: class_create lost its owner (the class core keeps none). */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 4, 0)
#define devcall_class_create(name) class_create(name)
#else
#define devcall_class_create(name) class_create(THIS_MODULE, name)
#endif

/* 6.11: find_vqs gets one virtqueue_info per queue, not three arrays. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 11, 0)
#define DEVCALL_VQ_INFO 1
#endif

#ifdef _LINUX_BLKDEV_H
/* 6.5: block ioctls get a blk_mode_t, O_NDELAY is BLK_OPEN_NDELAY. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 5, 0)
typedef blk_mode_t devcall_blk_mode_t;
#define DEVCALL_BLK_NDELAY BLK_OPEN_NDELAY
#else
typedef fmode_t devcall_blk_mode_t;
#define DEVCALL_BLK_NDELAY FMODE_NDELAY
#endif

/*
 * A blk-mq disk with its queue limits and a volatile write cache. 6.9
 * takes the limits at allocation (the blk_queue_* setters went in 6.10
 * and 6.11); 6.11 made the write cache and rotation features in them
 * (QUEUE_FLAG_NONROT went). Before 6.9 the setters apply lim, which
 * also derive what they derived from it.
 */
static inline struct gendisk *
devcall_blk_alloc_disk(struct blk_mq_tag_set *set, struct queue_limits *lim,
		       bool rotational, void *queuedata)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 11, 0)
	lim->features |= BLK_FEAT_WRITE_CACHE;
	if (rotational)
		lim->features |= BLK_FEAT_ROTATIONAL;
	return blk_mq_alloc_disk(set, lim, queuedata);
#else
	struct request_queue *q;
	struct gendisk *disk;

#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 9, 0)
	disk = blk_mq_alloc_disk(set, lim, queuedata);
	if (IS_ERR(disk))
		return disk;
	q = disk->queue;
#else
	disk = blk_mq_alloc_disk(set, queuedata);
	if (IS_ERR(disk))
		return disk;
	q = disk->queue;
	blk_queue_logical_block_size(q, lim->logical_block_size);
	blk_queue_physical_block_size(q, lim->physical_block_size);
	blk_queue_io_min(q, lim->io_min);
	blk_queue_io_opt(q, lim->io_opt);
	blk_queue_dma_alignment(q, lim->dma_alignment);
	blk_queue_max_hw_sectors(q, lim->max_hw_sectors);
	blk_queue_max_segments(q, lim->max_segments);
	blk_queue_max_segment_size(q, lim->max_segment_size);
	blk_queue_max_discard_sectors(q, lim->max_hw_discard_sectors);
	q->limits.discard_granularity = lim->discard_granularity;
	blk_queue_max_write_zeroes_sectors(q, lim->max_write_zeroes_sectors);
#endif
	blk_queue_write_cache(q, true, false);
	if (rotational)
		blk_queue_flag_clear(QUEUE_FLAG_NONROT, q);
	else
		blk_queue_flag_set(QUEUE_FLAG_NONROT, q);
	return disk;
#endif
}
#endif /* _LINUX_BLKDEV_H */

#endif /* DEVCALL_COMPAT_H */
