/* SPDX-License-Identifier: MIT */
/*
 * The dispatcher: takes a decoded request and its buffers, validates it
 * against the VM's exports, policy, handles and limits, calls the export's
 * backend, and produces exactly one response for every request, whatever
 * the request held. Safe to call from several threads for one VM.
 */
#ifndef DEVCALL_DISPATCH_H
#define DEVCALL_DISPATCH_H

#include <stddef.h>

#include "request.h"
#include "vm.h"
#include "waitset.h"

struct ioctl_layout;

/*
 * The layout policy gives cmd on exp: deny list, then a known layout, then
 * generic handling (_IOC bits, or an integer argument) where allowed.
 * Uses *scratch for generic layouts. NULL if refused, with *err = -EPERM
 * (denied) or -ENOTTY (unknown), after one log line naming the ioctl
 * number, the export and the VM.
 */
const struct ioctl_layout *dispatch_ioctl_layout(const struct vm *vm,
						 const struct export *exp,
						 uint32_t cmd,
						 struct ioctl_layout *scratch,
						 int *err);

/*
 * A request that has to wait for its host file: a blocking READ or WRITE
 * that would block, or a POLL whose events are not there yet. The caller
 * parks it in the host's wait set (waitset_park(), which takes over the
 * file reference) and serves it again when it is ready.
 */
struct dispatch_wait {
	struct open_file *file;		/* NULL: the request was answered */
	int fd;
	uint32_t events;		/* EPOLLIN, EPOLLOUT, ... */
	uint64_t handle, tag;		/* the request's */
	/*
	 * In and out: bytes a blocking stream write already wrote in earlier
	 * tries (0 for a new request); kept by the caller between tries, and
	 * the answer to give if the request is cancelled after progress.
	 */
	uint64_t done;
	/* Out, whether answered or not: what the request was, for the
	 * statistics and the trace (call.c). exp: NULL if none was found. */
	uint16_t op;			/* 0: it did not decode */
	uint32_t cmd;
	uint64_t bytes;
	int64_t result;
	const struct export *exp;
};

/*
 * What a call brings from its transport: the guest RAM map it was taken
 * against (the transport keeps it mapped until the call ends) and the
 * VM's epoch then. A reset VM has a new map and a new epoch: a call of an
 * old epoch is answered -ECANCELED without touching RAM, and its OPEN
 * cannot add a file (vm_file_add()).
 */
struct dispatch_env {
	const struct guest_mem *gm;	/* NULL: no RAM (every segment faults) */
	uint32_t epoch;
};

/*
 * Serve req; resp is filled (result >= 0 or -errno) unless wait->file is
 * set on return. With wait NULL, a blocking request waits right here, in
 * poll(2), and POLL answers at once.
 */
void dispatch_request_env(struct vm *vm, const struct dispatch_env *env,
			  const struct request *req, struct response *resp,
			  struct dispatch_wait *wait);

/* The same against the VM's current map and epoch (tests, tools). */
void dispatch_request_wait(struct vm *vm, const struct request *req,
			   struct response *resp, struct dispatch_wait *wait);

static inline void dispatch_request(struct vm *vm, const struct request *req,
				    struct response *resp)
{
	dispatch_request_wait(vm, req, resp, NULL);
}

/*
 * Decode wire bytes, serve, encode the response into resp_wire (cap bytes,
 * at least sizeof(struct devcall_resp)). Returns the response length, or
 * 0 with wait->file set if the request has to wait (wait as above). A
 * request that does not decode still gets a response with its error.
 */
size_t dispatch_wire(struct vm *vm, const struct dispatch_env *env,
		     const void *req_wire, size_t len, void *resp_wire,
		     size_t cap, struct dispatch_wait *wait);

#endif /* DEVCALL_DISPATCH_H */
