// SPDX-License-Identifier: MIT
/* The "mock" backend: see backend_mock.h. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "backend.h"
#include "backend_mock.h"

struct mock_file {
	uint64_t pos;
	int fd;			/* the "host descriptor" it reports */
};

static struct {
	pthread_mutex_t lock;
	uint8_t data[MOCK_SIZE];
	size_t size;
	int fail[MOCK_NR_OPS];
	bool empty;
	int poll_fd;
	mock_ioctl_fn ioctl;
	uint64_t rdev;
	void (*open_hook)(void);
	mock_rw_hook_fn rw_hook;
	struct mock_calls calls;
} mock = { .lock = PTHREAD_MUTEX_INITIALIZER, .size = MOCK_SIZE,
	   .poll_fd = -1 };

void mock_reset(void)
{
	pthread_mutex_lock(&mock.lock);
	memset(mock.data, 0, sizeof(mock.data));
	mock.size = MOCK_SIZE;
	memset(mock.fail, 0, sizeof(mock.fail));
	mock.empty = false;
	mock.poll_fd = -1;
	mock.ioctl = NULL;
	mock.rdev = 0;
	mock.open_hook = NULL;
	mock.rw_hook = NULL;
	memset(&mock.calls, 0, sizeof(mock.calls));
	pthread_mutex_unlock(&mock.lock);
}

void mock_set_content(const void *data, size_t len)
{
	if (len > MOCK_SIZE)
		len = MOCK_SIZE;
	pthread_mutex_lock(&mock.lock);
	memcpy(mock.data, data, len);
	mock.size = len;
	pthread_mutex_unlock(&mock.lock);
}

uint8_t *mock_content(size_t *len)
{
	*len = mock.size;
	return mock.data;
}

void mock_fail_next(enum mock_op op, int err)
{
	mock.fail[op] = err;
}

void mock_set_empty(bool empty)
{
	mock.empty = empty;
}

void mock_set_poll_fd(int fd)
{
	mock.poll_fd = fd;
}

static int mock_poll_fd(void *priv)
{
	(void)priv;
	return mock.poll_fd;
}

void mock_set_open_hook(void (*fn)(void))
{
	pthread_mutex_lock(&mock.lock);
	mock.open_hook = fn;
	pthread_mutex_unlock(&mock.lock);
}

void mock_set_rdev(uint64_t rdev)
{
	pthread_mutex_lock(&mock.lock);
	mock.rdev = rdev;
	pthread_mutex_unlock(&mock.lock);
}

void mock_set_ioctl(mock_ioctl_fn fn)
{
	mock.ioctl = fn;
}

void mock_set_rw_hook(mock_rw_hook_fn fn)
{
	mock.rw_hook = fn;
}

const struct mock_calls *mock_calls(void)
{
	return &mock.calls;
}

/* Count a call; the scripted failure for op, if any. Under mock.lock. */
static int mock_enter(enum mock_op op)
{
	int err = mock.fail[op];

	mock.calls.count[op]++;
	mock.fail[op] = 0;
	return err ? -err : 0;
}

static int mock_open(const struct export *exp, int oflags, void **priv,
		     struct backend_file_info *info)
{
	void (*hook)(void);
	struct mock_file *f;
	int ret;

	(void)exp;
	pthread_mutex_lock(&mock.lock);
	ret = mock_enter(MOCK_OPEN);
	mock.calls.last_oflags = oflags;
	if (!ret) {
		f = calloc(1, sizeof(*f));
		if (!f) {
			ret = -ENOMEM;
		} else {
			f->fd = MOCK_FD_BASE + (int)mock.calls.count[MOCK_OPEN];
			*priv = f;
			info->size = mock.size;
			info->mode = S_IFBLK | 0600;
			info->seekable = true;
			info->rdev = mock.rdev;
			mock.calls.open_now++;
		}
	}
	hook = mock.open_hook;
	pthread_mutex_unlock(&mock.lock);
	if (!ret && hook)
		hook();		/* as if the host's open took a while */
	return ret;
}

static int mock_close(void *priv)
{
	int ret;

	pthread_mutex_lock(&mock.lock);
	ret = mock_enter(MOCK_CLOSE);
	mock.calls.open_now--;
	pthread_mutex_unlock(&mock.lock);
	free(priv);
	return ret;
}

static ssize_t mock_rw(void *priv, const struct iovec *iov, int iovcnt,
		       int64_t off, bool nonblock, bool write)
{
	struct mock_file *f = priv;
	uint64_t pos = off < 0 ? f->pos : (uint64_t)off;
	ssize_t done = 0;
	int i, ret;

	if (mock.rw_hook)
		mock.rw_hook(write, iov, iovcnt);
	pthread_mutex_lock(&mock.lock);
	ret = mock_enter(write ? MOCK_WRITE : MOCK_READ);
	mock.calls.last_off = off;
	mock.calls.last_nonblock = nonblock;
	if (!ret && !write && mock.empty)
		ret = nonblock ? -EAGAIN : -EIO;
	for (i = 0; !ret && i < iovcnt && pos < mock.size; i++) {
		size_t n = iov[i].iov_len;

		if (n > mock.size - pos)
			n = mock.size - pos;
		if (write)
			memcpy(mock.data + pos, iov[i].iov_base, n);
		else
			memcpy(iov[i].iov_base, mock.data + pos, n);
		pos += n;
		done += n;
	}
	if (!ret && write && !done && iovcnt && iov[0].iov_len)
		ret = -ENOSPC;
	if (!ret && off < 0)
		f->pos = pos;
	pthread_mutex_unlock(&mock.lock);
	return ret ? ret : done;
}

static ssize_t mock_read(void *priv, const struct iovec *iov, int iovcnt,
			 int64_t off, bool nonblock)
{
	return mock_rw(priv, iov, iovcnt, off, nonblock, false);
}

static ssize_t mock_write(void *priv, const struct iovec *iov, int iovcnt,
			  int64_t off, bool nonblock)
{
	return mock_rw(priv, iov, iovcnt, off, nonblock, true);
}

static long mock_ioctl(void *priv, uint32_t cmd, unsigned long arg)
{
	mock_ioctl_fn fn;
	int ret;

	(void)priv;
	pthread_mutex_lock(&mock.lock);
	ret = mock_enter(MOCK_IOCTL);
	mock.calls.last_cmd = cmd;
	mock.calls.last_arg = arg;
	fn = mock.ioctl;
	pthread_mutex_unlock(&mock.lock);
	if (ret)
		return ret;
	return fn ? fn(cmd, arg) : -ENOTTY;
}

static int mock_fsync(void *priv, bool datasync)
{
	int ret;

	(void)priv;
	pthread_mutex_lock(&mock.lock);
	ret = mock_enter(MOCK_FSYNC);
	if (datasync)
		mock.calls.fdatasyncs++;
	pthread_mutex_unlock(&mock.lock);
	return ret;
}

static int mock_set_direct(void *priv, bool direct)
{
	(void)priv;
	pthread_mutex_lock(&mock.lock);
	mock.calls.set_directs++;
	mock.calls.last_direct = direct;
	pthread_mutex_unlock(&mock.lock);
	return 0;
}

static int mock_host_fd(void *priv)
{
	return ((struct mock_file *)priv)->fd;
}

/* A descriptor the test's ioctl handler returned: a file of its own. */
static int mock_adopt_fd(const struct export *exp, int fd, void **priv,
			 struct backend_file_info *info)
{
	struct mock_file *f;
	int ret;

	(void)exp;
	pthread_mutex_lock(&mock.lock);
	ret = mock_enter(MOCK_ADOPT);
	if (!ret) {
		f = calloc(1, sizeof(*f));
		if (!f) {
			ret = -ENOMEM;
		} else {
			f->fd = fd;
			*priv = f;
			info->size = 0;
			info->mode = S_IFCHR | 0600;
			info->seekable = false;
			mock.calls.open_now++;
		}
	}
	pthread_mutex_unlock(&mock.lock);
	return ret;
}

const struct backend_ops backend_mock = {
	.name = "mock",
	.open = mock_open,
	.close = mock_close,
	.read = mock_read,
	.write = mock_write,
	.ioctl = mock_ioctl,
	.poll_fd = mock_poll_fd,
	.fsync = mock_fsync,
	.set_direct = mock_set_direct,
	.host_fd = mock_host_fd,
	.adopt_fd = mock_adopt_fd,
};
