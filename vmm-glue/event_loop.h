/* SPDX-License-Identifier: MIT */
/*
 * The daemon's event loop: one epoll instance; every watched descriptor's
 * epoll data is an event source that carries its own handler, so the loop
 * knows nothing of what it serves.
 */
#ifndef DEVCALL_EVENT_LOOP_H
#define DEVCALL_EVENT_LOOP_H

#include <errno.h>
#include <stdint.h>
#include <sys/epoll.h>

struct event_src {
	void (*handle)(struct event_src *src, uint32_t events);
};

/* Watch fd for input; src->handle runs on the loop's thread. */
static inline int event_watch(int epfd, int fd, struct event_src *src)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = src };

	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
}

static inline void event_unwatch(int epfd, int fd)
{
	if (fd >= 0)
		epoll_ctl(epfd, EPOLL_CTL_DEL, fd, NULL);
}

#endif /* DEVCALL_EVENT_LOOP_H */
