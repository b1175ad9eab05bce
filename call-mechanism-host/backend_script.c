// SPDX-License-Identifier: MIT
/*
 * The "script" backend: see backend_script.h. One state per export (its
 * parsed rules, their counters, the record file), made at the export's
 * first open and kept while the daemon runs.
 *
 * A line format rather than INI: rules are ordered and repeat (three
 * "read" answers in a row are a sequence), which INI sections, unique by
 * name, do not say; and one rule per line reads like the call it answers.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include "backend_script.h"
#include "config.h"
#include "ioctl_layout.h"
#include "log.h"

static const char *const op_names[SCRIPT_NR_OPS] = {
	"open", "close", "read", "write", "ioctl", "fsync",
};

#define SCRIPT_FILE_MAX	(256 * 1024)	/* bytes of a script */
#define RECORD_BYTES	4096		/* of data, per record field */

int script_errno(const char *name)
{
	char *end;
	long v;
	int i;

	if (isdigit((unsigned char)name[0])) {
		v = strtol(name, &end, 0);
		return !*end && v > 0 && v < 4096 ? (int)v : 0;
	}
	for (i = 1; i < 134; i++) {
		const char *n = strerrorname_np(i);

		if (n && !strcmp(n, name))
			return i;
	}
	return 0;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/*
 * One token at *p: a bare word, or KEY="text with \"escapes\"" whose
 * value is unescaped into buf. Returns its length in buf, -1 at the end
 * of the line, -2 on a bad quote or escape.
 */
static int next_token(const char **p, char *buf, size_t len, size_t *used)
{
	const char *s = *p;
	size_t n = 0;
	bool quoted = false;

	while (*s == ' ' || *s == '\t')
		s++;
	if (!*s || *s == '#' || *s == '\n')
		return -1;
	while (*s && (quoted || (*s != ' ' && *s != '\t' && *s != '\n'))) {
		int c = (unsigned char)*s++;

		if (c == '"') {
			quoted = !quoted;
			continue;
		}
		if (quoted && c == '\\') {
			c = (unsigned char)*s++;
			switch (c) {
			case 'n': c = '\n'; break;
			case 't': c = '\t'; break;
			case 'r': c = '\r'; break;
			case '0': c = '\0'; break;
			case '\\': case '"': break;
			case 'x':
				if (hexval(s[0]) < 0 || hexval(s[1]) < 0)
					return -2;
				c = hexval(s[0]) * 16 + hexval(s[1]);
				s += 2;
				break;
			default:
				return -2;
			}
		}
		if (n + 1 >= len)
			return -2;
		buf[n++] = (char)c;
	}
	if (quoted)
		return -2;
	buf[n] = '\0';
	*used = n;
	*p = s;
	return 0;
}

/* BYTES: text as given (already unescaped), or hex:.. */
static int parse_bytes(const char *v, size_t vlen, struct script_bytes *b)
{
	size_t i, n;

	if (vlen >= 4 && !strncmp(v, "hex:", 4)) {
		v += 4;
		vlen -= 4;
		if (vlen % 2 || vlen / 2 > SCRIPT_BYTES_MAX)
			return -EINVAL;
		n = vlen / 2;
		b->data = malloc(n ? n : 1);
		if (!b->data)
			return -ENOMEM;
		for (i = 0; i < n; i++) {
			int hi = hexval(v[2 * i]), lo = hexval(v[2 * i + 1]);

			if (hi < 0 || lo < 0)
				return -EINVAL;
			b->data[i] = (uint8_t)(hi * 16 + lo);
		}
	} else {
		if (vlen > SCRIPT_BYTES_MAX)
			return -EINVAL;
		n = vlen;
		b->data = malloc(n ? n : 1);
		if (!b->data)
			return -ENOMEM;
		memcpy(b->data, v, n);
	}
	b->len = (uint32_t)n;
	return 0;
}

/* The name of a layout: registered and built-in ones are searched. */
struct name_search {
	const char *name;
	uint32_t cmd;
	bool found;
};

static void name_visit(const struct ioctl_layout *l, void *ctx)
{
	struct name_search *ns = ctx;

	if (!ns->found && l->name && !strcmp(l->name, ns->name)) {
		ns->cmd = l->cmd;
		ns->found = true;
	}
}

static int parse_selector(const char *tok, struct script_rule *r)
{
	struct name_search ns = { .name = tok };
	char *end;
	unsigned long v;

	if (!strcmp(tok, "*")) {
		r->any_cmd = true;
		return 0;
	}
	if (isdigit((unsigned char)tok[0])) {
		v = strtoul(tok, &end, 0);
		if (*end || v > UINT32_MAX)
			return -EINVAL;
		r->cmd = (uint32_t)v;
		return 0;
	}
	layout_for_each(name_visit, &ns);
	if (!ns.found)
		return -ENOENT;
	r->cmd = ns.cmd;
	return 0;
}

static int parse_uint(const char *v, unsigned long long max,
		      unsigned long long *out)
{
	char *end;

	if (!isdigit((unsigned char)v[0]))
		return -EINVAL;
	errno = 0;
	*out = strtoull(v, &end, 0);
	return errno || *end || *out > max ? -EINVAL : 0;
}

static int parse_delay(const char *v, uint64_t *us)
{
	unsigned long long n, mult;
	char *end;

	if (!isdigit((unsigned char)v[0]))
		return -EINVAL;
	n = strtoull(v, &end, 10);
	if (!strcmp(end, "us"))
		mult = 1;
	else if (!strcmp(end, "ms"))
		mult = 1000;
	else if (!strcmp(end, "s"))
		mult = 1000000;
	else
		return -EINVAL;
	if (n > 60000000ull / mult)	/* at most a minute */
		return -EINVAL;
	*us = n * mult;
	return 0;
}

static int parse_action(struct script_rule *r, char *tok, size_t len,
			char *err, size_t errlen)
{
	char *eq = memchr(tok, '=', len), *v;
	unsigned long long n;
	size_t vlen;
	int e, ret;

	if (!eq) {
		snprintf(err, errlen, "'%.32s' is not KEY=VALUE", tok);
		return -EINVAL;
	}
	*eq = '\0';
	v = eq + 1;
	vlen = len - (size_t)(v - tok);
	if (!strcmp(tok, "call") || !strcmp(tok, "times")) {
		if (parse_uint(v, 1000000, &n) || !n)
			goto bad;
		*(tok[0] == 'c' ? &r->call : &r->times) = (unsigned int)n;
	} else if (!strcmp(tok, "errno")) {
		e = script_errno(v);
		if (!e)
			goto bad;
		r->has_result = true;
		r->result = -e;
	} else if (!strcmp(tok, "result")) {
		if (parse_uint(v, INT32_MAX, &n))
			goto bad;
		r->has_result = true;
		r->result = (int64_t)n;
	} else if (!strcmp(tok, "delay")) {
		if (parse_delay(v, &r->delay_us))
			goto bad;
	} else if (!strncmp(tok, "out", 3) &&
		   (!tok[3] || (tok[3] >= '0' && tok[3] <= '3' && !tok[4]))) {
		struct script_bytes *b = &r->out[tok[3] ? tok[3] - '0' + 1 : 0];

		if (b->data)
			goto bad;
		if (tok[3] && r->op != SCRIPT_IOCTL) {
			snprintf(err, errlen, "%.16s: only ioctls have pointers",
				 tok);
			return -EINVAL;
		}
		ret = parse_bytes(v, vlen, b);
		if (ret == -ENOMEM) {
			snprintf(err, errlen, "out of memory");
			return ret;
		}
		if (ret)
			goto bad;
	} else {
		snprintf(err, errlen, "unknown key '%.32s' (call, times, errno, "
			 "result, out, out0..out3, delay)", tok);
		return -EINVAL;
	}
	return 0;
bad:
	snprintf(err, errlen, "%.16s: bad value", tok);
	return -EINVAL;
}

static int parse_line(const char *p, unsigned int line, struct script *s,
		      char *err, size_t errlen)
{
	char tok[2 * SCRIPT_BYTES_MAX + 64];
	struct script_rule *r;
	size_t len;
	int ret, op;

	ret = next_token(&p, tok, sizeof(tok), &len);
	if (ret == -1)
		return 0;			/* blank or comment */
	if (ret)
		goto bad_token;
	for (op = 0; op < SCRIPT_NR_OPS; op++)
		if (!strcmp(tok, op_names[op]))
			break;
	if (op == SCRIPT_NR_OPS) {
		snprintf(err, errlen, "%u: '%.32s' is not open, close, read, "
			 "write, ioctl or fsync", line, tok);
		return -EINVAL;
	}
	if (s->nr_rules >= SCRIPT_RULES_MAX) {
		snprintf(err, errlen, "%u: more than %d rules", line,
			 SCRIPT_RULES_MAX);
		return -EINVAL;
	}
	r = &s->rule[s->nr_rules++];
	memset(r, 0, sizeof(*r));
	r->line = line;
	r->op = op;
	if (op == SCRIPT_IOCTL) {
		ret = next_token(&p, tok, sizeof(tok), &len);
		if (ret == -1 || (!ret && strchr(tok, '='))) {
			snprintf(err, errlen, "%u: ioctl needs a layout name, "
				 "a number or *", line);
			return -EINVAL;
		}
		if (ret)
			goto bad_token;
		if (parse_selector(tok, r)) {
			snprintf(err, errlen, "%u: '%.64s' is no ioctl layout's "
				 "name (devcalld --list-layouts) nor a number",
				 line, tok);
			return -EINVAL;
		}
	}
	while (!(ret = next_token(&p, tok, sizeof(tok), &len))) {
		char why[160];

		if (parse_action(r, tok, len, why, sizeof(why))) {
			snprintf(err, errlen, "%u: %s", line, why);
			return -EINVAL;
		}
	}
	if (ret == -1)
		return 0;
bad_token:
	snprintf(err, errlen, "%u: bad quoting, escape or length", line);
	return -EINVAL;
}

int script_parse(const char *text, struct script *s, char *err,
		 size_t errlen)
{
	unsigned int line = 1;
	const char *p = text;
	int ret;

	s->nr_rules = 0;
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		char *copy = strndup(p, n);

		if (!copy) {
			snprintf(err, errlen, "out of memory");
			return -ENOMEM;
		}
		ret = parse_line(copy, line, s, err, errlen);
		free(copy);
		if (ret)
			return ret;
		p += n + (nl != NULL);
		line++;
	}
	return 0;
}

int script_load(const char *path, struct script *s, char *err,
		size_t errlen)
{
	char why[256];
	char *text;
	ssize_t n;
	int fd, ret;

	s->nr_rules = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "script %s: %s", path, strerror(errno));
		return -errno;
	}
	text = malloc(SCRIPT_FILE_MAX + 1);
	if (!text) {
		close(fd);
		return -ENOMEM;
	}
	n = read(fd, text, SCRIPT_FILE_MAX + 1);
	close(fd);
	if (n < 0 || n > SCRIPT_FILE_MAX) {
		snprintf(err, errlen, "script %s: %s", path,
			 n < 0 ? strerror(errno) : "larger than 256 KiB");
		free(text);
		return -EINVAL;
	}
	text[n] = '\0';
	ret = script_parse(text, s, why, sizeof(why));
	free(text);
	if (ret)
		snprintf(err, errlen, "%s:%s", path, why);
	return ret;
}

void script_free(struct script *s)
{
	unsigned int i, j;

	for (i = 0; i < s->nr_rules; i++)
		for (j = 0; j < SCRIPT_OUTS; j++) {
			free(s->rule[i].out[j].data);
			s->rule[i].out[j].data = NULL;
		}
	s->nr_rules = 0;
}

struct script_rule *script_match(struct script *s, enum script_op op,
				 uint32_t cmd)
{
	struct script_rule *found = NULL;
	unsigned int i;

	for (i = 0; i < s->nr_rules; i++) {
		struct script_rule *r = &s->rule[i];

		if (r->op != op ||
		    (op == SCRIPT_IOCTL && !r->any_cmd && r->cmd != cmd))
			continue;
		r->matched++;
		if (found || (r->call && r->call != r->matched) ||
		    (r->times && r->used >= r->times))
			continue;
		r->used++;
		found = r;
	}
	return found;
}

int script_check(const struct export *exp, char *err, size_t errlen)
{
	struct script *s;
	int ret;

	if (!exp->script[0]) {
		snprintf(err, errlen, "backend = script needs script = FILE");
		return -EINVAL;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	ret = script_load(exp->script, s, err, errlen);
	script_free(s);
	free(s);
	return ret;
}

/* ---- the backend ---- */

/* One per export, made at its first open; never freed (small, few). */
struct script_dev {
	const struct export *exp;
	pthread_mutex_t lock;
	struct script script;
	int record_fd;			/* -1: no record */
	uint64_t seq;
	struct script_dev *next;
};

struct script_file {
	struct script_dev *dev;
	uint64_t pos;
};

static struct script_dev *devs;
static pthread_mutex_t devs_lock = PTHREAD_MUTEX_INITIALIZER;

static struct script_dev *script_dev_get(const struct export *exp)
{
	struct script_dev *d;
	char err[512];

	pthread_mutex_lock(&devs_lock);
	for (d = devs; d && d->exp != exp; d = d->next)
		;
	if (d)
		goto out;
	d = calloc(1, sizeof(*d));
	if (!d)
		goto out;
	if (script_load(exp->script, &d->script, err, sizeof(err))) {
		log_msg(LOG_ERR, "export %s: %s", exp->name, err);
		script_free(&d->script);
		free(d);
		d = NULL;
		goto out;
	}
	d->exp = exp;
	pthread_mutex_init(&d->lock, NULL);
	d->record_fd = -1;
	if (exp->record[0]) {
		d->record_fd = open(exp->record, O_WRONLY | O_CREAT | O_APPEND |
				    O_CLOEXEC, 0644);
		if (d->record_fd < 0)
			log_msg(LOG_WARN, "export %s: record %s: %s",
				exp->name, exp->record, strerror(errno));
	}
	d->next = devs;
	devs = d;
out:
	pthread_mutex_unlock(&devs_lock);
	return d;
}

/* A JSON line being built: hex and numbers only, so no escaping. */
struct rec {
	char *buf;
	size_t len, cap;
};

static void rec_add(struct rec *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void rec_add(struct rec *r, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!r->buf || r->len >= r->cap)
		return;
	va_start(ap, fmt);
	n = vsnprintf(r->buf + r->len, r->cap - r->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		r->len += (size_t)n;
}

/* "key":"hex" of up to RECORD_BYTES of p, read once. */
static void rec_hex(struct rec *r, const char *key, const void *p,
		    size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const uint8_t *b = p;
	size_t i;

	if (len > RECORD_BYTES)
		len = RECORD_BYTES;
	rec_add(r, ",\"%s\":\"", key);
	if (!r->buf || r->len + 2 * len + 2 >= r->cap)
		return;
	for (i = 0; i < len; i++) {
		uint8_t c = b[i];

		r->buf[r->len++] = hex[c >> 4];
		r->buf[r->len++] = hex[c & 15];
	}
	rec_add(r, "\"");
}

static void rec_begin(struct rec *r, struct script_dev *d, enum script_op op)
{
	r->cap = 4 * RECORD_BYTES + 4 * 2 * RECORD_BYTES + 512;
	r->buf = d->record_fd >= 0 ? malloc(r->cap) : NULL;
	r->len = 0;
	rec_add(r, "{\"seq\":%" PRIu64 ",\"op\":\"%s\"", ++d->seq,
		op_names[op]);
}

/* The result and the rule; then the line goes out whole (O_APPEND). */
static void rec_end(struct rec *r, struct script_dev *d,
		    const struct script_rule *rule, int64_t ret)
{
	const char *e = ret < 0 ? strerrorname_np((int)-ret) : NULL;

	rec_add(r, ",\"result\":%" PRId64, ret);
	if (e)
		rec_add(r, ",\"errno\":\"%s\"", e);
	rec_add(r, ",\"rule\":%u}\n", rule ? rule->line : 0);
	if (r->buf && r->len < r->cap &&
	    write(d->record_fd, r->buf, r->len) != (ssize_t)r->len)
		log_msg(LOG_WARN, "export %s: record: short write",
			d->exp->name);
	free(r->buf);
}

static void script_delay(const struct script_rule *rule)
{
	struct timespec ts;

	if (!rule || !rule->delay_us)
		return;
	ts.tv_sec = (time_t)(rule->delay_us / 1000000);
	ts.tv_nsec = (long)(rule->delay_us % 1000000) * 1000;
	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/*
 * Answer a call: find the rule under the lock, sleep outside it (the
 * device's other files go on), then the caller fills its data.
 */
static struct script_rule *script_enter(struct script_dev *d,
					enum script_op op, uint32_t cmd)
{
	struct script_rule *rule;

	pthread_mutex_lock(&d->lock);
	rule = script_match(&d->script, op, cmd);
	pthread_mutex_unlock(&d->lock);
	script_delay(rule);
	return rule;
}

static int script_open(const struct export *exp, int oflags, void **priv,
		       struct backend_file_info *info)
{
	struct script_dev *d = script_dev_get(exp);
	struct script_rule *rule;
	struct script_file *f;
	struct rec r;
	int ret = 0;

	if (!d)
		return -EIO;
	rule = script_enter(d, SCRIPT_OPEN, 0);
	if (rule && rule->has_result && rule->result < 0)
		ret = (int)rule->result;
	if (!ret) {
		f = calloc(1, sizeof(*f));
		if (!f) {
			ret = -ENOMEM;
		} else {
			f->dev = d;
			info->mode = S_IFCHR | 0600;
			*priv = f;
		}
	}
	pthread_mutex_lock(&d->lock);
	rec_begin(&r, d, SCRIPT_OPEN);
	rec_add(&r, ",\"flags\":\"0x%x\"", (unsigned int)oflags);
	rec_end(&r, d, rule, ret);
	pthread_mutex_unlock(&d->lock);
	return ret;
}

/* A call with no data: close and fsync. */
static int script_simple(struct script_file *f, enum script_op op)
{
	struct script_dev *d = f->dev;
	struct script_rule *rule = script_enter(d, op, 0);
	int ret = rule && rule->has_result ? (int)rule->result : 0;
	struct rec r;

	pthread_mutex_lock(&d->lock);
	rec_begin(&r, d, op);
	rec_end(&r, d, rule, ret);
	pthread_mutex_unlock(&d->lock);
	return ret;
}

static int script_close(void *priv)
{
	int ret = script_simple(priv, SCRIPT_CLOSE);

	free(priv);
	return ret;
}

static int script_fsync(void *priv, bool datasync)
{
	(void)datasync;
	return script_simple(priv, SCRIPT_FSYNC);
}

/* read: out= is the data (up to the buffer); default end of file. */
static ssize_t script_read(void *priv, const struct iovec *iov, int iovcnt,
			   int64_t off, bool nonblock)
{
	struct script_file *f = priv;
	struct script_dev *d = f->dev;
	struct script_rule *rule = script_enter(d, SCRIPT_READ, 0);
	const struct script_bytes *b = rule ? &rule->out[0] : NULL;
	size_t want = devcall_iov_len(iov, iovcnt), done = 0;
	size_t have = b && b->data ? b->len : 0;
	ssize_t ret;
	struct rec r;
	int i;

	ret = rule && rule->has_result ? (ssize_t)rule->result :
					 (ssize_t)have;
	if (ret > (ssize_t)want)
		ret = (ssize_t)want;
	/*
	 * The data, then zeros up to a larger result=: the iovecs may be
	 * the response's own buffer, whose old bytes must not reach the
	 * guest.
	 */
	for (i = 0; ret > 0 && i < iovcnt && done < (size_t)ret; i++) {
		size_t n = iov[i].iov_len, k;

		if (n > (size_t)ret - done)
			n = (size_t)ret - done;
		k = done < have ? have - done : 0;
		if (k > n)
			k = n;
		if (k)
			memcpy(iov[i].iov_base, b->data + done, k);
		memset((uint8_t *)iov[i].iov_base + k, 0, n - k);
		done += n;
	}
	if (ret > 0 && off < 0)
		f->pos += (uint64_t)ret;
	pthread_mutex_lock(&d->lock);
	rec_begin(&r, d, SCRIPT_READ);
	rec_add(&r, ",\"len\":%zu,\"off\":%" PRId64 ",\"nonblock\":%s", want,
		off, nonblock ? "true" : "false");
	rec_end(&r, d, rule, ret);
	pthread_mutex_unlock(&d->lock);
	return ret;
}

/* write: the bytes are recorded; default all taken. */
static ssize_t script_write(void *priv, const struct iovec *iov, int iovcnt,
			    int64_t off, bool nonblock)
{
	struct script_file *f = priv;
	struct script_dev *d = f->dev;
	struct script_rule *rule = script_enter(d, SCRIPT_WRITE, 0);
	size_t want = devcall_iov_len(iov, iovcnt), n = 0;
	uint8_t *copy = malloc(RECORD_BYTES);
	ssize_t ret;
	struct rec r;
	int i;

	/* Live guest RAM past a page: copied once, then only the copy. */
	for (i = 0; copy && i < iovcnt && n < RECORD_BYTES; i++) {
		size_t k = iov[i].iov_len;

		if (k > RECORD_BYTES - n)
			k = RECORD_BYTES - n;
		memcpy(copy + n, iov[i].iov_base, k);
		n += k;
	}
	ret = rule && rule->has_result ? (ssize_t)rule->result :
					 (ssize_t)want;
	if (ret > (ssize_t)want)
		ret = (ssize_t)want;
	if (ret > 0 && off < 0)
		f->pos += (uint64_t)ret;
	pthread_mutex_lock(&d->lock);
	rec_begin(&r, d, SCRIPT_WRITE);
	rec_add(&r, ",\"len\":%zu,\"off\":%" PRId64 ",\"nonblock\":%s", want,
		off, nonblock ? "true" : "false");
	if (copy)
		rec_hex(&r, "in", copy, n);
	rec_end(&r, d, rule, ret);
	pthread_mutex_unlock(&d->lock);
	free(copy);
	return ret;
}

/*
 * What the driver was handed for cmd: the layout the dispatcher used (a
 * registered or built-in one, or the export's allow entry). false: an
 * integer argument.
 */
static bool script_arg_layout(const struct export *exp, uint32_t cmd,
			      struct ioctl_layout *l)
{
	unsigned int i;

	if (!devcall_layout_get(cmd, l))
		return l->arg_size != 0;
	memset(l, 0, sizeof(*l));
	for (i = 0; i < exp->ioctl.nr_allow; i++) {
		const struct ioctl_allow *a = &exp->ioctl.allow[i];

		if (a->cmd != cmd)
			continue;
		if (a->kind == IOCTL_ARG_NONE || a->kind == IOCTL_ARG_INT)
			return false;
		l->arg_size = a->size;
		l->arg_dir = a->kind == IOCTL_ARG_IN ? LAYOUT_DIR_IN :
			     a->kind == IOCTL_ARG_OUT ? LAYOUT_DIR_OUT :
			     LAYOUT_DIR_BOTH;
		return true;
	}
	return false;
}

/* Pointer i of l in the host argument: where, how long, which way. */
static uint8_t *script_ptr(const struct ioctl_layout *l, unsigned int i,
			   uint8_t *arg, size_t *len, uint8_t *dir)
{
	struct layout_ptr_instance pi;
	uint64_t host;

	if (i >= l->nr_ptrs || l->ptr[i].kind != LAYOUT_PTR_BUF ||
	    layout_ptr_resolve(l, i, arg, &pi) || pi.iovec || pi.records)
		return NULL;
	memcpy(&host, arg + l->ptr[i].off, sizeof(host));
	*len = (size_t)pi.len;
	*dir = pi.dir;
	return host ? (uint8_t *)(uintptr_t)host : NULL;
}

/*
 * The argument as the guest gave it, for the record: its pointer fields
 * hold daemon addresses, which say nothing to a test and change from
 * run to run; they are recorded as zeros.
 */
static void rec_arg(struct rec *r, const char *key,
		    const struct ioctl_layout *l, const uint8_t *a)
{
	uint8_t copy[LAYOUT_ARG_MAX];
	unsigned int i;

	memcpy(copy, a, l->arg_size);
	for (i = 0; i < l->nr_ptrs; i++)
		if (l->ptr[i].off + 8u <= l->arg_size)
			memset(copy + l->ptr[i].off, 0, 8);
	rec_hex(r, key, copy, l->arg_size);
}

static long script_ioctl(void *priv, uint32_t cmd, unsigned long arg)
{
	struct script_file *f = priv;
	struct script_dev *d = f->dev;
	struct ioctl_layout l;
	bool has_arg = script_arg_layout(d->exp, cmd, &l);
	struct script_rule *rule;
	uint8_t *a = has_arg ? (uint8_t *)arg : NULL, dir;
	char key[8];
	unsigned int i;
	struct rec r;
	size_t len;
	long ret;

	pthread_mutex_lock(&d->lock);
	rec_begin(&r, d, SCRIPT_IOCTL);
	rec_add(&r, ",\"cmd\":\"0x%08x\"", cmd);
	if (has_arg || !devcall_layout_get(cmd, &l))
		rec_add(&r, ",\"name\":\"%s\"",
			l.name && strspn(l.name, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
					 "abcdefghijklmnopqrstuvwxyz0123456789_()")
					 == strlen(l.name) ? l.name : "");
	if (!has_arg)
		rec_add(&r, ",\"arg\":%lu", arg);
	/* What the guest handed in: the argument, and IN memory behind
	 * its pointers (private copies up to a page: read once here). */
	if (a && l.arg_dir & LAYOUT_DIR_IN)
		rec_arg(&r, "in", &l, a);
	for (i = 0; a && i < l.nr_ptrs; i++) {
		uint8_t *p = script_ptr(&l, i, a, &len, &dir);

		snprintf(key, sizeof(key), "in%u", i);
		if (p && dir & LAYOUT_DIR_IN)
			rec_hex(&r, key, p, len);
	}
	pthread_mutex_unlock(&d->lock);

	rule = script_enter(d, SCRIPT_IOCTL, cmd);
	ret = rule && rule->has_result ? (long)rule->result :
	      rule ? 0 : -ENOTTY;
	/* Out bytes where the driver may write: clamped to the memory. */
	if (rule && a && rule->out[0].data && l.arg_dir & LAYOUT_DIR_OUT)
		memcpy(a, rule->out[0].data, rule->out[0].len < l.arg_size ?
		       rule->out[0].len : l.arg_size);
	for (i = 0; rule && a && i < l.nr_ptrs && i < SCRIPT_OUTS - 1; i++) {
		const struct script_bytes *b = &rule->out[i + 1];
		uint8_t *p;

		if (!b->data)
			continue;
		p = script_ptr(&l, i, a, &len, &dir);
		if (p && dir & LAYOUT_DIR_OUT)
			memcpy(p, b->data, b->len < len ? b->len : len);
	}

	pthread_mutex_lock(&d->lock);
	if (a && l.arg_dir & LAYOUT_DIR_OUT && ret >= 0)
		rec_arg(&r, "out", &l, a);
	rec_end(&r, d, rule, ret);
	pthread_mutex_unlock(&d->lock);
	return ret;
}

const struct backend_ops backend_script = {
	.name = "script",
	.open = script_open,
	.close = script_close,
	.read = script_read,
	.write = script_write,
	.ioctl = script_ioctl,
	.fsync = script_fsync,
};
