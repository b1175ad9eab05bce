/* SPDX-License-Identifier: MIT */
/*
 * The control socket's protocol (docs/devcallctl.md): one JSON object per
 * line each way, every one carrying "v": CTL_PROTO_VERSION. This file
 * reads a request line into a struct and checks it; the daemon's answers
 * are built in ctl_server.c. A request is at most CTL_LINE_MAX bytes.
 */
#ifndef DEVCALL_CTL_PROTO_H
#define DEVCALL_CTL_PROTO_H

#include <limits.h>
#include <stddef.h>

#include "config.h"

#define CTL_PROTO_VERSION	1
#define CTL_LINE_MAX		4096
#define CTL_MAX_OPTS		16
#define CTL_OPT_MAX		256

enum ctl_cmd {
	CTL_STATUS,
	CTL_STATS,
	CTL_TRACE,
	CTL_RELOAD,
	CTL_EXPORT_ADD,
	CTL_EXPORT_REMOVE,
	CTL_VM_ADD,
	CTL_VM_REMOVE,
};

struct ctl_req {
	enum ctl_cmd cmd;
	char vm[CONFIG_VM_NAME_MAX];	/* "": every VM (status, stats, trace) */
	char name[DEVCALL_NAME_MAX];	/* the export (add, remove, trace) */
	char path[PATH_MAX];		/* export add; vm add: its file */
	int op;				/* trace: DEVCALL_OP_*, -1 any */
	unsigned int nr_opts;		/* export, vm add: "key=value" */
	char opts[CTL_MAX_OPTS][CTL_OPT_MAX];
};

/* "status", ...: the name of cmd on the wire. */
const char *ctl_cmd_name(enum ctl_cmd cmd);

/*
 * Parse one request line (len bytes, no newline needed). 0, or -EINVAL /
 * -EPROTO (another version) with a message for the client in err.
 */
int ctl_parse(const char *line, size_t len, struct ctl_req *req, char *err,
	      size_t errlen);

/*
 * The --export flag value "VM:NAME=PATH,key=value..." for an export add
 * request (config_apply_flag() reads it). 0 or -ENAMETOOLONG.
 */
int ctl_export_flag(const struct ctl_req *req, char *buf, size_t len);

/*
 * The --vm flag value "NAME,key=value..." for a vm add request. 0 or
 * -ENAMETOOLONG.
 */
int ctl_vm_flag(const struct ctl_req *req, char *buf, size_t len);

#endif /* DEVCALL_CTL_PROTO_H */
