// SPDX-License-Identifier: GPL-2.0
/*
 * Ioctls forwarded by the layout the host publishes, for every frontend:
 * the char nodes' file ioctls and the disks' ioctls the guest block layer
 * does not answer itself (SG_IO, host-specific ones) go the same way. The
 * guest knows no device: the host says, once per number and cache, which
 * memory an ioctl's argument points at (layout_walk.h).
 */
#include <linux/file.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "devcall_call.h"
#include "layout_walk.h"

void devcall_layout_cache_init(struct devcall_layout_cache *lc)
{
	memset(lc, 0, sizeof(*lc));
	mutex_init(&lc->lock);
}
EXPORT_SYMBOL_GPL(devcall_layout_cache_init);

/*
 * The host's layout for cmd, fetched once per cache and caller ABI. A
 * 32-bit process's (compat) answer may be a 32-bit layout, whose pointers
 * are 4 bytes (*ptr_size), or the native one that serves it as it is.
 */
static int devcall_layout_get(struct devcall_dev *d, u64 handle,
			      struct devcall_layout_cache *lc, u32 cmd,
			      bool compat, struct devcall_layout *out,
			      unsigned int *ptr_size)
{
	struct devcall_call *c;
	unsigned int i, n;
	s64 ret;

	mutex_lock(&lc->lock);
	for (i = 0; i < DEVCALL_LAYOUT_CACHE; i++) {
		if (lc->e[i].valid && lc->e[i].cmd == cmd &&
		    lc->e[i].compat == compat) {
			*out = lc->e[i].l;
			*ptr_size = lc->e[i].ptr_size;
			mutex_unlock(&lc->lock);
			return 0;
		}
	}
	mutex_unlock(&lc->lock);

	c = devcall_call_alloc(DEVCALL_OP_LAYOUT, 0);
	if (!c)
		return -ENOMEM;
	devcall_call_hdr(c)->handle = cpu_to_le64(handle);
	devcall_call_hdr(c)->cmd = cpu_to_le32(cmd);
	if (compat)
		devcall_call_hdr(c)->flags = cpu_to_le32(DEVCALL_REQ_F_COMPAT);
	ret = devcall_call_submit(d, c);
	*ptr_size = 8;
	if (ret >= 0 && compat && (le32_to_cpu(devcall_call_resp(c)->flags) &
				   DEVCALL_RESP_F_COMPAT))
		*ptr_size = 4;
	if (ret >= 0) {
		/* A host before nested pointers sends the first part only. */
		memset(out, 0, sizeof(*out));
		n = devcall_call_resp_inline(c, out, sizeof(*out));
		if ((n != sizeof(*out) && n != DEVCALL_LAYOUT_V1_SIZE) ||
		    le32_to_cpu(out->cmd) != cmd ||
		    layout_walk_check_ptrs(out, *ptr_size))
			ret = -EPROTO;	/* the host broke the protocol */
	}
	devcall_call_put(c);
	if (ret < 0)
		return ret;

	mutex_lock(&lc->lock);
	i = lc->next++ % DEVCALL_LAYOUT_CACHE;
	lc->e[i].cmd = cmd;
	lc->e[i].compat = compat;
	lc->e[i].ptr_size = *ptr_size;
	lc->e[i].l = *out;
	lc->e[i].valid = true;
	mutex_unlock(&lc->lock);
	return 0;
}

static int devcall_read_user(void *ctx, void *dst, __u64 uaddr, size_t len)
{
	return copy_from_user(dst, u64_to_user_ptr(uaddr), len) ? -EFAULT : 0;
}

static u16 devcall_seg_dir(u8 dir)
{
	return (dir & LW_DIR_IN ? DEVCALL_SEG_TO_HOST : 0) |
	       (dir & LW_DIR_OUT ? DEVCALL_SEG_FROM_HOST : 0);
}

static unsigned int devcall_user_pages(u64 uaddr, u64 len)
{
	return len ? (PAGE_ALIGN(uaddr + len) - (uaddr & PAGE_MASK)) >>
		     PAGE_SHIFT : 0;
}

/* Close a handle the host answered when the caller cannot have it. */
static void devcall_close_handle(struct devcall_dev *d, u64 handle)
{
	struct devcall_call *c = devcall_call_alloc(DEVCALL_OP_CLOSE, 0);

	if (!c)
		return;
	devcall_call_hdr(c)->handle = cpu_to_le64(handle);
	devcall_call_submit(d, c);
	devcall_call_put(c);
}

/*
 * A descriptor argument: the file it names, referenced in *held, and its
 * handle in *fd_handle. EBADF for anything that is not a file of the
 * frontend's on this device.
 */
static int devcall_fd_in(struct devcall_dev *d,
			 const struct devcall_ioctl_fds *fds, s32 fd,
			 struct file **held, u64 *fd_handle)
{
	struct file *file;
	int ret;

	if (!fds)
		return -EBADF;
	file = fget(fd);
	if (!file)
		return -EBADF;
	ret = fds->handle_of(d, file, fd_handle);
	if (ret) {
		fput(file);
		return -EBADF;
	}
	*held = file;
	return 0;
}

/*
 * The host's new file of a successful call (result res; ret: the ioctl's
 * answer so far): a descriptor of the caller, as the result or in the
 * argument's field, or closed on the host. The ioctl's answer.
 */
static long devcall_fd_out(struct devcall_dev *d,
			   const struct devcall_ioctl_fds *fds,
			   const struct devcall_layout *l,
			   const struct devcall_resp *r, unsigned long arg,
			   s64 res, long ret)
{
	s32 __user *field = NULL;
	u64 nh = res;
	long fd;

	if (layout_walk_fd_out_field(l)) {
		/* A host that answered no handle has no file to close. */
		if (!(le32_to_cpu(r->flags) & DEVCALL_RESP_F_FD_FIELD))
			return ret < 0 ? ret : -EIO;
		nh = le64_to_cpu(r->size);
		field = (s32 __user *)(arg + le16_to_cpu(l->fd_off));
	}
	if (ret >= 0) {
		fd = fds->install(d, nh, r, field);
		if (fd >= 0)
			return field ? ret : fd;
		ret = fd;
	}
	devcall_close_handle(d, nh);
	return ret;
}

long devcall_ioctl_forward(struct devcall_dev *d, u64 handle,
			   struct devcall_layout_cache *lc, unsigned int cmd,
			   unsigned long arg, u32 req_flags)
{
	return devcall_ioctl_forward_fds(d, handle, lc, cmd, arg, req_flags,
					 NULL);
}
EXPORT_SYMBOL_GPL(devcall_ioctl_forward);

long devcall_ioctl_forward_fds(struct devcall_dev *d, u64 handle,
			       struct devcall_layout_cache *lc,
			       unsigned int cmd, unsigned long arg,
			       u32 req_flags,
			       const struct devcall_ioctl_fds *fds)
{
	struct lw_buf *bufs = NULL;
	struct devcall_layout *l;
	struct devcall_call *c = NULL;
	struct devcall_req *h;
	struct file *held = NULL;
	unsigned int size, segs, i, ptr_size;
	bool compat = req_flags & DEVCALL_REQ_F_COMPAT;
	bool fd_in, fd_out;
	u64 fd_handle = 0;
	u8 *copy = NULL;
	int n = 0;
	long ret;
	s64 res;
	s32 fd;

	l = kmalloc(sizeof(*l), GFP_KERNEL);
	if (!l)
		return -ENOMEM;
	ret = devcall_layout_get(d, handle, lc, cmd, compat, l, &ptr_size);
	if (ret)
		goto out;
	size = le32_to_cpu(l->arg_size);
	/* Without a frontend to make a file of it, no new descriptor. */
	fd_out = layout_walk_fd_out(l);
	ret = -EOPNOTSUPP;
	if (fd_out && !fds)
		goto out;

	if (size) {
		copy = kzalloc(size, GFP_KERNEL);
		bufs = kcalloc(LW_MAX_BUFS, sizeof(*bufs), GFP_KERNEL);
		ret = -ENOMEM;
		if (!copy || !bufs)
			goto out;
		ret = -EFAULT;
		if (((l->arg_dir & LW_DIR_IN) || l->nr_ptrs) &&
		    copy_from_user(copy, (void __user *)arg, size))
			goto out;
		n = layout_walk_ptrs(l, ptr_size, copy, devcall_read_user,
				     NULL, bufs, LW_MAX_BUFS);
		if (n < 0) {
			ret = n;
			goto out;
		}
	}
	fd_in = layout_walk_fd_in(l, copy, arg, &fd);
	if (fd_in) {
		ret = devcall_fd_in(d, fds, fd, &held, &fd_handle);
		if (ret)
			goto out;
	}
	segs = size > DEVCALL_INLINE_MAX ? devcall_user_pages(arg, size) : 0;
	for (i = 0; i < n; i++)
		segs += devcall_user_pages(bufs[i].uaddr, bufs[i].len);
	ret = -E2BIG;
	if (segs > DEVCALL_MAX_SEGS)
		goto out;
	ret = -ENOMEM;
	c = devcall_call_alloc(DEVCALL_OP_IOCTL, segs);
	if (!c)
		goto out;
	h = devcall_call_hdr(c);
	h->handle = cpu_to_le64(handle);
	h->cmd = cpu_to_le32(cmd);
	/* Our descriptor's number means nothing there: the file's handle. */
	if (fd_in) {
		req_flags |= DEVCALL_REQ_F_FD_IN;
		h->offset = cpu_to_le64(fd_handle);
	}
	if (fd_out)
		req_flags |= DEVCALL_REQ_F_FD_OUT;
	h->flags = cpu_to_le32(req_flags);

	if (!size) {
		/* A plain integer; a descriptor travels as its handle. */
		h->arg = cpu_to_le64(fd_in ? 0 : arg);
	} else {
		h->len = cpu_to_le32(size);
		h->flags |= cpu_to_le32(DEVCALL_REQ_F_ARG_BUF);
		if (size <= DEVCALL_INLINE_MAX)
			ret = devcall_call_set_inline(c, copy, size);
		else
			ret = devcall_call_pin(c, arg, size,
					       devcall_seg_dir(l->arg_dir), 0);
		for (i = 0; !ret && i < n; i++)
			ret = devcall_call_pin(c, bufs[i].uaddr, bufs[i].len,
					       devcall_seg_dir(bufs[i].dir),
					       bufs[i].idx);
		if (ret)
			goto out;
	}

	ret = devcall_call_submit(d, c);
	res = ret;
	if (ret >= 0 && size && size <= DEVCALL_INLINE_MAX &&
	    (l->arg_dir & LW_DIR_OUT)) {
		/* The argument as the driver left it, guest pointers intact. */
		if (devcall_call_resp_inline(c, copy, size) != size)
			ret = -EIO;
		else if (copy_to_user((void __user *)arg, copy, size))
			ret = -EFAULT;
	}
	/* A new file on the host: the caller's, or closed there. */
	if (res >= 0 && fd_out)
		ret = devcall_fd_out(d, fds, l, devcall_call_resp(c), arg, res,
				     ret);
out:
	if (held)
		fput(held);
	if (c)
		devcall_call_put(c);
	kfree(bufs);
	kfree(copy);
	kfree(l);
	return ret;
}
EXPORT_SYMBOL_GPL(devcall_ioctl_forward_fds);
