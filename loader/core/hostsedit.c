// SPDX-License-Identifier: GPL-2.0-only
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/hostsedit.h"
#include "sys/util.h"

/* Below this many bytes of comments a file is not worth writing again. */
#define COMPACT_MIN 4096

void vni_hosts_lines(const struct vni_record *r, FILE *f)
{
	const struct vni_addr *a[2] = { &r->vip4, &r->vip6 };
	char buf[INET6_ADDRSTRLEN];
	int i;

	/* an attaching row is listed (the attach publishes before it is done);
	 * a detaching one is not */
	for (i = 0; i < 2 && !r->checkpointed && r->phase != VNI_DETACHING; i++)
		if (a[i]->family)
			fprintf(f, "%s %s\n", vni_addr_str(a[i], buf, sizeof(buf)), r->hostname);
}

/* r's lines as if it were running, malloc'd. */
static char *lines_of(const struct vni_record *r)
{
	struct vni_record live = *r;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return NULL;
	live.phase = VNI_READY;
	live.checkpointed = false;
	vni_hosts_lines(&live, f);
	if (fclose(f)) {
		free(text);
		return NULL;
	}
	return text;
}

int vni_hosts_append(const char *path, const struct vni_record *r, char *err)
{
	char *text = lines_of(r);
	size_t len = text ? strlen(text) : 0;
	int fd, ret = 0;

	if (!text)
		return vni_err(err, -ENOMEM, "out of memory");
	fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (fd < 0) {
		ret = errno == ENOENT ? -ENOENT :
					vni_err(err, -errno, "cannot write %s: %s", path, strerror(errno));
	} else {
		/* one write: readers see all of the lines or none */
		if (len && write(fd, text, len) != (ssize_t)len)
			ret = vni_err(err, errno ? -errno : -EIO, "cannot write %s: %s", path,
				      strerror(errno ? errno : EIO));
		close(fd);
	}
	free(text);
	return ret;
}

/* The whole file, NUL-terminated (*len bytes before the NUL). */
static char *read_all(int fd, size_t *len)
{
	struct stat st;
	char *buf;
	ssize_t n;

	*len = 0;
	if (fstat(fd, &st))
		return NULL;
	buf = malloc((size_t)st.st_size + 1);
	while (buf && (n = pread(fd, buf + *len, (size_t)st.st_size - *len, (off_t)*len)) > 0)
		*len += (size_t)n;
	if (buf)
		buf[*len] = '\0';
	return buf;
}

int vni_hosts_comment_out(const char *path, const struct vni_record *r, char *err)
{
	char *mine = lines_of(r), *text = NULL, *p, *end, *m, *me;
	size_t len, dead = 0, live = 0;
	int fd, ret = 0;

	if (!mine)
		return vni_err(err, -ENOMEM, "out of memory");
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		ret = errno == ENOENT ? -ENOENT :
					vni_err(err, -errno, "cannot write %s: %s", path, strerror(errno));
		goto out;
	}
	if (!(text = read_all(fd, &len))) {
		ret = vni_err(err, -ENOMEM, "cannot read %s", path);
		goto out;
	}
	for (p = text; p < text + len; p = end + 1) {
		end = strchr(p, '\n');
		if (!end)
			end = text + len;
		for (m = mine; *m && *p != '#'; m = me + 1) {
			me = strchr(m, '\n');
			if ((size_t)(me - m) == (size_t)(end - p) && !memcmp(m, p, (size_t)(end - p))) {
				if (pwrite(fd, "#", 1, p - text) != 1) {
					ret = vni_err(err, -errno, "cannot write %s: %s", path,
						      strerror(errno));
					goto out;
				}
				*p = '#';
			}
		}
		if (*p == '#')
			dead += (size_t)(end - p) + 1;
		else
			live += (size_t)(end - p) + 1;
	}
	ret = dead > COMPACT_MIN && dead > live;
out:
	if (fd >= 0)
		close(fd);
	free(text);
	free(mine);
	return ret;
}

static int cmp_line(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The live lines of text, sorted, in one malloc'd block (NULL: out of memory). */
static char **live_lines(const char *text, size_t *n, char **copy)
{
	char **v = NULL, **nv, *line, *save = NULL;
	size_t cap = 0;

	*n = 0;
	if (!(*copy = strdup(text)))
		return NULL;
	for (line = strtok_r(*copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == '#')
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 64;
			if (!(nv = realloc(v, cap * sizeof(*v)))) {
				free(v);
				return NULL;
			}
			v = nv;
		}
		v[(*n)++] = line;
	}
	if (*n)
		qsort(v, *n, sizeof(*v), cmp_line);
	return v ? v : calloc(1, sizeof(*v));
}

bool vni_hosts_same(const char *a, const char *b)
{
	char *ca = NULL, *cb = NULL, **la, **lb;
	size_t na, nb, i;
	bool same;

	la = live_lines(a, &na, &ca);
	lb = live_lines(b, &nb, &cb);
	same = la && lb && na == nb;
	for (i = 0; same && i < na; i++)
		same = !strcmp(la[i], lb[i]);
	free(la);
	free(lb);
	free(ca);
	free(cb);
	return same;
}
