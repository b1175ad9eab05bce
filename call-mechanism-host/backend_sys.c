// SPDX-License-Identifier: MIT
/*
 * The "sys" backend: the real host node through open(2), preadv(2),
 * pwritev(2), ioctl(2) and fsync(2) - the unmodified host driver does the
 * work. O_DIRECT, O_SYNC and O_DSYNC go to the host's open as the guest
 * asked; alignment and sync rules are the host driver's.
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
#include <fnmatch.h>
#include <stdio.h>
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
#include "devcall_abi.h"
#include "backend_sys.h"
#include "config.h"
#include "log.h"

#define SYS_NO_CAP	UINT64_MAX

struct sys_file {
	int fd;
	const struct export *exp;
	/* Non-NULL: read/write carry addresses; the driver's name. */
	const char *rw_pointers;
	bool warned;
	uint64_t cap;		/* writes end at or below; SYS_NO_CAP */
	bool direct;		/* the fd is O_DIRECT now */
	pthread_mutex_t pos_lock; /* a capped write at the file position:
				   * where it starts and the write, as one */
};

/*
 * Character devices whose read(2)/write(2) payloads carry addresses the
 * driver follows in the writer's (the daemon's) address space. The guest's
 * bytes must never reach them raw; until a layout rewrites such payloads,
 * read and write on them are refused (their ioctls, SG_IO included, go
 * through layouts and keep working). One line per driver: by char major
 * (and minor range), or by fnmatch(3) pattern on the node's name under
 * /dev (sysfs DEVNAME, for dynamic majors and misc devices).
 */
static const struct sys_rw_pointers {
	unsigned int major, minor_lo, minor_hi;	/* 0: by name only */
	const char *devname;			/* NULL: by number only */
	const char *driver;
} sys_rw_pointers[] = {
	{ 21, 0, ~0u, NULL, "sg" },		/* sg_io_hdr: cmdp ... */
	{ 0, 0, 0, "bsg/*", "bsg" },		/* sg_io_v4 */
	{ 231, 192, 255, NULL, "uverbs" },	/* a response address */
	{ 0, 0, 0, "infiniband/uverbs*", "uverbs" },
	{ 0, 0, 0, "infiniband/rdma_cm", "rdma_cm" },	/* ucma response */
	{ 0, 0, 0, "infiniband/ucm*", "ib_ucm" },	/* old IB CM */
};

static char sys_sysfs_root[256] = "/sys";

void backend_sys_set_sysfs_root(const char *root)
{
	snprintf(sys_sysfs_root, sizeof(sys_sysfs_root), "%s",
		 root ? root : "/sys");
}

const char *backend_sys_rw_pointers(unsigned int major, unsigned int minor,
				    const char *devname)
{
	const struct sys_rw_pointers *e;
	size_t i;

	for (i = 0; i < sizeof(sys_rw_pointers) / sizeof(*e); i++) {
		e = &sys_rw_pointers[i];
		if (e->major && e->major == major && minor >= e->minor_lo &&
		    minor <= e->minor_hi)
			return e->driver;
		if (e->devname && devname && devname[0] &&
		    !fnmatch(e->devname, devname, FNM_PATHNAME))
			return e->driver;
	}
	return NULL;
}

/* The node's name under /dev by sysfs (DEVNAME= of its uevent), or "". */
static void sys_devname(dev_t rdev, char *name, size_t len)
{
	char path[320], line[256];
	FILE *fp;

	name[0] = '\0';
	snprintf(path, sizeof(path), "%s/dev/char/%u:%u/uevent",
		 sys_sysfs_root, major(rdev), minor(rdev));
	fp = fopen(path, "re");
	if (!fp)
		return;
	while (fgets(line, sizeof(line), fp)) {
		if (strncmp(line, "DEVNAME=", 8))
			continue;
		line[strcspn(line, "\n")] = '\0';
		snprintf(name, len, "%s", line + 8);
		break;
	}
	fclose(fp);
}

/*
 * Classify an opened character device: by its number, its sysfs name,
 * and (when sysfs cannot tell, e.g. not mounted) the configured path.
 */
static const char *sys_classify(const struct export *exp,
				const struct stat *st)
{
	char name[256];
	const char *drv;

	if (!S_ISCHR(st->st_mode))
		return NULL;
	sys_devname(st->st_rdev, name, sizeof(name));
	drv = backend_sys_rw_pointers(major(st->st_rdev), minor(st->st_rdev),
				      name);
	if (!drv && !strncmp(exp->path, "/dev/", 5))
		drv = backend_sys_rw_pointers(0, 0, exp->path + 5);
	return drv;
}

/* READ/WRITE on a node whose payloads carry addresses: one line a file. */
static ssize_t sys_refuse_rw(struct sys_file *f, bool write)
{
	if (!__atomic_exchange_n(&f->warned, true, __ATOMIC_RELAXED))
		log_warn("export %s: %s: %s refused: the %s driver's "
			 "read/write payloads carry addresses (ioctls such "
			 "as SG_IO are served)", f->exp->name, f->exp->path,
			 write ? "write" : "read", f->rw_pointers);
	return -EOPNOTSUPP;
}

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

/* A sys file of fd, open already; takes fd over (closed on failure). */
static int sys_file_make(const struct export *exp, int fd, int oflags,
			 bool adopted, void **priv,
			 struct backend_file_info *info)
{
	struct sys_file *f;
	struct stat st;
	uint64_t size;
	int ret;

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
		info->rdev = st.st_rdev;
	}

	f = malloc(sizeof(*f));
	if (!f) {
		ret = -ENOMEM;
		goto out_close;
	}
	f->fd = fd;
	f->exp = exp;
	f->rw_pointers = sys_classify(exp, &st);
	f->warned = false;
	f->direct = oflags & O_DIRECT;
	/* An ioctl's new file is not the export's path: no size record. */
	f->cap = S_ISREG(st.st_mode) && !adopted ? size_cap(exp, &st) :
						   SYS_NO_CAP;
	pthread_mutex_init(&f->pos_lock, NULL);
	*priv = f;
	return 0;

out_close:
	close(fd);
	return ret;
}

static int sys_open(const struct export *exp, int oflags, void **priv,
		    struct backend_file_info *info)
{
	int fd = open(exp->path, oflags | O_CLOEXEC | O_NOCTTY);

	if (fd < 0)
		return -errno;
	return sys_file_make(exp, fd, oflags, false, priv, info);
}

/*
 * A descriptor an ioctl returned (a pty peer, a KVM VM or vCPU): served
 * like an opened export, and never inherited by anything the daemon runs.
 */
static int sys_adopt_fd(const struct export *exp, int fd, void **priv,
			struct backend_file_info *info)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
		fl = -errno;
		close(fd);
		return fl;
	}
	return sys_file_make(exp, fd, fl, true, priv, info);
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
	struct sys_file *f = priv;

	(void)nonblock;		/* always: see sys_rw() */
	if (f->rw_pointers)
		return sys_refuse_rw(f, false);
	return sys_rw(f, iov, iovcnt, off, false);
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
	if (f->rw_pointers)
		return sys_refuse_rw(f, true);
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

static int sys_host_fd(void *priv)
{
	return ((struct sys_file *)priv)->fd;
}

static long sys_ioctl(void *priv, uint32_t cmd, unsigned long arg)
{
	struct sys_file *f = priv;
	long ret;

	/* devcall's own number for sg's v3 write: no host driver knows it,
	 * and a write on a real sg node is refused as any (sys_refuse_rw) */
	if (cmd == DEVCALL_SG_V3_WRITE)
		return -EOPNOTSUPP;
	ret = ioctl(f->fd, cmd, arg);
	return ret < 0 ? -errno : ret;
}

/* The host driver's own answer: EINVAL for nodes with no fsync. */
static int sys_fsync(void *priv, bool datasync)
{
	struct sys_file *f = priv;
	int ret;

	do
		ret = datasync ? fdatasync(f->fd) : fsync(f->fd);
	while (ret < 0 && errno == EINTR);
	return ret < 0 ? -errno : 0;
}

/*
 * The guest's fcntl turned O_DIRECT off or on: the fd follows. Requests
 * of one file racing with different modes race as they would on the host
 * (F_SETFL is per open file there too).
 */
static int sys_set_direct(void *priv, bool direct)
{
	struct sys_file *f = priv;
	int fl;

	if (__atomic_load_n(&f->direct, __ATOMIC_RELAXED) == direct)
		return 0;
	fl = fcntl(f->fd, F_GETFL);
	if (fl < 0 || fcntl(f->fd, F_SETFL, direct ? fl | O_DIRECT :
					  fl & ~O_DIRECT) < 0)
		return -errno;
	__atomic_store_n(&f->direct, direct, __ATOMIC_RELAXED);
	return 0;
}

const struct backend_ops backend_sys = {
	.name = "sys",
	.open = sys_open,
	.close = sys_close,
	.read = sys_read,
	.write = sys_write,
	.ioctl = sys_ioctl,
	.poll_fd = sys_poll_fd,
	.fsync = sys_fsync,
	.set_direct = sys_set_direct,
	.host_fd = sys_host_fd,
	.adopt_fd = sys_adopt_fd,
};
