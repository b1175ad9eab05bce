// SPDX-License-Identifier: MIT
/*
 * TUN/TAP (drivers/net/tun.c). Several numbers encode "int" for what is an
 * integer value (TUNSETPERSIST, TUNSETOWNER ...) or a struct ifreq
 * (TUNSETIFF): the layouts say what tun.c does with the argument.
 *
 * Not here: TUNGETDEVNETNS (returns a descriptor), TUNSETSTEERINGEBPF and
 * TUNSETFILTEREBPF (take one), TUNATTACHFILTER and TUNGETFILTER (a
 * sock_fprog whose length counts 8-byte instructions: a layout length is
 * in bytes), TUNSETTXFILTER (a header and as many addresses as it says,
 * inline: no layout kind describes a variable-length argument).
 */
#include <linux/if.h>
#include <linux/if_tun.h>

#include "layouts_macros.h"

_Static_assert(sizeof(struct ifreq) == 40, "ifreq, x86_64");

static const struct ioctl_layout layouts_tun[] = {
	INTARG(TUNSETNOCSUM),
	INTARG(TUNSETDEBUG),
	SCALAR_AS(TUNSETIFF, BOTH, struct ifreq), /* the chosen name back */
	INTARG(TUNSETPERSIST),
	INTARG(TUNSETOWNER),
	INTARG(TUNSETLINK),
	INTARG(TUNSETGROUP),
	SCALAR(TUNGETFEATURES, OUT, unsigned int),
	INTARG(TUNSETOFFLOAD),
	SCALAR_AS(TUNGETIFF, OUT, struct ifreq),
	SCALAR(TUNGETSNDBUF, OUT, int),
	SCALAR(TUNSETSNDBUF, IN, int),
	SCALAR(TUNGETVNETHDRSZ, OUT, int),
	SCALAR(TUNSETVNETHDRSZ, IN, int),
	SCALAR_AS(TUNSETQUEUE, IN, struct ifreq),
	SCALAR(TUNSETIFINDEX, IN, unsigned int),
	SCALAR(TUNSETVNETLE, IN, int),
	SCALAR(TUNGETVNETLE, OUT, int),
	SCALAR(TUNSETVNETBE, IN, int),
	SCALAR(TUNGETVNETBE, OUT, int),
	SCALAR(TUNSETCARRIER, IN, int),
};

const struct layout_table layout_table_tun = LAYOUT_TABLE("tun", layouts_tun);
