// SPDX-License-Identifier: GPL-2.0
/*
 * devcall transport: a virtio device carried over QEMU's stock
 * ivshmem-doorbell PCI device. The register block lives in the shared
 * memory (BAR2, abi/devcall_ivshmem.h); anything the device must act on
 * goes through a mailbox and a doorbell; MSI-X vectors carry used-buffer
 * and configuration interrupts. The virtqueues themselves are split rings
 * in guest RAM, which the daemon maps.
 */
#define pr_fmt(fmt) "devcall_ivshmem: " fmt

#include <linux/delay.h>
#include <linux/interrupt.h>
#include <linux/io.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/virtio.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>
#include <linux/workqueue.h>

#include "devcall_compat.h"
#include "devcall_ivshmem.h"

#define IVSHMEM_VENDOR		0x1af4
#define IVSHMEM_DEVICE		0x1110
#define MAILBOX_TIMEOUT_MS	3000
#define WATCH_MS		250	/* how often the heartbeat is checked */

struct dc_ivshmem;

/*
 * The virtio device on top of the transport. A daemon that goes away
 * takes it with it; a daemon that comes back gets a new one (a device
 * cannot be registered twice).
 */
struct dc_vdev {
	struct virtio_device vdev;
	struct dc_ivshmem *dc;
	bool reset_unanswered;		/* reset while the daemon was gone */
};

struct dc_ivshmem {
	struct dc_vdev *cur;			/* NULL while no daemon */
	struct pci_dev *pdev;
	void __iomem *regs_bar;			/* BAR0: doorbell */
	struct devcall_shm_regs *shm;		/* BAR2: our registers */
	u8 *config;				/* BAR2: device config space */
	size_t shm_len;
	u32 peer;				/* the daemon's peer id */
	struct mutex mailbox_lock;
	bool broken;				/* the daemon stopped answering */
	struct virtqueue *vqs[DEVCALL_SHM_MAX_QUEUES];
	unsigned int nr_vqs;
	bool irqs_requested[DEVCALL_NR_VECTORS];
	/* Liveness: the daemon's heartbeat, watched from a work item. */
	struct delayed_work watch;
	u32 last_heartbeat;
	unsigned long last_beat;		/* jiffies it last moved */
	u32 dead_epoch;				/* device_epoch we gave up on */
};

#define to_dc(v) (container_of(v, struct dc_vdev, vdev)->dc)

static u32 shm_read32(const __le32 *p)
{
	return le32_to_cpu(READ_ONCE(*p));
}

static void shm_write32(__le32 *p, u32 v)
{
	WRITE_ONCE(*p, cpu_to_le32(v));
}

static void shm_write64(__le64 *p, u64 v)
{
	WRITE_ONCE(*p, cpu_to_le64(v));
}

static void dc_ring(struct dc_ivshmem *dc, u32 vector)
{
	writel(IVSHMEM_DOORBELL(dc->peer, vector),
	       dc->regs_bar + IVSHMEM_REG_DOORBELL);
}

/*
 * Ask the daemon to act and wait for its answer. Polls: the callers may
 * not sleep, and a daemon that never answers must not hang the guest - the
 * transport is then marked broken and everything fails with -EIO.
 */
static int dc_mailbox(struct dc_ivshmem *dc, u32 cmd, u32 arg)
{
	unsigned long deadline;
	u32 seq;
	int ret;

	mutex_lock(&dc->mailbox_lock);
	if (dc->broken) {
		ret = -EIO;
		goto out;
	}
	seq = shm_read32(&dc->shm->cmd_seq) + 1;
	shm_write32(&dc->shm->cmd, cmd);
	shm_write32(&dc->shm->cmd_arg, arg);
	/* The command must be visible before its sequence number. */
	wmb();
	shm_write32(&dc->shm->cmd_seq, seq);
	wmb();
	dc_ring(dc, DEVCALL_DB_VEC_CMD);

	deadline = jiffies + msecs_to_jiffies(MAILBOX_TIMEOUT_MS);
	while (shm_read32(&dc->shm->cmd_ack) != seq) {
		if (time_after(jiffies, deadline)) {
			dev_err(&dc->pdev->dev,
				"daemon did not answer command %u\n", cmd);
			dc->broken = true;
			ret = -EIO;
			goto out;
		}
		udelay(20);
	}
	rmb();
	ret = -(int)shm_read32(&dc->shm->cmd_result);
	if (ret > 0 || ret < -MAX_ERRNO)
		ret = -EIO;
out:
	mutex_unlock(&dc->mailbox_lock);
	return ret;
}

static void dc_get(struct virtio_device *vdev, unsigned int offset,
		   void *buf, unsigned int len)
{
	struct dc_ivshmem *dc = to_dc(vdev);
	u32 size = min_t(u32, shm_read32(&dc->shm->config_size),
			 DEVCALL_SHM_CONFIG_MAX);

	/* Bytes beyond what the device offers read as zero. */
	memset(buf, 0, len);
	if (offset < size)
		memcpy(buf, dc->config + offset, min(len, size - offset));
}

static void dc_set(struct virtio_device *vdev, unsigned int offset,
		   const void *buf, unsigned int len)
{
	dev_warn(&vdev->dev, "config space is read-only\n");
}

static u32 dc_generation(struct virtio_device *vdev)
{
	return shm_read32(&to_dc(vdev)->shm->config_generation);
}

static u8 dc_get_status(struct virtio_device *vdev)
{
	struct dc_ivshmem *dc = to_dc(vdev);

	if (dc->broken)
		return container_of(vdev, struct dc_vdev, vdev)->reset_unanswered ?
		       0 : VIRTIO_CONFIG_S_NEEDS_RESET | VIRTIO_CONFIG_S_FAILED;
	return shm_read32(&dc->shm->status) & 0xff;
}

static void dc_set_status(struct virtio_device *vdev, u8 status)
{
	/* A zero status is a reset: that has its own op. */
	WARN_ON(!status);
	dc_mailbox(to_dc(vdev), DEVCALL_CMD_SET_STATUS, status);
}

/*
 * A daemon given up on is not asked: the device is reset on our side
 * alone, and its status reads 0 from then on, as after any reset (the
 * virtio core checks that once the driver is removed).
 */
static void dc_reset(struct virtio_device *vdev)
{
	if (dc_mailbox(to_dc(vdev), DEVCALL_CMD_SET_STATUS, 0))
		container_of(vdev, struct dc_vdev, vdev)->reset_unanswered = true;
}

static u64 dc_get_features(struct virtio_device *vdev)
{
	struct dc_ivshmem *dc = to_dc(vdev);

	return le64_to_cpu(READ_ONCE(dc->shm->device_features));
}

static int dc_finalize_features(struct virtio_device *vdev)
{
	struct dc_ivshmem *dc = to_dc(vdev);

	vring_transport_features(vdev);
	if (!__virtio_test_bit(vdev, VIRTIO_F_VERSION_1)) {
		dev_err(&vdev->dev, "device does not offer VIRTIO_F_VERSION_1\n");
		return -EINVAL;
	}
	shm_write64(&dc->shm->driver_features, vdev->features);
	return 0;
}

static const char *dc_bus_name(struct virtio_device *vdev)
{
	return pci_name(to_dc(vdev)->pdev);
}

static bool dc_notify(struct virtqueue *vq)
{
	struct dc_ivshmem *dc = to_dc(vq->vdev);

	if (dc->broken)
		return false;
	dc_ring(dc, DEVCALL_DB_VEC_QUEUE(vq->index));
	return true;
}

static irqreturn_t dc_config_irq(int irq, void *opaque)
{
	struct dc_ivshmem *dc = opaque;
	struct dc_vdev *cur = READ_ONCE(dc->cur);

	/* Also the mailbox's answer, which dc_mailbox() polls for. */
	if (cur)
		virtio_config_changed(&cur->vdev);
	return IRQ_HANDLED;
}

static irqreturn_t dc_queue_irq(int irq, void *opaque)
{
	struct virtqueue *vq = opaque;

	return vring_interrupt(irq, vq);
}

static void dc_free_irq(struct dc_ivshmem *dc, unsigned int vec, void *opaque)
{
	if (dc->irqs_requested[vec]) {
		free_irq(pci_irq_vector(dc->pdev, vec), opaque);
		dc->irqs_requested[vec] = false;
	}
}

static void dc_del_vqs(struct virtio_device *vdev)
{
	struct dc_ivshmem *dc = to_dc(vdev);
	unsigned int i;

	for (i = 0; i < dc->nr_vqs; i++) {
		if (!dc->vqs[i])
			continue;
		dc_free_irq(dc, DEVCALL_MSIX_VEC_QUEUE(i), dc->vqs[i]);
		dc_mailbox(dc, DEVCALL_CMD_QUEUE_RESET, i);
		vring_del_virtqueue(dc->vqs[i]);
		dc->vqs[i] = NULL;
	}
	dc->nr_vqs = 0;
}

static struct virtqueue *dc_setup_vq(struct virtio_device *vdev,
				     unsigned int i, vq_callback_t *callback,
				     const char *name)
{
	struct dc_ivshmem *dc = to_dc(vdev);
	struct devcall_shm_queue *q = &dc->shm->queue[i];
	struct virtqueue *vq;
	u32 num;
	int ret;

	num = min_t(u32, shm_read32(&q->num_max), DEVCALL_QUEUE_NUM_MAX);
	if (!num || !is_power_of_2(num))
		return ERR_PTR(-ENOENT);
	vq = vring_create_virtqueue(i, num, SMP_CACHE_BYTES, vdev, true,
				    true, false, dc_notify, callback, name);
	if (!vq)
		return ERR_PTR(-ENOMEM);

	shm_write32(&q->num, virtqueue_get_vring_size(vq));
	shm_write64(&q->desc, virtqueue_get_desc_addr(vq));
	shm_write64(&q->avail, virtqueue_get_avail_addr(vq));
	shm_write64(&q->used, virtqueue_get_used_addr(vq));
	ret = dc_mailbox(dc, DEVCALL_CMD_QUEUE_ENABLE, i);
	if (ret) {
		vring_del_virtqueue(vq);
		return ERR_PTR(ret);
	}
	return vq;
}

static bool dc_nvqs_ok(struct dc_ivshmem *dc, unsigned int nvqs)
{
	return nvqs <= min_t(u32, shm_read32(&dc->shm->num_queues),
			     DEVCALL_SHM_MAX_QUEUES);
}

/* Queue i and its interrupt; on an error dc_del_vqs undoes all so far. */
static int dc_find_vq(struct virtio_device *vdev, unsigned int i,
		      vq_callback_t *callback, const char *name,
		      struct virtqueue **vqp)
{
	struct dc_ivshmem *dc = to_dc(vdev);
	struct virtqueue *vq;
	int ret;

	*vqp = NULL;
	if (!name)
		return 0;
	vq = dc_setup_vq(vdev, i, callback, name);
	if (IS_ERR(vq))
		return PTR_ERR(vq);
	*vqp = vq;
	dc->vqs[i] = vq;
	dc->nr_vqs = i + 1;
	ret = request_irq(pci_irq_vector(dc->pdev, DEVCALL_MSIX_VEC_QUEUE(i)),
			  dc_queue_irq, 0, name, vq);
	if (ret)
		return ret;
	dc->irqs_requested[DEVCALL_MSIX_VEC_QUEUE(i)] = true;
	return 0;
}

#ifdef DEVCALL_VQ_INFO
static int dc_find_vqs(struct virtio_device *vdev, unsigned int nvqs,
		       struct virtqueue *vqs[], struct virtqueue_info info[],
		       struct irq_affinity *desc)
{
	unsigned int i;
	int ret;

	if (!dc_nvqs_ok(to_dc(vdev), nvqs))
		return -EINVAL;
	for (i = 0; i < nvqs; i++) {
		ret = dc_find_vq(vdev, i, info[i].callback, info[i].name,
				 &vqs[i]);
		if (ret) {
			dc_del_vqs(vdev);
			return ret;
		}
	}
	return 0;
}
#else
static int dc_find_vqs(struct virtio_device *vdev, unsigned int nvqs,
		       struct virtqueue *vqs[], vq_callback_t *callbacks[],
		       const char * const names[], const bool *ctx,
		       struct irq_affinity *desc)
{
	unsigned int i;
	int ret;

	if (!dc_nvqs_ok(to_dc(vdev), nvqs))
		return -EINVAL;
	for (i = 0; i < nvqs; i++) {
		ret = dc_find_vq(vdev, i, callbacks[i], names[i], &vqs[i]);
		if (ret) {
			dc_del_vqs(vdev);
			return ret;
		}
	}
	return 0;
}
#endif

static const struct virtio_config_ops dc_config_ops = {
	.get			= dc_get,
	.set			= dc_set,
	.generation		= dc_generation,
	.get_status		= dc_get_status,
	.set_status		= dc_set_status,
	.reset			= dc_reset,
	.find_vqs		= dc_find_vqs,
	.del_vqs		= dc_del_vqs,
	.get_features		= dc_get_features,
	.finalize_features	= dc_finalize_features,
	.bus_name		= dc_bus_name,
};

static void dc_release_dev(struct device *dev)
{
	kfree(container_of(dev, struct dc_vdev, vdev.dev));
}

/* A virtio device for the daemon now serving the shared memory. */
static int dc_attach(struct dc_ivshmem *dc)
{
	struct dc_vdev *v;
	int ret;

	v = kzalloc(sizeof(*v), GFP_KERNEL);
	if (!v)
		return -ENOMEM;
	v->dc = dc;
	v->vdev.dev.parent = &dc->pdev->dev;
	v->vdev.dev.release = dc_release_dev;
	v->vdev.config = &dc_config_ops;
	v->vdev.id.device = shm_read32(&dc->shm->device_id);
	v->vdev.id.vendor = shm_read32(&dc->shm->vendor_id);
	dc->peer = shm_read32(&dc->shm->server_peer_id);
	if (dc->peer > 0xffff) {
		kfree(v);
		return -ENODEV;
	}
	dc->broken = false;
	WRITE_ONCE(dc->cur, v);
	ret = register_virtio_device(&v->vdev);
	if (ret) {
		WRITE_ONCE(dc->cur, NULL);
		put_device(&v->vdev.dev);
		return ret;
	}
	dev_info(&dc->pdev->dev, "devcall virtio device, daemon peer %u, epoch %u\n",
		 dc->peer, shm_read32(&dc->shm->device_epoch));
	return 0;
}

/*
 * The daemon is gone (daemon_gone), or this driver is being unbound: the
 * virtio device goes, failing every call with EIO (ENXIO when unbound);
 * files open on it fail so from now on; nodes disappear until a daemon
 * serves again. Unbound, the daemon is still asked for the reset, so it
 * closes the guest's files and stops using its memory before that
 * memory is handed back.
 */
static void dc_detach(struct dc_ivshmem *dc, bool daemon_gone)
{
	struct dc_vdev *v = dc->cur;

	if (daemon_gone)
		dc->broken = true;
	dc->dead_epoch = shm_read32(&dc->shm->device_epoch);
	/* The config interrupt stops looking at it before it can be freed. */
	WRITE_ONCE(dc->cur, NULL);
	synchronize_irq(pci_irq_vector(dc->pdev, DEVCALL_MSIX_VEC_CONFIG));
	unregister_virtio_device(&v->vdev);
	dc->broken = true;
}

static bool dc_daemon_present(struct dc_ivshmem *dc)
{
	return shm_read32(&dc->shm->magic) == DEVCALL_SHM_MAGIC &&
	       shm_read32(&dc->shm->version) == DEVCALL_SHM_VERSION;
}

static void dc_watch(struct work_struct *work)
{
	struct dc_ivshmem *dc = container_of(to_delayed_work(work),
					     struct dc_ivshmem, watch);
	u32 beat = shm_read32(&dc->shm->heartbeat);
	bool alive;

	if (beat != dc->last_heartbeat) {
		dc->last_heartbeat = beat;
		dc->last_beat = jiffies;
	}
	alive = time_before(jiffies, dc->last_beat +
				     msecs_to_jiffies(DEVCALL_DEAD_MS));
	if (dc->cur && (!alive || dc->broken)) {
		dev_warn(&dc->pdev->dev,
			 "devcall daemon gone: calls fail with EIO until it is back\n");
		dc_detach(dc, true);
	} else if (!dc->cur && alive && dc_daemon_present(dc) &&
		   shm_read32(&dc->shm->device_epoch) != dc->dead_epoch) {
		dev_info(&dc->pdev->dev, "devcall daemon back: attaching\n");
		if (dc_attach(dc))
			dc->dead_epoch = shm_read32(&dc->shm->device_epoch);
	}
	schedule_delayed_work(&dc->watch, msecs_to_jiffies(WATCH_MS));
}

static int dc_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct dc_ivshmem *dc;
	int ret;

	dc = devm_kzalloc(&pdev->dev, sizeof(*dc), GFP_KERNEL);
	if (!dc)
		return -ENOMEM;
	dc->pdev = pdev;
	mutex_init(&dc->mailbox_lock);
	INIT_DELAYED_WORK(&dc->watch, dc_watch);

	ret = pcim_enable_device(pdev);
	if (ret)
		return ret;
	ret = pcim_iomap_regions(pdev, BIT(0), KBUILD_MODNAME);
	if (ret)
		return ret;
	dc->regs_bar = pcim_iomap_table(pdev)[0];

	dc->shm_len = pci_resource_len(pdev, 2);
	if (dc->shm_len < DEVCALL_SHM_CONFIG_OFF + DEVCALL_SHM_CONFIG_MAX)
		return -ENODEV;
	dc->shm = devm_memremap(&pdev->dev, pci_resource_start(pdev, 2),
				dc->shm_len, MEMREMAP_WB);
	if (IS_ERR(dc->shm))
		return PTR_ERR(dc->shm);
	/* Another user of ivshmem, or no daemon: not ours to bind. */
	if (!dc_daemon_present(dc)) {
		dev_info(&pdev->dev, "no devcall daemon behind this device\n");
		return -ENODEV;
	}
	dc->config = (u8 *)dc->shm + DEVCALL_SHM_CONFIG_OFF;

	ret = pci_alloc_irq_vectors(pdev, DEVCALL_NR_VECTORS,
				    DEVCALL_NR_VECTORS, PCI_IRQ_MSIX);
	if (ret < 0)
		return ret;
	/* Without bus mastering the MSI-X writes never arrive. */
	pci_set_master(pdev);
	ret = request_irq(pci_irq_vector(pdev, DEVCALL_MSIX_VEC_CONFIG),
			  dc_config_irq, 0, "devcall-config", dc);
	if (ret)
		goto out_vectors;
	dc->irqs_requested[DEVCALL_MSIX_VEC_CONFIG] = true;
	pci_set_drvdata(pdev, dc);

	ret = dc_attach(dc);
	if (ret)
		goto out_irq;
	dc->last_heartbeat = shm_read32(&dc->shm->heartbeat);
	dc->last_beat = jiffies;
	schedule_delayed_work(&dc->watch, msecs_to_jiffies(WATCH_MS));
	return 0;

out_irq:
	dc_free_irq(dc, DEVCALL_MSIX_VEC_CONFIG, dc);
out_vectors:
	pci_free_irq_vectors(pdev);
	return ret;
}

static void dc_remove(struct pci_dev *pdev)
{
	struct dc_ivshmem *dc = pci_get_drvdata(pdev);

	cancel_delayed_work_sync(&dc->watch);
	if (dc->cur)
		dc_detach(dc, false);
	dc_free_irq(dc, DEVCALL_MSIX_VEC_CONFIG, dc);
	pci_free_irq_vectors(pdev);
}

static const struct pci_device_id dc_ids[] = {
	{ PCI_DEVICE(IVSHMEM_VENDOR, IVSHMEM_DEVICE) },
	{ }
};
MODULE_DEVICE_TABLE(pci, dc_ids);

static struct pci_driver dc_driver = {
	.name		= KBUILD_MODNAME,
	.id_table	= dc_ids,
	.probe		= dc_probe,
	.remove		= dc_remove,
};
module_pci_driver(dc_driver);

MODULE_DESCRIPTION("devcall: virtio over ivshmem-doorbell");
MODULE_LICENSE("GPL");
