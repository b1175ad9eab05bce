// SPDX-License-Identifier: GPL-2.0
/*
 * devcall block frontend: a blk-mq disk per block export, /dev/devcall/<name>
 * (partitions /dev/devcall/<name>N). The host block device is opened once,
 * O_DIRECT where the host takes it; each request is one call on it: reads
 * and writes at their offset with the bio pages as guest-physical segments
 * (the host's preadv/pwritev move the data in place, no copy), flush as
 * fdatasync, discard and write zeroes as BLKDISCARD and BLKZEROOUT. The
 * queue limits are the host's (DEVCALL_OP_BLKINFO). Ioctls the guest block
 * layer does not answer go to the host by its layouts, as the char
 * frontend's do. A resize on the host reaches the guest within a second.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/blk-mq.h>
#include <linux/blkdev.h>
#include <linux/compat.h>
#include <linux/fs.h>
#include <linux/idr.h>
#include <linux/module.h>
#include <linux/rwsem.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/workqueue.h>

#include "devcall_call.h"
#include "devcall_compat.h"

#define DCB_QUEUE_DEPTH		32	/* requests in flight per disk */
#define DCB_MAX_BYTES		(1u << 20)	/* largest read or write */
#define DCB_MAX_SEGMENTS	256	/* a page each: 1 MiB in one */
#define DCB_ZEROES_MAX		(16u << 20)	/* write zeroes, host without */
#define DCB_RESIZE_MS		1000	/* how often the host size is asked */
#define DCB_BUSY_MS		10	/* requeue delay when the host is full */

/* One disk: one host file, one tag set, one gendisk. */
struct dcb_disk {
	struct devcall_export *exp;
	struct devcall_dev *d;
	u64 handle;
	bool host_direct;		/* the host file is O_DIRECT */
	unsigned int lbs;		/* logical block size, bytes */
	int index;
	struct blk_mq_tag_set tag_set;
	struct gendisk *disk;
	struct delayed_work resize;
	/* Ioctls vs. the host file's close: no call on a closed handle. */
	struct rw_semaphore handle_sem;
	bool closed;
	struct devcall_layout_cache layouts;
};

/* Per request (blk-mq pdu). */
struct dcb_cmd {
	blk_status_t status;
};

static DEFINE_IDA(dcb_index);

static blk_status_t dcb_errno_status(s64 err)
{
	switch (err) {
	case -EOPNOTSUPP:
	case -ENOTTY:
		return BLK_STS_NOTSUPP;
	case -ENOSPC:
		return BLK_STS_NOSPC;
	case -ENOMEM:
		return BLK_STS_RESOURCE;
	case -ETIMEDOUT:
		return BLK_STS_TIMEOUT;
	default:
		return BLK_STS_IOERR;
	}
}

/*
 * The host answered (or the device went away): interrupt context, with
 * the call mechanism's queue lock held, so nothing here may call it.
 */
static void dcb_done(struct devcall_call *c, void *ctx)
{
	struct request *rq = ctx;
	struct dcb_cmd *cmd = blk_mq_rq_to_pdu(rq);
	s64 ret = devcall_call_result(c);

	/* The host's per-VM bounds were full: try again shortly. */
	if (ret == -EAGAIN) {
		blk_mq_requeue_request(rq, false);
		blk_mq_delay_kick_requeue_list(rq->q, DCB_BUSY_MS);
		return;
	}
	if (ret < 0)
		cmd->status = dcb_errno_status(ret);
	else if ((req_op(rq) == REQ_OP_READ || req_op(rq) == REQ_OP_WRITE) &&
		 ret != blk_rq_bytes(rq))
		cmd->status = BLK_STS_IOERR;	/* short: past the host's end */
	else
		cmd->status = BLK_STS_OK;
	if (likely(!blk_should_fake_timeout(rq->q)))
		blk_mq_complete_request(rq);
}

static void dcb_complete(struct request *rq)
{
	struct dcb_cmd *cmd = blk_mq_rq_to_pdu(rq);

	blk_mq_end_request(rq, cmd->status);
}

/* READ or WRITE at the request's offset, its bio pages as the buffer. */
static struct devcall_call *dcb_rw_call(struct dcb_disk *dd,
					struct request *rq)
{
	bool write = req_op(rq) == REQ_OP_WRITE;
	u16 dir = write ? DEVCALL_SEG_TO_HOST : DEVCALL_SEG_FROM_HOST;
	unsigned int pages, mask = dd->lbs - 1;
	bool aligned = true;
	struct req_iterator iter;
	struct devcall_call *c;
	struct devcall_req *h;
	struct bio_vec bv;
	u32 flags = DEVCALL_REQ_F_OFFSET;

	/* Single-page pieces: at most a page each, plus one per segment. */
	pages = (blk_rq_bytes(rq) >> PAGE_SHIFT) +
		blk_rq_nr_phys_segments(rq) + 1;
	c = devcall_call_alloc(write ? DEVCALL_OP_WRITE : DEVCALL_OP_READ,
			       min_t(unsigned int, pages, DEVCALL_MAX_SEGS));
	if (!c)
		return ERR_PTR(-ENOMEM);
	rq_for_each_segment(bv, rq, iter) {
		int ret = devcall_call_add_page(c, bv.bv_page, bv.bv_offset,
						bv.bv_len, dir, 0);

		if (ret) {
			devcall_call_put(c);
			return ERR_PTR(ret);
		}
		aligned &= !((bv.bv_offset | bv.bv_len) & mask);
	}
	/*
	 * The queue's limits keep every piece block-aligned, which the host's
	 * O_DIRECT wants; should one not be, the host serves this request
	 * through its page cache rather than refuse it.
	 */
	if (dd->host_direct && aligned)
		flags |= DEVCALL_REQ_F_DIRECT;
	h = devcall_call_hdr(c);
	h->handle = cpu_to_le64(dd->handle);
	h->offset = cpu_to_le64((u64)blk_rq_pos(rq) << SECTOR_SHIFT);
	h->len = cpu_to_le32(blk_rq_bytes(rq));
	h->flags = cpu_to_le32(flags);
	return c;
}

/* BLKDISCARD or BLKZEROOUT over the request's range, argument inline. */
static struct devcall_call *dcb_range_call(struct dcb_disk *dd,
					   struct request *rq, u32 ioc)
{
	__le64 range[2] = {
		cpu_to_le64((u64)blk_rq_pos(rq) << SECTOR_SHIFT),
		cpu_to_le64(blk_rq_bytes(rq)),
	};
	struct devcall_call *c;
	struct devcall_req *h;

	c = devcall_call_alloc(DEVCALL_OP_IOCTL, 0);
	if (!c)
		return ERR_PTR(-ENOMEM);
	h = devcall_call_hdr(c);
	h->handle = cpu_to_le64(dd->handle);
	h->cmd = cpu_to_le32(ioc);
	h->len = cpu_to_le32(sizeof(range));
	h->flags = cpu_to_le32(DEVCALL_REQ_F_ARG_BUF);
	devcall_call_set_inline(c, range, sizeof(range));
	return c;
}

static struct devcall_call *dcb_flush_call(struct dcb_disk *dd)
{
	struct devcall_call *c = devcall_call_alloc(DEVCALL_OP_FSYNC, 0);

	if (!c)
		return ERR_PTR(-ENOMEM);
	devcall_call_hdr(c)->handle = cpu_to_le64(dd->handle);
	devcall_call_hdr(c)->arg = cpu_to_le64(1);	/* fdatasync */
	return c;
}

/*
 * BLK_MQ_F_BLOCKING: building and queueing a call allocates and may wait
 * for ring space. Memory is allocated without I/O: this is the I/O path.
 */
static blk_status_t dcb_queue_rq(struct blk_mq_hw_ctx *hctx,
				 const struct blk_mq_queue_data *bd)
{
	struct dcb_disk *dd = hctx->queue->queuedata;
	struct request *rq = bd->rq;
	struct devcall_call *c;
	unsigned int noio;
	blk_status_t st;
	int ret;

	noio = memalloc_noio_save();
	switch (req_op(rq)) {
	case REQ_OP_READ:
	case REQ_OP_WRITE:
		c = dcb_rw_call(dd, rq);
		break;
	case REQ_OP_FLUSH:
		c = dcb_flush_call(dd);
		break;
	case REQ_OP_DISCARD:
		c = dcb_range_call(dd, rq, BLKDISCARD);
		break;
	case REQ_OP_WRITE_ZEROES:
		c = dcb_range_call(dd, rq, BLKZEROOUT);
		break;
	default:
		c = ERR_PTR(-EOPNOTSUPP);
		break;
	}
	if (IS_ERR(c)) {
		st = dcb_errno_status(PTR_ERR(c));
		goto out;
	}
	blk_mq_start_request(rq);
	ret = devcall_call_submit_async(dd->d, c, dcb_done, rq);
	/*
	 * A short call's answer is awaited here, polling, instead of an
	 * interrupt: dcb_done may end rq before we return, as a driver
	 * completing in queue_rq does (BLK_MQ_F_BLOCKING: we may take time).
	 * Only at the last request of a batch: polling earlier would hold
	 * back the rest of the batch, which the host could serve meanwhile.
	 */
	if (!ret && bd->last)
		devcall_call_poll(dd->d, c);
	/* The ring holds its own reference until the host is done. */
	devcall_call_put(c);
	if (ret == -ENOMEM || ret == -EINTR)
		st = BLK_STS_RESOURCE;	/* blk-mq tries again */
	else
		st = ret ? BLK_STS_IOERR : BLK_STS_OK;
out:
	memalloc_noio_restore(noio);
	return st;
}

static const struct blk_mq_ops dcb_mq_ops = {
	.queue_rq	= dcb_queue_rq,
	.complete	= dcb_complete,
};

/*
 * Ioctls the block layer did not answer (SG_IO, the host driver's own):
 * to the host, on the whole disk only. A partition's would reach the
 * whole host device, as the kernel refuses raw SCSI on partitions. A
 * 32-bit process's go as the char frontend's do: by the layout the host
 * publishes for its ABI, the host converting the argument.
 */
static int dcb_do_ioctl(struct block_device *bdev, devcall_blk_mode_t mode,
			unsigned int cmd, unsigned long arg, bool compat)
{
	struct dcb_disk *dd = bdev->bd_disk->private_data;
	u32 flags = 0;
	long ret;

	if (bdev_is_partition(bdev))
		return -ENOTTY;
	if (mode & DEVCALL_BLK_NDELAY)
		flags |= DEVCALL_REQ_F_NONBLOCK;
	if (compat)
		flags |= DEVCALL_REQ_F_COMPAT;
	down_read(&dd->handle_sem);
	if (dd->closed)
		ret = -ENXIO;
	else
		ret = devcall_ioctl_forward(dd->d, dd->handle, &dd->layouts,
					    cmd, arg, flags);
	up_read(&dd->handle_sem);
	return ret;
}

static int dcb_ioctl(struct block_device *bdev, devcall_blk_mode_t mode,
		     unsigned int cmd, unsigned long arg)
{
	return dcb_do_ioctl(bdev, mode, cmd, arg, false);
}

#ifdef CONFIG_COMPAT
/* What the block layer's compat path left over (BLKGETSIZE64 it answers). */
static int dcb_compat_ioctl(struct block_device *bdev, devcall_blk_mode_t mode,
			    unsigned int cmd, unsigned long arg)
{
	return dcb_do_ioctl(bdev, mode, cmd,
			    (unsigned long)compat_ptr(arg), true);
}
#endif

/* The last reference to the disk: nothing can reach dd any more. */
static void dcb_free_disk(struct gendisk *disk)
{
	struct dcb_disk *dd = disk->private_data;

	if (!dd)		/* never added: probe frees its own */
		return;
	ida_free(&dcb_index, dd->index);
	devcall_dev_put(dd->d);
	kfree(dd);
}

/*
 * The whole disk's node: the name and mode of the host's node table (the
 * block layer passes no owner: udev applies guest-owner and guest-group).
 */
static char *dcb_devnode(struct gendisk *disk, umode_t *mode)
{
	struct dcb_disk *dd = disk->private_data;
	const struct devcall_node_info *n;

	if (!dd)
		return NULL;
	n = &dd->exp->node;
	if (mode && (n->flags & DEVCALL_NODE_F_MODE))
		*mode = n->mode;
	return kstrdup(n->name, GFP_KERNEL);
}

static const struct block_device_operations dcb_fops = {
	.owner		= THIS_MODULE,
	.devnode	= dcb_devnode,
	.ioctl		= dcb_ioctl,
#ifdef CONFIG_COMPAT
	.compat_ioctl	= dcb_compat_ioctl,
#endif
	.free_disk	= dcb_free_disk,
};

/* A call with no data that answers into info; 0 or -errno. */
static int dcb_blkinfo(struct dcb_disk *dd, struct devcall_blkinfo *info)
{
	struct devcall_call *c = devcall_call_alloc(DEVCALL_OP_BLKINFO, 0);
	s64 ret;

	if (!c)
		return -ENOMEM;
	devcall_call_hdr(c)->handle = cpu_to_le64(dd->handle);
	memset(info, 0, sizeof(*info));
	ret = devcall_call_submit(dd->d, c);
	if (!ret && devcall_call_resp_inline(c, info, sizeof(*info)) !=
		    sizeof(*info))
		ret = -EPROTO;
	devcall_call_put(c);
	return ret;
}

/*
 * The host device's size, asked every DCB_RESIZE_MS: no host event tells
 * the daemon of a resize (losetup -c, a grown LV), and one small call a
 * second costs nothing beside the I/O. A change goes to the guest as a
 * capacity change (uevent, partitions rescanned by who listens).
 */
static void dcb_resize_work(struct work_struct *work)
{
	struct dcb_disk *dd = container_of(to_delayed_work(work),
					   struct dcb_disk, resize);
	struct devcall_blkinfo info;
	int ret;

	ret = dcb_blkinfo(dd, &info);
	if (ret == -ENXIO || ret == -EIO)
		return;			/* the device is gone: remove follows */
	if (!ret)
		set_capacity_and_notify(dd->disk, le64_to_cpu(info.size) >>
					SECTOR_SHIFT);
	schedule_delayed_work(&dd->resize, msecs_to_jiffies(DCB_RESIZE_MS));
}

static s64 dcb_open_host(struct dcb_disk *dd, u64 flags, u64 *size)
{
	struct devcall_call *c = devcall_call_alloc(DEVCALL_OP_OPEN, 0);
	s64 ret;

	if (!c)
		return -ENOMEM;
	devcall_call_hdr(c)->export_id = cpu_to_le32(dd->exp->id);
	devcall_call_hdr(c)->arg = cpu_to_le64(flags);
	ret = devcall_call_submit(dd->d, c);
	if (ret > 0)
		*size = le64_to_cpu(devcall_call_resp(c)->size);
	devcall_call_put(c);
	return ret;
}

static void dcb_close_host(struct dcb_disk *dd)
{
	struct devcall_call *c = devcall_call_alloc(DEVCALL_OP_CLOSE, 0);

	down_write(&dd->handle_sem);
	dd->closed = true;
	up_write(&dd->handle_sem);
	if (!c)
		return;		/* the host closes it with the VM */
	devcall_call_hdr(c)->handle = cpu_to_le64(dd->handle);
	devcall_call_submit(dd->d, c);
	devcall_call_put(c);
}

/*
 * The host file: read-write (read-only for ro exports), O_DIRECT so the
 * host's page cache does not hold a second copy of what the guest's
 * caches and a guest flush is the host device's flush; a host node that
 * takes no O_DIRECT (a file on tmpfs exported as a disk) is opened
 * without it.
 */
static int dcb_open(struct dcb_disk *dd, bool ro, u64 *size)
{
	u64 flags = ro ? DEVCALL_O_RDONLY : DEVCALL_O_RDWR;
	s64 ret;

	ret = dcb_open_host(dd, flags | DEVCALL_O_DIRECT, size);
	if (ret == -EINVAL) {
		ret = dcb_open_host(dd, flags, size);
	} else if (ret > 0) {
		dd->host_direct = true;
	}
	if (ret < 0)
		return ret;
	dd->handle = ret;
	return 0;
}

/*
 * The host's queue limits, or a plain 512-byte disk where it has none.
 * Returns whether the disk rotates.
 */
static bool dcb_limits(struct dcb_disk *dd, struct queue_limits *lim,
		       const struct devcall_blkinfo *bi, bool ro)
{
	unsigned int lbs = le32_to_cpu(bi->logical_block_size);
	unsigned int pbs = le32_to_cpu(bi->physical_block_size);
	u32 max = min_t(u32, DCB_MAX_BYTES, le32_to_cpu(bi->max_request) ?:
			DCB_MAX_BYTES);
	u64 discard = le64_to_cpu(bi->discard_max_bytes);
	u64 zeroes = le64_to_cpu(bi->write_zeroes_max_bytes);

	if (lbs < SECTOR_SIZE || lbs > PAGE_SIZE || !is_power_of_2(lbs))
		lbs = SECTOR_SIZE;
	if (pbs < lbs || !is_power_of_2(pbs))
		pbs = lbs;
	dd->lbs = lbs;
	/*
	 * Not the host disk's max_hw_bytes (124 KiB on zram): the daemon's
	 * one preadv() is split by the host's block layer for free, while
	 * each request here is a round trip to the host.
	 */
	max = max(round_down(max, PAGE_SIZE), (u32)PAGE_SIZE);

	lim->logical_block_size = lbs;
	lim->physical_block_size = pbs;
	lim->io_min = le32_to_cpu(bi->io_min);
	lim->io_opt = le32_to_cpu(bi->io_opt);
	/* Buffers as the host's O_DIRECT wants them: block-aligned. */
	lim->dma_alignment = lbs - 1;
	lim->max_hw_sectors = max >> SECTOR_SHIFT;
	lim->max_segments = DCB_MAX_SEGMENTS;
	lim->max_segment_size = max;
	if (!ro && discard >= lbs) {
		lim->max_hw_discard_sectors = min_t(u64, discard >> SECTOR_SHIFT,
						    UINT_MAX);
		lim->discard_granularity =
			max(le32_to_cpu(bi->discard_granularity), lbs);
	}
	/*
	 * BLKZEROOUT works on every host device (the host kernel writes
	 * zeroes where the device cannot): always offered, in pieces the
	 * host's own size where it has one.
	 */
	if (!ro)
		lim->max_write_zeroes_sectors =
			min_t(u64, zeroes ?: DCB_ZEROES_MAX, UINT_MAX) >>
			SECTOR_SHIFT;
	return le32_to_cpu(bi->flags) & DEVCALL_BLKINFO_F_ROTATIONAL;
}

/*
 * /dev/devcall/<name> as the char nodes ('!' is a '/' in devtmpfs), its
 * partitions <name>N (<name>pN after a digit); a name too long for a
 * disk name becomes devcall!disk<index>.
 */
static void dcb_disk_name(struct dcb_disk *dd, char *name)
{
	if (snprintf(name, DISK_NAME_LEN, "devcall!%s", dd->exp->name) >=
	    DISK_NAME_LEN) {
		snprintf(name, DISK_NAME_LEN, "devcall!disk%d", dd->index);
		dev_info(&dd->exp->dev, "name too long for a disk: %s\n",
			 name);
	}
}

static int dcb_probe(struct devcall_export *exp)
{
	bool ro = exp->flags & DEVCALL_EXPORT_F_RO;
	struct queue_limits lim = { };
	struct devcall_blkinfo bi;
	struct dcb_disk *dd;
	struct gendisk *disk;
	u64 size = 0;
	bool rot;
	int ret;

	dd = kzalloc(sizeof(*dd), GFP_KERNEL);
	if (!dd)
		return -ENOMEM;
	dd->exp = exp;
	dd->d = exp->d;
	devcall_dev_get(dd->d);
	init_rwsem(&dd->handle_sem);
	devcall_layout_cache_init(&dd->layouts);
	INIT_DELAYED_WORK(&dd->resize, dcb_resize_work);
	ret = ida_alloc(&dcb_index, GFP_KERNEL);
	if (ret < 0)
		goto out_free;
	dd->index = ret;

	ret = dcb_open(dd, ro, &size);
	if (ret)
		goto out_index;
	ret = dcb_blkinfo(dd, &bi);
	if (ret == -ENOTBLK || ret == -EOPNOTSUPP) {
		/* A file, or a host before BLKINFO: OPEN's size, 512 bytes. */
		memset(&bi, 0, sizeof(bi));
		bi.size = cpu_to_le64(size);
	} else if (ret) {
		goto out_close;
	}
	if (le32_to_cpu(bi.flags) & DEVCALL_BLKINFO_F_RO)
		ro = true;

	dd->tag_set.ops = &dcb_mq_ops;
	dd->tag_set.nr_hw_queues = 1;
	dd->tag_set.queue_depth = DCB_QUEUE_DEPTH;
	dd->tag_set.numa_node = NUMA_NO_NODE;
	dd->tag_set.cmd_size = sizeof(struct dcb_cmd);
	/*
	 * No guest I/O scheduler by default: the host's block layer
	 * schedules the real device. With mq-deadline (the default for one
	 * hardware queue) every request was dispatched from a kworker, a
	 * context switch per request. udev or the admin may still set one.
	 */
	dd->tag_set.flags = BLK_MQ_F_SHOULD_MERGE | BLK_MQ_F_BLOCKING |
			    BLK_MQ_F_NO_SCHED_BY_DEFAULT;
	dd->tag_set.driver_data = dd;
	ret = blk_mq_alloc_tag_set(&dd->tag_set);
	if (ret)
		goto out_close;

	/* A volatile cache as far as the guest knows: flushes reach the host. */
	rot = dcb_limits(dd, &lim, &bi, ro);
	disk = devcall_blk_alloc_disk(&dd->tag_set, &lim, rot, dd);
	if (IS_ERR(disk)) {
		ret = PTR_ERR(disk);
		goto out_tags;
	}
	dd->disk = disk;
	/* major 0, minors 0: dynamic numbers, partitions scanned. */
	disk->fops = &dcb_fops;
	disk->private_data = dd;
	dcb_disk_name(dd, disk->disk_name);
	set_capacity(disk, le64_to_cpu(bi.size) >> SECTOR_SHIFT);
	set_disk_ro(disk, ro);
	devcall_export_set_drvdata(exp, dd);
	ret = device_add_disk(&exp->dev, disk, devcall_node_groups);
	if (ret)
		goto out_disk;
	if (bi.logical_block_size)	/* a block device: it may resize */
		schedule_delayed_work(&dd->resize,
				      msecs_to_jiffies(DCB_RESIZE_MS));
	return 0;

out_disk:
	/* Not added: dd is still ours, free_disk does not run for it. */
	disk->private_data = NULL;
	put_disk(disk);
out_tags:
	blk_mq_free_tag_set(&dd->tag_set);
out_close:
	dcb_close_host(dd);
out_index:
	ida_free(&dcb_index, dd->index);
out_free:
	devcall_dev_put(dd->d);
	kfree(dd);
	return ret;
}

/*
 * The export goes (the device is dead by then, so requests still on the
 * host have failed with EIO and new ones fail at once) or the module
 * unloads (the host answers what is in flight). del_gendisk waits for
 * them; dd lives until the last opener of the disk lets go.
 */
static void dcb_remove(struct devcall_export *exp)
{
	struct dcb_disk *dd = devcall_export_get_drvdata(exp);
	struct gendisk *disk = dd->disk;

	cancel_delayed_work_sync(&dd->resize);	/* it requeues itself */
	del_gendisk(disk);
	dcb_close_host(dd);
	blk_mq_free_tag_set(&dd->tag_set);
	put_disk(disk);			/* dcb_free_disk, now or at last close */
}

static struct devcall_frontend dcb_frontend = {
	.name	= "devcall_blk",
	.kind	= DEVCALL_EXPORT_BLOCK,
	.probe	= dcb_probe,
	.remove	= dcb_remove,
};

static int __init dcb_init(void)
{
	return devcall_register_frontend(&dcb_frontend);
}

static void __exit dcb_exit(void)
{
	devcall_unregister_frontend(&dcb_frontend);	/* removes every disk */
	ida_destroy(&dcb_index);
}

module_init(dcb_init);
module_exit(dcb_exit);
MODULE_ALIAS("devcall:block");
MODULE_DESCRIPTION("devcall: a disk per exported host block device");
MODULE_LICENSE("GPL");
