// SPDX-License-Identifier: MIT
/* memmap: the layout file parser - a good file, and each error's line. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "layout_file.h"

static char path[64];

static int teardown(void **state)
{
	(void)state;
	layout_unregister_all();
	if (path[0])
		unlink(path);
	path[0] = '\0';
	return 0;
}

static void write_file(const char *text)
{
	FILE *f;
	int fd;

	strcpy(path, "/tmp/test_layout_file.XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static const char good[] =
	"; a plugin-less device's ioctls\n"
	"[ioctl GADGET_GET_INFO]\n"
	"number = 0x80184701\n"
	"size = 24\n"
	"dir = out\n"
	"\n"
	"[ioctl GADGET_XFER]\n"
	"number = 0xc0184702\n"
	"size = 24\n"
	"dir = both\n"
	"ptr = off=0 kind=buf dir=in len-field=8:4 len-max=4096\n"
	"ptr = off=16 kind=opaque\n"
	"\n"
	"[ioctl GADGET_RESET]\n"
	"number = 0x4703\n"
	"arg = unused\n"
	"\n"
	"[ioctl GADGET_SET_SPEED]\n"
	"number = 0x4704\n"
	"\n"
	"[ioctl GADGET_NAME]\n"
	"number = 0x81004705\n"
	"size = 256\n"
	"dir = out\n"
	"family = yes\n";

static void test_good_file(void **state)
{
	struct ioctl_layout l[8], s;
	char err[256];
	unsigned int nr;

	(void)state;
	write_file(good);
	assert_int_equal(layout_file_parse(path, l, 8, &nr, err, sizeof(err)),
			 0);
	assert_int_equal(nr, 5);
	assert_string_equal(l[0].name, "GADGET_GET_INFO");
	assert_int_equal(l[0].cmd, 0x80184701);
	assert_int_equal(l[0].arg_size, 24);
	assert_int_equal(l[0].arg_dir, LAYOUT_DIR_OUT);
	assert_int_equal(l[1].nr_ptrs, 2);
	assert_int_equal(l[1].ptr[0].len_field.off, 8);
	assert_int_equal(l[1].ptr[0].len_field.size, 4);
	assert_int_equal(l[1].ptr[0].len_max, 4096);
	assert_int_equal(l[1].ptr[0].dir, LAYOUT_DIR_IN);
	assert_int_equal(l[1].ptr[1].kind, LAYOUT_PTR_OPAQUE);
	assert_true(l[2].arg_unused);
	assert_int_equal(l[3].arg_size, 0);
	assert_false(l[3].arg_unused);
	assert_true(l[4].size_family);

	/* Loading registers them, families included. */
	assert_int_equal(layout_file_load(path, err, sizeof(err)), 0);
	assert_int_equal(layout_find(0xc0184702)->nr_ptrs, 2);
	assert_int_equal(layout_lookup(0x80404705, &s)->arg_size, 0x40);
	/* A second load: every number is taken. */
	assert_int_equal(layout_file_load(path, err, sizeof(err)), -EEXIST);
	assert_non_null(strstr(err, "GADGET_GET_INFO"));
}

static const struct {
	const char *text;
	int line;
	const char *why;
} bad[] = {
	{ "[ioctl A]\nnumber = 0x1\n[gadget B]\nnumber = 2\n", 3,
	  "bad section" },
	{ "number = 1\n", 1, "bad section []" },
	{ "[ioctl A]\nnumber = 0x1ffffffff\n", 2, "number" },
	{ "[ioctl A]\nnumber = -1\n", 2, "number" },
	{ "[ioctl A]\nnumber = 1\nsize = 4097\n", 3, "size" },
	{ "[ioctl A]\nnumber = 1\nsize = 8\ndir = sideways\n", 4, "dir" },
	{ "[ioctl A]\nnumber = 1\ncolour = blue\n", 3, "unknown key" },
	{ "[ioctl A]\nnumber = 1\narg = pointer\n", 3, "arg" },
	{ "[ioctl A]\nnumber = 1\nfamily = maybe\n", 3, "family" },
	/* Whole-section problems: the section's own line. */
	{ "\n[ioctl A]\nsize = 8\ndir = in\n", 2, "no number" },
	{ "[ioctl A]\nnumber = 1\n\n[ioctl B]\nnumber = 2\nsize = 8\n", 4,
	  "needs a dir" },
	{ "[ioctl A]\nnumber = 1\nsize = 8\ndir = in\n"
	  "ptr = off=4 kind=buf dir=in len=16\n", 1, "not a valid layout" },
	{ "[ioctl A]\nnumber = 1\nsize = 16\ndir = in\n"
	  "ptr = off=0 kind=buf dir=in len-field=8:4\n", 1,
	  "not a valid layout" },		/* no len-max: unbounded */
	/* Pointer syntax. */
	{ "[ioctl A]\nnumber = 1\nsize = 16\ndir = in\nptr = kind=buf\n", 5,
	  "no off" },
	{ "[ioctl A]\nnumber = 1\nsize = 16\ndir = in\nptr = off=0 x\n", 5,
	  "not key=value" },
	{ "[ioctl A]\nnumber = 1\nsize = 16\ndir = in\n"
	  "ptr = off=0 kind=iovec\n", 5, "bad kind" },
	{ "[ioctl A]\nnumber = 1\nsize = 16\ndir = in\n"
	  "ptr = off=0 len-field=8:3:unsigned\n", 5, "bad len-field" },
	{ "[ioctl A]\nnumber = 1\nsize = 64\ndir = in\n"
	  "ptr = off=0 kind=opaque\nptr = off=8 kind=opaque\n"
	  "ptr = off=16 kind=opaque\nptr = off=24 kind=opaque\n"
	  "ptr = off=32 kind=opaque\n", 9, "more than" },
	{ "[ioctl A]\nnumber = 1\nthis line has no equals sign\n", 3,
	  "syntax error" },
};

static void test_bad_files(void **state)
{
	struct ioctl_layout l[8];
	char err[256], want[128];
	unsigned int i, nr;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		write_file(bad[i].text);
		assert_int_equal(layout_file_parse(path, l, 8, &nr, err,
						   sizeof(err)), -EINVAL);
		snprintf(want, sizeof(want), "%s:%d: ", path, bad[i].line);
		if (strncmp(err, want, strlen(want)) ||
		    !strstr(err, bad[i].why))
			fail_msg("case %u: '%s', want '%s...%s'", i, err,
				 want, bad[i].why);
		/* Nothing is registered from a file with an error. */
		assert_int_equal(layout_file_load(path, err, sizeof(err)),
				 -EINVAL);
		assert_null(layout_find(1));
		unlink(path);
	}
	assert_int_equal(layout_file_parse("/nonexistent/layouts", l, 8, &nr,
					   err, sizeof(err)), -ENOENT);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test_teardown(test_good_file, teardown),
	cmocka_unit_test_teardown(test_bad_files, teardown),
};

TEST_MAIN("layout_file", tests, NULL, NULL)
