/* SPDX-License-Identifier: MIT */
/*
 * Driver backends: what actually serves an open export. The real-syscall
 * backend, the mock and plugins (such as the emulated drive) all sit behind
 * this one const ops table; the dispatcher never knows which it calls.
 * Every function returns a non-negative result or a negative errno and
 * never exits the process.
 *
 * Memory a backend is handed. Every pointer is a host pointer the daemon
 * checked; none is a value the guest chose. Some of it is a private copy,
 * some is the guest's RAM itself, which a guest vCPU can change at any
 * moment, also while the backend runs:
 *
 *   read     the iovecs point at guest RAM (or at the response's inline
 *            payload): write the data there; never read back from it.
 *   write    up to a page (4096 bytes, REWRITE_COPY_MAX of
 *            memmap/ptr_rewrite.h): a private copy, stable.
 *            Larger: guest RAM itself, live.
 *   ioctl    the argument struct: a private copy, stable (its embedded
 *            pointers rewritten, see memmap/ptr_rewrite.h). Behind those
 *            pointers: IN and BOTH buffers up to REWRITE_COPY_MAX and any
 *            iovec array are private copies, stable; larger IN and BOTH
 *            buffers are guest RAM when contiguous, live; OUT-only buffers
 *            are guest RAM or a copy - write them, do not read them.
 *
 * A host kernel driver (the sys backend) copies what it reads once itself.
 * A plugin must read each byte of live memory at most once: copy a header
 * into a local before checking it and acting on it, and never read a
 * length or an opcode twice from live memory. Stable memory can be read as
 * often as wanted. Nothing handed to a backend stays valid after it
 * returns.
 */
#ifndef DEVCALL_BACKEND_H
#define DEVCALL_BACKEND_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

struct export;

/* Facts about an open file the guest needs (struct devcall_resp). */
struct backend_file_info {
	uint64_t size;		/* bytes, for block devices and files */
	uint32_t mode;		/* st_mode of the node */
	bool seekable;		/* pread/pwrite work */
	uint64_t rdev;		/* block devices: st_rdev (its sysfs
				 * queue limits); 0: unknown */
};

struct backend_ops {
	const char *name;
	/*
	 * Open exp for a guest. oflags are host open(2) flags (O_ACCMODE,
	 * O_NONBLOCK, O_EXCL, O_SYNC, O_DSYNC, O_DIRECT) already checked
	 * against the export's access. Sets *priv to the backend's per-file
	 * state. A backend that cannot honour O_DIRECT or a sync flag
	 * refuses the open (-EINVAL, as open(2) does), never ignores it.
	 */
	int (*open)(const struct export *exp, int oflags, void **priv,
		    struct backend_file_info *info);
	/* Release priv. Returns what close(2) said, the file is gone anyway. */
	int (*close)(void *priv);
	/* off < 0: at the file's position (read(2)); else pread(2). */
	ssize_t (*read)(void *priv, const struct iovec *iov, int iovcnt,
			int64_t off, bool nonblock);
	ssize_t (*write)(void *priv, const struct iovec *iov, int iovcnt,
			 int64_t off, bool nonblock);
	/* arg is a host pointer, or the integer value for integer ioctls. */
	long (*ioctl)(void *priv, uint32_t cmd, unsigned long arg);
	/*
	 * Optional: a file descriptor whose poll(2) readiness is the file's
	 * (the host node's own). With one, read and write are always called
	 * non-blocking and a request that would block waits in the daemon's
	 * wait set instead of a thread; POLL reports its readiness. Without
	 * one, the file is always ready, like a regular file.
	 */
	int (*poll_fd)(void *priv);
	/*
	 * Optional: fsync(2), or fdatasync(2) if datasync. Without one the
	 * guest's fsync fails with -EINVAL, as Linux's does on a file whose
	 * driver has no fsync (a character device such as /dev/null).
	 */
	int (*fsync)(void *priv, bool datasync);
	/*
	 * Optional, for files opened O_DIRECT: turn it off or back on, as
	 * fcntl(F_SETFL) would, before a read or write that asks for the
	 * other mode. Without one such a file stays O_DIRECT.
	 */
	int (*set_direct)(void *priv, bool direct);
	/*
	 * Optional: the host descriptor behind the file, for an ioctl of
	 * another file that takes a descriptor (LOOP_CONFIGURE): the daemon
	 * puts it into its copy of the argument. Without one (or < 0), the
	 * guest's descriptor of this file is EBADF there.
	 */
	int (*host_fd)(void *priv);
	/*
	 * Optional: make a file of this backend's kind of fd, a descriptor
	 * an ioctl of exp's file returned (TIOCGPTPEER, KVM_CREATE_VM). Takes
	 * fd over: on failure it is closed. Without one, ioctls that return
	 * descriptors are refused.
	 */
	int (*adopt_fd)(const struct export *exp, int fd, void **priv,
			struct backend_file_info *info);
};

/* Built-in backends. */
extern const struct backend_ops backend_sys;
extern const struct backend_ops backend_mock;

/*
 * Backends by name: "sys", "mock", and any that plugins registered.
 * Returns NULL if unknown.
 */
const struct backend_ops *backend_find(const char *name);

/* Add a backend (a plugin's). 0, -EEXIST or -ENOSPC. */
int backend_register(const struct backend_ops *ops);

/*
 * Load a plugin shared object; its constructor or its
 * devcall_plugin_init() registers backends (and ioctl layouts).
 * 0 or -errno, with a message in errbuf.
 */
int backend_load_plugin(const char *path, char *errbuf, size_t errlen);

#endif /* DEVCALL_BACKEND_H */
