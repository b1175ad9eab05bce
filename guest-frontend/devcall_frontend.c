// SPDX-License-Identifier: GPL-2.0
/*
 * devcall guest frontend: one character device per exported host node,
 * /dev/devcall/<export name> or the name, mode, owner and number the
 * host's node table gives it. Each file operation becomes one call to the
 * host through the call mechanism; the host node is opened, read, written
 * and ioctl'd on the host by its own driver. The frontend knows no device:
 * ioctls go by their _IOC encoding or as plain integers. It registers with
 * the call mechanism (devcall.ko) for char exports and is probed for each.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/anon_inodes.h>
#include <linux/cdev.h>
#include <linux/compat.h>
#include <linux/device.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/idr.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/timer.h>
#include <linux/wait.h>
#include <linux/xarray.h>
#include <linux/major.h>
#include <scsi/sg.h>

#include "devcall_call.h"
#include "devcall_compat.h"

#define DCF_MAX_MINORS		256	/* nodes across all devices */
#define DCF_CHUNK		(4u << 20)	/* bytes per call */
#define DCF_CHUNK_SEGS		(DCF_CHUNK / PAGE_SIZE + 1)
#define DCF_SG_HEADER		36	/* struct sg_header, sg's old protocol */
#define DCF_POLL_ARMS		4	/* POLL calls waiting on the host per file */
#define DCF_POLL_RETRY_MS	50	/* re-poll period when no arm was free */
#define DCF_POLL_EVENTS		(EPOLLIN | EPOLLPRI | EPOLLOUT | EPOLLRDNORM | \
				 EPOLLRDBAND | EPOLLWRNORM | EPOLLWRBAND | \
				 EPOLLRDHUP)

/* The node of one export this frontend claimed. */
struct dcf_export {
	struct devcall_export *exp;
	dev_t devt;
	bool own_region;	/* devt is the number the host asked for */
	struct cdev *cdev;
	struct device *dev;
};

struct dcf_file;

/*
 * A POLL call waiting on the host for events that were not there when it
 * was sent: until it comes back, none of them is (poll skips the round
 * trip); when it comes back, pollers wake and ask again.
 */
struct dcf_poll_arm {
	struct dcf_file *f;
	bool pending;
	__poll_t events;
};

struct dcf_file {
	struct devcall_dev *d;
	spinlock_t poll_lock;		/* arms, poll_pending */
	wait_queue_head_t poll_wq;
	unsigned int poll_pending;
	struct dcf_poll_arm arms[DCF_POLL_ARMS];
	struct timer_list poll_retry;	/* all arms busy: wake and ask again */
	u64 handle;
	u64 size;
	bool seekable;
	bool direct;		/* the host file was opened O_DIRECT */
	bool sg;		/* an sg node: write(2) may carry a v3 header */
	/*
	 * The host's layouts for the ioctls this file used: one LAYOUT round
	 * trip the first time a number is used, none after.
	 */
	struct devcall_layout_cache layouts;
};

static struct class *dcf_class;
static dev_t dcf_devt;			/* DCF_MAX_MINORS from here */
static DEFINE_IDA(dcf_minors);
/* dev_t -> export, so that open never touches a removed export. */
static DEFINE_XARRAY(dcf_nodes);
static DEFINE_MUTEX(dcf_lock);

static long dcf_simple(struct dcf_file *f, u16 op)
{
	struct devcall_call *c = devcall_call_alloc(op, 0);
	long ret;

	if (!c)
		return -ENOMEM;
	devcall_call_hdr(c)->handle = cpu_to_le64(f->handle);
	ret = devcall_call_submit(f->d, c);
	devcall_call_put(c);
	return ret;
}

static void dcf_poll_retry(struct timer_list *t)
{
	struct dcf_file *f = from_timer(f, t, poll_retry);

	wake_up_all(&f->poll_wq);
}

static struct dcf_file *dcf_file_alloc(void)
{
	struct dcf_file *f = kzalloc(sizeof(*f), GFP_KERNEL);

	if (!f)
		return NULL;
	devcall_layout_cache_init(&f->layouts);
	spin_lock_init(&f->poll_lock);
	init_waitqueue_head(&f->poll_wq);
	timer_setup(&f->poll_retry, dcf_poll_retry, 0);
	return f;
}

/*
 * An sg node, by the number the guest gives it (sg's major) or the host
 * node behind it: its write(2) takes sg's headers (dcf_write).
 */
static bool dcf_node_is_sg(const struct devcall_node_info *n)
{
	if ((n->flags & DEVCALL_NODE_F_DEVNUM) &&
	    n->devnum_major == SCSI_GENERIC_MAJOR)
		return true;
	return n->host_type == DEVCALL_HOST_CHAR &&
	       n->host_major == SCSI_GENERIC_MAJOR;
}

static int dcf_open(struct inode *inode, struct file *file)
{
	const struct devcall_resp *r;
	struct dcf_export *e;
	struct devcall_call *c;
	struct dcf_file *f;
	u64 flags = 0;
	s64 ret;

	f = dcf_file_alloc();
	if (!f)
		return -ENOMEM;
	c = devcall_call_alloc(DEVCALL_OP_OPEN, 0);
	if (!c) {
		kfree(f);
		return -ENOMEM;
	}
	mutex_lock(&dcf_lock);
	e = xa_load(&dcf_nodes, inode->i_rdev);
	if (e) {
		f->d = e->exp->d;
		devcall_dev_get(f->d);
		devcall_call_hdr(c)->export_id = cpu_to_le32(e->exp->id);
		f->sg = dcf_node_is_sg(&e->exp->node);
	}
	mutex_unlock(&dcf_lock);
	if (!e) {
		ret = -ENXIO;
		goto out;
	}
	switch (file->f_flags & O_ACCMODE) {
	case O_WRONLY:
		flags = DEVCALL_O_WRONLY;
		break;
	case O_RDWR:
		flags = DEVCALL_O_RDWR;
		break;
	}
	if (file->f_flags & O_NONBLOCK)
		flags |= DEVCALL_O_NONBLOCK;
	if (file->f_flags & O_EXCL)
		flags |= DEVCALL_O_EXCL;
	/* O_SYNC's bits include O_DSYNC's: test for the whole of it. */
	if ((file->f_flags & O_SYNC) == O_SYNC)
		flags |= DEVCALL_O_SYNC;
	else if (file->f_flags & O_DSYNC)
		flags |= DEVCALL_O_DSYNC;
	if (file->f_flags & O_DIRECT)
		flags |= DEVCALL_O_DIRECT;
	devcall_call_hdr(c)->arg = cpu_to_le64(flags);

	ret = devcall_call_submit(f->d, c);
	if (ret < 0)
		goto out;
	r = devcall_call_resp(c);
	f->handle = ret;
	f->size = le64_to_cpu(r->size);
	f->seekable = le32_to_cpu(r->flags) & DEVCALL_RESP_F_SEEKABLE;
	file->private_data = f;
	/*
	 * The host file is O_DIRECT: say so, or the VFS fails the open. Data
	 * always travels as pinned user pages (dcf_rw_chunk, never inline),
	 * so the host driver sees the caller's buffer alignment and its
	 * alignment errors are the caller's. Such a file may drop O_DIRECT by
	 * fcntl and take it back (each request says which, the host file
	 * follows); a file opened without it cannot gain it.
	 */
	if (file->f_flags & O_DIRECT) {
		f->direct = true;
		file->f_mode |= FMODE_CAN_ODIRECT;
	}
	ret = f->seekable ? 0 : nonseekable_open(inode, file);
out:
	devcall_call_put(c);
	if (ret < 0) {
		if (f->d)
			devcall_dev_put(f->d);
		kfree(f);
	}
	return ret;
}

static int dcf_release(struct inode *inode, struct file *file)
{
	struct dcf_file *f = file->private_data;

	/*
	 * The host forgets the handle even if the close itself failed, and
	 * answers the POLL calls still waiting on it; they point at f.
	 */
	dcf_simple(f, DEVCALL_OP_CLOSE);
	wait_event(f->poll_wq, !READ_ONCE(f->poll_pending));
	del_timer_sync(&f->poll_retry);
	devcall_dev_put(f->d);
	kfree(f);
	return 0;
}

/* One READ or WRITE call of up to DCF_CHUNK bytes. */
static ssize_t dcf_rw_chunk(struct dcf_file *f, struct file *file,
			    unsigned long ubuf, size_t len, loff_t *ppos,
			    bool write)
{
	struct devcall_call *c;
	struct devcall_req *h;
	u32 flags = 0;
	s64 ret;

	/* As many segments as pages the buffer spans: no more to allocate. */
	c = devcall_call_alloc(write ? DEVCALL_OP_WRITE : DEVCALL_OP_READ,
			       min_t(unsigned int, DCF_CHUNK_SEGS,
				     (offset_in_page(ubuf) + len +
				      PAGE_SIZE - 1) >> PAGE_SHIFT));
	if (!c)
		return -ENOMEM;
	h = devcall_call_hdr(c);
	h->handle = cpu_to_le64(f->handle);
	h->len = cpu_to_le32(len);
	if (f->seekable) {
		flags |= DEVCALL_REQ_F_OFFSET;
		h->offset = cpu_to_le64(*ppos);
	}
	if (file->f_flags & O_NONBLOCK)
		flags |= DEVCALL_REQ_F_NONBLOCK;
	if (f->direct && (READ_ONCE(file->f_flags) & O_DIRECT))
		flags |= DEVCALL_REQ_F_DIRECT;
	h->flags = cpu_to_le32(flags);
	ret = devcall_call_pin(c, ubuf, len, write ? DEVCALL_SEG_TO_HOST :
					     DEVCALL_SEG_FROM_HOST, 0);
	if (!ret)
		ret = devcall_call_submit(f->d, c);
	devcall_call_put(c);
	if (ret > (s64)len)		/* the host may not claim more */
		ret = -EIO;
	if (ret > 0 && f->seekable)
		*ppos += ret;
	return ret;
}

static ssize_t dcf_rw(struct file *file, unsigned long ubuf, size_t len,
		      loff_t *ppos, bool write)
{
	struct dcf_file *f = file->private_data;
	ssize_t done = 0, ret;

	if (f->seekable && *ppos < 0)
		return -EINVAL;
	/* Seekable nodes loop over chunks; streams answer one call. */
	while (len) {
		size_t n = min_t(size_t, len, DCF_CHUNK);

		ret = dcf_rw_chunk(f, file, ubuf, n, ppos, write);
		if (ret < 0)
			return done ? done : ret;
		done += ret;
		if (ret < n || !f->seekable)
			break;
		ubuf += n;
		len -= n;
	}
	return done;
}

static ssize_t dcf_read(struct file *file, char __user *buf, size_t len,
			loff_t *ppos)
{
	return dcf_rw(file, (unsigned long)buf, len, ppos, false);
}

static const struct devcall_ioctl_fds dcf_ioctl_fds;

/*
 * sg's asynchronous v3 protocol (sg_write -> sg_new_write): a header whose
 * reply_len, where the old struct sg_header has it, is negative is a
 * struct sg_io_hdr. Its pointers are this process's: the write goes as an
 * IOCTL call the host walks by the SG_IO layout (DEVCALL_SG_V3_WRITE), so
 * the host sees private copies and mappings, never these addresses. The
 * reply comes back by read(2) as any sg reply. Errors as sg's: EINVAL for
 * a short header, ENOSYS for an interface_id other than 'S'. A 32-bit
 * process's header is refused (EOPNOTSUPP): no compat layout for it.
 */
static ssize_t dcf_sg_v3_write(struct file *file, const char __user *buf,
			       size_t len)
{
	struct dcf_file *f = file->private_data;
	u32 flags = 0;
	int iid;
	long ret;

	if (in_compat_syscall())
		return -EOPNOTSUPP;
	if (len < sizeof(struct sg_io_hdr))
		return -EINVAL;
	if (get_user(iid, (const int __user *)buf))
		return -EFAULT;
	if (iid != 'S')
		return -ENOSYS;
	if (file->f_flags & O_NONBLOCK)
		flags |= DEVCALL_REQ_F_NONBLOCK;
	ret = devcall_ioctl_forward_fds(f->d, f->handle, &f->layouts,
					DEVCALL_SG_V3_WRITE,
					(unsigned long)buf, flags,
					&dcf_ioctl_fds);
	return ret < 0 ? ret : len;
}

static ssize_t dcf_write(struct file *file, const char __user *buf,
			 size_t len, loff_t *ppos)
{
	struct dcf_file *f = file->private_data;
	int reply_len;

	/* struct sg_header is 36 bytes; sg answers shorter writes itself */
	if (f->sg && len >= DCF_SG_HEADER) {
		if (get_user(reply_len, (const int __user *)(buf + 4)))
			return -EFAULT;
		if (reply_len < 0)
			return dcf_sg_v3_write(file, buf, len);
	}
	return dcf_rw(file, (unsigned long)buf, len, ppos, true);
}

/*
 * fsync and fdatasync run on the host file; the answer is the host's
 * (EINVAL for a node whose driver has no fsync, as /dev/null). Nothing is
 * cached here, so the range is the whole file. A signal waits for the
 * host's answer as any call that is running there (devcall_call_submit).
 */
static int dcf_fsync(struct file *file, loff_t start, loff_t end, int datasync)
{
	struct dcf_file *f = file->private_data;
	struct devcall_call *c;
	s64 ret;

	c = devcall_call_alloc(DEVCALL_OP_FSYNC, 0);
	if (!c)
		return -ENOMEM;
	devcall_call_hdr(c)->handle = cpu_to_le64(f->handle);
	devcall_call_hdr(c)->arg = cpu_to_le64(datasync ? 1 : 0);
	ret = devcall_call_submit(f->d, c);
	devcall_call_put(c);
	/* A device that went away flushed nothing more: an I/O error. */
	if (ret == -ENXIO)
		ret = -EIO;
	return ret < 0 ? ret : 0;
}

static loff_t dcf_llseek(struct file *file, loff_t off, int whence)
{
	struct dcf_file *f = file->private_data;

	if (!f->seekable)
		return -ESPIPE;
	/* The host reported the size at open; SEEK_END uses it. */
	return fixed_size_llseek(file, off, whence,
				 min_t(u64, f->size, MAX_LFS_FILESIZE));
}

static const struct file_operations dcf_fops;

/*
 * A descriptor argument: it must name a file of this frontend on the same
 * devcall device (the same VM), whose handle the host maps to its own
 * file. Anything else is EBADF.
 */
static int dcf_handle_of(struct devcall_dev *d, struct file *file,
			 u64 *handle)
{
	struct dcf_file *other;

	if (file->f_op != &dcf_fops)
		return -EBADF;
	other = file->private_data;
	if (other->d != d)
		return -EBADF;
	*handle = other->handle;
	return 0;
}

/*
 * The host answered a new file (TIOCGPTPEER, KVM_CREATE_VM; in field:
 * GPIO_V2_GET_LINE_IOCTL, KVM_CREATE_DEVICE): a descriptor of the caller
 * for it, closed (and the host's file with it) like any other. The number
 * goes into field before the file exists, so a fault there leaves nothing
 * the caller could reach. On failure the forward closes the host's file.
 */
static long dcf_install(struct devcall_dev *d, u64 handle,
			const struct devcall_resp *r, s32 __user *field)
{
	struct dcf_file *nf;
	struct file *file;
	int fd, ret;

	nf = dcf_file_alloc();
	if (!nf)
		return -ENOMEM;
	nf->d = d;
	devcall_dev_get(nf->d);
	nf->handle = handle;
	nf->size = le64_to_cpu(r->size);
	nf->seekable = le32_to_cpu(r->flags) & DEVCALL_RESP_F_SEEKABLE;
	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0) {
		ret = fd;
		goto out_free;
	}
	if (field && put_user(fd, field)) {
		ret = -EFAULT;
		put_unused_fd(fd);
		goto out_free;
	}
	file = anon_inode_getfile("[devcall]", &dcf_fops, nf, O_RDWR);
	if (IS_ERR(file)) {
		ret = PTR_ERR(file);
		put_unused_fd(fd);
		goto out_free;
	}
	if (!nf->seekable)
		nonseekable_open(file_inode(file), file);
	fd_install(fd, file);
	return field ? 0 : fd;

out_free:
	devcall_dev_put(nf->d);
	kfree(nf);
	return ret;
}

static const struct devcall_ioctl_fds dcf_ioctl_fds = {
	.handle_of	= dcf_handle_of,
	.install	= dcf_install,
};

/*
 * Every ioctl goes by the layout the host publishes for it (the call
 * mechanism's devcall_ioctl_forward_fds, shared with the block frontend;
 * descriptors in and out by dcf_ioctl_fds). A
 * 32-bit process's (compat) ioctl goes by the layout the host publishes
 * for its number and ABI; the host converts it for its own driver.
 */
static long dcf_do_ioctl(struct file *file, unsigned int cmd,
			 unsigned long arg, bool compat)
{
	struct dcf_file *f = file->private_data;
	u32 flags = 0;

	if (file->f_flags & O_NONBLOCK)
		flags |= DEVCALL_REQ_F_NONBLOCK;
	if (compat)
		flags |= DEVCALL_REQ_F_COMPAT;
	return devcall_ioctl_forward_fds(f->d, f->handle, &f->layouts, cmd,
					 arg, flags, &dcf_ioctl_fds);
}

static long dcf_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	return dcf_do_ioctl(file, cmd, arg, false);
}

#ifdef CONFIG_COMPAT
/*
 * A 32-bit process: its number and argument struct go to the host as they
 * are (a pointer argument as compat_ptr(); an integer one is the same
 * value), the compat flag telling the host which ABI they are in.
 */
static long dcf_compat_ioctl(struct file *file, unsigned int cmd,
			     unsigned long arg)
{
	return dcf_do_ioctl(file, cmd, (unsigned long)compat_ptr(arg), true);
}
#endif

/* A POLL call came back (or the device went): wake the pollers. */
static void dcf_poll_done(struct devcall_call *c, void *ctx)
{
	struct dcf_poll_arm *arm = ctx;
	struct dcf_file *f = arm->f;
	unsigned long flags;

	spin_lock_irqsave(&f->poll_lock, flags);
	arm->pending = false;
	f->poll_pending--;
	spin_unlock_irqrestore(&f->poll_lock, flags);
	wake_up_all(&f->poll_wq);
}

/* Send a POLL for events that waits on the host until one is there. */
static void dcf_poll_arm(struct dcf_file *f, __poll_t events)
{
	struct dcf_poll_arm *arm = NULL;
	struct devcall_call *c;
	unsigned int i;

	c = devcall_call_alloc(DEVCALL_OP_POLL, 0);
	if (!c)
		return;
	devcall_call_hdr(c)->handle = cpu_to_le64(f->handle);
	devcall_call_hdr(c)->arg = cpu_to_le64((__force u32)events);
	spin_lock_irq(&f->poll_lock);
	for (i = 0; i < DCF_POLL_ARMS; i++) {
		if (!f->arms[i].pending) {
			arm = &f->arms[i];
			arm->f = f;
			arm->pending = true;
			arm->events = events;
			f->poll_pending++;
			break;
		}
	}
	spin_unlock_irq(&f->poll_lock);
	/*
	 * All slots busy (five different event sets polled at once): no
	 * call will wake these pollers, so a timer does, and they ask again.
	 */
	if (!arm)
		mod_timer(&f->poll_retry,
			  jiffies + msecs_to_jiffies(DCF_POLL_RETRY_MS));
	if (arm && devcall_call_submit_async(f->d, c, dcf_poll_done, arm)) {
		spin_lock_irq(&f->poll_lock);
		arm->pending = false;
		f->poll_pending--;
		spin_unlock_irq(&f->poll_lock);
	}
	devcall_call_put(c);
}

/* Is a POLL for a superset of events still waiting on the host? */
static bool dcf_poll_covered(struct dcf_file *f, __poll_t events)
{
	bool covered = false;
	unsigned int i;

	spin_lock_irq(&f->poll_lock);
	for (i = 0; i < DCF_POLL_ARMS && !covered; i++)
		covered = f->arms[i].pending &&
			  !(events & ~f->arms[i].events);
	spin_unlock_irq(&f->poll_lock);
	return covered;
}

/*
 * poll, select and epoll: the host file's readiness. One round trip asks
 * the host; if none of the events is there and the caller will sleep, a
 * POLL call stays on the host (no host thread: the daemon's wait set)
 * and wakes us when one is.
 */
static __poll_t dcf_poll(struct file *file, poll_table *wait)
{
	struct dcf_file *f = file->private_data;
	__poll_t want = poll_requested_events(wait) & DCF_POLL_EVENTS;
	struct devcall_call *c;
	__poll_t mask;
	s64 ret;

	poll_wait(file, &f->poll_wq, wait);
	if (want && dcf_poll_covered(f, want))
		return 0;
	c = devcall_call_alloc(DEVCALL_OP_POLL, 0);
	if (!c)
		return EPOLLERR;
	devcall_call_hdr(c)->handle = cpu_to_le64(f->handle);
	devcall_call_hdr(c)->arg = cpu_to_le64((__force u32)want);
	devcall_call_hdr(c)->flags = cpu_to_le32(DEVCALL_REQ_F_NONBLOCK);
	ret = devcall_call_submit(f->d, c);
	devcall_call_put(c);
	if (ret < 0)
		return ret == -ERESTARTSYS || ret == -EINTR ? 0 :
		       EPOLLERR | EPOLLHUP;
	mask = (__force __poll_t)(u32)ret;
	if (wait && want && !(mask & (want | EPOLLERR | EPOLLHUP)))
		dcf_poll_arm(f, want);
	return mask;
}

static const struct file_operations dcf_fops = {
	.owner		= THIS_MODULE,
	.open		= dcf_open,
	.release	= dcf_release,
	.read		= dcf_read,
	.write		= dcf_write,
	.llseek		= dcf_llseek,
	.poll		= dcf_poll,
	.fsync		= dcf_fsync,
	.unlocked_ioctl	= dcf_ioctl,
#ifdef CONFIG_COMPAT
	.compat_ioctl	= dcf_compat_ioctl,
#endif
};

/*
 * The node's name, mode and owner, as the host's node table says: devtmpfs
 * makes the node with them, and the uevent carries them (DEVNAME, DEVMODE,
 * DEVUID, DEVGID) to udev. Names of users and groups are udev's to apply
 * (60-devcall.rules): the kernel knows only numbers.
 */
static char *dcf_devnode(DEVCALL_DEVNODE_CONST struct device *dev,
			 umode_t *mode, kuid_t *uid, kgid_t *gid)
{
	struct dcf_export *e = dev_get_drvdata(dev);
	const struct devcall_node_info *n = &e->exp->node;

	if (mode && (n->flags & DEVCALL_NODE_F_MODE))
		*mode = n->mode;
	if (uid && (n->flags & DEVCALL_NODE_F_UID))
		*uid = make_kuid(&init_user_ns, n->uid);
	if (gid && (n->flags & DEVCALL_NODE_F_GID))
		*gid = make_kgid(&init_user_ns, n->gid);
	return kstrdup(n->name, GFP_KERNEL);
}

static const struct device_type dcf_node_type = {
	.groups		= devcall_node_groups,
	.devnode	= dcf_devnode,
};

static void dcf_node_release(struct device *dev)
{
	kfree(dev);
}

/*
 * The number the host asked for (its node's, or one configured), when no
 * driver here has it; else one of our own minors.
 */
static int dcf_devt_alloc(struct dcf_export *e)
{
	const struct devcall_node_info *n = &e->exp->node;
	int ret;

	if (n->flags & DEVCALL_NODE_F_DEVNUM) {
		dev_t want = MKDEV(n->devnum_major, n->devnum_minor);

		if (!n->devnum_major || MAJOR(want) != n->devnum_major ||
		    MINOR(want) != n->devnum_minor)
			ret = -EINVAL;
		else
			ret = register_chrdev_region(want, 1, "devcall");
		if (!ret) {
			e->devt = want;
			e->own_region = true;
			return 0;
		}
		dev_info(&e->exp->dev,
			 "%u:%u is taken here (%d): a dynamic number\n",
			 n->devnum_major, n->devnum_minor, ret);
	}
	ret = ida_alloc_max(&dcf_minors, DCF_MAX_MINORS - 1, GFP_KERNEL);
	if (ret < 0)
		return ret;
	e->devt = MKDEV(MAJOR(dcf_devt), ret);
	return 0;
}

static void dcf_devt_free(struct dcf_export *e)
{
	if (e->own_region)
		unregister_chrdev_region(e->devt, 1);
	else
		ida_free(&dcf_minors, MINOR(e->devt));
}

/* Nodes appear only now: the export's device serves calls already. */
static int dcf_probe(struct devcall_export *exp)
{
	struct dcf_export *e;
	struct device *dev;
	int ret;

	e = kzalloc(sizeof(*e), GFP_KERNEL);
	if (!e)
		return -ENOMEM;
	e->exp = exp;
	ret = dcf_devt_alloc(e);
	if (ret < 0)
		goto out_free;
	e->cdev = cdev_alloc();
	if (!e->cdev) {
		ret = -ENOMEM;
		goto out_minor;
	}
	e->cdev->ops = &dcf_fops;
	e->cdev->owner = THIS_MODULE;
	ret = cdev_add(e->cdev, e->devt, 1);
	if (ret) {
		kobject_put(&e->cdev->kobj);
		goto out_minor;
	}
	mutex_lock(&dcf_lock);
	ret = xa_err(xa_store(&dcf_nodes, e->devt, e, GFP_KERNEL));
	mutex_unlock(&dcf_lock);
	if (ret)
		goto out_cdev;
	dev = kzalloc(sizeof(*dev), GFP_KERNEL);
	if (!dev) {
		ret = -ENOMEM;
		goto out_node;
	}
	device_initialize(dev);
	dev->class = dcf_class;
	dev->type = &dcf_node_type;	/* name, mode, owner; attributes */
	dev->parent = &exp->dev;
	dev->devt = e->devt;
	dev->release = dcf_node_release;
	dev_set_drvdata(dev, e);
	ret = dev_set_name(dev, "devcall!%s", exp->name);
	if (!ret)
		ret = device_add(dev);
	if (ret) {
		put_device(dev);
		goto out_node;
	}
	e->dev = dev;
	devcall_export_set_drvdata(exp, e);
	return 0;

out_node:
	mutex_lock(&dcf_lock);
	xa_erase(&dcf_nodes, e->devt);
	mutex_unlock(&dcf_lock);
out_cdev:
	cdev_del(e->cdev);
out_minor:
	dcf_devt_free(e);
out_free:
	kfree(e);
	return ret;
}

/*
 * The export goes (its device is dead by now) or this module unloads:
 * no new opens; files already open fail with the device's error and keep
 * the device's memory until they close.
 */
static void dcf_remove(struct devcall_export *exp)
{
	struct dcf_export *e = devcall_export_get_drvdata(exp);

	mutex_lock(&dcf_lock);
	xa_erase(&dcf_nodes, e->devt);
	mutex_unlock(&dcf_lock);
	device_unregister(e->dev);
	cdev_del(e->cdev);
	dcf_devt_free(e);
	kfree(e);
}

static struct devcall_frontend dcf_frontend = {
	.name	= "devcall_char",
	.kind	= DEVCALL_EXPORT_CHAR,
	.probe	= dcf_probe,
	.remove	= dcf_remove,
};

static int __init dcf_init(void)
{
	int ret;

	dcf_class = devcall_class_create("devcall");
	if (IS_ERR(dcf_class))
		return PTR_ERR(dcf_class);
	ret = alloc_chrdev_region(&dcf_devt, 0, DCF_MAX_MINORS, "devcall");
	if (ret)
		goto out_class;
	/* Probes every char export already there. */
	ret = devcall_register_frontend(&dcf_frontend);
	if (ret)
		goto out_region;
	return 0;

out_region:
	unregister_chrdev_region(dcf_devt, DCF_MAX_MINORS);
out_class:
	class_destroy(dcf_class);
	return ret;
}

static void __exit dcf_exit(void)
{
	devcall_unregister_frontend(&dcf_frontend);	/* removes every node */
	unregister_chrdev_region(dcf_devt, DCF_MAX_MINORS);
	class_destroy(dcf_class);
	ida_destroy(&dcf_minors);
}

module_init(dcf_init);
module_exit(dcf_exit);
MODULE_ALIAS("devcall:char");
MODULE_DESCRIPTION("devcall: a char device per exported host node");
MODULE_LICENSE("GPL");
