/* SPDX-License-Identifier: MIT */
/*
 * Per-VM state of the host call mechanism: the VM's exports and limits, its
 * table of open host files (handles), requests in flight, and the
 * daemon-wide registry of exclusive claims that all VMs share.
 */
#ifndef DEVCALL_VM_H
#define DEVCALL_VM_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "guest_mem.h"

struct backend_ops;

/* Daemon-wide state shared by every VM: exclusive claims. */
struct host;

struct host *host_create(void);
void host_destroy(struct host *host);

struct vm;

/*
 * A VM served under cfg (which must outlive the VM). gm is the VM's guest
 * memory map (may be NULL until set; the VM does not own it).
 */
struct vm *vm_create(struct host *host, const struct vm_config *cfg);
void vm_set_memory(struct vm *vm, const struct guest_mem *gm);
const struct guest_mem *vm_memory(const struct vm *vm);
const struct vm_config *vm_config(const struct vm *vm);
const char *vm_name(const struct vm *vm);

/*
 * The VM is gone (QEMU disconnected, reset): close every host file it had
 * open and release its exclusive claims. Requests still running finish
 * first. The VM can be served again afterwards (a reset guest).
 */
void vm_reset(struct vm *vm);

/* vm_reset() and free. */
void vm_destroy(struct vm *vm);

/* Open handles right now (tests, leak checks). */
unsigned int vm_open_count(struct vm *vm);

#endif /* DEVCALL_VM_H */
