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

#define TITLE "# virtual hostnames of vni instances; written by vnictl\n"
#define DEAD_FMT "# commented out since: %010zu bytes\n"
#define DEAD_LEN 40 /* its length */
#define DEAD_MAX 9999999999ull

void vni_hosts_header(FILE *f)
{
	fputs(TITLE, f);
	fprintf(f, DEAD_FMT, (size_t)0);
}

/* The count of the header, when the file has one: 0, else -1. */
static int dead_read(int fd, size_t *dead)
{
	char buf[sizeof(TITLE) - 1 + DEAD_LEN + 1];
	unsigned long long v;
	char nl;

	if (pread(fd, buf, sizeof(buf) - 1, 0) != (ssize_t)sizeof(buf) - 1)
		return -1;
	buf[sizeof(buf) - 1] = '\0';
	if (memcmp(buf, TITLE, sizeof(TITLE) - 1) ||
	    sscanf(buf + sizeof(TITLE) - 1, "# commented out since: %10llu bytes%c", &v, &nl) != 2 ||
	    nl != '\n')
		return -1;
	*dead = (size_t)v;
	return 0;
}

static void dead_write(int fd, size_t dead)
{
	char buf[64];

	if (snprintf(buf, sizeof(buf), DEAD_FMT, (size_t)(dead < DEAD_MAX ? dead : DEAD_MAX)) ==
	    DEAD_LEN)
		(void)!pwrite(fd, buf, DEAD_LEN, (off_t)sizeof(TITLE) - 1);
}

/* A '#' over the first byte of each of the lines (len bytes) at off. */
static int comment_at(int fd, const char *lines, size_t len, off_t off)
{
	size_t i;

	for (i = 0; i < len; i++)
		if ((i == 0 || lines[i - 1] == '\n') && pwrite(fd, "#", 1, off + (off_t)i) != 1)
			return -errno;
	return 0;
}

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

int vni_hosts_append(const char *path, const struct vni_record *r, int64_t *at, char *err)
{
	char *text = lines_of(r);
	size_t len = text ? strlen(text) : 0;
	int fd, ret = 0;

	*at = 0;
	if (!text)
		return vni_err(err, -ENOMEM, "out of memory");
	fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (fd < 0) {
		ret = errno == ENOENT ? -ENOENT :
					vni_err(err, -errno, "cannot write %s: %s", path, strerror(errno));
	} else {
		/* where they go (the node lock keeps other writers out) */
		*at = (int64_t)lseek(fd, 0, SEEK_END);
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

/* r's lines (mine) at off, where its attach put them: commented out, and
 * counted in the header. What vni_hosts_comment_out returns, or -ENOENT
 * when they are not there (the file was written whole since, or has no
 * header): 2 pread and a pwrite a line and one for the count, where reading
 * the whole file took 80-115 us at 10,000 instances. */
static int comment_out_at(int fd, const char *mine, int64_t off, const char *path, char *err)
{
	size_t n = strlen(mine), dead;
	struct stat st;
	char *have;
	int ret = -ENOENT;

	if (off <= 0 || !n || dead_read(fd, &dead) || !(have = malloc(n + 1)))
		return -ENOENT;
	/* the byte before too: they must start a line */
	if (pread(fd, have, n + 1, (off_t)off - 1) == (ssize_t)n + 1 && have[0] == '\n' &&
	    !memcmp(have + 1, mine, n) && !fstat(fd, &st)) {
		ret = comment_at(fd, mine, n, (off_t)off);
		if (ret) {
			ret = vni_err(err, ret, "cannot write %s: %s", path, strerror(-ret));
		} else {
			dead += n;
			dead_write(fd, dead);
			ret = dead > COMPACT_MIN && dead > (size_t)st.st_size - dead;
		}
	}
	free(have);
	return ret;
}

int vni_hosts_comment_out(const char *path, const struct vni_record *r, char *err)
{
	char *mine = lines_of(r), *text = NULL, *p, *end, *m, *me;
	size_t len, dead = 0, live = 0, had;
	int fd, ret = 0;

	if (!mine)
		return vni_err(err, -ENOMEM, "out of memory");
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		ret = errno == ENOENT ? -ENOENT :
					vni_err(err, -errno, "cannot write %s: %s", path, strerror(errno));
		goto out;
	}
	ret = comment_out_at(fd, mine, r->hosts_off, path, err);
	if (ret != -ENOENT)
		goto out;
	ret = 0;
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
	if (!dead_read(fd, &had)) /* (the header's two lines are comments too) */
		dead_write(fd, dead - (sizeof(TITLE) - 1 + DEAD_LEN));
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
