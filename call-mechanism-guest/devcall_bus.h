/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The devcall bus, as the virtio driver sees it: the exports of a ready
 * device appear on it and go with the device. Frontends see the bus only
 * through devcall_call.h.
 */
#ifndef DEVCALL_BUS_H
#define DEVCALL_BUS_H

#include "devcall_call.h"

int devcall_bus_init(void);
void devcall_bus_exit(void);

/*
 * One export device per usable entry of cfg (an empty name or one with a
 * '/' is skipped), children of parent, each holding a reference to d, its
 * node described by the same entry of nodes (NULL when the host has no
 * node table: the defaults); the frontends are offered each as it
 * appears. 0, or -errno with none left.
 */
int devcall_exports_add(struct devcall_dev *d, struct device *parent,
			const struct devcall_config_export *cfg,
			const struct devcall_config_node *nodes,
			unsigned int nr);

/*
 * The host's table changed: delete the exports of parent whose id is no
 * longer in cfg (their frontends' remove: nodes go, open files fail), add
 * one for each new id, its node described by the same entry of nodes (or
 * NULL: the defaults). 0, or the first error adding (the rest are added).
 */
int devcall_exports_update(struct devcall_dev *d, struct device *parent,
			   const struct devcall_config_export *cfg,
			   const struct devcall_config_node *nodes,
			   unsigned int nr);

/* Unbind (the frontends' remove) and delete every export of parent. */
void devcall_exports_remove(struct device *parent);

#endif /* DEVCALL_BUS_H */
