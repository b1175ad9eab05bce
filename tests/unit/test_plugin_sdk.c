// SPDX-License-Identifier: MIT
/*
 * The plugin SDK's daemon side (backend.c): the loader's ABI check, init
 * once across reloads, what a plugin registers, and the helpers plugins
 * call (options, exports, layouts).
 */
#include <dlfcn.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "backend.h"
#include "config.h"
#include "ioctl_layout.h"
#include "log.h"

static char dir[PATH_MAX - 64];
static char last_log[1024];

static void capture(enum log_level level, const char *line)
{
	(void)level;
	snprintf(last_log, sizeof(last_log), "%s", line);
}

static int setup(void **state)
{
	ssize_t n = readlink("/proc/self/exe", dir, sizeof(dir) - 1);

	(void)state;
	if (n <= 0)
		return -1;
	dir[n] = '\0';
	dirname(dir);
	log_set_sink(capture);
	return 0;
}

static void plugin_path(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", dir, name);
}

static void test_abi_ok_loads_once(void **state)
{
	char path[PATH_MAX], err[256] = "";
	struct ioctl_layout l;
	int *inits;
	void *h;

	(void)state;
	plugin_path(path, sizeof(path), "plugin_abi_ok.so");
	assert_int_equal(backend_load_plugin(path, err, sizeof(err)), 0);
	assert_non_null(strstr(last_log, "abi-ok, ABI 1"));
	assert_non_null(backend_find("abi-ok"));
	assert_int_equal(devcall_layout_get(0x80047802u, &l), 0);
	assert_string_equal(l.name, "TEST_abi-ok");
	assert_int_equal(l.arg_size, 4);
	/* A reload loads it again: init must not run twice (its layout
	 * would be -EEXIST and the reload fail). */
	assert_int_equal(backend_load_plugin(path, err, sizeof(err)), 0);
	h = dlopen(path, RTLD_NOW | RTLD_NOLOAD);
	assert_non_null(h);
	inits = dlsym(h, "plugin_inits");
	assert_non_null(inits);
	assert_int_equal(*inits, 1);
}

static void test_abi_other_refused(void **state)
{
	char path[PATH_MAX], err[256] = "";
	struct ioctl_layout l;
	int *inits;
	void *h;

	(void)state;
	plugin_path(path, sizeof(path), "plugin_abi_bad.so");
	assert_int_equal(backend_load_plugin(path, err, sizeof(err)),
			 -ENOEXEC);
	assert_string_equal(err, "built for devcall plugin ABI 2, this daemon "
			    "has ABI 1: rebuild it against this daemon's "
			    "devcall-plugin.h");
	/* Nothing of it ran. */
	assert_null(backend_find("abi-other"));
	assert_int_equal(devcall_layout_get(0x80047801u, &l), -ENOENT);
	h = dlopen(path, RTLD_NOW | RTLD_NOLOAD);
	assert_non_null(h);
	inits = dlsym(h, "plugin_inits");
	assert_int_equal(*inits, 0);
}

static void test_missing_plugin(void **state)
{
	char err[256] = "";

	(void)state;
	assert_int_equal(backend_load_plugin("/nonexistent/p.so", err,
					     sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "/nonexistent/p.so"));
}

static void test_option_get(void **state)
{
	const char *o = "media=cdrw,record=/tmp/r.log,verbose,rec=x";
	char buf[16];

	(void)state;
	assert_int_equal(devcall_option_get(o, "media", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "cdrw");
	assert_int_equal(devcall_option_get(o, "record", buf, sizeof(buf)),
			 0);
	assert_string_equal(buf, "/tmp/r.log");
	assert_int_equal(devcall_option_get(o, "verbose", buf, sizeof(buf)),
			 0);
	assert_string_equal(buf, "");
	/* A key is matched whole: "rec" is not "record". */
	assert_int_equal(devcall_option_get(o, "rec", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "x");
	assert_int_equal(devcall_option_get(o, "medi", buf, sizeof(buf)),
			 -ENOENT);
	assert_int_equal(devcall_option_get("", "a", buf, sizeof(buf)),
			 -ENOENT);
	assert_int_equal(devcall_option_get(o, "record", buf, 10),
			 -ENAMETOOLONG);
}

static void test_export_accessors(void **state)
{
	static struct export exp;

	(void)state;
	strcpy(exp.name, "sensor");
	strcpy(exp.path, "/dev/null");
	strcpy(exp.backend_opts, "record=/x");
	exp.read_only = true;
	assert_string_equal(devcall_export_name(&exp), "sensor");
	assert_string_equal(devcall_export_path(&exp), "/dev/null");
	assert_string_equal(devcall_export_options(&exp), "record=/x");
	assert_true(devcall_export_read_only(&exp));
}

static void test_layout_get_builtin(void **state)
{
	struct ioctl_layout l;

	(void)state;
	/* BLKGETSIZE64, built in: a plugin sees the daemon's tables too. */
	assert_int_equal(devcall_layout_get(0x80081272u, &l), 0);
	assert_int_equal(l.arg_size, 8);
	assert_int_equal(devcall_layout_get(0x12345678u, &l), -ENOENT);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_abi_ok_loads_once),
		cmocka_unit_test(test_abi_other_refused),
		cmocka_unit_test(test_missing_plugin),
		cmocka_unit_test(test_option_get),
		cmocka_unit_test(test_export_accessors),
		cmocka_unit_test(test_layout_get_builtin),
	};
	const char *filter = argc > 1 ? argv[1] : getenv("DEVCALL_TEST_FILTER");

	if (filter && *filter)
		cmocka_set_test_filter(filter);
	return cmocka_run_group_tests_name("plugin_sdk", tests, setup, NULL);
}
