// SPDX-License-Identifier: MIT
/*
 * The runtime changes' file: see runtime_state.h for its format and why
 * it lives in the run directory.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime_state.h"

#define STATE_HEADER	"devcall-runtime-changes 1"
#define MAX_FIELDS	4		/* op and three */

static const char hex[] = "0123456789abcdef";

static bool plain_byte(unsigned char c)
{
	return c >= '!' && c <= '~' && c != '%';
}

static int put_field(FILE *f, const char *s)
{
	if (!*s)
		return fputs(" -", f) < 0 ? -1 : 0;
	if (fputc(' ', f) == EOF)
		return -1;
	if (!strcmp(s, "-"))
		return fputs("%2d", f) < 0 ? -1 : 0;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (plain_byte(c) ? fputc(c, f) == EOF :
		    fprintf(f, "%%%c%c", hex[c >> 4], hex[c & 15]) < 0)
			return -1;
	}
	return 0;
}

static int put_change(FILE *f, const struct runtime_change *rc)
{
	const char *op = rc->is_vm ? (rc->remove ? "vm-remove" : "vm-add") :
			 (rc->remove ? "export-remove" : "export-add");

	if (fputs(op, f) < 0 || put_field(f, rc->vm))
		return -1;
	if (!rc->is_vm && put_field(f, rc->name))
		return -1;
	if (!rc->remove && put_field(f, rc->flag))
		return -1;
	if (rc->is_vm && !rc->remove && put_field(f, rc->file))
		return -1;
	return fputc('\n', f) == EOF ? -1 : 0;
}

int runtime_state_save(const char *path, const struct runtime_change *rc,
		       unsigned int n, char *err, size_t errlen)
{
	char tmp[PATH_MAX];
	unsigned int i;
	FILE *f = NULL;
	int fd, ret = 0;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.new", path) >= sizeof(tmp)) {
		snprintf(err, errlen, "%s: %s", path, strerror(ENAMETOOLONG));
		return -ENAMETOOLONG;
	}
	/* Left by a save that died half way: ours, in our directory. */
	if (unlink(tmp) && errno != ENOENT) {
		ret = -errno;
		goto fail;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		  0600);
	if (fd < 0) {
		ret = -errno;
		goto fail;
	}
	f = fdopen(fd, "w");
	if (!f) {
		ret = -errno;
		close(fd);
		goto fail_unlink;
	}
	errno = EIO;
	if (fprintf(f, "%s\n", STATE_HEADER) < 0)
		goto fail_write;
	for (i = 0; i < n; i++)
		if (put_change(f, &rc[i]))
			goto fail_write;
	if (fflush(f) || fsync(fileno(f)))
		goto fail_write;
	if (fclose(f)) {
		f = NULL;
		goto fail_write;
	}
	f = NULL;
	if (rename(tmp, path)) {
		ret = -errno;
		goto fail_unlink;
	}
	return 0;
fail_write:
	ret = errno ? -errno : -EIO;
	if (f)
		fclose(f);
fail_unlink:
	unlink(tmp);
fail:
	snprintf(err, errlen, "%s: %s", path, strerror(-ret));
	return ret;
}

static int hex_val(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Field s (NUL-terminated, no spaces) decoded into dst of size len. */
static const char *get_field(const char *s, char *dst, size_t len)
{
	size_t n = 0;

	if (!strcmp(s, "-")) {
		*dst = '\0';
		return NULL;
	}
	for (; *s; s++) {
		int c = (unsigned char)*s;

		if (c == '%') {
			int hi = hex_val(s[1]), lo = hi < 0 ? -1 : hex_val(s[2]);

			if (lo < 0)
				return "a bad %-escape";
			c = hi << 4 | lo;
			if (!c)
				return "a NUL byte";
			s += 2;
		} else if (!plain_byte((unsigned char)c)) {
			return "a byte that should be escaped";
		}
		if (n + 1 >= len)
			return "a field too long";
		dst[n++] = (char)c;
	}
	dst[n] = '\0';
	return NULL;
}

/* One line (its '\n' gone) into rc: NULL, or what is wrong with it. */
static const char *parse_change(char *line, struct runtime_change *rc)
{
	char *field[MAX_FIELDS + 1], *save = NULL, *tok;
	unsigned int nf = 0, want;
	const char *why;

	memset(rc, 0, sizeof(*rc));
	if (strstr(line, "  ") || *line == ' ' ||
	    (*line && line[strlen(line) - 1] == ' '))
		return "fields are separated by one space";
	for (tok = strtok_r(line, " ", &save); tok;
	     tok = strtok_r(NULL, " ", &save)) {
		if (nf == MAX_FIELDS + 1)
			return "too many fields";
		field[nf++] = tok;
	}
	if (!nf)
		return "an empty line";
	if (!strcmp(field[0], "export-add")) {
		want = 4;
	} else if (!strcmp(field[0], "export-remove")) {
		rc->remove = true;
		want = 3;
	} else if (!strcmp(field[0], "vm-add")) {
		rc->is_vm = true;
		want = 4;
	} else if (!strcmp(field[0], "vm-remove")) {
		rc->is_vm = rc->remove = true;
		want = 2;
	} else {
		return "an unknown change";
	}
	if (nf != want)
		return "the wrong number of fields";
	why = get_field(field[1], rc->vm, sizeof(rc->vm));
	if (!why && !rc->is_vm)
		why = get_field(field[2], rc->name, sizeof(rc->name));
	if (!why && !rc->remove)
		why = get_field(field[rc->is_vm ? 2 : 3], rc->flag,
				sizeof(rc->flag));
	if (!why && rc->is_vm && !rc->remove)
		why = get_field(field[3], rc->file, sizeof(rc->file));
	if (why)
		return why;
	if (!rc->vm[0] || (!rc->is_vm && !rc->name[0]) ||
	    (!rc->remove && !rc->flag[0]))
		return "an empty field";
	return NULL;
}

int runtime_state_load(const char *path, struct runtime_change *rc,
		       unsigned int max, unsigned int *n, char *err,
		       size_t errlen)
{
	const char *why = NULL;
	size_t cap = 0;
	char *line = NULL;
	unsigned int lineno = 0;
	struct stat st;
	ssize_t len;
	FILE *f;
	int fd, ret = -EINVAL;

	*n = 0;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (fd < 0 && errno == ENOENT)
		return 0;
	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(-ret));
		return ret;
	}
	/* What the daemon wrote, and nobody else could have. */
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) ||
	    st.st_uid != geteuid() || (st.st_mode & 022)) {
		snprintf(err, errlen, "%s: not a regular file of uid %u "
			 "writable by it alone", path, (unsigned int)geteuid());
		close(fd);
		return -EPERM;
	}
	f = fdopen(fd, "r");
	if (!f) {
		ret = -errno;
		close(fd);
		snprintf(err, errlen, "%s: %s", path, strerror(-ret));
		return ret;
	}
	while ((len = getline(&line, &cap, f)) >= 0) {
		lineno++;
		if (len && line[len - 1] == '\n')
			line[--len] = '\0';
		if ((size_t)len != strlen(line)) {
			why = "a NUL byte";
			break;
		}
		if (lineno == 1) {
			if (strcmp(line, STATE_HEADER))
				why = "not a devcall-runtime-changes 1 file";
		} else if (*n == max) {
			why = "too many changes";
		} else {
			why = parse_change(line, &rc[*n]);
			if (!why)
				(*n)++;
		}
		if (why)
			break;
	}
	if (!why && ferror(f))
		why = strerror(EIO);
	else if (!why && !lineno)
		why = "an empty file";
	free(line);
	fclose(f);
	if (!why)
		return 0;
	*n = 0;
	if (lineno)
		snprintf(err, errlen, "%s:%u: %s", path, lineno, why);
	else
		snprintf(err, errlen, "%s: %s", path, why);
	return ret;
}
