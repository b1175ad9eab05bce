// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/* The guest's reading of a node table entry: see node_info.h. */
#include "node_info.h"

#ifdef __KERNEL__
#include <linux/string.h>
#else
#include <string.h>
#endif

static int node_char_ok(char c, const char *extra)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || (c && strchr(extra, c));
}

int devcall_node_path_ok(const char *s)
{
	size_t i, comp = 0, n = strnlen(s, DEVCALL_NODE_NAME_MAX);

	if (!n || n >= DEVCALL_NODE_NAME_MAX)
		return 0;
	for (i = 0; i <= n; i++) {
		char c = s[i];

		if (c == '/' || c == '\0') {
			if (!comp || (comp == 1 && s[i - 1] == '.') ||
			    (comp == 2 && s[i - 1] == '.' && s[i - 2] == '.'))
				return 0;
			comp = 0;
			continue;
		}
		if (!node_char_ok(c, "_.+-"))
			return 0;
		comp++;
	}
	return 1;
}

/* dst (cap bytes) gets src's first cap - 1 bytes at most, terminated. */
static void node_copy(char *dst, const char *src, size_t cap)
{
	size_t n = strnlen(src, cap - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

static int node_terminated(const char *s, size_t cap)
{
	return strnlen(s, cap) < cap;
}

/* User and group names go to udev only: [A-Za-z0-9_.-], not "-..." */
static int node_user_ok(const char *s)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if (!node_char_ok(s[i], "_.-"))
			return 0;
	return s[0] != '-';
}

static void node_default_name(struct devcall_node_info *n, const char *name)
{
	static const char dir[] = "devcall/";

	memcpy(n->name, dir, sizeof(dir) - 1);
	node_copy(n->name + sizeof(dir) - 1, name,
		  sizeof(n->name) - (sizeof(dir) - 1));
}

/* Each of cfg's aliases that is a good path, joined by commas again. */
static unsigned int node_aliases(struct devcall_node_info *n,
				 const char *cfg)
{
	char a[DEVCALL_NODE_ALIASES_MAX], tok[DEVCALL_NODE_ALIASES_MAX];
	size_t i = 0, len, out = 0;
	unsigned int bad = 0;

	node_copy(a, cfg, sizeof(a));
	while (a[i]) {
		len = strcspn(a + i, ",");
		memcpy(tok, a + i, len);
		tok[len] = '\0';
		i += len + (a[i + len] == ',');
		if (!devcall_node_path_ok(tok)) {
			bad |= DEVCALL_NODE_BAD_ALIAS;
			continue;
		}
		if (out + !!out + len >= sizeof(n->aliases))
			break;		/* cannot happen: it came shorter */
		if (out)
			n->aliases[out++] = ',';
		memcpy(n->aliases + out, tok, len);
		out += len;
	}
	n->aliases[out] = '\0';
	return bad;
}

unsigned int devcall_node_parse(struct devcall_node_info *n,
				const char *name, __u32 id,
				const struct devcall_config_node *cfg)
{
	unsigned int bad = 0;

	memset(n, 0, sizeof(*n));
	node_default_name(n, name);
	if (!cfg)
		return 0;
	if (le32_to_cpu(cfg->id) != id)
		return DEVCALL_NODE_BAD_ID;
	n->flags = le32_to_cpu(cfg->flags);
	n->mode = le32_to_cpu(cfg->mode) & 0777;
	n->uid = le32_to_cpu(cfg->uid);
	n->gid = le32_to_cpu(cfg->gid);
	n->host_type = le32_to_cpu(cfg->host_type);
	n->host_major = le32_to_cpu(cfg->host_major);
	n->host_minor = le32_to_cpu(cfg->host_minor);
	n->devnum_major = le32_to_cpu(cfg->devnum_major);
	n->devnum_minor = le32_to_cpu(cfg->devnum_minor);
	/* An unterminated string is not cut short: it is not used at all. */
	if (cfg->name[0]) {
		if (node_terminated(cfg->name, sizeof(cfg->name)) &&
		    devcall_node_path_ok(cfg->name))
			node_copy(n->name, cfg->name, sizeof(n->name));
		else
			bad |= DEVCALL_NODE_BAD_NAME;
	}
	if (node_terminated(cfg->aliases, sizeof(cfg->aliases)))
		bad |= node_aliases(n, cfg->aliases);
	else
		bad |= DEVCALL_NODE_BAD_ALIAS;
	if (node_terminated(cfg->owner, sizeof(cfg->owner)))
		node_copy(n->owner, cfg->owner, sizeof(n->owner));
	else
		bad |= DEVCALL_NODE_BAD_USER;
	if (node_terminated(cfg->group, sizeof(cfg->group)))
		node_copy(n->group, cfg->group, sizeof(n->group));
	else
		bad |= DEVCALL_NODE_BAD_USER;
	if (!node_user_ok(n->owner) || !node_user_ok(n->group)) {
		bad |= DEVCALL_NODE_BAD_USER;
		if (!node_user_ok(n->owner))
			n->owner[0] = '\0';
		if (!node_user_ok(n->group))
			n->group[0] = '\0';
	}
	return bad;
}
