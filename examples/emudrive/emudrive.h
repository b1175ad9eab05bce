/* SPDX-License-Identifier: MIT */
/* The emulated CD-R/RW drive plugin: its backend and its SG_IO entry. */
#ifndef DEVCALL_EMUDRIVE_H
#define DEVCALL_EMUDRIVE_H

#include <scsi/sg.h>

#include "backend.h"
#include "disc.h"

extern const struct backend_ops emudrive_ops;

/* Execute one SG_IO on disc d: 0 (status in h) or -errno. */
int emudrive_sg_io(struct disc *d, struct sg_io_hdr *h);

#endif /* DEVCALL_EMUDRIVE_H */
