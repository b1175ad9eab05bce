// SPDX-License-Identifier: MIT
/*
 * The "sys" backend: the real host node through open(2), preadv(2),
 * pwritev(2) and ioctl(2) - the unmodified host driver does the work.
 *
 * Non-blocking is per request (the guest may change O_NONBLOCK with fcntl
 * at any time, and two requests on one file may differ), so the host fd
 * itself is always O_NONBLOCK after open, and the dispatcher, seeing
 * poll_fd, always calls read and write non-blocking: a blocking request
 * that would block waits in the daemon's wait set, or in the dispatcher's
 * poll(2) for callers without one. Block devices and regular files ignore
 * the flag.
 *
 * Regular files do not grow past the export's max-size (by default their
 * size when the daemon first opened them): a write that would end past it
 * is shortened to end there, or fails with EFBIG if it starts there, as
 * under RLIMIT_FSIZE. sg nodes take no write(2): it is sg's old way to
 * send a SCSI command, which would pass by the SG_IO opcode filter.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <linux/fs.h>
#include <linux/major.h>

#include "backend.h"
#include "config.h"

#define SYS_NO_CAP	UINT64_MAX

struct sys_file {
	int fd;
	bool no_write;		/* an sg node */
	uint64_t cap;		/* writes end at or below; SYS_NO_CAP */
	pthread_mutex_t pos_lock; /* a capped write at the file position:
				   * where it starts and the write, as one */
};

/* The export's cap for a regular file st. */
static uint64_t size_cap(const struct export *exp, const struct stat *st)
{
	/* Not const underneath: config structures are plain memory, and
	 * this one field is written once, here (config.h). */
	uint64_t *rec = &((struct export *)exp)->first_size_plus1;
	uint64_t want = (uint64_t)st->st_size + 1, zero = 0;

	if (exp->max_size == CONFIG_GROW)
		return SYS_NO_CAP;
	if (exp->max_size)
		return exp->max_size;
	if (__atomic_compare_exchange_n(rec, &zero, want, false,
					__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		return want - 1;
	return zero - 1;	/* the first opener's record */
}

static int sys_open(const struct export *exp, int oflags, void **priv,
		    struct backend_file_info *info)
{
	struct sys_file *f;
	struct stat st;
	uint64_t size;
	int fd, ret;

	fd = open(exp->path, oflags | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 ||
	    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0) {
		ret = -errno;
		goto out_close;
	}
	info->mode = st.st_mode;
	info->seekable = S_ISBLK(st.st_mode) || S_ISREG(st.st_mode);
	info->size = S_ISREG(st.st_mode) ? (uint64_t)st.st_size : 0;
	if (S_ISBLK(st.st_mode)) {
		if (ioctl(fd, BLKGETSIZE64, &size) < 0) {
			ret = -errno;
			goto out_close;
		}
		info->size = size;
	}

	f = malloc(sizeof(*f));
	if (!f) {
		ret = -ENOMEM;
		goto out_close;
	}
	f->fd = fd;
	f->no_write = S_ISCHR(st.st_mode) &&
		      major(st.st_rdev) == SCSI_GENERIC_MAJOR;
	f->cap = S_ISREG(st.st_mode) ? size_cap(exp, &st) : SYS_NO_CAP;
	pthread_mutex_init(&f->pos_lock, NULL);
	*priv = f;
	return 0;

out_close:
	close(fd);
	return ret;
}

static int sys_close(void *priv)
{
	struct sys_file *f = priv;
	int ret = close(f->fd) < 0 ? -errno : 0;

	pthread_mutex_destroy(&f->pos_lock);
	free(f);
	return ret;
}

/*
 * One read or write. The fd is O_NONBLOCK and the dispatcher always calls
 * us non-blocking (poll_fd): a request that has to wait waits there.
 */
static ssize_t sys_rw(struct sys_file *f, const struct iovec *iov, int iovcnt,
		      int64_t off, bool write)
{
	ssize_t n;

	do {
		if (write)
			n = off < 0 ? writev(f->fd, iov, iovcnt) :
				      pwritev(f->fd, iov, iovcnt, off);
		else
			n = off < 0 ? readv(f->fd, iov, iovcnt) :
				      preadv(f->fd, iov, iovcnt, off);
	} while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : n;
}

static ssize_t sys_read(void *priv, const struct iovec *iov, int iovcnt,
			int64_t off, bool nonblock)
{
	(void)nonblock;		/* always: see sys_rw() */
	return sys_rw(priv, iov, iovcnt, off, false);
}

/*
 * A write to a capped regular file, from start: whole, shortened to end
 * at the cap, or -EFBIG when it starts at or past it.
 */
static ssize_t capped_write(struct sys_file *f, const struct iovec *iov,
			    int iovcnt, int64_t start, int64_t off)
{
	uint64_t total = 0, room;
	struct iovec *cut;
	ssize_t ret;
	int i;

	for (i = 0; i < iovcnt; i++)
		total += iov[i].iov_len;
	if (!total || (uint64_t)start + total <= f->cap)
		return sys_rw(f, iov, iovcnt, off, true);
	if ((uint64_t)start >= f->cap)
		return -EFBIG;
	room = f->cap - (uint64_t)start;
	cut = malloc((size_t)iovcnt * sizeof(*cut));
	if (!cut)
		return -ENOMEM;
	for (i = 0; i < iovcnt && room; i++) {
		cut[i] = iov[i];
		if (cut[i].iov_len > room)
			cut[i].iov_len = room;
		room -= cut[i].iov_len;
	}
	ret = sys_rw(f, cut, i, off, true);
	free(cut);
	return ret;
}

static ssize_t sys_write(void *priv, const struct iovec *iov, int iovcnt,
			 int64_t off, bool nonblock)
{
	struct sys_file *f = priv;
	int64_t start;
	ssize_t ret;

	(void)nonblock;
	if (f->no_write)
		return -EPERM;
	if (f->cap == SYS_NO_CAP)
		return sys_rw(f, iov, iovcnt, off, true);
	if (off >= 0)
		return capped_write(f, iov, iovcnt, off, off);
	pthread_mutex_lock(&f->pos_lock);
	start = lseek(f->fd, 0, SEEK_CUR);
	ret = start < 0 ? -errno : capped_write(f, iov, iovcnt, start, -1);
	pthread_mutex_unlock(&f->pos_lock);
	return ret;
}

static int sys_poll_fd(void *priv)
{
	return ((struct sys_file *)priv)->fd;
}

static long sys_ioctl(void *priv, uint32_t cmd, unsigned long arg)
{
	struct sys_file *f = priv;
	long ret = ioctl(f->fd, cmd, arg);

	return ret < 0 ? -errno : ret;
}

const struct backend_ops backend_sys = {
	.name = "sys",
	.open = sys_open,
	.close = sys_close,
	.read = sys_read,
	.write = sys_write,
	.ioctl = sys_ioctl,
	.poll_fd = sys_poll_fd,
};
