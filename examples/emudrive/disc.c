// SPDX-License-Identifier: MIT
/* The emulated drive's medium: see disc.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "disc.h"

#define DISC_MAX_OPEN	16

static struct disc *discs[DISC_MAX_OPEN];
static pthread_mutex_t discs_lock = PTHREAD_MUTEX_INITIALIZER;

static int parse_options(struct disc *d, const char *options)
{
	char buf[256], *tok, *save = NULL;

	d->rewritable = true;
	d->capacity = (650u << 20) / DISC_SECTOR;
	d->speed = 8;
	if (!options || !*options)
		return 0;
	if (strlen(options) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, options);
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		char *v = strchr(tok, '=');
		unsigned long long n;
		char *end;

		if (!v)
			return -EINVAL;
		*v++ = '\0';
		if (!strcmp(tok, "media")) {
			if (!strcmp(v, "cdr"))
				d->rewritable = false;
			else if (strcmp(v, "cdrw"))
				return -EINVAL;
		} else if (!strcmp(tok, "size")) {
			n = strtoull(v, &end, 10);
			if (*end == 'M')
				n <<= 20, end++;
			if (*end || n < (1u << 20) || n > (900ull << 20))
				return -EINVAL;
			d->capacity = n / DISC_SECTOR;
		} else if (!strcmp(tok, "speed")) {
			n = strtoull(v, &end, 10);
			if (*end || !n || n > 52)
				return -EINVAL;
			d->speed = n;
		} else {
			return -EINVAL;
		}
	}
	return 0;
}

static void state_path(const struct disc *d, char *buf, size_t len)
{
	snprintf(buf, len, "%s.state", d->path);
}

int disc_save(struct disc *d)
{
	char path[4200], tmp[4210];
	unsigned int i;
	FILE *f;

	state_path(d, path, sizeof(path));
	snprintf(tmp, sizeof(tmp), "%s.new", path);
	f = fopen(tmp, "w");
	if (!f)
		return -errno;
	fprintf(f, "status %d\nsessions %u\ntracks %u\n", d->status,
		d->sessions, d->nr_tracks);
	for (i = 0; i < d->nr_tracks; i++)
		fprintf(f, "track %u %u %u\n", d->tracks[i].start,
			d->tracks[i].len, d->tracks[i].session);
	if (fclose(f) || rename(tmp, path))
		return -errno;
	return 0;
}

/* Load what disc_save wrote; a missing file is a blank disc. */
static int disc_load(struct disc *d)
{
	char path[4200], line[128];
	unsigned int a, b, c, n = 0;
	int st;
	FILE *f;

	state_path(d, path, sizeof(path));
	f = fopen(path, "r");
	if (!f)
		return errno == ENOENT ? 0 : -errno;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "status %d", &st) == 1 && st >= 0 && st <= 2)
			d->status = st;
		else if (sscanf(line, "sessions %u", &a) == 1)
			d->sessions = a;
		else if (sscanf(line, "track %u %u %u", &a, &b, &c) == 3 &&
			 n < DISC_MAX_TRACKS && a + b >= a && a + b <= d->capacity)
			d->tracks[n++] = (struct disc_track){ a, b, c };
	}
	fclose(f);
	d->nr_tracks = n;
	d->nwa = n ? d->tracks[n - 1].start + d->tracks[n - 1].len : 0;
	return 0;
}

int disc_get(const char *path, const char *options, struct disc **out)
{
	struct disc *d = NULL;
	unsigned int i, slot = DISC_MAX_OPEN;
	int ret;

	pthread_mutex_lock(&discs_lock);
	for (i = 0; i < DISC_MAX_OPEN; i++) {
		if (discs[i] && !strcmp(discs[i]->path, path)) {
			d = discs[i];
			break;
		}
		if (!discs[i] && slot == DISC_MAX_OPEN)
			slot = i;
	}
	if (d) {
		d->users++;
		*out = d;
		pthread_mutex_unlock(&discs_lock);
		return 0;
	}
	ret = -ENFILE;
	if (slot == DISC_MAX_OPEN || strlen(path) >= sizeof(d->path))
		goto out;
	ret = -ENOMEM;
	d = calloc(1, sizeof(*d));
	if (!d)
		goto out;
	strcpy(d->path, path);
	d->fd = -1;
	pthread_mutex_init(&d->lock, NULL);
	d->write_type = 1;
	d->data_block_type = 8;
	ret = parse_options(d, options);
	if (!ret) {
		d->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
		ret = d->fd < 0 ? -errno : disc_load(d);
	}
	if (ret) {
		if (d->fd >= 0)
			close(d->fd);
		free(d);
		goto out;
	}
	d->users = 1;
	discs[slot] = d;
	*out = d;
out:
	pthread_mutex_unlock(&discs_lock);
	return ret;
}

void disc_put(struct disc *d)
{
	unsigned int i;

	pthread_mutex_lock(&discs_lock);
	if (--d->users) {
		pthread_mutex_unlock(&discs_lock);
		return;
	}
	for (i = 0; i < DISC_MAX_OPEN; i++)
		if (discs[i] == d)
			discs[i] = NULL;
	pthread_mutex_unlock(&discs_lock);
	close(d->fd);
	pthread_mutex_destroy(&d->lock);
	free(d);
}

int disc_write(struct disc *d, int64_t lba, const void *buf, uint32_t count)
{
	const uint8_t *p = buf;
	int64_t end = lba + count;

	if (d->status == DISC_COMPLETE || end > d->capacity ||
	    lba < -DISC_PREGAP)
		return -EINVAL;
	if (!d->writing) {
		/* The first write opens the track, at the NWA. */
		if (d->write_type == 1 && lba != d->nwa)
			return -EINVAL;
		d->writing = true;
		d->track_start = lba < 0 ? 0 : lba;
	} else if (d->write_type == 1 && lba != d->nwa) {
		return -EINVAL;
	}
	if (lba < 0) {			/* the pregap carries no user data */
		uint32_t skip = (uint32_t)(-lba) < count ? -lba : count;

		p += (size_t)skip * DISC_SECTOR;
		count -= skip;
		lba = 0;
	}
	if (count && !d->test_write &&
	    pwrite(d->fd, p, (size_t)count * DISC_SECTOR,
		   (off_t)lba * DISC_SECTOR) != (ssize_t)count * DISC_SECTOR)
		return -EIO;
	if (end > d->nwa)
		d->nwa = end;
	return 0;
}

int disc_read(struct disc *d, uint32_t lba, void *buf, uint32_t count)
{
	ssize_t n;

	if ((uint64_t)lba + count > d->capacity)
		return -EINVAL;
	n = pread(d->fd, buf, (size_t)count * DISC_SECTOR,
		  (off_t)lba * DISC_SECTOR);
	if (n < 0)
		return -EIO;
	/* Past the image's end the disc reads as zeros. */
	memset((uint8_t *)buf + n, 0, (size_t)count * DISC_SECTOR - n);
	return 0;
}

int disc_close_track(struct disc *d)
{
	static const uint8_t zero[DISC_SECTOR];
	struct disc_track *t;
	uint32_t len;

	if (!d->writing)
		return 0;
	if (d->test_write) {		/* nothing happened, really */
		d->writing = false;
		d->nwa = d->nr_tracks ? d->tracks[d->nr_tracks - 1].start +
					d->tracks[d->nr_tracks - 1].len : 0;
		return 0;
	}
	if (d->nr_tracks >= DISC_MAX_TRACKS)
		return -ENOSPC;
	len = d->nwa - d->track_start;
	while (d->write_type == 1 && len < DISC_MIN_TRACK) {
		if (pwrite(d->fd, zero, DISC_SECTOR,
			   (off_t)(d->track_start + len) * DISC_SECTOR) !=
		    DISC_SECTOR)
			return -EIO;
		len++;
	}
	fsync(d->fd);
	t = &d->tracks[d->nr_tracks++];
	t->start = d->track_start;
	t->len = len;
	t->session = d->sessions + 1;
	d->nwa = t->start + len;
	d->writing = false;
	d->status = DISC_APPENDABLE;
	return disc_save(d);
}

int disc_close_session(struct disc *d)
{
	int ret = disc_close_track(d);

	if (ret || d->test_write || !d->nr_tracks ||
	    d->tracks[d->nr_tracks - 1].session <= d->sessions)
		return ret;
	d->sessions++;
	d->cue_sheet = false;
	/* Multi-session leaves room for the next session. */
	d->status = d->multi_session ? DISC_APPENDABLE : DISC_COMPLETE;
	return disc_save(d);
}

int disc_blank(struct disc *d, bool full)
{
	if (!d->rewritable)
		return -EINVAL;
	if (ftruncate(d->fd, 0) ||
	    (full && ftruncate(d->fd, (off_t)d->capacity * DISC_SECTOR)))
		return -EIO;
	d->status = DISC_BLANK;
	d->sessions = d->nr_tracks = 0;
	d->writing = false;
	d->nwa = 0;
	return disc_save(d);
}
