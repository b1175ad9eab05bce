/* SPDX-License-Identifier: MIT */
/*
 * Ioctl layouts on the wire (struct devcall_layout): what the host
 * publishes so the guest knows which memory an ioctl needs, with no
 * device knowledge compiled into the guest.
 */
#ifndef DEVCALL_LAYOUT_WIRE_H
#define DEVCALL_LAYOUT_WIRE_H

#include "devcall_abi.h"
#include "ioctl_layout.h"

/* Encode a (validated) layout. */
void layout_encode(const struct ioctl_layout *l, struct devcall_layout *w);

/* Decode and validate; 0 or -EINVAL. name is set to "wire". */
int layout_decode(const struct devcall_layout *w, struct ioctl_layout *l);

#endif /* DEVCALL_LAYOUT_WIRE_H */
