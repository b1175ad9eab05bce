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

/* Serve req; resp is always filled (result >= 0 or -errno). */
void dispatch_request(struct vm *vm, const struct request *req,
		      struct response *resp);

/*
 * Decode wire bytes, serve, encode the response into resp_wire (cap bytes,
 * at least sizeof(struct devcall_resp)). Returns the response length. A
 * request that does not decode still gets a response with its error.
 */
size_t dispatch_wire(struct vm *vm, const void *req_wire, size_t len,
		     void *resp_wire, size_t cap);

#endif /* DEVCALL_DISPATCH_H */
