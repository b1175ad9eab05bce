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
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/fs.h>

#include "backend.h"
#include "config.h"

struct sys_file {
	int fd;
};

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

static ssize_t sys_write(void *priv, const struct iovec *iov, int iovcnt,
			 int64_t off, bool nonblock)
{
	(void)nonblock;
	return sys_rw(priv, iov, iovcnt, off, true);
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
