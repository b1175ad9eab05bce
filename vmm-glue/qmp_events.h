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

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct qmp_events;

/*
 * What a connection reports. QMP_EV_RAM: the guest RAM discovery of
 * qmp_events_discover() ended (qmp_events_ram() says how).
 */
enum qmp_event { QMP_EV_NONE, QMP_EV_RESET, QMP_EV_SHUTDOWN, QMP_EV_RAM };

/*
 * Guest RAM as QEMU's QOM tree describes it (memory = auto). Without
 * NUMA the machine's memory-backend; with NUMA the backends libvirt and
 * QEMU users name ram-node<N>, N = the node, in node order: QEMU lays
 * node N's RAM right after node N-1's (numa_init_memdev_container), so
 * the backends concatenated are the machine's RAM.
 */
#define QMP_RAM_MAX_BACKENDS	8

struct qmp_ram_backend {
	char id[64];
	bool memfd;			/* memory-backend-memfd: no path */
	char path[PATH_MAX];		/* memory-backend-file's mem-path */
	uint64_t size;
};

struct qmp_ram {
	unsigned int nr;
	struct qmp_ram_backend b[QMP_RAM_MAX_BACKENDS];
};

struct qmp_events *qmp_events_new(void);
void qmp_events_free(struct qmp_events *q);

/* A new QEMU connection on fd: the greeting is answered on the way. */
void qmp_events_attach(struct qmp_events *q, int fd);

/*
 * Ask QEMU for its guest RAM backends at every (re)connection, after
 * qmp_capabilities: qom-get /machine memory-backend, qom-list /objects,
 * then each backend's size, share and mem-path. QMP_EV_RAM when done.
 */
void qmp_events_discover(struct qmp_events *q);

/*
 * The discovered RAM: NULL while not known yet (*err 0: asking; -errno:
 * failed, *why says why, for the log).
 */
const struct qmp_ram *qmp_events_ram(const struct qmp_events *q, int *err,
				     const char **why);

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
