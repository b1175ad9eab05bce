/* SPDX-License-Identifier: MIT */
/*
 * The "mock" backend: a programmable in-memory device for unit tests. One
 * device per process: its content, scripted failures, an ioctl handler the
 * test supplies, and a record of every call.
 */
#ifndef DEVCALL_BACKEND_MOCK_H
#define DEVCALL_BACKEND_MOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#define MOCK_SIZE	(1u << 20)

enum mock_op { MOCK_OPEN, MOCK_CLOSE, MOCK_READ, MOCK_WRITE, MOCK_IOCTL,
	       MOCK_FSYNC, MOCK_ADOPT, MOCK_NR_OPS };

/*
 * The "host descriptor" (host_fd) of the file opened by the Nth open
 * since mock_reset() is MOCK_FD_BASE + N; a file adopted from an ioctl's
 * result (adopt_fd, MOCK_ADOPT) reports the number it was adopted with.
 * No real descriptor is behind either.
 */
#define MOCK_FD_BASE	1000

struct mock_calls {
	unsigned int count[MOCK_NR_OPS];
	unsigned int open_now;		/* opened and not yet closed */
	int last_oflags;
	int64_t last_off;
	bool last_nonblock;
	uint32_t last_cmd;
	unsigned long last_arg;
	unsigned int fdatasyncs;	/* of count[MOCK_FSYNC], the datasync ones */
	unsigned int set_directs;	/* set_direct calls */
	bool last_direct;		/* and what the last one asked */
};

/* ioctl handler: arg is a host pointer or integer, as the driver sees it. */
typedef long (*mock_ioctl_fn)(uint32_t cmd, unsigned long arg);

/* Forget everything: content zeroed, size MOCK_SIZE, no scripts. */
void mock_reset(void);

/* Device content and size (<= MOCK_SIZE). */
void mock_set_content(const void *data, size_t len);
uint8_t *mock_content(size_t *len);

/* The next call of op fails with -err (once). */
void mock_fail_next(enum mock_op op, int err);

/* A device with nothing to read: reads return -EAGAIN if non-blocking. */
void mock_set_empty(bool empty);

/*
 * The file descriptor the mock reports as its readiness (poll_fd), or -1
 * for none (the default: always ready). Tests use a pipe's read end.
 */
void mock_set_poll_fd(int fd);

void mock_set_ioctl(mock_ioctl_fn fn);

/* The st_rdev opens report (block queue limits from sysfs); 0: none. */
void mock_set_rdev(uint64_t rdev);

/* Run fn inside every successful open, after the file is open (races). */
void mock_set_open_hook(void (*fn)(void));
/*
 * Called on entry to every read and write, before the mock touches the
 * data: a test can play a racing guest vCPU there, or look at what
 * memory the backend was handed. NULL: none (the default).
 */
typedef void (*mock_rw_hook_fn)(bool write, const struct iovec *iov,
				int iovcnt);
void mock_set_rw_hook(mock_rw_hook_fn fn);

const struct mock_calls *mock_calls(void);

#endif /* DEVCALL_BACKEND_MOCK_H */
