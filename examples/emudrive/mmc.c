// SPDX-License-Identifier: MIT
/*
 * MMC commands of the emulated CD-R/RW drive: see mmc.h and
 * shared/cdrecord.md for what wodim sends and checks.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "mmc.h"

#define KBPS_1X		176		/* kB/s of a 1x CD */

static int check(struct mmc_sense *s, uint8_t key, uint8_t asc, uint8_t ascq)
{
	s->key = key;
	s->asc = asc;
	s->ascq = ascq;
	return 1;
}

#define ILLEGAL(s, asc, ascq)	check(s, 0x05, asc, ascq)

static void put16(uint8_t *p, uint32_t v)
{
	p[0] = v >> 8;
	p[1] = v;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

static uint32_t get16(const uint8_t *p)
{
	return (uint32_t)p[0] << 8 | p[1];
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static void put_msf(uint8_t *p, int64_t lba)
{
	int64_t f = lba + DISC_PREGAP;

	p[0] = 0;
	p[1] = f / (60 * 75);
	p[2] = (f / 75) % 60;
	p[3] = f % 75;
}

/* Hand out what the command produced, no more than asked. */
static int reply(const uint8_t *buf, uint32_t n, uint32_t alloc,
		 uint8_t *data, uint32_t len, uint32_t *done)
{
	if (n > alloc)
		n = alloc;
	if (n > len)
		n = len;
	memcpy(data, buf, n);
	*done = n;
	return 0;
}

/* Not ready: the tray is open, so there is no medium to act on. */
#define NO_MEDIUM(s)		check(s, 0x02, 0x3a, 0x02)

static int inquiry(const uint8_t *cdb, uint8_t *data, uint32_t len,
		   uint32_t *done, struct mmc_sense *s)
{
	uint8_t b[36] = { 0x05, 0x80, 0x05, 0x02, 31 };

	if (cdb[1] & 1)			/* no vital product data pages */
		return ILLEGAL(s, 0x24, 0);
	memcpy(b + 8, "DEVCALL ", 8);
	memcpy(b + 16, "EMULATED CD-RW  ", 16);
	memcpy(b + 32, "1.0 ", 4);
	return reply(b, sizeof(b), get16(cdb + 3), data, len, done);
}

static uint32_t max_kbps(const struct disc *d)
{
	return d->speed * KBPS_1X;
}

static uint32_t cur_kbps(const struct disc *d)
{
	return d->write_kbps && d->write_kbps < max_kbps(d) ? d->write_kbps :
							       max_kbps(d);
}

/* Mode page 01: read error recovery (no retries to tune). */
static unsigned int page_01(struct disc *d, uint8_t *p)
{
	(void)d;
	memset(p, 0, 12);
	p[0] = 0x01;
	p[1] = 0x0a;
	p[3] = 1;			/* read retry count */
	return 12;
}

/* Mode page 2A: what the drive can do. */
static unsigned int page_2a(struct disc *d, uint8_t *p)
{
	uint32_t speed = max_kbps(d);

	memset(p, 0, 36);
	p[0] = 0x2a;
	p[1] = 0x22;			/* MMC-3: 30 bytes + 4 per descriptor */
	p[2] = 0x03;			/* reads CD-R, CD-RW */
	p[3] = 0x07;			/* writes CD-R, CD-RW; test write */
	p[4] = 0x40;			/* multi-session */
	p[5] = 0x01;			/* CD-DA commands (READ CD) */
	p[6] = 0x29 | (d->prevent ? 0x02 : 0);	/* tray, eject, lock */
	put16(p + 8, 24 * KBPS_1X);	/* max read speed */
	put16(p + 10, 256);		/* volume levels */
	put16(p + 12, 2048);		/* buffer, kB */
	put16(p + 14, 24 * KBPS_1X);	/* current read speed */
	put16(p + 18, speed);		/* max write speed: never 0 */
	put16(p + 20, cur_kbps(d));	/* current write speed */
	put16(p + 28, cur_kbps(d));	/* current write speed selected */
	put16(p + 30, 1);		/* one write speed descriptor */
	put16(p + 34, speed);
	return 36;
}

/* Mode page 05: the write parameters last selected. */
static unsigned int page_05(struct disc *d, uint8_t *p)
{
	memset(p, 0, 52);
	p[0] = 0x05;
	p[1] = 0x32;
	p[2] = (d->test_write ? 0x10 : 0) | d->write_type;
	p[3] = d->multi_session << 6 | 0x04;	/* data track */
	p[4] = d->data_block_type;
	put16(p + 14, 150);		/* audio pause length */
	return 52;
}

/* The changeable fields of page 05 (page control 1). */
static unsigned int page_05_mask(uint8_t *p)
{
	memset(p, 0, 52);
	p[0] = 0x05;
	p[1] = 0x32;
	p[2] = 0x1f;			/* test write, write type */
	p[3] = 0xcf;			/* multi-session, track mode */
	p[4] = 0x0f;			/* data block type */
	p[8] = 0xff;			/* session format */
	return 52;
}

static int mode_sense(struct disc *d, const uint8_t *cdb, uint8_t *data,
		      uint32_t len, uint32_t *done, struct mmc_sense *s)
{
	uint8_t b[8 + 12 + 36 + 52] = { 0 };
	unsigned int n = 8, page = cdb[2] & 0x3f, pc = cdb[2] >> 6;
	bool six = cdb[0] == 0x1a;

	if (pc == 3)
		return ILLEGAL(s, 0x39, 0);	/* saving not supported */
	switch (page) {
	case 0x01:
		n += page_01(d, b + n);
		break;
	case 0x2a:
		n += page_2a(d, b + n);
		break;
	case 0x05:
		n += pc == 1 ? page_05_mask(b + n) : page_05(d, b + n);
		break;
	case 0x3f:
		n += page_01(d, b + n);
		n += pc == 1 ? page_05_mask(b + n) : page_05(d, b + n);
		n += page_2a(d, b + n);
		break;
	default:
		return ILLEGAL(s, 0x24, 0);
	}
	if (pc == 1 && page != 0x05 && page != 0x3f)
		memset(b + 10, 0, n - 10);	/* nothing changeable */
	if (six) {
		/* MODE SENSE(6): a 4-byte header instead of 8. */
		memmove(b + 4, b + 8, n - 8);
		n -= 4;
		b[0] = n - 1;
		b[1] = b[2] = b[3] = 0;
		return reply(b, n, cdb[4], data, len, done);
	}
	put16(b, n - 2);
	return reply(b, n, get16(cdb + 7), data, len, done);
}

/*
 * Page 05 as a mode select sets it. wodim asks for SAO with data block
 * type 0 (raw) and libburn with 8: in SAO the cue sheet says what each
 * sector is, so any defined type goes. TAO stores 2048-byte user data:
 * Mode 1 (8) or Mode 2 Form 1 (10, -multi -xa).
 */
static int select_page_05(struct disc *d, const uint8_t *p,
			  struct mmc_sense *s)
{
	uint8_t wt = p[2] & 0x0f, dbt = p[4] & 0x0f;

	if (wt != 1 && wt != 2)		/* packet and raw: refused */
		return ILLEGAL(s, 0x26, 0);
	if (wt == 1 && dbt != 8 && dbt != 10)
		return ILLEGAL(s, 0x26, 0);
	if (wt == 2 && ((dbt >= 1 && dbt <= 7) || dbt == 9 || dbt >= 14))
		return ILLEGAL(s, 0x26, 0);
	if (p[3] >> 6 == 2)		/* multi-session 10b is reserved */
		return ILLEGAL(s, 0x26, 0);
	if (d->writing && wt != d->write_type)
		return check(s, 0x05, 0x2c, 0);	/* sequence error */
	d->write_type = wt;
	d->test_write = p[2] & 0x10;
	d->multi_session = p[3] >> 6;
	d->data_block_type = dbt;
	return 0;
}

/*
 * The parameter list may be live guest memory (a large TO_DEV buffer, see
 * backend.h): every byte of it is read once, into locals, and only the
 * locals are checked and used.
 */
static int mode_select(struct disc *d, const uint8_t *cdb, const uint8_t *data,
		       uint32_t len, uint32_t *done, struct mmc_sense *s)
{
	bool six = cdb[0] == 0x15;
	uint32_t n = six ? cdb[4] : get16(cdb + 7), off, hdr = six ? 4 : 8;
	uint8_t p[8];

	if (n > len || n < hdr)
		return ILLEGAL(s, 0x1a, 0);	/* parameter list length */
	*done = n;
	off = hdr + (six ? data[3] : get16(data + 6));	/* block descriptors */
	while (off + 2 <= n) {
		p[0] = data[off];
		p[1] = data[off + 1];
		if (off + 2 + p[1] > n)
			return ILLEGAL(s, 0x26, 0);
		if ((p[0] & 0x3f) == 0x05) {
			int ret;

			if (p[1] < 3)
				return ILLEGAL(s, 0x26, 0);
			memcpy(p + 2, data + off + 2, 3);
			ret = select_page_05(d, p, s);
			if (ret)
				return ret;
		}
		off += 2 + p[1];
	}
	return 0;
}

/* First track of session n (1-based), 0 if none. */
static unsigned int session_first(const struct disc *d, uint32_t n)
{
	unsigned int i;

	for (i = 0; i < d->nr_tracks; i++)
		if (d->tracks[i].session == n)
			return i + 1;
	return 0;
}

static unsigned int session_last(const struct disc *d, uint32_t n)
{
	unsigned int i, last = 0;

	for (i = 0; i < d->nr_tracks; i++)
		if (d->tracks[i].session == n)
			last = i + 1;
	return last;
}

static int disc_info(struct disc *d, const uint8_t *cdb, uint8_t *data,
		     uint32_t len, uint32_t *done, struct mmc_sense *s)
{
	uint8_t b[34] = { 0 };
	uint32_t sessions = d->sessions + (d->status != DISC_COMPLETE);
	uint32_t first, last;
	uint8_t state = 0;		/* last session empty */

	if (cdb[1] & 7)			/* only the standard disc information */
		return ILLEGAL(s, 0x24, 0);
	if (d->status == DISC_COMPLETE) {
		state = 3;
		first = session_first(d, d->sessions);
		last = d->nr_tracks;
	} else {
		/* The open session: its tracks, then the invisible one. */
		first = session_first(d, d->sessions + 1);
		if (first)
			state = 1;
		else
			first = d->nr_tracks + 1;
		last = d->nr_tracks + 1;
	}
	if (d->writing)
		state = 1;
	put16(b, 32);
	b[2] = (d->rewritable ? 0x10 : 0) | state << 2 | d->status;
	b[3] = 1;
	b[4] = sessions;
	b[5] = first;
	b[6] = last;
	b[7] = 0x20;			/* unrestricted use */
	if (d->formatted)
		b[7] |= 0x03;		/* DVD+RW background format done */
	b[8] = 0x00;			/* CD-DA or CD-ROM */
	if (d->status == DISC_COMPLETE) {
		memset(b + 16, 0xff, 8);
	} else if (d->status == DISC_BLANK) {
		b[17] = 97; b[18] = 26; b[19] = 50;	/* ATIP lead-in */
		put_msf(b + 20, d->capacity);
	} else {
		/* The next session's lead-in, before its pregap. */
		put_msf(b + 16, (int64_t)disc_session_start(d) - DISC_PREGAP -
				DISC_LEADIN);
		put_msf(b + 20, d->capacity);
	}
	return reply(b, sizeof(b), get16(cdb + 7), data, len, done);
}

static void closed_track_info(const struct disc *d, unsigned int n,
			      uint8_t *b)
{
	const struct disc_track *t = &d->tracks[n - 1];

	b[2] = n;
	b[3] = t->session;
	b[5] = 0x04;			/* data, uninterrupted */
	b[6] = t->mode;			/* data mode 1 or 2 */
	b[7] = 0x02;			/* LRA valid */
	put32(b + 8, t->start);
	put32(b + 24, t->len);
	put32(b + 28, t->start + t->len - 1);
}

static void invisible_track_info(const struct disc *d, uint8_t *b)
{
	uint32_t free = d->capacity > d->nwa ? d->capacity - d->nwa : 0;

	b[2] = d->nr_tracks + 1;
	b[3] = d->sessions + 1;
	b[5] = 0x04;
	b[6] = 0x41;			/* blank, data mode 1 */
	b[7] = 0x01;			/* NWA valid */
	put32(b + 8, d->writing ? d->track_start : d->nwa);
	/* After a cue sheet: where the SAO stream goes on (the pregap). */
	put32(b + 12, d->cue_sheet ? (uint32_t)d->sao_next : d->nwa);
	put32(b + 16, free);
	put32(b + 24, free + (d->writing ? d->nwa - d->track_start : 0));
}

static int track_info(struct disc *d, const uint8_t *cdb, uint8_t *data,
		      uint32_t len, uint32_t *done, struct mmc_sense *s)
{
	uint8_t b[36] = { 0 };
	uint32_t n = get32(cdb + 2), i;
	bool open = d->status != DISC_COMPLETE;

	switch (cdb[1] & 3) {
	case 0:				/* by LBA: the track holding it */
		for (i = 0; i < d->nr_tracks; i++)
			if (n >= d->tracks[i].start &&
			    n < d->tracks[i].start + d->tracks[i].len)
				break;
		if (i < d->nr_tracks)
			n = i + 1;
		else if (open && n >= d->nwa && n < d->capacity)
			n = d->nr_tracks + 1;
		else
			return ILLEGAL(s, 0x21, 0);
		break;
	case 1:				/* by track number */
		if (n == 0xff)
			n = d->nr_tracks + 1;
		break;
	case 2:				/* first track of session n */
		if (n == 0xff)
			n = d->sessions + 1;
		i = session_first(d, n);
		n = i ? i : (n == d->sessions + 1 ? d->nr_tracks + 1 : 0);
		break;
	default:
		return ILLEGAL(s, 0x24, 0);
	}
	put16(b, 34);
	if (n >= 1 && n <= d->nr_tracks)
		closed_track_info(d, n, b);
	else if (n == d->nr_tracks + 1 && open)
		invisible_track_info(d, b);
	else
		return ILLEGAL(s, 0x24, 0);
	return reply(b, sizeof(b), get16(cdb + 7), data, len, done);
}

/* A full TOC descriptor (format 2), 11 bytes. */
static unsigned int toc_desc(uint8_t *p, uint8_t session, uint8_t point,
			     int64_t pmsf_lba, bool pmsf)
{
	memset(p, 0, 11);
	p[0] = session;
	p[1] = 0x14;			/* ADR 1, data track */
	p[3] = point;
	if (pmsf)
		put_msf(p + 7, pmsf_lba);
	return 11;
}

static int full_toc(struct disc *d, const uint8_t *cdb, uint8_t *data,
		    uint32_t len, uint32_t *done)
{
	uint8_t b[4 + 11 * (DISC_MAX_TRACKS + 4 * DISC_MAX_TRACKS)] = { 0 };
	unsigned int n = 4, i;
	uint32_t sess;

	b[2] = 1;
	b[3] = d->sessions;
	for (sess = 1; sess <= d->sessions; sess++) {
		unsigned int first = session_first(d, sess);
		unsigned int last = session_last(d, sess);
		const struct disc_track *lt = &d->tracks[last - 1];

		n += toc_desc(b + n, sess, 0xa0, 0, false);
		b[n - 3] = first;	/* PMIN: first track; PSEC: disc type */
		n += toc_desc(b + n, sess, 0xa1, 0, false);
		b[n - 3] = last;
		n += toc_desc(b + n, sess, 0xa2, lt->start + lt->len, true);
		for (i = first; i <= last; i++)
			n += toc_desc(b + n, sess, i, d->tracks[i - 1].start,
				      true);
		if (d->status == DISC_APPENDABLE || sess < d->sessions) {
			/* B0: where the next session may start. */
			uint32_t next = sess < d->sessions ?
				d->tracks[session_first(d, sess + 1) - 1].start :
				disc_session_start(d);

			n += toc_desc(b + n, sess, 0xb0, d->capacity, true);
			put_msf(b + n - 11 + 3, next);	/* MIN SEC FRAME */
			b[n - 11 + 3] = 0xb0;
			b[n - 11 + 7] = 0;	/* no mode 5 pointers */
		}
	}
	put16(b, n - 2);
	return reply(b, n, get16(cdb + 7), data, len, done);
}

/* ATIP (format 4): what the blank disc says about itself. */
static int atip(struct disc *d, const uint8_t *cdb, uint8_t *data,
		uint32_t len, uint32_t *done)
{
	uint8_t b[28] = { 0 };

	put16(b, 26);
	b[4] = 0x80 | 0x50 | 0x01;	/* writing power 5, reference 1 */
	b[5] = 0x00;
	b[6] = 0x80 | (d->rewritable ? 0x40 : 0);
	b[8] = 97; b[9] = 26; b[10] = 50;	/* start of lead-in */
	put_msf(b + 11, d->capacity);	/* last start of lead-out, 12-14 */
	b[11] = 0;
	return reply(b, sizeof(b), get16(cdb + 7), data, len, done);
}

static int read_toc(struct disc *d, const uint8_t *cdb, uint8_t *data,
		    uint32_t len, uint32_t *done, struct mmc_sense *s)
{
	uint8_t b[4 + 8 * (DISC_MAX_TRACKS + 1)] = { 0 };
	unsigned int fmt = cdb[2] & 0x0f, i, n = 4;
	bool msf = cdb[1] & 2;
	uint32_t closed = 0;

	if (!fmt && cdb[9] >> 6)
		fmt = cdb[9] >> 6;
	if (fmt == 4 && !d->dvd)
		return atip(d, cdb, data, len, done);
	/* The TOC holds the tracks of closed sessions. */
	for (i = 0; i < d->nr_tracks; i++)
		if (d->tracks[i].session <= d->sessions)
			closed = i + 1;
	if (fmt > 2 || !closed || (d->dvd && fmt == 2))	/* PMA, CD-TEXT */
		return ILLEGAL(s, 0x24, 0);
	if (fmt == 2)
		return full_toc(d, cdb, data, len, done);
	if (fmt == 1) {			/* first track of the last session */
		unsigned int t = session_first(d, d->sessions);

		b[2] = 1;
		b[3] = d->sessions;
		b[5] = 0x14;
		b[6] = t;
		if (msf)
			put_msf(b + 8, d->tracks[t - 1].start);
		else
			put32(b + 8, d->tracks[t - 1].start);
		put16(b, 10);
		return reply(b, 12, get16(cdb + 7), data, len, done);
	}
	if (cdb[6] > closed && cdb[6] != 0xaa)
		return ILLEGAL(s, 0x24, 0);
	b[2] = 1;
	b[3] = closed;
	for (i = cdb[6] ? cdb[6] - 1 : 0; i <= closed; i++) {
		uint32_t lba;

		if (i == closed)
			lba = d->tracks[i - 1].start + d->tracks[i - 1].len;
		else if (cdb[6] == 0xaa)
			continue;
		else
			lba = d->tracks[i].start;
		b[n + 1] = 0x14;
		b[n + 2] = i < closed ? i + 1 : 0xaa;
		if (msf)
			put_msf(b + n + 4, lba);
		else
			put32(b + n + 4, lba);
		n += 8;
	}
	put16(b, n - 2);
	return reply(b, n, get16(cdb + 7), data, len, done);
}

static int rw10(struct disc *d, const uint8_t *cdb, enum mmc_dir dir,
		uint8_t *data, uint32_t len, uint32_t *done,
		struct mmc_sense *s)
{
	bool twelve = cdb[0] == 0xa8 || cdb[0] == 0xaa;
	int32_t lba = (int32_t)get32(cdb + 2);
	uint32_t count = twelve ? get32(cdb + 6) : get16(cdb + 7);
	bool write = cdb[0] == 0x2a || cdb[0] == 0xaa;
	int ret;

	if ((uint64_t)count * DISC_SECTOR > len ||
	    dir != (write ? MMC_TO_DEV : MMC_FROM_DEV))
		return ILLEGAL(s, 0x24, 0);
	if (write) {
		if (d->dvd && !d->formatted)
			return check(s, 0x05, 0x2c, 0);	/* format it first */
		if (d->status == DISC_COMPLETE && !d->dvd)
			return ILLEGAL(s, 0x21, 0x02);
		if (d->write_type == 2 && !d->cue_sheet && !d->dvd)
			return check(s, 0x05, 0x2c, 0);	/* sequence error */
		ret = disc_write(d, lba, data, count);
		if (ret == -EIO)
			return check(s, 0x03, 0x0c, 0);	/* write error */
		if (ret)
			return ILLEGAL(s, 0x21, 0x02);	/* invalid address */
	} else {
		if (lba < 0 || disc_read(d, lba, data, count))
			return ILLEGAL(s, 0x21, 0x00);
	}
	*done = count * DISC_SECTOR;
	return 0;
}

/* ECMA-130 EDC (CRC-32, poly 0x8001801b reflected) and ECC (RS P/Q). */
static uint32_t edc_table[256];
static uint8_t ecc_f[256], ecc_b[256];
static pthread_once_t ecc_once = PTHREAD_ONCE_INIT;

static void ecc_tables(void)
{
	uint32_t i, j, e;

	for (i = 0; i < 256; i++) {
		j = (i << 1) ^ (i & 0x80 ? 0x11d : 0);
		ecc_f[i] = j;
		ecc_b[i ^ j] = i;
		e = i;
		for (j = 0; j < 8; j++)
			e = (e >> 1) ^ (e & 1 ? 0xd8018001 : 0);
		edc_table[i] = e;
	}
}

static void ecc_pq(const uint8_t *src, unsigned int major_n,
		   unsigned int minor_n, unsigned int major_mul,
		   unsigned int minor_inc, uint8_t *dst)
{
	unsigned int size = major_n * minor_n, major, minor;

	for (major = 0; major < major_n; major++) {
		unsigned int idx = (major >> 1) * major_mul + (major & 1);
		uint8_t a = 0, b = 0;

		for (minor = 0; minor < minor_n; minor++) {
			uint8_t t = src[idx];

			idx += minor_inc;
			if (idx >= size)
				idx -= size;
			a ^= t;
			b ^= t;
			a = ecc_f[a];
		}
		a = ecc_b[ecc_f[a] ^ b];
		dst[major] = a;
		dst[major + major_n] = a ^ b;
	}
}

/* A whole Mode 1 sector (2352 bytes) around 2048 user bytes at raw+16. */
static void raw_sector(uint8_t *raw, int64_t lba)
{
	uint32_t edc = 0;
	unsigned int i;

	pthread_once(&ecc_once, ecc_tables);
	raw[0] = 0;
	memset(raw + 1, 0xff, 10);
	raw[11] = 0;
	put_msf(raw + 11, lba);		/* header: BCD M S F, mode */
	raw[11] = 0;
	for (i = 12; i < 15; i++)
		raw[i] = (raw[i] / 10) << 4 | raw[i] % 10;
	raw[15] = 1;
	for (i = 0; i < 2064; i++)
		edc = (edc >> 8) ^ edc_table[(edc ^ raw[i]) & 0xff];
	raw[2064] = edc;
	raw[2065] = edc >> 8;
	raw[2066] = edc >> 16;
	raw[2067] = edc >> 24;
	memset(raw + 2068, 0, 8);
	ecc_pq(raw + 12, 86, 24, 2, 86, raw + 2076);
	ecc_pq(raw + 12, 52, 43, 86, 88, raw + 2248);
}

/*
 * READ CD: every sector is Mode 1. Byte 9 picks the fields (sync 0x80,
 * header 0x20, user data 0x10, EDC/ECC 0x08); expected sector type 0
 * (any) or 2 (Mode 1) matches, others are 5/64/00.
 */
static int read_cd(struct disc *d, const uint8_t *cdb, enum mmc_dir dir,
		   uint8_t *data, uint32_t len, uint32_t *done,
		   struct mmc_sense *s)
{
	static const struct { uint8_t flags; uint16_t off, n; } fields[] = {
		{ 0x00, 0, 0 }, { 0x10, 16, 2048 }, { 0x20, 12, 4 },
		{ 0x30, 12, 2052 }, { 0x38, 12, 2340 }, { 0x18, 16, 2336 },
		{ 0x08, 2064, 288 }, { 0xa0, 0, 16 }, { 0xb0, 0, 2064 },
		{ 0xb8, 0, 2352 },
	};
	uint8_t type = (cdb[1] >> 2) & 7, sel = cdb[9] & 0xf8, raw[2352];
	int64_t lba = (int32_t)get32(cdb + 2);
	uint32_t count = get32(cdb + 5) & 0xffffff, i;
	unsigned int f, mode = 1;

	if (cdb[0] == 0xb9) {		/* READ CD MSF: start, end */
		int64_t a = (cdb[3] * 60 + cdb[4]) * 75 + cdb[5] - DISC_PREGAP;
		int64_t b = (cdb[6] * 60 + cdb[7]) * 75 + cdb[8] - DISC_PREGAP;

		lba = a;
		count = b > a ? b - a : 0;
	}
	/* Mode 1 has no subheader: "all headers" is the header. */
	sel &= ~0x40;
	for (i = 0; i < d->nr_tracks; i++)
		if (lba >= d->tracks[i].start &&
		    lba < d->tracks[i].start + d->tracks[i].len)
			mode = d->tracks[i].mode;
	if (d->dvd || (type != 0 && type != (mode == 2 ? 4 : 2)))
		return ILLEGAL(s, 0x64, 0);	/* illegal mode for track */
	/* Mode 2 Form 1 sectors: their user data only. */
	if (mode == 2 && sel != 0x10 && sel != 0)
		return ILLEGAL(s, 0x24, 0);
	if ((cdb[9] & 6) || (cdb[10] & 7))	/* C2, sub-channel */
		return ILLEGAL(s, 0x24, 0);
	for (f = 0; f < sizeof(fields) / sizeof(fields[0]); f++)
		if (fields[f].flags == sel)
			break;
	if (f == sizeof(fields) / sizeof(fields[0]))
		return ILLEGAL(s, 0x24, 0);	/* an illegal combination */
	if (dir != MMC_FROM_DEV && count && fields[f].n)
		return ILLEGAL(s, 0x24, 0);
	if ((uint64_t)count * fields[f].n > len)
		return ILLEGAL(s, 0x24, 0);
	if (lba < 0 || lba + count > d->capacity)
		return ILLEGAL(s, 0x21, 0);
	for (i = 0; i < count && fields[f].n; i++) {
		if (disc_read(d, lba + i, raw + 16, 1))
			return check(s, 0x03, 0x11, 0);	/* unrecovered read */
		raw_sector(raw, lba + i);
		memcpy(data + (size_t)i * fields[f].n, raw + fields[f].off,
		       fields[f].n);
	}
	*done = count * fields[f].n;
	return 0;
}

/*
 * SEND CUE SHEET: 8-byte entries CTL/ADR, TNO, INDEX, DATA FORM, SCMS,
 * MIN, SEC, FRAME. A lead-in (TNO 0) first, tracks in order with index
 * 1 each, a lead-out (0xaa) last, times rising, data forms this disc
 * can hold (2048 user bytes, or none). ADR 2/3 entries (catalogue, ISRC)
 * are taken and ignored. Each byte of the list is read once.
 */
static int send_cue(struct disc *d, const uint8_t *cdb, const uint8_t *data,
		    uint32_t len, uint32_t *done, struct mmc_sense *s)
{
	struct disc_cue cue[DISC_MAX_CUE];	/* per call: drives run at once */
	uint32_t n = get32(cdb + 5) & 0xffffff, i;
	unsigned int nr = 0, tno = 0, index = 0, j;
	int64_t prev = INT64_MIN;

	if (n > len || n % 8 || n < 24)
		return ILLEGAL(s, 0x1a, 0);
	if (d->writing || d->dvd)
		return check(s, 0x05, 0x2c, 0);
	if (d->status == DISC_COMPLETE)
		return ILLEGAL(s, 0x21, 0x02);
	*done = n;
	for (i = 0; i < n; i += 8) {
		uint8_t e[8];
		struct disc_cue c;

		memcpy(e, data + i, 8);
		if ((e[0] & 0x0f) == 2 || (e[0] & 0x0f) == 3)
			continue;		/* catalogue number, ISRC */
		if ((e[0] & 0x0f) != 1 || e[6] >= 60 || e[7] >= 75 ||
		    nr == DISC_MAX_CUE)
			return ILLEGAL(s, 0x26, 0);
		c.lba = ((int64_t)e[5] * 60 + e[6]) * 75 + e[7] - DISC_PREGAP;
		c.tno = e[1];
		c.index = e[2];
		c.form = e[3];
		switch (e[3]) {
		case 0x01:		/* CD-DA, generated */
		case 0x14:		/* Mode 1, generated zeros */
			c.host_bytes = 0;
			break;
		case 0x24:		/* Mode 2 Form 1, generated */
			c.host_bytes = 0;
			break;
		case 0x10:		/* Mode 1, 2048 user bytes */
		case 0x20:		/* Mode 2 Form 1 (XA), 2048 bytes */
			c.host_bytes = DISC_SECTOR;
			break;
		default:		/* audio, raw, Mode 2: not held */
			return ILLEGAL(s, 0x26, 0);
		}
		if (!nr) {
			if (c.tno != 0)
				return ILLEGAL(s, 0x26, 0);
		} else if (c.tno == 0xaa) {
			if (tno == 0 || index == 0 || c.lba <= prev)
				return ILLEGAL(s, 0x26, 0);
		} else if (tno == 0xaa || c.tno == 0) {
			return ILLEGAL(s, 0x26, 0);
		} else if (c.tno == tno) {
			if (c.index != index + 1 || c.lba <= prev)
				return ILLEGAL(s, 0x26, 0);
		} else {
			/* A new track: the next number, index 0 or 1. */
			if ((tno && c.tno != tno + 1) || c.tno > 99 ||
			    (tno && index == 0) || c.index > 1 ||
			    (tno && c.lba <= prev))
				return ILLEGAL(s, 0x26, 0);
		}
		tno = c.tno;
		index = c.index;
		prev = c.lba;
		cue[nr++] = c;
	}
	if (nr < 3 || tno != 0xaa)
		return ILLEGAL(s, 0x26, 0);
	/*
	 * The lead-in entry carries no sectors the host writes; the first
	 * track must start at the next writable address (its pregap just
	 * before it), and the lead-out fit on the disc.
	 */
	cue[0].lba = cue[1].lba;
	cue[0].host_bytes = 0;
	for (i = 1; i < nr && cue[i].index != 1; i++)
		;
	/*
	 * wodim numbers a later session's times from its own start (track
	 * 1 at 00:02:00), libburn from the disc's: the first is taken as
	 * relative to the next writable address. The host then writes
	 * where READ TRACK INFORMATION says the stream starts.
	 */
	if (cue[i].lba == 0 && d->nwa) {
		for (j = 0; j < nr; j++)
			cue[j].lba += d->nwa;
	}
	if (cue[i].lba != (int64_t)d->nwa || cue[1].lba < (int64_t)d->nwa -
	    DISC_PREGAP || cue[nr - 1].lba > (int64_t)d->capacity)
		return ILLEGAL(s, 0x26, 0);
	disc_set_cue(d, cue, nr);
	return 0;
}

static unsigned int feature(uint8_t *p, uint16_t code, uint8_t version,
			    bool current, const uint8_t *body, uint8_t n)
{
	put16(p, code);
	p[2] = version << 2 | (code <= 3 || code == 0x100 ? 0x02 : 0) |
	       (current ? 1 : 0);	/* persistent, current */
	p[3] = n;
	memcpy(p + 4, body, n);
	return 4 + n;
}

/*
 * GET CONFIGURATION: the profiles and features of a CD-RW drive, the
 * current ones by the medium in the tray. RT 0 all from the starting
 * feature, 1 the current ones, 2 only the starting one.
 */
static int get_config(struct disc *d, const uint8_t *cdb, uint8_t *data,
		      uint32_t len, uint32_t *done, struct mmc_sense *s)
{
	uint8_t b[512] = { 0 };
	unsigned int n = 8, rt = cdb[1] & 3, i;
	uint16_t start = get16(cdb + 2), profile = 0;
	bool medium = !d->tray_open;
	bool writable = medium && d->status != DISC_COMPLETE;
	bool dvd = medium && d->dvd, cd = medium && !d->dvd;
	struct {
		uint16_t code;
		uint8_t version;
		bool current;
		uint8_t n;
		uint8_t body[20];
	} feats[] = {
		{ 0x0000, 0, true, 20, { 0x00, 0x1a, 0, 0, 0x00, 0x10, 0, 0,
					 0x00, 0x0a, 0, 0, 0x00, 0x09, 0, 0,
					 0x00, 0x08, 0, 0 } },
		{ 0x0001, 2, true, 8, { 0, 0, 0, 1, 0x01 } },	/* SCSI, DBE */
		{ 0x0002, 1, true, 4, { 0x02 } },	/* OCEvent, polled */
		{ 0x0003, 0, true, 4, { 0x29 } },	/* tray, eject, lock */
		{ 0x0010, 0, medium, 8, { 0, 0, 0x08, 0, 0, 1 } },
		{ 0x001d, 0, cd, 0, { 0 } },		/* multi-read */
		{ 0x001e, 2, cd, 4, { 0 } },		/* CD read */
		{ 0x001f, 0, dvd, 0, { 0 } },		/* DVD read */
		{ 0x0021, 1, cd && writable, 8, { 0x05, 0x00, 0, 1, 7 } },
		{ 0x0023, 0, dvd, 0, { 0 } },		/* formattable */
		{ 0x002a, 0, dvd, 4, { 0x01 } },	/* DVD+RW, writes */
		{ 0x002d, 2, cd && writable, 4, { 0x06, 0, 0x05, 0x00 } },
		{ 0x002e, 0, cd && writable, 4, { 0x26, 0x00, 0x10, 0x00 } },
		{ 0x0037, 0, cd && writable && d->rewritable, 4, { 0, 0x02 } },
		{ 0x0100, 0, true, 0, { 0 } },		/* power management */
		{ 0x0105, 0, true, 4, { 0 } },		/* timeout */
		{ 0x0107, 3, true, 4, { 0x0c } },	/* SCS, WSPD */
	};

	if (rt == 3)
		return ILLEGAL(s, 0x24, 0);
	if (medium)
		profile = d->dvd ? 0x1a : d->rewritable ? 0x0a : 0x09;
	/* The profile list marks the current profile. */
	for (i = 0; i < 5; i++)
		feats[0].body[i * 4 + 2] = get16(feats[0].body + i * 4) ==
					   profile;
	for (i = 0; i < sizeof(feats) / sizeof(feats[0]); i++) {
		if (feats[i].code < start || (rt == 1 && !feats[i].current) ||
		    (rt == 2 && feats[i].code != start))
			continue;
		n += feature(b + n, feats[i].code, feats[i].version,
			     feats[i].current, feats[i].body, feats[i].n);
	}
	put32(b, n - 4);
	put16(b + 6, profile);
	return reply(b, n, get16(cdb + 7), data, len, done);
}

/*
 * GET EVENT STATUS NOTIFICATION, polled only: the operational (1), power
 * management (2) and media (4) classes. The lowest requested class with
 * an event pending answers and the event is consumed; with none pending,
 * the lowest requested class says "no change".
 */
static int get_event(struct disc *d, const uint8_t *cdb, uint8_t *data,
		     uint32_t len, uint32_t *done, struct mmc_sense *s)
{
	uint8_t b[8] = { 0 }, req = cdb[4] & 0x16;
	int cls = -1;

	if (!(cdb[1] & 1))		/* asynchronous: not supported */
		return ILLEGAL(s, 0x24, 0);
	put16(b, 2);
	b[3] = 0x16;
	if (!req) {
		b[2] = 0x80;		/* no event available */
		return reply(b, 4, get16(cdb + 7), data, len, done);
	}
	if ((req & 0x02) && d->op_event)
		cls = 1;
	else if ((req & 0x10) && d->media_event)
		cls = 4;
	else
		cls = req & 0x02 ? 1 : req & 0x04 ? 2 : 4;
	put16(b, 6);
	b[2] = cls;
	switch (cls) {
	case 1:
		b[4] = d->op_event;
		b[7] = d->op_event ? 1 : 0;	/* feature change */
		d->op_event = 0;
		break;
	case 2:
		b[5] = 1;			/* active */
		break;
	default:
		b[4] = d->media_event;
		b[5] = (d->tray_open ? 0x01 : 0x02);
		d->media_event = 0;
		break;
	}
	return reply(b, sizeof(b), get16(cdb + 7), data, len, done);
}

static int format_capacities(struct disc *d, const uint8_t *cdb,
			     uint8_t *data, uint32_t len, uint32_t *done)
{
	uint8_t b[20] = { 0 };

	if (d->dvd && !d->tray_open) {
		/* Current: formatted or not; then the full format, 26h. */
		b[3] = 16;
		put32(b + 4, d->capacity);
		b[8] = d->formatted ? 2 : 1;
		b[10] = DISC_SECTOR >> 8;
		put32(b + 12, d->capacity);
		b[16] = 0x26 << 2;
		return reply(b, sizeof(b), get16(cdb + 7), data, len, done);
	}
	b[3] = 8;
	put32(b + 4, d->capacity);
	/* blank: unformatted (1); written: formatted (2); no disc: 3 */
	b[8] = d->tray_open ? 3 : d->status == DISC_BLANK ? 1 : 2;
	b[10] = DISC_SECTOR >> 8;
	return reply(b, 12, get16(cdb + 7), data, len, done);
}

/*
 * FORMAT UNIT: DVD+RW full format (type 26h) only; the list is a 4-byte
 * header and one 8-byte descriptor, each byte read once.
 */
static int format_unit(struct disc *d, const uint8_t *cdb, const uint8_t *data,
		       uint32_t len, uint32_t *done, struct mmc_sense *s)
{
	uint8_t p[12];

	if (!d->dvd)
		return ILLEGAL(s, 0x24, 0);
	if (!(cdb[1] & 0x10) || len < 12)	/* FmtData with a list */
		return ILLEGAL(s, 0x24, 0);
	memcpy(p, data, 12);
	*done = 12;
	if (get16(p + 2) != 8 || p[8] >> 2 != 0x26)
		return ILLEGAL(s, 0x26, 0);
	if (disc_format(d))
		return check(s, 0x03, 0x31, 0);	/* format failed */
	d->op_event = 2;
	return 0;
}

/* READ DVD STRUCTURE format 0: the physical format of the DVD+RW. */
static int dvd_structure(struct disc *d, const uint8_t *cdb, uint8_t *data,
			 uint32_t len, uint32_t *done, struct mmc_sense *s)
{
	uint8_t b[4 + 2048] = { 0 };

	if (!d->dvd)
		return check(s, 0x05, 0x30, 0x02);	/* not a DVD */
	if (cdb[7] != 0 || cdb[6] != 0)
		return ILLEGAL(s, 0x24, 0);
	put16(b, 2048 + 2);
	b[4] = 0x92;			/* DVD+RW, version 2 */
	b[5] = 0x0f;			/* 120 mm, no maximum rate */
	b[6] = 0x04;			/* one layer, rewritable */
	put32(b + 8, 0x30000);		/* data area: first, last PSN */
	put32(b + 12, 0x30000 + d->capacity - 1);
	return reply(b, sizeof(b), get16(cdb + 8), data, len, done);
}

static int mechanism_status(struct disc *d, const uint8_t *cdb,
			    uint8_t *data, uint32_t len, uint32_t *done)
{
	uint8_t b[8] = { 0 };

	b[1] = d->tray_open ? 0x10 : 0;	/* door open; idle */
	b[2] = d->nwa >> 16;
	b[3] = d->nwa >> 8;
	b[4] = d->nwa;
	return reply(b, sizeof(b), get16(cdb + 8), data, len, done);
}

/* GET PERFORMANCE: nominal performance (type 0) and write speeds (3). */
static int get_performance(struct disc *d, const uint8_t *cdb, uint8_t *data,
			   uint32_t len, uint32_t *done, struct mmc_sense *s)
{
	uint8_t b[8 + 16] = { 0 };
	bool write = cdb[1] & 0x04;

	if (!get16(cdb + 8))
		return reply(b, 8, 8, data, len, done);
	switch (cdb[10]) {
	case 0x00:
		if (cdb[1] & 0x03)	/* exceptions: there are none */
			break;
		put32(b + 12, (write ? max_kbps(d) : 24 * KBPS_1X));
		put32(b + 16, d->capacity - 1);
		put32(b + 20, (write ? max_kbps(d) : 24 * KBPS_1X));
		b[4] = write ? 0x02 : 0;
		break;
	case 0x03:
		b[8] = 0x00;		/* WRC 0, exact 0 */
		put32(b + 12, d->capacity - 1);
		put32(b + 16, 24 * KBPS_1X);
		put32(b + 20, max_kbps(d));
		break;
	default:
		return ILLEGAL(s, 0x24, 0);
	}
	put32(b, sizeof(b) - 4);
	return reply(b, sizeof(b), 8 + 16 * get16(cdb + 8), data, len, done);
}

static int buffer_capacity(struct disc *d, const uint8_t *cdb,
			   uint8_t *data, uint32_t len, uint32_t *done)
{
	uint8_t b[12] = { 0 };

	(void)d;
	put16(b, 10);
	if (cdb[1] & 1) {		/* in blocks */
		b[3] = 1;
		put32(b + 8, (2048u << 10) / DISC_SECTOR);
	} else {
		put32(b + 4, 2048u << 10);	/* empty: all of it free */
		put32(b + 8, 2048u << 10);
	}
	return reply(b, sizeof(b), get16(cdb + 7), data, len, done);
}

static int start_stop(struct disc *d, const uint8_t *cdb,
		      struct mmc_sense *s)
{
	bool loej = cdb[4] & 2, start = cdb[4] & 1;

	if (!loej)
		return 0;		/* spin up or down: nothing to do */
	if (start) {
		if (d->tray_open) {
			d->tray_open = false;
			d->media_event = 2;		/* new media */
			d->unit_attention = true;
		}
		return 0;
	}
	if (d->prevent)
		return ILLEGAL(s, 0x53, 0x02);	/* removal prevented */
	if (d->writing)
		return check(s, 0x05, 0x2c, 0);
	if (!d->tray_open) {
		d->tray_open = true;
		d->media_event = 3;			/* media removal */
	}
	return 0;
}

/* Which commands need a disc in the drive (else NOT READY 3A/02). */
static bool needs_medium(uint8_t op)
{
	switch (op) {
	case 0x00: case 0x04: case 0x25: case 0x28: case 0x2a: case 0x35:
	case 0x43: case 0xad:
	case 0x51: case 0x52: case 0x5b: case 0x5d: case 0xa1: case 0xa8:
	case 0xaa: case 0xb9: case 0xbe:
		return true;
	default:
		return false;
	}
}

static int request_sense(struct disc *d, const uint8_t *cdb, uint8_t *data,
			 uint32_t len, uint32_t *done, struct mmc_sense *s)
{
	uint8_t b[18] = { 0x70, 0, 0, 0, 0, 0, 0, 10 };

	if (cdb[1] & 1)			/* descriptor format */
		return ILLEGAL(s, 0x24, 0);
	if (d->unit_attention) {
		b[2] = 0x06;
		b[12] = 0x28;
		d->unit_attention = false;
	} else if (d->tray_open) {
		b[2] = 0x02;
		b[12] = 0x3a;
		b[13] = 0x02;
	}
	return reply(b, sizeof(b), cdb[4], data, len, done);
}

static int blank(struct disc *d, const uint8_t *cdb, struct mmc_sense *s)
{
	unsigned int type = cdb[1] & 7;
	int ret;

	if (!d->rewritable || d->dvd)
		return ILLEGAL(s, 0x30, 0x05);	/* not erasable */
	if (type != DISC_BLANK_FULL && type != DISC_BLANK_MINIMAL &&
	    type != DISC_BLANK_UNCLOSE && type != DISC_BLANK_SESSION)
		return ILLEGAL(s, 0x24, 0);
	if (d->writing)
		return check(s, 0x05, 0x2c, 0);
	if (d->test_write)
		return 0;
	ret = disc_blank(d, type);
	if (ret == -EINVAL)
		return ILLEGAL(s, 0x24, 0);
	if (ret)
		return check(s, 0x03, 0x51, 0);	/* erase failure */
	d->op_event = 2;
	return 0;
}

static int close_track_session(struct disc *d, const uint8_t *cdb,
			       struct mmc_sense *s)
{
	int ret;

	if (d->dvd)		/* DVD+RW: stop formatting, finalize: done */
		return 0;
	switch (cdb[2] & 7) {
	case 1:
		ret = disc_close_track(d);
		break;
	case 2:
	case 3:
		ret = disc_close_session(d);
		if (!ret)
			d->op_event = 2;
		break;
	default:
		return ILLEGAL(s, 0x24, 0);
	}
	return ret ? check(s, 0x05, 0x2c, 0) : 0;
}

static int execute(struct disc *d, const uint8_t *cdb, enum mmc_dir dir,
		   uint8_t *data, uint32_t len, uint32_t *done,
		   struct mmc_sense *s)
{
	switch (cdb[0]) {
	case 0x00:				/* TEST UNIT READY */
	case 0x2b:				/* SEEK(10) */
		return 0;
	case 0x35:				/* SYNCHRONIZE CACHE */
		/* The SAO stream is complete: lead-out, session closed. */
		if (d->write_type == 2 && d->writing && disc_sao_done(d)) {
			if (disc_close_session(d))
				return check(s, 0x03, 0x0c, 0);
			d->op_event = 2;
		}
		return 0;
	case 0x1e:				/* PREVENT ALLOW */
		d->prevent = cdb[4] & 1;
		return 0;
	case 0xbb: {				/* SET CD SPEED */
		uint32_t w = get16(cdb + 4);

		d->write_kbps = w == 0xffff ? 0 : w;
		return 0;
	}
	case 0xb6:				/* SET STREAMING */
		if (dir != MMC_TO_DEV || get16(cdb + 9) > len)
			return ILLEGAL(s, 0x24, 0);
		*done = get16(cdb + 9);
		return 0;
	case 0x1b:
		return start_stop(d, cdb, s);
	case 0x03:
		return request_sense(d, cdb, data, len, done, s);
	case 0x12:
		return inquiry(cdb, data, len, done, s);
	case 0x1a:
	case 0x5a:
		return mode_sense(d, cdb, data, len, done, s);
	case 0x15:
	case 0x55:
		if (dir != MMC_TO_DEV)
			return ILLEGAL(s, 0x24, 0);
		return mode_select(d, cdb, data, len, done, s);
	case 0x23:
		return format_capacities(d, cdb, data, len, done);
	case 0x04:
		if (dir != MMC_TO_DEV && (cdb[1] & 0x10))
			return ILLEGAL(s, 0x24, 0);
		return format_unit(d, cdb, data, len, done, s);
	case 0xad:
		return dvd_structure(d, cdb, data, len, done, s);
	case 0x46:
		return get_config(d, cdb, data, len, done, s);
	case 0x4a:
		return get_event(d, cdb, data, len, done, s);
	case 0x51:
		return disc_info(d, cdb, data, len, done, s);
	case 0x52:
		return track_info(d, cdb, data, len, done, s);
	case 0x43:
		return read_toc(d, cdb, data, len, done, s);
	case 0x25: {				/* READ CAPACITY */
		uint8_t b[8];
		uint32_t end = disc_end(d);

		put32(b, end ? end - 1 : 0);
		put32(b + 4, DISC_SECTOR);
		return reply(b, sizeof(b), 8, data, len, done);
	}
	case 0x28:
	case 0x2a:
	case 0xa8:
	case 0xaa:
		return rw10(d, cdb, dir, data, len, done, s);
	case 0xb9:
	case 0xbe:
		return read_cd(d, cdb, dir, data, len, done, s);
	case 0x5c:
		return buffer_capacity(d, cdb, data, len, done);
	case 0xac:
		return get_performance(d, cdb, data, len, done, s);
	case 0xbd:
		return mechanism_status(d, cdb, data, len, done);
	case 0x5d:				/* SEND CUE SHEET */
		if (dir != MMC_TO_DEV)
			return ILLEGAL(s, 0x24, 0);
		return send_cue(d, cdb, data, len, done, s);
	case 0x5b:
		return close_track_session(d, cdb, s);
	case 0xa1:
		return blank(d, cdb, s);
	default:
		/* READ BUFFER, SEND OPC, vendor E5 ... */
		return ILLEGAL(s, 0x20, 0);
	}
}

int mmc_execute(struct disc *d, const uint8_t *guest_cdb,
		unsigned int cdb_len, enum mmc_dir dir, uint8_t *data,
		uint32_t len, uint32_t *done, struct mmc_sense *s)
{
	static const unsigned int group_len[8] = { 6, 10, 10, 0, 16, 12, 0, 0 };
	uint8_t cdb[MMC_CDB_MAX] = { 0 };
	unsigned int need;

	/*
	 * One read of the CDB: the length check and the dispatch below must
	 * see the same opcode even if the caller's bytes change meanwhile.
	 */
	*done = 0;
	if (cdb_len > MMC_CDB_MAX)
		return ILLEGAL(s, 0x20, 0);
	memcpy(cdb, guest_cdb, cdb_len);
	need = group_len[cdb[0] >> 5];
	if (!need || cdb_len < need)
		return ILLEGAL(s, 0x20, 0);	/* invalid command */
	if (dir != MMC_FROM_DEV)
		len = dir == MMC_TO_DEV ? len : 0;
	/*
	 * A medium change is reported once, to the next command that is
	 * not one of those MMC exempts (INQUIRY, REQUEST SENSE, GET
	 * CONFIGURATION, GET EVENT STATUS NOTIFICATION).
	 */
	if (d->unit_attention && cdb[0] != 0x12 && cdb[0] != 0x03 &&
	    cdb[0] != 0x46 && cdb[0] != 0x4a) {
		d->unit_attention = false;
		return check(s, 0x06, 0x28, 0);
	}
	if (d->tray_open && needs_medium(cdb[0]))
		return NO_MEDIUM(s);
	return execute(d, cdb, dir, data, len, done, s);
}
