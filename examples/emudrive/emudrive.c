// SPDX-License-Identifier: MIT
/*
 * "emudrive": an emulated MMC CD-R/RW drive as a devcalld plugin backend.
 * It sits behind the same ops table as the real-syscall backend and
 * answers what a Linux sg node answers: SG_IO with MMC commands (mmc.c) on
 * a disc image (disc.c), and the sg/SCSI ioctls cdrecord asks first. Its
 * ioctl arguments are host memory: the daemon's memmap already rewrote
 * every embedded pointer.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <scsi/scsi.h>
#include <scsi/sg.h>

#include "backend.h"
#include "config.h"
#include "emudrive.h"
#include "mmc.h"

#define EMU_SG_VERSION		30536
#define EMU_MAX_DXFER		(16u << 20)
#define EMU_MAX_RESERVED	(1u << 20)

struct emu_file {
	struct disc *disc;
	int timeout;
	int reserved;
};

static int emu_open(const struct export *exp, int oflags, void **priv,
		    struct backend_file_info *info)
{
	struct emu_file *f = calloc(1, sizeof(*f));
	int ret;

	(void)oflags;
	if (!f)
		return -ENOMEM;
	ret = disc_get(exp->path, exp->backend_opts, &f->disc);
	if (ret) {
		free(f);
		return ret;
	}
	f->timeout = 60 * 100;
	f->reserved = 32768;
	info->mode = S_IFCHR | 0660;
	info->size = 0;
	info->seekable = false;
	*priv = f;
	return 0;
}

static int emu_close(void *priv)
{
	struct emu_file *f = priv;

	disc_put(f->disc);
	free(f);
	return 0;
}

/*
 * The old sg read/write protocol is not offered: a read finds no pending
 * reply at once (cdrecord drains with non-blocking reads until EAGAIN),
 * a write is refused. Neither looks at the guest's bytes, so no guest
 * value is ever taken for an address here: a write's payload would be a
 * struct sg_io_hdr full of guest pointers, and only SG_IO (whose pointers
 * the daemon rewrote) is served. An implementation would have to rewrite
 * them as ptr_rewrite.c does for the ioctl.
 */
static ssize_t emu_read(void *priv, const struct iovec *iov, int iovcnt,
			int64_t off, bool nonblock)
{
	(void)priv; (void)iov; (void)iovcnt; (void)off; (void)nonblock;
	return -EAGAIN;
}

static ssize_t emu_write(void *priv, const struct iovec *iov, int iovcnt,
			 int64_t off, bool nonblock)
{
	(void)priv; (void)iov; (void)iovcnt; (void)off; (void)nonblock;
	return -EINVAL;
}

/* Copy between a linear buffer and the caller's sg_iovec list. */
static int emu_iov_copy(struct sg_iovec *iov, unsigned int n, uint8_t *buf,
			uint32_t len, bool to_iov)
{
	uint32_t done = 0;
	unsigned int i;

	for (i = 0; i < n && done < len; i++) {
		struct sg_iovec v = iov[i];	/* each element read once */
		uint32_t k = v.iov_len < len - done ? v.iov_len : len - done;

		if (k && !v.iov_base)
			return -EFAULT;
		if (to_iov)
			memcpy(v.iov_base, buf + done, k);
		else
			memcpy(buf + done, v.iov_base, k);
		done += k;
	}
	return 0;
}

int emudrive_sg_io(struct disc *d, struct sg_io_hdr *h)
{
	struct mmc_sense sense = { 0 };
	enum mmc_dir dir;
	uint8_t *buf = NULL;
	uint32_t done = 0;
	int check;

	if (h->interface_id != 'S')
		return -ENOSYS;
	if (h->cmd_len < 6 || h->cmd_len > 16 || !h->cmdp ||
	    h->dxfer_len > EMU_MAX_DXFER)
		return -EINVAL;
	switch (h->dxfer_direction) {
	case SG_DXFER_NONE:
		dir = MMC_NONE;
		break;
	case SG_DXFER_TO_DEV:
		dir = MMC_TO_DEV;
		break;
	case SG_DXFER_FROM_DEV:
	case SG_DXFER_TO_FROM_DEV:
		dir = MMC_FROM_DEV;
		break;
	default:
		return -EINVAL;
	}
	if (dir != MMC_NONE && h->dxfer_len) {
		if (h->iovec_count) {
			buf = calloc(1, h->dxfer_len);
			if (!buf)
				return -ENOMEM;
			if (dir == MMC_TO_DEV &&
			    emu_iov_copy(h->dxferp, h->iovec_count, buf,
					 h->dxfer_len, false)) {
				free(buf);
				return -EFAULT;
			}
		} else if (!h->dxferp) {
			return -EFAULT;
		}
	}

	pthread_mutex_lock(&d->lock);
	check = mmc_execute(d, h->cmdp, h->cmd_len, dir,
			    buf ? buf : h->dxferp,
			    dir == MMC_NONE ? 0 : h->dxfer_len, &done, &sense);
	pthread_mutex_unlock(&d->lock);

	if (buf && dir == MMC_FROM_DEV)
		emu_iov_copy(h->dxferp, h->iovec_count, buf, done, true);
	free(buf);

	h->resid = dir == MMC_NONE ? 0 : h->dxfer_len - done;
	h->duration = 1;
	h->host_status = 0;
	h->msg_status = 0;
	if (!check) {
		/* GOOD: nothing goes to the sense buffer. */
		h->status = h->masked_status = 0;
		h->driver_status = 0;
		h->sb_len_wr = 0;
		h->info = 0;
		return 0;
	}
	h->status = 0x02;		/* CHECK CONDITION */
	h->masked_status = 0x01;
	h->driver_status = 0x08;	/* DRIVER_SENSE */
	h->info = SG_INFO_CHECK;
	h->sb_len_wr = h->mx_sb_len < 18 ? h->mx_sb_len : 18;
	if (h->sb_len_wr && h->sbp) {
		uint8_t s[18] = { 0x70, 0, sense.key, 0, 0, 0, 0, 10 };

		s[12] = sense.asc;
		s[13] = sense.ascq;
		memcpy(h->sbp, s, h->sb_len_wr);
	} else {
		h->sb_len_wr = 0;
	}
	return 0;
}

static long emu_ioctl(void *priv, uint32_t cmd, unsigned long arg)
{
	struct emu_file *f = priv;
	int *ip = (int *)arg;

	switch (cmd) {
	case SG_IO:
		return emudrive_sg_io(f->disc, (struct sg_io_hdr *)arg);
	case SG_GET_VERSION_NUM:
		*ip = EMU_SG_VERSION;
		return 0;
	case SG_SET_TIMEOUT:
		if (*ip < 0)
			return -EIO;
		f->timeout = *ip;
		return 0;
	case SG_GET_TIMEOUT:
		return f->timeout;
	case SG_GET_RESERVED_SIZE:
		*ip = f->reserved;
		return 0;
	case SG_SET_RESERVED_SIZE:
		if (*ip < 0)
			return -EINVAL;
		f->reserved = *ip < (int)EMU_MAX_RESERVED ? *ip :
							    (int)EMU_MAX_RESERVED;
		return 0;
	case SCSI_IOCTL_GET_IDLUN:
		/* host 0, channel 0, target 0, lun 0: the same every time */
		((uint32_t *)arg)[0] = 0;
		((uint32_t *)arg)[1] = 0x4c435644;
		return 0;
	case SCSI_IOCTL_GET_BUS_NUMBER:
		*ip = 0;
		return 0;
	default:
		return -ENOTTY;
	}
}

const struct backend_ops emudrive_ops = {
	.name = "emudrive",
	.open = emu_open,
	.close = emu_close,
	.read = emu_read,
	.write = emu_write,
	.ioctl = emu_ioctl,
};

int devcall_plugin_init(void)
{
	return backend_register(&emudrive_ops);
}
