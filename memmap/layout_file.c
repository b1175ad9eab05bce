// SPDX-License-Identifier: MIT
/* Ioctl layouts from an INI file: see layout_file.h and docs/layouts.md. */
#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "layout_file.h"

#define LAYOUT_FILE_MAX	256	/* what layout_register() has room for */

struct lf_state {
	FILE *f;
	int line;		/* last line handed to inih */
	int err_line;
	char msg[256];
	struct ioctl_layout *out;
	unsigned int max, nr;
	struct ioctl_layout cur;
	int cur_line;		/* its section header; 0: none open */
	int header_line;	/* the last "[...]" line read */
	bool has_number, has_dir;
};

static int lf_fail(struct lf_state *st, int line, const char *fmt, ...)
{
	va_list ap;

	if (st->err_line)
		return 0;
	va_start(ap, fmt);
	vsnprintf(st->msg, sizeof(st->msg), fmt, ap);
	va_end(ap);
	st->err_line = line;
	return 0;
}

static char *lf_reader(char *str, int num, void *stream)
{
	struct lf_state *st = stream;
	char *r = fgets(str, num, st->f);

	if (r && (strchr(r, '\n') || feof(st->f)))
		st->line++;
	/* inih calls us per key only: remember where sections start. */
	if (r && r[strspn(r, " \t")] == '[')
		st->header_line = st->line;
	return r;
}

static int parse_u64(const char *s, uint64_t max, uint64_t *v)
{
	char *end;

	errno = 0;
	if (*s == '-')
		return -EINVAL;
	*v = strtoull(s, &end, 0);
	return errno || end == s || *end || *v > max ? -EINVAL : 0;
}

static int parse_dir(const char *s, uint8_t *dir)
{
	static const char *const names[] = { "none", "in", "out", "both" };
	unsigned int i;

	for (i = 1; i < 4; i++)
		if (!strcmp(s, names[i])) {
			*dir = (uint8_t)i;
			return 0;
		}
	return -EINVAL;
}

/* "OFF:SIZE" or "OFF:SIZE:signed". */
static int parse_field(char *s, struct layout_field *f)
{
	char *size = strchr(s, ':'), *sgn;
	uint64_t off, sz;

	if (!size)
		return -EINVAL;
	*size++ = '\0';
	sgn = strchr(size, ':');
	if (sgn) {
		*sgn++ = '\0';
		if (strcmp(sgn, "signed"))
			return -EINVAL;
	}
	if (parse_u64(s, LAYOUT_ARG_MAX, &off) || parse_u64(size, 8, &sz))
		return -EINVAL;
	f->off = (uint16_t)off;
	f->size = (uint8_t)sz;
	f->is_signed = sgn != NULL;
	return 0;
}

/* "off=N kind=buf dir=in len=N" or "... len-field=OFF:SIZE len-max=N". */
static int parse_ptr(struct lf_state *st, const char *val)
{
	struct layout_ptr *p;
	char buf[256], *tok, *save = NULL, *eq;
	uint64_t v;
	bool has_off = false;

	if (st->cur.nr_ptrs >= LAYOUT_MAX_PTRS)
		return lf_fail(st, st->line, "more than %u pointers",
			       LAYOUT_MAX_PTRS);
	if (snprintf(buf, sizeof(buf), "%s", val) >= (int)sizeof(buf))
		return lf_fail(st, st->line, "ptr: too long");
	p = &st->cur.ptr[st->cur.nr_ptrs];
	memset(p, 0, sizeof(*p));
	p->kind = LAYOUT_PTR_BUF;
	for (tok = strtok_r(buf, " \t", &save); tok;
	     tok = strtok_r(NULL, " \t", &save)) {
		eq = strchr(tok, '=');
		if (!eq)
			return lf_fail(st, st->line, "ptr: '%s' is not "
				       "key=value", tok);
		*eq++ = '\0';
		if (!strcmp(tok, "off") && !parse_u64(eq, LAYOUT_ARG_MAX, &v)) {
			p->off = (uint16_t)v;
			has_off = true;
		} else if (!strcmp(tok, "kind") && !strcmp(eq, "buf")) {
			p->kind = LAYOUT_PTR_BUF;
		} else if (!strcmp(tok, "kind") && !strcmp(eq, "opaque")) {
			p->kind = LAYOUT_PTR_OPAQUE;
		} else if (!strcmp(tok, "dir") && !parse_dir(eq, &p->dir)) {
		} else if (!strcmp(tok, "len") &&
			   !parse_u64(eq, DEVCALL_MAX_IO, &v)) {
			p->len_const = (uint32_t)v;
			if (!p->len_max)
				p->len_max = p->len_const;
		} else if (!strcmp(tok, "len-max") &&
			   !parse_u64(eq, DEVCALL_MAX_IO, &v)) {
			p->len_max = (uint32_t)v;
		} else if (!strcmp(tok, "len-field") &&
			   !parse_field(eq, &p->len_field)) {
		} else {
			return lf_fail(st, st->line, "ptr: bad %s '%s'", tok,
				       eq);
		}
	}
	if (!has_off)
		return lf_fail(st, st->line, "ptr: no off=");
	st->cur.nr_ptrs++;
	return 1;
}

/* The open section is complete: check it and keep it. */
static int lf_close(struct lf_state *st)
{
	struct ioctl_layout *l = &st->cur;

	if (!st->cur_line)
		return 1;
	st->cur_line = -st->cur_line;	/* closed, whatever happens */
	if (!st->has_number)
		return lf_fail(st, -st->cur_line, "%s: no number", l->name);
	if (l->arg_size && !st->has_dir)
		return lf_fail(st, -st->cur_line, "%s: size %u needs a dir",
			       l->name, l->arg_size);
	if (layout_validate(l))
		return lf_fail(st, -st->cur_line, "%s: not a valid layout "
			       "(a field or pointer outside the argument, "
			       "overlapping, or a pointer with no bound)",
			       l->name);
	if (st->nr >= st->max)
		return lf_fail(st, -st->cur_line, "more than %u layouts",
			       st->max);
	st->out[st->nr++] = *l;
	return 1;
}

static int lf_open(struct lf_state *st, const char *section)
{
	char *name;

	if (!lf_close(st))
		return 0;
	if (strncmp(section, "ioctl ", 6) || !section[6])
		return lf_fail(st, *section ? st->header_line : st->line,
			       "bad section [%s]: want "
			       "[ioctl NAME]", section);
	name = strdup(section + 6);	/* lives as long as the layout */
	if (!name)
		return lf_fail(st, st->line, "out of memory");
	memset(&st->cur, 0, sizeof(st->cur));
	st->cur.name = name;
	st->cur_line = st->header_line;
	st->has_number = st->has_dir = false;
	return 1;
}

static int lf_handler(void *user, const char *section, const char *key,
		      const char *val)
{
	struct lf_state *st = user;
	struct ioctl_layout *l = &st->cur;
	uint64_t v;

	if (st->err_line)
		return 0;
	/* inih reports no section change: a new name opens one. */
	if (st->cur_line <= 0 || strncmp(section, "ioctl ", 6) ||
	    strcmp(section + 6, l->name))
		if (!lf_open(st, section))
			return 0;
	if (!strcmp(key, "number")) {
		if (parse_u64(val, 0xffffffffu, &v))
			return lf_fail(st, st->line, "number: '%s'", val);
		l->cmd = (uint32_t)v;
		st->has_number = true;
	} else if (!strcmp(key, "size")) {
		if (parse_u64(val, LAYOUT_ARG_MAX, &v))
			return lf_fail(st, st->line, "size: '%s' is not "
				       "0..%u", val, LAYOUT_ARG_MAX);
		l->arg_size = (uint32_t)v;
	} else if (!strcmp(key, "dir")) {
		if (parse_dir(val, &l->arg_dir))
			return lf_fail(st, st->line, "dir: '%s' is not in, "
				       "out or both", val);
		st->has_dir = true;
	} else if (!strcmp(key, "arg")) {
		if (!strcmp(val, "unused"))
			l->arg_unused = true;
		else if (strcmp(val, "value"))
			return lf_fail(st, st->line, "arg: '%s' is not value "
				       "or unused", val);
	} else if (!strcmp(key, "family")) {
		if (strcmp(val, "yes") && strcmp(val, "no"))
			return lf_fail(st, st->line, "family: '%s' is not "
				       "yes or no", val);
		l->size_family = !strcmp(val, "yes");
	} else if (!strcmp(key, "ptr")) {
		return parse_ptr(st, val);
	} else {
		return lf_fail(st, st->line, "unknown key '%s'", key);
	}
	return 1;
}

int layout_file_parse(const char *path, struct ioctl_layout *out,
		      unsigned int max, unsigned int *nr, char *err,
		      size_t errlen)
{
	struct lf_state *st = calloc(1, sizeof(*st));
	int ret;

	*nr = 0;
	if (!st) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	st->out = out;
	st->max = max;
	st->f = fopen(path, "r");
	if (!st->f) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(-ret));
		free(st);
		return ret;
	}
	ret = ini_parse_stream(lf_reader, st, lf_handler, st);
	fclose(st->f);
	if (!ret && !st->err_line)
		lf_close(st);
	if (st->err_line) {
		snprintf(err, errlen, "%s:%d: %s", path, st->err_line,
			 st->msg);
		ret = -EINVAL;
	} else if (ret) {
		snprintf(err, errlen, "%s:%d: syntax error", path, ret);
		ret = -EINVAL;
	}
	*nr = st->nr;
	free(st);
	return ret;
}

int layout_file_load(const char *path, char *err, size_t errlen)
{
	struct ioctl_layout *l = calloc(LAYOUT_FILE_MAX, sizeof(*l));
	unsigned int i, nr;
	int ret;

	if (!l) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	ret = layout_file_parse(path, l, LAYOUT_FILE_MAX, &nr, err, errlen);
	for (i = 0; !ret && i < nr; i++) {
		ret = layout_register(&l[i]);
		if (ret)
			snprintf(err, errlen, "%s: [ioctl %s]: %s", path,
				 l[i].name, ret == -EEXIST ?
				 "number already registered" :
				 "no room for more layouts");
	}
	free(l);
	return ret;
}
