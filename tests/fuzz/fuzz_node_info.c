// SPDX-License-Identifier: MIT
/*
 * The guest's reading of a node table entry (call-mechanism-guest/
 * node_info.c) on any bytes a host may put there: whatever it keeps must
 * be a terminated path under /dev, good aliases, and names udev may take.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "node_info.h"

static int user_ok(const char *s)
{
	for (; *s; s++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			    "0123456789_.-", *s))
			return 0;
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct devcall_config_node cfg;
	struct devcall_node_info n;
	char a[sizeof(n.aliases)], *p, *tok;

	memset(&cfg, 0, sizeof(cfg));
	memcpy(&cfg, data, size < sizeof(cfg) ? size : sizeof(cfg));
	devcall_node_parse(&n, "export", le32_to_cpu(cfg.id), &cfg);
	if (!memchr(n.name, 0, sizeof(n.name)) ||
	    !devcall_node_path_ok(n.name) || n.mode > 0777)
		abort();
	if (!memchr(n.aliases, 0, sizeof(n.aliases)))
		abort();
	strcpy(a, n.aliases);
	for (p = a; (tok = strsep(&p, ","));)
		if (a[0] && !devcall_node_path_ok(tok))
			abort();
	if (!memchr(n.owner, 0, sizeof(n.owner)) ||
	    !memchr(n.group, 0, sizeof(n.group)) ||
	    !user_ok(n.owner) || !user_ok(n.group) ||
	    n.owner[0] == '-' || n.group[0] == '-')
		abort();
	return 0;
}
