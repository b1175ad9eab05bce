/* SPDX-License-Identifier: MIT */
/*
 * QEMU's QMP events, as the daemon needs them: a guest reset must close
 * the guest's host files and release its exclusive claims at once, and
 * nothing in the ivshmem device tells the daemon about a reset. QEMU
 * connects to the daemon (a QMP monitor on a client chardev with
 * reconnect, so it finds a restarted daemon again); the daemon enters
 * command mode and reads events. json-c parses the stream.
 *
 * QEMU side (what devcall-vm passes):
 *   -chardev socket,id=devcall-qmp,path=RUN/NAME.qmp,reconnect=1
 *   -mon chardev=devcall-qmp,mode=control
 */
#ifndef DEVCALL_QMP_EVENTS_H
#define DEVCALL_QMP_EVENTS_H

#include <stddef.h>

struct qmp_events;

/* What a connection reports. */
enum qmp_event { QMP_EV_NONE, QMP_EV_RESET, QMP_EV_SHUTDOWN };

struct qmp_events *qmp_events_new(void);
void qmp_events_free(struct qmp_events *q);

/* A new QEMU connection on fd: the greeting is answered on the way. */
void qmp_events_attach(struct qmp_events *q, int fd);

/* The connection's fd, or -1. */
int qmp_events_fd(const struct qmp_events *q);

/*
 * Read what is there (never blocks) and call fn for each event it names.
 * Returns 0, or -errno once the connection ended (then closed).
 */
int qmp_events_read(struct qmp_events *q,
		    void (*fn)(void *ctx, enum qmp_event ev), void *ctx);

/* Parse bytes as if read (tests). Same return and callbacks. */
int qmp_events_feed(struct qmp_events *q, const char *buf, size_t len,
		    void (*fn)(void *ctx, enum qmp_event ev), void *ctx);

#endif /* DEVCALL_QMP_EVENTS_H */
