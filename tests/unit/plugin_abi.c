// SPDX-License-Identifier: MIT
/*
 * A plugin for test_plugin_sdk: a backend and one layout, stamped with
 * this ABI, or (PLUGIN_ABI_OTHER) with the next one, as a plugin built
 * against a newer SDK would be. Counts its inits.
 */
#include <errno.h>

#include "devcall-plugin.h"

#ifdef PLUGIN_ABI_OTHER
#undef DEVCALL_PLUGIN_ABI
#define DEVCALL_PLUGIN_ABI	2
#define PLUGIN_NAME		"abi-other"
#define PLUGIN_CMD		0x80047801u
#else
#define PLUGIN_NAME		"abi-ok"
#define PLUGIN_CMD		0x80047802u
#endif

int plugin_inits;

static int t_open(const struct export *exp, int oflags, void **priv,
		  struct backend_file_info *info)
{
	(void)exp; (void)oflags; (void)priv; (void)info;
	return -ENODEV;
}

static int t_close(void *priv)
{
	(void)priv;
	return 0;
}

static ssize_t t_rw(void *priv, const struct iovec *iov, int iovcnt,
		    int64_t off, bool nonblock)
{
	(void)priv; (void)iov; (void)iovcnt; (void)off; (void)nonblock;
	return -EINVAL;
}

static long t_ioctl(void *priv, uint32_t cmd, unsigned long arg)
{
	(void)priv; (void)cmd; (void)arg;
	return -ENOTTY;
}

static const struct backend_ops t_ops = {
	.name = PLUGIN_NAME, .open = t_open, .close = t_close,
	.read = t_rw, .write = t_rw, .ioctl = t_ioctl,
};

static const struct ioctl_layout t_layout = {
	.cmd = PLUGIN_CMD, .name = "TEST_" PLUGIN_NAME, .arg_size = 4,
	.arg_dir = LAYOUT_DIR_OUT,
};

static int t_init(void)
{
	int ret;

	plugin_inits++;
	ret = layout_register(&t_layout);
	return ret ? ret : backend_register(&t_ops);
}

DEVCALL_PLUGIN(PLUGIN_NAME, t_init);
