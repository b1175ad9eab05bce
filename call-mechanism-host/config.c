// SPDX-License-Identifier: MIT
/*
 * Daemon configuration from an INI file (libinih) and from command-line
 * flags. Both feed the same per-key setters, so a flag and a file line mean
 * exactly the same thing and fail with the same message. Format:
 * docs/config.md.
 */
#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <ini.h>

#include "backend.h"
#include "backend_script.h"
#include "config.h"
#include "ioctl_layout.h"

const char *config_sysfs_dev_block = "/sys/dev/block";

/*
 * CDB opcodes a passthrough export allows unless scsi-opcodes says
 * otherwise: what CD/DVD burning, ripping and eject tools send (wodim,
 * cdrskin/xorriso, growisofs, cdparanoia, eject). Not WRITE BUFFER (0x3b,
 * firmware download), READ BUFFER (0x3c, drive memory), ATA PASS-THROUGH
 * (0x85) or vendor-specific opcodes (wodim's 0xe5 probe gets ILLEGAL
 * REQUEST, as from a drive that lacks it). 0xa1 is BLANK on MMC drives.
 */
static const uint8_t scsi_default_opcodes[] = {
	0x00,	/* TEST UNIT READY */
	0x03,	/* REQUEST SENSE */
	0x04,	/* FORMAT UNIT */
	0x12,	/* INQUIRY */
	0x1a,	/* MODE SENSE(6) */
	0x1b,	/* START STOP UNIT (eject, load) */
	0x1e,	/* PREVENT ALLOW MEDIUM REMOVAL */
	0x23,	/* READ FORMAT CAPACITIES */
	0x25,	/* READ CAPACITY */
	0x28,	/* READ(10) */
	0x2a,	/* WRITE(10) */
	0x2b,	/* SEEK(10) */
	0x35,	/* SYNCHRONIZE CACHE */
	0x42,	/* READ SUB-CHANNEL */
	0x43,	/* READ TOC/PMA/ATIP */
	0x44,	/* READ HEADER */
	0x46,	/* GET CONFIGURATION */
	0x4a,	/* GET EVENT STATUS NOTIFICATION */
	0x51,	/* READ DISC INFORMATION */
	0x52,	/* READ TRACK INFORMATION */
	0x53,	/* RESERVE TRACK */
	0x54,	/* SEND OPC INFORMATION */
	0x55,	/* MODE SELECT(10) */
	0x5a,	/* MODE SENSE(10) */
	0x5b,	/* CLOSE TRACK/SESSION */
	0x5c,	/* READ BUFFER CAPACITY */
	0x5d,	/* SEND CUE SHEET */
	0xa1,	/* BLANK */
	0xa3,	/* SEND KEY */
	0xa4,	/* REPORT KEY */
	0xa6,	/* LOAD/UNLOAD MEDIUM */
	0xa8,	/* READ(12) */
	0xaa,	/* WRITE(12) */
	0xac,	/* GET PERFORMANCE */
	0xad,	/* READ DVD STRUCTURE */
	0xb6,	/* SET STREAMING */
	0xb9,	/* READ CD MSF */
	0xbb,	/* SET CD SPEED */
	0xbd,	/* MECHANISM STATUS */
	0xbe,	/* READ CD */
	0xbf,	/* SEND DVD STRUCTURE */
};

#define CONFIG_MIN_REQUEST	4096u

struct config_err {
	char *buf;
	size_t len;
};

static int fail(struct config_err *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int fail(struct config_err *e, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(e->buf, e->len, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

void config_default_limits(struct vm_limits *limits)
{
	limits->max_open = 64;
	limits->max_inflight = 64;
	limits->max_request_bytes = 16u << 20;
	limits->max_calls = 1024;
	limits->max_call_bytes = 8u << 20;
	limits->workers = 4;
	limits->poll_us = 0;
}

void config_init(struct config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	strcpy(cfg->daemon.ram_dir, "/dev/shm/devcall");
	strcpy(cfg->daemon.qemu_user, "root");
	cfg->daemon.socket_gid = (gid_t)-1;
	cfg->daemon.control_gid = (gid_t)-1;
}

static bool name_ok(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (!n || n >= max)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("_.-", *s))
			return false;
	return true;
}

/* A number with an optional K/M/G suffix, within [min, max]. */
static int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *end;
	int shift = 0;

	if (!*s || *s == '-')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s)
		return -EINVAL;
	switch (*end) {
	case 'K': case 'k': shift = 10; end++; break;
	case 'M': case 'm': shift = 20; end++; break;
	case 'G': case 'g': shift = 30; end++; break;
	default: break;
	}
	if (*end || (shift && v > (~0ull >> shift)))
		return -EINVAL;
	v <<= shift;
	if (v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

static int copy_str(char *dst, size_t cap, const char *src)
{
	size_t n = strlen(src);

	if (n >= cap)
		return -ENAMETOOLONG;
	memcpy(dst, src, n + 1);
	return 0;
}

struct vm_config *config_find_vm(struct config *cfg, const char *name)
{
	unsigned int i;

	for (i = 0; i < cfg->nr_vms; i++)
		if (!strcmp(cfg->vms[i].name, name))
			return &cfg->vms[i];
	return NULL;
}

static struct vm_config *get_vm(struct config *cfg, const char *name,
				struct config_err *e)
{
	struct vm_config *vm = config_find_vm(cfg, name);

	if (vm)
		return vm;
	if (!name_ok(name, CONFIG_VM_NAME_MAX)) {
		fail(e, "bad VM name '%s' (1-%u of [A-Za-z0-9_.-])", name,
		     CONFIG_VM_NAME_MAX - 1);
		return NULL;
	}
	if (cfg->nr_vms >= CONFIG_MAX_VMS) {
		fail(e, "too many VMs (at most %u)", CONFIG_MAX_VMS);
		return NULL;
	}
	vm = &cfg->vms[cfg->nr_vms++];
	memset(vm, 0, sizeof(*vm));
	strcpy(vm->name, name);
	config_default_limits(&vm->limits);
	return vm;
}

static struct export *get_export(struct config *cfg, const char *vm_name,
				 const char *name, struct config_err *e)
{
	struct vm_config *vm = get_vm(cfg, vm_name, e);
	struct export *exp;
	unsigned int i;

	if (!vm)
		return NULL;
	for (i = 0; i < vm->nr_exports; i++)
		if (!strcmp(vm->exports[i].name, name))
			return &vm->exports[i];
	if (!name_ok(name, DEVCALL_NAME_MAX)) {
		fail(e, "bad export name '%s' (1-%u of [A-Za-z0-9_.-])", name,
		     DEVCALL_NAME_MAX - 1);
		return NULL;
	}
	if (vm->nr_exports >= CONFIG_MAX_EXPORTS) {
		fail(e, "too many exports in VM '%s' (at most %u)", vm->name,
		     CONFIG_MAX_EXPORTS);
		return NULL;
	}
	exp = &vm->exports[vm->nr_exports++];
	memset(exp, 0, sizeof(*exp));
	exp->id = vm->nr_exports;
	strcpy(exp->name, name);
	strcpy(exp->backend_name, "sys");
	return exp;
}

static void opcode_set(uint8_t *bits, uint8_t op)
{
	bits[op >> 3] |= 1u << (op & 7);
}

/* "0x00, 0x12" or "0x00+0x12": CDB opcodes. */
static int parse_opcode_list(const char *s, struct export *exp,
			     struct config_err *e)
{
	char buf[1024], *tok, *save = NULL;

	if (copy_str(buf, sizeof(buf), s))
		return fail(e, "scsi-opcodes: list too long");
	memset(exp->scsi_opcodes, 0, sizeof(exp->scsi_opcodes));
	for (tok = strtok_r(buf, ", +", &save); tok;
	     tok = strtok_r(NULL, ", +", &save)) {
		uint64_t v;

		if (parse_u64(tok, 0, 0xff, &v))
			return fail(e, "scsi-opcodes: '%s' is not an opcode "
				    "(0x00..0xff)", tok);
		opcode_set(exp->scsi_opcodes, (uint8_t)v);
	}
	exp->scsi_opcodes_set = true;
	return 0;
}

/*
 * One allow entry: NUM:none, NUM:int, NUM:in:SIZE, NUM:out:SIZE or
 * NUM:inout:SIZE. The operator states the argument; a bare number used
 * to be guessed from _IOC bits or passed as an integer, which turned
 * e.g. KDGKBTYPE (0x4b33, writes one byte at its argument) into a write
 * to any daemon address the guest named.
 */
static int parse_allow_entry(char *tok, struct ioctl_allow *a,
			     struct config_err *e)
{
	static const struct {
		const char *word;
		enum ioctl_arg_kind kind;
	} kinds[] = {
		{ "none", IOCTL_ARG_NONE }, { "int", IOCTL_ARG_INT },
		{ "in", IOCTL_ARG_IN }, { "out", IOCTL_ARG_OUT },
		{ "inout", IOCTL_ARG_INOUT },
	};
	char *kind = strchr(tok, ':'), *size = NULL;
	unsigned int i;
	uint64_t v;

	if (!kind)
		return fail(e, "allow: '%s' does not say its argument: write "
			    "NUM:none, NUM:int, NUM:in:SIZE, NUM:out:SIZE or "
			    "NUM:inout:SIZE", tok);
	*kind++ = '\0';
	if (parse_u64(tok, 0, 0xffffffffu, &v))
		return fail(e, "allow: '%s' is not an ioctl number", tok);
	a->cmd = (uint32_t)v;
	size = strchr(kind, ':');
	if (size)
		*size++ = '\0';
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (!strcmp(kind, kinds[i].word))
			break;
	if (i == sizeof(kinds) / sizeof(kinds[0]))
		return fail(e, "allow: 0x%x: '%s' is not none, int, in, out "
			    "or inout", a->cmd, kind);
	a->kind = kinds[i].kind;
	if (a->kind == IOCTL_ARG_NONE || a->kind == IOCTL_ARG_INT) {
		if (size)
			return fail(e, "allow: 0x%x: %s takes no size", a->cmd,
				    kind);
		a->size = 0;
		return 0;
	}
	if (!size || parse_u64(size, 1, LAYOUT_ARG_MAX, &v))
		return fail(e, "allow: 0x%x: %s needs a size of 1..%u bytes "
			    "(NUM:%s:SIZE)", a->cmd, kind, LAYOUT_ARG_MAX,
			    kind);
	a->size = (uint32_t)v;
	return 0;
}

static int parse_allow_list(const char *s, struct ioctl_policy *pol,
			    struct config_err *e)
{
	char buf[1024], *tok, *save = NULL;
	int ret;

	if (copy_str(buf, sizeof(buf), s))
		return fail(e, "allow: list too long");
	for (tok = strtok_r(buf, ", +", &save); tok;
	     tok = strtok_r(NULL, ", +", &save)) {
		if (pol->nr_allow >= CONFIG_MAX_IOCTL_LIST)
			return fail(e, "allow: more than %u entries",
				    CONFIG_MAX_IOCTL_LIST);
		ret = parse_allow_entry(tok, &pol->allow[pol->nr_allow], e);
		if (ret)
			return ret;
		pol->nr_allow++;
	}
	return 0;
}

/* "allow" or "deny" for key, into *out. */
static int parse_allow_deny(const char *key, const char *val, bool *out,
			    struct config_err *e)
{
	if (!strcmp(val, "allow"))
		*out = true;
	else if (!strcmp(val, "deny"))
		*out = false;
	else
		return fail(e, "%s: '%s' is not allow or deny", key, val);
	return 0;
}

/* "0x2285, 0x5382" or "0x2285+0x5382" */
static int parse_ioctl_list(const char *s, uint32_t *list, unsigned int *nr,
			    struct config_err *e, const char *key)
{
	char buf[1024], *tok, *save = NULL;

	if (copy_str(buf, sizeof(buf), s))
		return fail(e, "%s: list too long", key);
	for (tok = strtok_r(buf, ", +", &save); tok;
	     tok = strtok_r(NULL, ", +", &save)) {
		uint64_t v;

		if (parse_u64(tok, 0, 0xffffffffu, &v))
			return fail(e, "%s: '%s' is not an ioctl number", key,
				    tok);
		if (*nr >= CONFIG_MAX_IOCTL_LIST)
			return fail(e, "%s: more than %u numbers", key,
				    CONFIG_MAX_IOCTL_LIST);
		list[(*nr)++] = (uint32_t)v;
	}
	return 0;
}

static int set_vm_key(struct vm_config *vm, const char *key, const char *val,
		      struct config_err *e)
{
	uint64_t v;

	if (!strcmp(key, "socket")) {
		if (copy_str(vm->socket_path, sizeof(vm->socket_path), val))
			return fail(e, "socket: path too long");
	} else if (!strcmp(key, "qmp")) {
		if (copy_str(vm->qmp_path, sizeof(vm->qmp_path), val))
			return fail(e, "qmp: path too long");
	} else if (!strcmp(key, "memory")) {
		/* auto: found at run time through QEMU (ram_discover.h) */
		vm->memory_auto = !strcmp(val, "auto");
		if (vm->memory_auto)
			vm->memory_path[0] = '\0';
		else if (copy_str(vm->memory_path, sizeof(vm->memory_path),
				  val))
			return fail(e, "memory: path too long");
	} else if (!strcmp(key, "memory-size")) {
		if (parse_u64(val, 4096, ~0ull, &v))
			return fail(e, "memory-size: '%s' is not a size of at "
				    "least 4K", val);
		vm->memory_size = v;
	} else if (!strcmp(key, "machine")) {
		if (strcmp(val, "q35") && strcmp(val, "pc"))
			return fail(e, "machine: '%s' is not q35 or pc", val);
		strcpy(vm->machine, val);
	} else if (!strcmp(key, "max-open")) {
		if (parse_u64(val, 1, 4096, &v))
			return fail(e, "max-open: '%s' is not 1..4096", val);
		vm->limits.max_open = v;
	} else if (!strcmp(key, "max-inflight")) {
		if (parse_u64(val, 1, 1024, &v))
			return fail(e, "max-inflight: '%s' is not 1..1024", val);
		vm->limits.max_inflight = v;
	} else if (!strcmp(key, "max-request")) {
		if (parse_u64(val, CONFIG_MIN_REQUEST, DEVCALL_MAX_IO, &v))
			return fail(e, "max-request: '%s' is not %u..%u bytes",
				    val, CONFIG_MIN_REQUEST, DEVCALL_MAX_IO);
		vm->limits.max_request_bytes = v;
	} else if (!strcmp(key, "max-calls")) {
		if (parse_u64(val, 1, 65536, &v))
			return fail(e, "max-calls: '%s' is not 1..65536", val);
		vm->limits.max_calls = v;
	} else if (!strcmp(key, "max-call-bytes")) {
		if (parse_u64(val, 256u << 10, 1ull << 32, &v))
			return fail(e, "max-call-bytes: '%s' is not 256K..4G",
				    val);
		vm->limits.max_call_bytes = v;
	} else if (!strcmp(key, "workers")) {
		if (parse_u64(val, 1, 64, &v))
			return fail(e, "workers: '%s' is not 1..64", val);
		vm->limits.workers = v;
		vm->workers_set = true;
	} else if (!strcmp(key, "poll-us")) {
		if (parse_u64(val, 0, 1000, &v))
			return fail(e, "poll-us: '%s' is not 0..1000", val);
		vm->limits.poll_us = v;
	} else {
		return fail(e, "unknown VM key '%s'", key);
	}
	return 0;
}

/*
 * A path under /dev the guest may make: components of [A-Za-z0-9_.+-],
 * none "." or "..", joined by single slashes, no slash at either end.
 */
bool config_node_path_ok(const char *s, size_t max)
{
	size_t i, n = strlen(s), comp = 0;

	if (!n || n >= max)
		return false;
	for (i = 0; i <= n; i++) {
		char c = s[i];

		if (c == '/' || c == '\0') {
			if (!comp)
				return false;
			if ((comp == 1 && s[i - 1] == '.') ||
			    (comp == 2 && s[i - 1] == '.' && s[i - 2] == '.'))
				return false;
			comp = 0;
			continue;
		}
		if (!isalnum((unsigned char)c) && !strchr("_.+-", c))
			return false;
		comp++;
	}
	return true;
}

static int parse_aliases(const char *val, struct export *exp,
			 struct config_err *e)
{
	char buf[DEVCALL_NODE_ALIASES_MAX];
	char *p, *tok;

	if (copy_str(buf, sizeof(buf), val))
		return fail(e, "guest-alias: longer than %u bytes",
			    DEVCALL_NODE_ALIASES_MAX - 1);
	exp->guest_alias[0] = '\0';
	for (p = buf; (tok = strsep(&p, ","));) {
		while (*tok == ' ')
			tok++;
		tok[strcspn(tok, " ")] = '\0';
		if (!config_node_path_ok(tok, DEVCALL_NODE_NAME_MAX))
			return fail(e, "guest-alias: '%s' is not a path under "
				    "/dev", tok);
		if (exp->guest_alias[0])
			strcat(exp->guest_alias, ",");
		strcat(exp->guest_alias, tok);
	}
	return 0;
}

/* A numeric id, or a name the guest's udev resolves. */
static int parse_guest_id(const char *key, const char *val, uint32_t *id,
			  char *name, uint32_t flag, uint32_t *flags,
			  struct config_err *e)
{
	uint64_t v;
	size_t i;

	if (isdigit((unsigned char)val[0])) {
		if (parse_u64(val, 0, UINT32_MAX - 1, &v) ||
		    strspn(val, "0123456789") != strlen(val))
			return fail(e, "%s: '%s' is not an id", key, val);
		*id = v;
		*flags |= flag;
		name[0] = '\0';
		return 0;
	}
	for (i = 0; val[i]; i++)
		if (!isalnum((unsigned char)val[i]) && !strchr("_.-", val[i]))
			break;
	if (!val[0] || val[i] || i >= DEVCALL_NODE_USER_MAX || val[0] == '-')
		return fail(e, "%s: '%s' is not a name or a number", key, val);
	strcpy(name, val);
	*flags &= ~flag;
	return 0;
}

static int set_node_key(struct export *exp, const char *key,
			const char *val, struct config_err *e)
{
	if (!strcmp(key, "guest-name")) {
		if (!config_node_path_ok(val, sizeof(exp->guest_name)))
			return fail(e, "guest-name: '%s' is not a path under "
				    "/dev", val);
		strcpy(exp->guest_name, val);
	} else if (!strcmp(key, "guest-alias")) {
		return parse_aliases(val, exp, e);
	} else if (!strcmp(key, "guest-mode")) {
		char *end;
		unsigned long m;

		errno = 0;
		m = strtoul(val, &end, 8);
		if (errno || end == val || *end || m > 0777 || val[0] == '-')
			return fail(e, "guest-mode: '%s' is not an octal mode "
				    "up to 0777", val);
		exp->guest_mode = m;
		exp->node_flags |= DEVCALL_NODE_F_MODE;
	} else if (!strcmp(key, "guest-owner")) {
		return parse_guest_id(key, val, &exp->guest_uid,
				      exp->guest_owner, DEVCALL_NODE_F_UID,
				      &exp->node_flags, e);
	} else if (!strcmp(key, "guest-group")) {
		return parse_guest_id(key, val, &exp->guest_gid,
				      exp->guest_group, DEVCALL_NODE_F_GID,
				      &exp->node_flags, e);
	} else if (!strcmp(key, "guest-devnum")) {
		unsigned int maj, min;
		int end = 0;

		exp->devnum_host = false;
		exp->node_flags &= ~DEVCALL_NODE_F_DEVNUM;
		if (!strcmp(val, "host")) {
			exp->devnum_host = true;
		} else if (sscanf(val, "%u:%u%n", &maj, &min, &end) == 2 &&
			   !val[end] && isdigit((unsigned char)val[0]) &&
			   maj > 0 && maj < 4096 && min < (1u << 20)) {
			exp->node_flags |= DEVCALL_NODE_F_DEVNUM;
			exp->devnum_major = maj;
			exp->devnum_minor = min;
		} else if (strcmp(val, "dynamic")) {
			return fail(e, "guest-devnum: '%s' is not host, "
				    "dynamic or MAJOR:MINOR", val);
		}
	} else {
		return fail(e, "unknown export key '%s'", key);
	}
	return 0;
}

static int set_export_key(struct export *exp, const char *key,
			  const char *val, struct config_err *e)
{
	if (!strcmp(key, "path")) {
		if (val[0] != '/')
			return fail(e, "path: '%s' is not absolute", val);
		if (copy_str(exp->path, sizeof(exp->path), val))
			return fail(e, "path: too long");
	} else if (!strcmp(key, "access")) {
		if (!strcmp(val, "ro"))
			exp->read_only = true;
		else if (!strcmp(val, "rw"))
			exp->read_only = false;
		else
			return fail(e, "access: '%s' is not ro or rw", val);
	} else if (!strcmp(key, "sharing")) {
		if (!strcmp(val, "exclusive"))
			exp->exclusive = true;
		else if (!strcmp(val, "shared"))
			exp->exclusive = false;
		else
			return fail(e, "sharing: '%s' is not shared or exclusive",
				    val);
	} else if (!strcmp(key, "backend")) {
		if (!name_ok(val, sizeof(exp->backend_name)))
			return fail(e, "backend: bad name '%s'", val);
		strcpy(exp->backend_name, val);
	} else if (!strcmp(key, "options")) {
		if (copy_str(exp->backend_opts, sizeof(exp->backend_opts), val))
			return fail(e, "options: longer than %zu bytes",
				    sizeof(exp->backend_opts) - 1);
	} else if (!strcmp(key, "script") || !strcmp(key, "record")) {
		char *dst = key[0] == 's' ? exp->script : exp->record;

		if (val[0] != '/' || copy_str(dst, sizeof(exp->script), val))
			return fail(e, "%s: '%s' is not an absolute path of "
				    "under %zu bytes", key, val,
				    sizeof(exp->script));
	} else if (!strcmp(key, "ioctl")) {
		/* It forwarded any _IOC number's bytes, pointers in them
		 * included, to the driver. */
		return fail(e, "ioctl: removed: it passed any _IOC ioctl to "
			    "the driver with whatever pointers its argument "
			    "holds; list each ioctl the guest needs in allow "
			    "with its argument (NUM:in:SIZE, NUM:out:SIZE, "
			    "NUM:inout:SIZE, NUM:int, NUM:none)");
	} else if (!strcmp(key, "allow")) {
		return parse_allow_list(val, &exp->ioctl, e);
	} else if (!strcmp(key, "scsi")) {
		if (!strcmp(val, "passthrough"))
			exp->scsi_passthrough = true;
		else if (!strcmp(val, "none"))
			exp->scsi_passthrough = false;
		else
			return fail(e, "scsi: '%s' is not none or passthrough",
				    val);
	} else if (!strcmp(key, "scsi-opcodes")) {
		return parse_opcode_list(val, exp, e);
	} else if (!strcmp(key, "host-partitions")) {
		return parse_allow_deny(key, val, &exp->host_partitions, e);
	} else if (!strcmp(key, "host-network")) {
		return parse_allow_deny(key, val, &exp->host_network, e);
	} else if (!strcmp(key, "host-exclusive")) {
		return parse_allow_deny(key, val, &exp->host_exclusive, e);
	} else if (!strcmp(key, "max-size")) {
		uint64_t v;

		if (!strcmp(val, "grow")) {
			exp->max_size = CONFIG_GROW;
		} else if (parse_u64(val, 1, CONFIG_GROW - 1, &v)) {
			return fail(e, "max-size: '%s' is not a size (1 or "
				    "more bytes, K/M/G) or grow", val);
		} else {
			exp->max_size = v;
		}
	} else if (!strcmp(key, "guest-type")) {
		if (!strcmp(val, "auto"))
			exp->guest_type = EXPORT_GUEST_AUTO;
		else if (!strcmp(val, "char"))
			exp->guest_type = EXPORT_GUEST_CHAR;
		else if (!strcmp(val, "block"))
			exp->guest_type = EXPORT_GUEST_BLOCK;
		else
			return fail(e, "guest-type: '%s' is not char, block or "
				    "auto", val);
	} else if (!strcmp(key, "deny")) {
		return parse_ioctl_list(val, exp->ioctl.deny,
					&exp->ioctl.nr_deny, e, key);
	} else {
		return set_node_key(exp, key, val, e);
	}
	return 0;
}

static int add_plugin(struct config *cfg, const char *path,
		      struct config_err *e)
{
	if (cfg->nr_plugins >= sizeof(cfg->plugins) / sizeof(cfg->plugins[0]))
		return fail(e, "too many plugins");
	if (copy_str(cfg->plugins[cfg->nr_plugins], PATH_MAX, path))
		return fail(e, "plugin: path too long");
	cfg->nr_plugins++;
	return 0;
}

static int set_daemon_key(struct config *cfg, const char *key,
			  const char *val, struct config_err *e)
{
	struct daemon_config *d = &cfg->daemon;
	unsigned long mode;
	char *end;

	if (!strcmp(key, "plugin"))
		return add_plugin(cfg, val, e);
	if (!strcmp(key, "ram-dir")) {
		if (val[0] != '/')
			return fail(e, "ram-dir: '%s' is not absolute", val);
		if (copy_str(d->ram_dir, sizeof(d->ram_dir), val))
			return fail(e, "ram-dir: path too long");
	} else if (!strcmp(key, "qemu-user")) {
		if (!*val || copy_str(d->qemu_user, sizeof(d->qemu_user), val))
			return fail(e, "qemu-user: bad name '%s'", val);
	} else if (!strcmp(key, "socket-group")) {
		if (!*val || copy_str(d->socket_group, sizeof(d->socket_group),
				      val))
			return fail(e, "socket-group: bad name '%s'", val);
	} else if (!strcmp(key, "control-group")) {
		if (!*val || copy_str(d->control_group,
				      sizeof(d->control_group), val))
			return fail(e, "control-group: bad name '%s'", val);
	} else if (!strcmp(key, "socket-mode")) {
		errno = 0;
		mode = strtoul(val, &end, 8);
		/* The daemon's user keeps rw: it is who listens. */
		if (errno || end == val || *end || *val == '-' ||
		    mode > 0777 || (mode & 0600) != 0600)
			return fail(e, "socket-mode: '%s' is not an octal "
				    "mode 0600..0777", val);
		d->socket_mode = mode;
	} else if (!strcmp(key, "user") || !strcmp(key, "group")) {
		/* vmm-glue/privilege.c: whom to run as. */
		char *dst = key[0] == 'u' ? cfg->user : cfg->group;

		if (!*val || copy_str(dst, sizeof(cfg->user), val))
			return fail(e, "%s: bad name '%s'", key, val);
	} else if (!strcmp(key, "layouts")) {
		/* memmap/layout_file.c; loaded by devcalld at start. */
		if (!*val || copy_str(cfg->layouts, sizeof(cfg->layouts), val))
			return fail(e, "layouts: bad path '%s'", val);
	} else if (!strcmp(key, "live-vms")) {
		/* vmm-glue/privilege.c: what VMs added later need. */
		if (!strcmp(val, "yes"))
			cfg->live_vms = true;
		else if (!strcmp(val, "no"))
			cfg->live_vms = false;
		else
			return fail(e, "live-vms: '%s' is not yes or no", val);
	} else if (!strcmp(key, "seccomp")) {
		if (!strcmp(val, "on"))
			cfg->seccomp_off = false;
		else if (!strcmp(val, "off"))
			cfg->seccomp_off = true;
		else
			return fail(e, "seccomp: '%s' is not on or off", val);
	} else {
		return fail(e, "unknown daemon key '%s'", key);
	}
	return 0;
}

/* INI: [daemon], [vm NAME], [export VM NAME]. */
static int apply_ini(struct config *cfg, const char *section, const char *key,
		     const char *val, struct config_err *e)
{
	char kind[16], a[64], b[64], extra[2];
	int n = sscanf(section, "%15s %63s %63s %1s", kind, a, b, extra);

	if (n >= 1 && !strcmp(kind, "daemon") && n == 1)
		return set_daemon_key(cfg, key, val, e);
	if (n == 2 && !strcmp(kind, "vm")) {
		struct vm_config *vm = get_vm(cfg, a, e);

		return vm ? set_vm_key(vm, key, val, e) : -EINVAL;
	}
	if (n == 3 && !strcmp(kind, "export")) {
		struct export *exp = get_export(cfg, a, b, e);

		return exp ? set_export_key(exp, key, val, e) : -EINVAL;
	}
	return fail(e, "bad section [%s]: want [daemon], [vm NAME] or "
		    "[export VM NAME]", section);
}

struct ini_state {
	struct config *cfg;
	FILE *f;
	int line;		/* last line the reader handed to inih */
	int err_line;
	struct config_err e;
};

static char *ini_reader_counting(char *str, int num, void *stream)
{
	struct ini_state *st = stream;
	char *r = fgets(str, num, st->f);

	if (r && strchr(r, '\n'))
		st->line++;
	else if (r && feof(st->f))
		st->line++;
	return r;
}

static int ini_handler_cb(void *user, const char *section, const char *key,
			  const char *val)
{
	struct ini_state *st = user;

	if (st->err_line)
		return 0;
	if (apply_ini(st->cfg, section, key, val, &st->e)) {
		st->err_line = st->line;
		return 0;
	}
	return 1;
}

int config_load_file(struct config *cfg, const char *path, char *err,
		     size_t errlen)
{
	char msg[512] = "";
	struct ini_state st = {
		.cfg = cfg, .e = { .buf = msg, .len = sizeof(msg) },
	};
	int ret;

	st.f = fopen(path, "r");
	if (!st.f) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(-ret));
		return ret;
	}
	/* inih hands us (reader, stream) and passes 'user' to the handler:
	 * the same state serves both, so the handler knows the line. */
	ret = ini_parse_stream(ini_reader_counting, &st, ini_handler_cb, &st);
	fclose(st.f);
	if (st.err_line) {
		snprintf(err, errlen, "%s:%d: %s", path, st.err_line, msg);
		return -EINVAL;
	}
	if (ret) {
		snprintf(err, errlen, "%s:%d: syntax error", path, ret);
		return -EINVAL;
	}
	return 0;
}

/* "k=v,k=v,word": split off the next item; NUL-terminates it. */
static char *next_item(char **s)
{
	char *item = *s, *comma;

	if (!item || !*item)
		return NULL;
	comma = strchr(item, ',');
	if (comma) {
		*comma = '\0';
		*s = comma + 1;
	} else {
		*s = NULL;
	}
	return item;
}

static int flag_vm(struct config *cfg, char *s, struct config_err *e)
{
	char *name = next_item(&s), *item;
	struct vm_config *vm;
	int ret;

	if (!name)
		return fail(e, "--vm needs NAME[,key=value...]");
	vm = get_vm(cfg, name, e);
	if (!vm)
		return -EINVAL;
	while ((item = next_item(&s))) {
		char *eq = strchr(item, '=');

		if (!eq)
			return fail(e, "--vm %s: '%s' is not key=value", name,
				    item);
		*eq = '\0';
		ret = set_vm_key(vm, item, eq + 1, e);
		if (ret)
			return ret;
	}
	return 0;
}

static int flag_export(struct config *cfg, char *s, struct config_err *e)
{
	char *spec = next_item(&s), *colon, *eq, *item;
	struct export *exp;
	int ret;

	if (!spec || !(colon = strchr(spec, ':')) || !(eq = strchr(colon, '=')))
		return fail(e, "--export needs VM:NAME=PATH[,options]");
	*colon = '\0';
	*eq = '\0';
	exp = get_export(cfg, spec, colon + 1, e);
	if (!exp)
		return -EINVAL;
	ret = set_export_key(exp, "path", eq + 1, e);
	while (!ret && (item = next_item(&s))) {
		char *v = strchr(item, '=');

		if (v) {
			*v++ = '\0';
			ret = set_export_key(exp, item, v, e);
		} else if (!strcmp(item, "ro") || !strcmp(item, "rw")) {
			ret = set_export_key(exp, "access", item, e);
		} else if (!strcmp(item, "exclusive") ||
			   !strcmp(item, "shared")) {
			ret = set_export_key(exp, "sharing", item, e);
		} else {
			ret = fail(e, "unknown export option '%s'", item);
		}
	}
	return ret;
}

int config_apply_flag(struct config *cfg, const char *flag, const char *value,
		      char *err, size_t errlen)
{
	char msg[512] = "", buf[2 * PATH_MAX];
	struct config_err e = { .buf = msg, .len = sizeof(msg) };
	int ret;

	if (copy_str(buf, sizeof(buf), value ? value : "")) {
		snprintf(err, errlen, "%s: value too long", flag);
		return -EINVAL;
	}
	if (!strcmp(flag, "--vm"))
		ret = flag_vm(cfg, buf, &e);
	else if (!strcmp(flag, "--export"))
		ret = flag_export(cfg, buf, &e);
	else if (!strcmp(flag, "--plugin"))
		ret = add_plugin(cfg, buf, &e);
	else if (!strcmp(flag, "--ram-dir") || !strcmp(flag, "--qemu-user") ||
		 !strcmp(flag, "--socket-group") ||
		 !strcmp(flag, "--socket-mode"))
		ret = set_daemon_key(cfg, flag + 2, buf, &e);
	else
		ret = fail(&e, "unknown flag");
	if (ret)
		snprintf(err, errlen, "%s %s: %s", flag, value ? value : "",
			 msg);
	return ret;
}

/*
 * Raw SCSI to a partition or a device-mapper device reaches the whole
 * disk behind it: the kernel refuses SG_IO there, but not to a caller
 * with CAP_SYS_RAWIO, which the daemon has. 0, or -EINVAL with why.
 */
static int check_scsi_target(const struct export *exp, char *why,
			     size_t len)
{
	static const char *const kinds[] = { "partition", "dm" };
	char p[PATH_MAX];
	struct stat st;
	unsigned int i;

	if (stat(exp->path, &st)) {
		/* A plugin's image may appear later; a host node must be
		 * there to be checked. */
		if (exp->backend != &backend_sys)
			return 0;
		snprintf(why, len, "scsi = passthrough: cannot check %s "
			 "(%s)", exp->path, strerror(errno));
		return -EINVAL;
	}
	if (!S_ISBLK(st.st_mode))
		return 0;
	for (i = 0; i < 2; i++) {
		snprintf(p, sizeof(p), "%s/%u:%u/%s", config_sysfs_dev_block,
			 major(st.st_rdev), minor(st.st_rdev), kinds[i]);
		if (!access(p, F_OK)) {
			snprintf(why, len, "scsi = passthrough refused: %s is "
				 "a %s; raw SCSI would reach the whole disk "
				 "behind it", exp->path,
				 i ? "device-mapper device" : "partition");
			return -EINVAL;
		}
	}
	return 0;
}

/* scsi and scsi-opcodes together; the default opcode set. */
static int finish_scsi(struct export *exp, char *why, size_t len)
{
	unsigned int i;

	if (!exp->scsi_passthrough) {
		if (exp->scsi_opcodes_set) {
			snprintf(why, len, "scsi-opcodes needs scsi = "
				 "passthrough");
			return -EINVAL;
		}
		return 0;
	}
	if (!exp->scsi_opcodes_set)
		for (i = 0; i < sizeof(scsi_default_opcodes); i++)
			opcode_set(exp->scsi_opcodes, scsi_default_opcodes[i]);
	return check_scsi_target(exp, why, len);
}

/*
 * guest-type = auto: a disk in the guest when a sys export's path is a
 * block device at start. A plugin's path is its own business (an image
 * file, a drive it emulates): such an export is a disk only when it says
 * guest-type = block.
 */
/*
 * What the guest is told of the host node: its type and number (for
 * guest-devnum = host and the sysfs attributes). A plugin's path is its
 * image, a regular file, and is reported as such.
 */
static void finish_host_node(struct export *exp)
{
	struct stat st;

	exp->host_type = DEVCALL_HOST_UNKNOWN;
	exp->host_major = exp->host_minor = 0;
	if (stat(exp->path, &st))
		return;
	if (S_ISCHR(st.st_mode))
		exp->host_type = DEVCALL_HOST_CHAR;
	else if (S_ISBLK(st.st_mode))
		exp->host_type = DEVCALL_HOST_BLOCK;
	else if (S_ISREG(st.st_mode))
		exp->host_type = DEVCALL_HOST_REGULAR;
	else if (S_ISFIFO(st.st_mode))
		exp->host_type = DEVCALL_HOST_FIFO;
	if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
		exp->host_major = major(st.st_rdev);
		exp->host_minor = minor(st.st_rdev);
	}
}

/* guest-devnum = host asks for the host node's number: it needs one. */
static int finish_devnum(struct export *exp, char *why, size_t len)
{
	if (!exp->devnum_host)
		return 0;
	if (exp->host_type != DEVCALL_HOST_CHAR || exp->guest_block) {
		snprintf(why, len, "guest-devnum = host: %s is not a char "
			 "device node the guest sees as one", exp->path);
		return -EINVAL;
	}
	exp->node_flags |= DEVCALL_NODE_F_DEVNUM;
	exp->devnum_major = exp->host_major;
	exp->devnum_minor = exp->host_minor;
	return 0;
}

static void finish_guest_type(struct export *exp)
{
	struct stat st;

	switch (exp->guest_type) {
	case EXPORT_GUEST_BLOCK:
		exp->guest_block = true;
		break;
	case EXPORT_GUEST_CHAR:
		exp->guest_block = false;
		break;
	case EXPORT_GUEST_AUTO:
		exp->guest_block = exp->backend == &backend_sys &&
				   !stat(exp->path, &st) && S_ISBLK(st.st_mode);
		break;
	}
}

/* qemu-user and socket-group as ids; the defaults that follow from them. */
static int finish_daemon(struct daemon_config *d, char *err, size_t errlen)
{
	const struct passwd *pw;
	const struct group *gr;

	pw = getpwnam(d->qemu_user);
	if (!pw) {
		snprintf(err, errlen, "qemu-user: no user '%s'", d->qemu_user);
		return -EINVAL;
	}
	d->qemu_uid = pw->pw_uid;
	d->qemu_gid = pw->pw_gid;
	d->socket_gid = (gid_t)-1;
	if (d->socket_group[0]) {
		gr = getgrnam(d->socket_group);
		if (!gr) {
			snprintf(err, errlen, "socket-group: no group '%s'",
				 d->socket_group);
			return -EINVAL;
		}
		d->socket_gid = gr->gr_gid;
	} else if (d->qemu_uid != 0) {
		d->socket_gid = d->qemu_gid;
	}
	if (!d->socket_mode)
		d->socket_mode = d->socket_gid != (gid_t)-1 ? 0660 : 0600;
	/*
	 * The control socket changes exports: never QEMU's group by
	 * default, only a group named for it.
	 */
	d->control_gid = (gid_t)-1;
	if (d->control_group[0]) {
		gr = getgrnam(d->control_group);
		if (!gr) {
			snprintf(err, errlen, "control-group: no group '%s'",
				 d->control_group);
			return -EINVAL;
		}
		d->control_gid = gr->gr_gid;
	}
	return 0;
}

int config_finish(struct config *cfg, char *err, size_t errlen)
{
	char why[PATH_MAX + 128];
	char perr[256];
	unsigned int i, j;
	int ret;

	ret = finish_daemon(&cfg->daemon, err, errlen);
	if (ret)
		return ret;

	for (i = 0; i < cfg->nr_plugins; i++) {
		ret = backend_load_plugin(cfg->plugins[i], perr, sizeof(perr));
		if (ret) {
			snprintf(err, errlen, "plugin %s: %s", cfg->plugins[i],
				 perr);
			return ret;
		}
	}
	for (i = 0; i < cfg->nr_vms; i++) {
		struct vm_config *vm = &cfg->vms[i];

		for (j = 0; j < vm->nr_exports; j++) {
			struct export *exp = &vm->exports[j];

			if (!exp->path[0]) {
				snprintf(err, errlen, "export %s/%s: no path",
					 vm->name, exp->name);
				return -EINVAL;
			}
			exp->backend = backend_find(exp->backend_name);
			if (!exp->backend) {
				snprintf(err, errlen,
					 "export %s/%s: unknown backend '%s'",
					 vm->name, exp->name, exp->backend_name);
				return -EINVAL;
			}
			if (exp->backend == &backend_script &&
			    script_check(exp, why, sizeof(why))) {
				snprintf(err, errlen, "export %s/%s: %s",
					 vm->name, exp->name, why);
				return -EINVAL;
			}
			if (finish_scsi(exp, why, sizeof(why))) {
				snprintf(err, errlen, "export %s/%s: %s",
					 vm->name, exp->name, why);
				return -EINVAL;
			}
			finish_guest_type(exp);
			finish_host_node(exp);
			if (finish_devnum(exp, why, sizeof(why))) {
				snprintf(err, errlen, "export %s/%s: %s",
					 vm->name, exp->name, why);
				return -EINVAL;
			}
		}
	}
	return 0;
}
