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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <scsi/scsi.h>
#include <scsi/sg.h>

#include "backend.h"
#include "config.h"
#include "devcall_abi.h"
#include "emudrive.h"
#include "mmc.h"

#define EMU_SG_VERSION		30536
#define EMU_MAX_DXFER		(16u << 20)
#define EMU_MAX_RESERVED	(1u << 20)

/* Replies a file may hold, in bytes: a guest cannot pin more memory. */
#define EMU_MAX_QUEUED		(32u << 20)
/* The sg driver's queue depth (SG_MAX_QUEUE) and old header size. */
#define EMU_MAX_QUEUE		16u
#define EMU_SG_HEADER		36u	/* struct sg_header */
/* An eventfd counter at this value is readable and not writable. */
#define EMU_EVFD_FULL		0xfffffffffffffffeull

/*
 * A reply of the sg read/write protocol waiting for read(): the 36-byte
 * struct sg_header (pack_len, reply_len, pack_id, result, status bits,
 * sense_buffer[16]) and the data that came from the drive.
 */
struct emu_reply {
	uint8_t hdr[EMU_SG_HEADER];
	uint8_t *data;
	uint32_t data_len;
	uint32_t reply_len;
	bool v3;			/* a v3 write's: h3 is the reply */
	struct sg_io_hdr h3;
};

struct emu_file {
	struct disc *disc;
	int timeout;
	int reserved;
	/*
	 * Replies in command order. evfd is the poll fd the daemon waits on:
	 * its counter is the number of replies (readable: POLLIN), or
	 * EMU_EVFD_FULL when no command can be queued (no POLLOUT).
	 */
	pthread_mutex_t qlock;
	struct emu_reply queue[EMU_MAX_QUEUE];
	unsigned int head, nr;
	size_t queued;			/* data bytes of the replies */
	bool cmd_q;			/* SG_SET_COMMAND_Q: more than one */
	int evfd;
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
	f->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (f->evfd < 0) {
		ret = -errno;
		disc_put(f->disc);
		free(f);
		return ret;
	}
	pthread_mutex_init(&f->qlock, NULL);
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

	while (f->nr) {
		free(f->queue[f->head].data);
		f->head = (f->head + 1) % EMU_MAX_QUEUE;
		f->nr--;
	}
	close(f->evfd);
	pthread_mutex_destroy(&f->qlock);
	disc_put(f->disc);
	free(f);
	return 0;
}

static unsigned int emu_queue_max(const struct emu_file *f)
{
	return f->cmd_q ? EMU_MAX_QUEUE : 1;
}

/* Set the readiness counter from the queue; called with qlock held. */
static void emu_ready(struct emu_file *f)
{
	uint64_t v;

	if (read(f->evfd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		return;
	v = f->nr >= emu_queue_max(f) ? EMU_EVFD_FULL : f->nr;
	if (v && write(f->evfd, &v, sizeof(v)) != sizeof(v))
		return;
}

static int emu_poll_fd(void *priv)
{
	return ((struct emu_file *)priv)->evfd;
}

static void put_le32(uint8_t *p, uint32_t v)
{
	p[0] = v;
	p[1] = v >> 8;
	p[2] = v >> 16;
	p[3] = v >> 24;
}

static int32_t get_le32(const uint8_t *p)
{
	return (int32_t)((uint32_t)p[0] | (uint32_t)p[1] << 8 |
			 (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24);
}

/*
 * read(2): the oldest reply, as the sg driver gives it: the header, then
 * up to reply_len - 36 bytes of data; fewer than 36 bytes asked return 0
 * (or EIO for a failed command) and the reply is gone. None waiting:
 * EAGAIN; the daemon parks a blocking read on the poll fd until a write
 * (of this or another guest thread) queues one.
 */
static ssize_t emu_read(void *priv, const struct iovec *iov, int iovcnt,
			int64_t off, bool nonblock)
{
	struct emu_file *f = priv;
	size_t count = devcall_iov_len(iov, iovcnt), done = 0, want;
	struct emu_reply r;
	int i;

	(void)off; (void)nonblock;
	pthread_mutex_lock(&f->qlock);
	if (!f->nr) {
		pthread_mutex_unlock(&f->qlock);
		return -EAGAIN;
	}
	r = f->queue[f->head];
	f->head = (f->head + 1) % EMU_MAX_QUEUE;
	f->nr--;
	f->queued -= r.data_len;
	emu_ready(f);
	pthread_mutex_unlock(&f->qlock);

	/* sg_new_read: the whole header or EINVAL, the reply gone either way */
	if (r.v3) {
		const uint8_t *src = (const uint8_t *)&r.h3;

		if (count < sizeof(r.h3))
			return -EINVAL;
		for (i = 0; i < iovcnt && done < sizeof(r.h3); i++) {
			size_t k = iov[i].iov_len;

			if (k > sizeof(r.h3) - done)
				k = sizeof(r.h3) - done;
			memcpy(iov[i].iov_base, src + done, k);
			done += k;
		}
		return count;
	}

	if (count < EMU_SG_HEADER) {
		free(r.data);
		return get_le32(r.hdr + 12) ? -EIO : 0;
	}
	if (count > r.reply_len)
		count = r.reply_len < EMU_SG_HEADER ? EMU_SG_HEADER :
						      r.reply_len;
	/* Scatter the header and data: guest memory, written only. */
	for (i = 0; i < iovcnt && done < count; i++) {
		size_t k = iov[i].iov_len, pos = 0;

		if (k > count - done)
			k = count - done;
		while (pos < k) {
			size_t at = done + pos, n;

			if (at < EMU_SG_HEADER) {
				n = EMU_SG_HEADER - at < k - pos ?
				    EMU_SG_HEADER - at : k - pos;
				memcpy((uint8_t *)iov[i].iov_base + pos,
				       r.hdr + at, n);
			} else {
				at -= EMU_SG_HEADER;
				n = k - pos;
				want = at < r.data_len ? r.data_len - at : 0;
				if (want > n)
					want = n;
				if (want)
					memcpy((uint8_t *)iov[i].iov_base + pos,
					       r.data + at, want);
				memset((uint8_t *)iov[i].iov_base + pos + want,
				       0, n - want);
			}
			pos += n;
		}
		done += k;
	}
	free(r.data);
	return done;
}

/*
 * write(2) of the sg driver's original protocol: a struct sg_header, the
 * CDB (its length by the opcode's group, 12 for vendor groups with
 * twelve_byte), then the data for the drive. The reply waits for read().
 * Nothing in it is an address, so the drive serves it whole. A struct
 * sg_io_hdr (sg v3: negative reply_len, where dxfer_direction sits) is
 * full of guest pointers no host code may follow: the guest frontend
 * sends it as a DEVCALL_SG_V3_WRITE call instead (emu_sg_v3_write), with
 * the pointers rewritten. One that arrives here raw is refused with
 * ENOSYS, the sg driver's own answer to a header interface it does not
 * implement. The buffer may be live guest memory: it is copied once.
 */
static ssize_t emu_write(void *priv, const struct iovec *iov, int iovcnt,
			 int64_t off, bool nonblock)
{
	static const uint8_t cmd_size[8] = { 6, 10, 10, 12, 16, 12, 10, 10 };
	struct emu_file *f = priv;
	size_t count = devcall_iov_len(iov, iovcnt), pos = 0;
	struct mmc_sense sense = { 0 };
	int32_t reply_len, input, mx;
	struct emu_reply r = { 0 };
	uint8_t *buf, *cdb;
	enum mmc_dir dir;
	unsigned int clen;
	uint32_t done = 0, word;
	int i, check;

	(void)off; (void)nonblock;
	if (count < EMU_SG_HEADER)
		return -EIO;
	if (count > EMU_SG_HEADER + 16 + EMU_MAX_DXFER)
		return -ENOMEM;
	buf = malloc(count);
	if (!buf)
		return -ENOMEM;
	for (i = 0; i < iovcnt; i++) {
		memcpy(buf + pos, iov[i].iov_base, iov[i].iov_len);
		pos += iov[i].iov_len;
	}
	reply_len = get_le32(buf + 4);
	if (reply_len < 0) {
		free(buf);
		return -ENOSYS;
	}
	if (count < EMU_SG_HEADER + 6) {
		free(buf);
		return -EIO;
	}
	cdb = buf + EMU_SG_HEADER;
	clen = cmd_size[cdb[0] >> 5];
	if (cdb[0] >= 0xc0 && (buf[16] & 1))	/* twelve_byte */
		clen = 12;
	input = (int32_t)(count - clen);
	mx = (input > reply_len ? input : reply_len) - (int32_t)EMU_SG_HEADER;
	input -= EMU_SG_HEADER;
	if (input < 0 || mx > (int32_t)EMU_MAX_DXFER) {
		free(buf);
		return input < 0 ? -EIO : -ENOMEM;
	}
	if (input > 0)
		dir = MMC_TO_DEV;
	else
		dir = mx > 0 ? MMC_FROM_DEV : MMC_NONE;
	r.data = calloc(1, mx > 0 ? mx : 1);
	if (!r.data) {
		free(buf);
		return -ENOMEM;
	}
	memcpy(r.data, cdb + clen, input);
	r.data_len = mx;
	r.reply_len = reply_len;

	pthread_mutex_lock(&f->qlock);
	if (f->nr >= emu_queue_max(f) || f->queued + mx > EMU_MAX_QUEUED) {
		/* a command is outstanding already; or too much data */
		int ret = f->nr >= emu_queue_max(f) ? -EDOM : -ENOMEM;

		pthread_mutex_unlock(&f->qlock);
		free(r.data);
		free(buf);
		return ret;
	}
	pthread_mutex_lock(&f->disc->lock);
	check = mmc_execute(f->disc, cdb, clen, dir, r.data,
			    dir == MMC_NONE ? 0 : mx, &done, &sense);
	pthread_mutex_unlock(&f->disc->lock);

	put_le32(r.hdr, reply_len);		/* pack_len: as the driver */
	put_le32(r.hdr + 4, reply_len);
	memcpy(r.hdr + 8, buf + 8, 4);		/* pack_id */
	/* twelve_byte:1 target_status:5 host_status:8 driver_status:8 */
	word = (buf[16] & 1) | (check ? 0x01 << 1 | 0x08u << 14 : 0);
	put_le32(r.hdr + 16, word);
	if (check) {
		uint8_t *sb = r.hdr + 20;

		sb[0] = 0x70;
		sb[2] = sense.key;
		sb[7] = 10;
		sb[12] = sense.asc;
		sb[13] = sense.ascq;
	}
	if (dir == MMC_FROM_DEV && done < (uint32_t)mx)
		memset(r.data + done, 0, mx - done);
	f->queue[(f->head + f->nr) % EMU_MAX_QUEUE] = r;
	f->nr++;
	f->queued += r.data_len;
	emu_ready(f);
	pthread_mutex_unlock(&f->qlock);
	free(buf);
	return count;
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

	if (getenv("EMUDRIVE_TRACE")) {
		uint8_t c[16] = { 0 };
		unsigned int i;

		memcpy(c, h->cmdp, h->cmd_len);
		for (i = 0; i < h->cmd_len; i++)
			fprintf(stderr, "%02x%s", c[i], i + 1 < h->cmd_len ?
				" " : "");
		fprintf(stderr, " len %u -> %u", h->dxfer_len, done);
		if (check)
			fprintf(stderr, " sense %x/%02x/%02x", sense.key,
				sense.asc, sense.ascq);
		if (dir == MMC_TO_DEV && (c[0] == 0x5d || c[0] == 0x55)) {
			const uint8_t *p = buf ? buf : h->dxferp;

			for (i = 0; i < h->dxfer_len && i < 96; i++)
				fprintf(stderr, "%s%02x", i % 8 ? "" : " ",
					p[i]);
		}
		fprintf(stderr, "\n");
	}
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

/*
 * sg's v3 write (sg_new_write), as the guest frontend sends it: the SG_IO
 * layout already made cmdp, sbp and dxferp (or its sg_iovec list) host
 * memory. The drive is in memory, so the command runs now: data-in and
 * sense reach the caller's buffers during write(2), where sg fills them
 * at read(2) (a program that looks after read cannot tell). The completed
 * header waits for read(). Its cmdp, dxferp and sbp are the daemon's
 * addresses, which the guest must never see: they go back as 0 (sg gives
 * the caller's own back); usr_ptr and pack_id are the caller's.
 */
static int emu_sg_v3_write(struct emu_file *f, const struct sg_io_hdr *arg)
{
	struct emu_reply r = { .v3 = true };
	int ret;

	r.h3 = *arg;			/* the header, read once */
	pthread_mutex_lock(&f->qlock);
	f->cmd_q = true;		/* as sg: a v3 header turns queuing on */
	if (f->nr >= emu_queue_max(f)) {
		emu_ready(f);
		pthread_mutex_unlock(&f->qlock);
		return -EDOM;
	}
	ret = emudrive_sg_io(f->disc, &r.h3);
	if (ret) {
		emu_ready(f);
		pthread_mutex_unlock(&f->qlock);
		return ret;
	}
	r.h3.cmdp = NULL;
	r.h3.dxferp = NULL;
	r.h3.sbp = NULL;
	f->queue[(f->head + f->nr) % EMU_MAX_QUEUE] = r;
	f->nr++;
	emu_ready(f);
	pthread_mutex_unlock(&f->qlock);
	return 0;
}

static long emu_ioctl(void *priv, uint32_t cmd, unsigned long arg)
{
	struct emu_file *f = priv;
	int *ip = (int *)arg;

	switch (cmd) {
	case SG_IO:
		return emudrive_sg_io(f->disc, (struct sg_io_hdr *)arg);
	case DEVCALL_SG_V3_WRITE:
		return emu_sg_v3_write(f, (const struct sg_io_hdr *)arg);
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
	case SG_GET_SCSI_ID: {
		struct sg_scsi_id id = { .scsi_type = TYPE_ROM,
					 .h_cmd_per_lun = 1,
					 .d_queue_depth = 1 };

		memcpy((void *)arg, &id, sizeof(id));
		return 0;
	}
	case SG_EMULATED_HOST:
		*ip = 0;
		return 0;
	case SG_GET_SG_TABLESIZE:
		*ip = 128;
		return 0;
	case SG_GET_NUM_WAITING:
		pthread_mutex_lock(&f->qlock);
		*ip = f->nr;
		pthread_mutex_unlock(&f->qlock);
		return 0;
	case SG_GET_COMMAND_Q:
		*ip = f->cmd_q;
		return 0;
	case SG_SET_COMMAND_Q:
		pthread_mutex_lock(&f->qlock);
		f->cmd_q = *ip != 0;
		emu_ready(f);
		pthread_mutex_unlock(&f->qlock);
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
	.poll_fd = emu_poll_fd,
};

static int emudrive_init(void)
{
	return backend_register(&emudrive_ops);
}

/* Stamped with the plugin ABI it was built for: the daemon checks it. */
DEVCALL_PLUGIN("emudrive", emudrive_init);
