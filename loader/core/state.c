// SPDX-License-Identifier: GPL-2.0-only
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/state.h"
#include "core/state_db.h"
#include "sys/util.h"

static const char schema[] =
	"CREATE TABLE IF NOT EXISTS instances ("
	" name TEXT PRIMARY KEY,"
	" cgroup TEXT NOT NULL UNIQUE,"
	" cgroup_id INTEGER NOT NULL,"
	" owns_cgroup INTEGER NOT NULL,"
	" aid INTEGER NOT NULL UNIQUE,"
	" flags INTEGER NOT NULL,"
	" vip4 TEXT UNIQUE,"
	" vip6 TEXT UNIQUE,"
	" hostname TEXT NOT NULL UNIQUE COLLATE NOCASE,"
	" dev TEXT NOT NULL,"
	" netns_cookie INTEGER NOT NULL,"
	" created INTEGER NOT NULL,"
	" checkpointed INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);";

/* Schema changes after the first, applied in order (PRAGMA user_version). */
static const char *const migrations[] = {
	"ALTER TABLE instances ADD COLUMN phase TEXT NOT NULL DEFAULT 'ready';"
	" CREATE INDEX unfinished ON instances (phase) WHERE phase != 'ready'",
	/* VIP pools of the local registry (state_pools.c) */
	"CREATE TABLE pools (pool TEXT NOT NULL, family INTEGER NOT NULL,"
	" first TEXT NOT NULL, last TEXT NOT NULL, PRIMARY KEY (pool, first))",
	/* per-instance paths, vnictl run --map (state_maps.c) */
	"CREATE TABLE maps (name TEXT NOT NULL, seq INTEGER NOT NULL, path TEXT NOT NULL,"
	" source TEXT NOT NULL, PRIMARY KEY (name, seq))",
	/* clones (vnictl clone): the template's checkpoint dir and VIPs */
	"ALTER TABLE instances ADD COLUMN template TEXT;"
	" ALTER TABLE instances ADD COLUMN virt4 TEXT;"
	" ALTER TABLE instances ADD COLUMN virt6 TEXT",
	/* service addresses (vnictl service, state_services.c) */
	"CREATE TABLE services (name TEXT PRIMARY KEY, id INTEGER NOT NULL UNIQUE,"
	" family INTEGER NOT NULL, addr TEXT NOT NULL, port INTEGER NOT NULL,"
	" proto INTEGER NOT NULL, dev TEXT NOT NULL, netns_cookie INTEGER NOT NULL,"
	" created INTEGER NOT NULL, phase TEXT NOT NULL DEFAULT 'ready',"
	" UNIQUE (addr, port, proto));"
	" CREATE TABLE service_members (service TEXT NOT NULL, instance TEXT NOT NULL,"
	" slot INTEGER NOT NULL, PRIMARY KEY (service, instance), UNIQUE (service, slot))",
	/* where an instance's lines are in the hosts file (core/hostsedit.h) */
	"ALTER TABLE instances ADD COLUMN hosts_off INTEGER",
};

#define COLUMNS                                                                    \
	"name, cgroup, cgroup_id, owns_cgroup, aid, flags, vip4, vip6, hostname, dev," \
	" netns_cookie, created, checkpointed, phase, template, virt4, virt6, hosts_off"

static const char *const phase_names[] = { "ready", "attaching", "detaching" };

const char *vni_phase_name(enum vni_phase p)
{
	return (unsigned int)p < sizeof(phase_names) / sizeof(phase_names[0]) ? phase_names[p] :
										 "?";
}

static enum vni_phase phase_of(const char *name)
{
	size_t i;

	for (i = 0; name && i < sizeof(phase_names) / sizeof(phase_names[0]); i++)
		if (!strcmp(name, phase_names[i]))
			return (enum vni_phase)i;
	return VNI_ATTACHING; /* unknown: treat as unfinished, recovery undoes it */
}

const char *vni_state_dir(const struct vni_state *st)
{
	return st->dir;
}

int vni_db_err(struct vni_state *st, char *err, const char *what)
{
	return vni_err(err, -EIO, "state database: cannot %s: %s", what, sqlite3_errmsg(st->db));
}

static int migrate(struct vni_state *st, char *err)
{
	const int latest = (int)(sizeof(migrations) / sizeof(migrations[0]));
	sqlite3_stmt *s;
	char sql[64];
	int version = 0, i;

	if (sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &s, NULL) != SQLITE_OK)
		return vni_db_err(st, err, "read its version");
	if (sqlite3_step(s) == SQLITE_ROW)
		version = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	if (version > latest)
		return vni_err(err, -EPROTO,
			       "state database version %d is newer than this vnictl knows (%d)",
			       version, latest);
	for (i = version; i < latest; i++) {
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", i + 1);
		if (sqlite3_exec(st->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK ||
		    sqlite3_exec(st->db, migrations[i], NULL, NULL, NULL) != SQLITE_OK ||
		    sqlite3_exec(st->db, sql, NULL, NULL, NULL) != SQLITE_OK ||
		    sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
			int ret = vni_db_err(st, err, "upgrade its schema");

			sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
			return ret;
		}
	}
	return 0;
}

/*
 * Takes the node lock, making the state dir first if needed (create). A
 * vnictl whose refused attach made the dir removes it again
 * (vni_state_close_tidy), so after the lock is ours the file must still be
 * the one at the path; if not, the dir is made again and locked anew.
 */
static int lock_node(struct vni_state *st, const char *path, bool create, int how, char *err)
{
	struct stat held, now;
	int ret;

	for (;;) {
		bool existed = access(st->dir, F_OK) == 0;

		if (!existed && !create)
			return vni_err(err, -ENOENT, "no state in %s: nothing is attached", st->dir);
		ret = vni_mkdir_p(st->dir, 0755);
		if (ret)
			return vni_err(err, ret, "cannot create state dir %s: %s", st->dir,
				       strerror(-ret));
		st->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		if (st->lock_fd < 0 || flock(st->lock_fd, how))
			return errno == EWOULDBLOCK ? -EWOULDBLOCK :
						      vni_err(err, -errno, "cannot lock %s: %s", path, strerror(errno));
		if (!fstat(st->lock_fd, &held) && !stat(path, &now) && held.st_ino == now.st_ino &&
		    held.st_dev == now.st_dev) {
			st->created = !existed;
			return 0;
		}
		close(st->lock_fd);
		st->lock_fd = -1;
	}
}

static int open_state(const char *dir, bool create, int how, struct vni_state **out, char *err);

int vni_state_open(const char *dir, bool create, struct vni_state **out, char *err)
{
	return open_state(dir, create, LOCK_EX, out, err);
}

int vni_state_try_open(const char *dir, struct vni_state **out, char *err)
{
	return open_state(dir, true, LOCK_EX | LOCK_NB, out, err);
}

static int open_state(const char *dir, bool create, int how, struct vni_state **out, char *err)
{
	char path[PATH_MAX];
	struct vni_state *st;
	int ret;

	*out = NULL;
	st = calloc(1, sizeof(*st));
	if (!st)
		return vni_err(err, -ENOMEM, "out of memory");
	st->lock_fd = -1;
	if (vni_path(st->dir, sizeof(st->dir), "%s", dir) ||
	    vni_path(path, sizeof(path), "%s/lock", dir)) {
		free(st);
		return vni_err(err, -ENAMETOOLONG, "state dir path too long");
	}
	ret = lock_node(st, path, create, how, err);
	if (ret)
		goto fail;
	vni_path(path, sizeof(path), "%s/state.db", dir);
	if (vni_db_reuse(st, path))
		goto migrate; /* set up by the open that made it */
	if (sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
	    SQLITE_OK) {
		ret = vni_err(err, -EIO, "cannot open %s: %s", path, sqlite3_errmsg(st->db));
		goto fail;
	}
	sqlite3_busy_timeout(st->db, 10000);
	/* WAL with synchronous=NORMAL: a commit is an append without fsync;
	 * the database stays consistent across a crash. */
	sqlite3_exec(st->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;", NULL, NULL,
		     NULL);
	vni_db_tune(st->db);
	if (sqlite3_exec(st->db, schema, NULL, NULL, NULL) != SQLITE_OK) {
		ret = vni_db_err(st, err, "create its schema");
		goto fail;
	}
	{
		struct stat db;

		if (!stat(path, &db)) {
			st->db_dev = db.st_dev;
			st->db_ino = db.st_ino;
		}
	}
migrate:
	ret = migrate(st, err);
	if (ret)
		goto fail;
	*out = st;
	return 0;
fail:
	vni_state_close(st);
	return ret;
}

static bool state_empty(struct vni_state *st)
{
	sqlite3_stmt *s;
	bool empty = false;

	if (sqlite3_prepare_v2(st->db,
			       "SELECT (SELECT COUNT(*) FROM instances) + (SELECT COUNT(*) FROM meta)"
			       " + (SELECT COUNT(*) FROM pools)",
			       -1, &s, NULL) != SQLITE_OK)
		return false;
	if (sqlite3_step(s) == SQLITE_ROW)
		empty = sqlite3_column_int64(s, 0) == 0;
	sqlite3_finalize(s);
	return empty;
}

void vni_state_close_tidy(struct vni_state *st)
{
	static const char *const files[] = { "state.db-wal", "state.db-shm", "state.db", "portreap",
						"lock" };
	char path[PATH_MAX];
	size_t i;

	if (!st)
		return;
	if (st->created && state_empty(st)) {
		st->db_ino = 0; /* closed, not kept: its files go */
		vni_db_put(st);
		/* still under the lock: waiters see the lock file gone and retry */
		for (i = 0; i < sizeof(files) / sizeof(files[0]); i++)
			if (!vni_path(path, sizeof(path), "%s/%s", st->dir, files[i]))
				unlink(path);
		rmdir(st->dir);
	}
	vni_state_close(st);
}

void vni_state_close(struct vni_state *st)
{
	if (!st)
		return;
	vni_db_put(st);
	if (st->lock_fd >= 0)
		close(st->lock_fd);
	free(st);
}

void vni_bind_addr(sqlite3_stmt *s, int col, const struct vni_addr *a)
{
	char buf[INET6_ADDRSTRLEN];

	if (a->family)
		sqlite3_bind_text(s, col, vni_addr_str(a, buf, sizeof(buf)), -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(s, col);
}

static void col_text(sqlite3_stmt *s, int col, char *buf, size_t n)
{
	const unsigned char *t = sqlite3_column_text(s, col);

	snprintf(buf, n, "%s", t ? (const char *)t : "");
}

static void col_addr(sqlite3_stmt *s, int col, int family, struct vni_addr *a)
{
	const unsigned char *t = sqlite3_column_text(s, col);

	memset(a, 0, sizeof(*a));
	if (t && inet_pton(family, (const char *)t, a->a) == 1)
		a->family = family;
}

static void read_row(sqlite3_stmt *s, struct vni_record *r)
{
	memset(r, 0, sizeof(*r));
	col_text(s, 0, r->name, sizeof(r->name));
	col_text(s, 1, r->cgroup, sizeof(r->cgroup));
	r->cgroup_id = (uint64_t)sqlite3_column_int64(s, 2);
	r->owns_cgroup = sqlite3_column_int(s, 3);
	r->aid = (uint32_t)sqlite3_column_int64(s, 4);
	r->flags = (uint32_t)sqlite3_column_int64(s, 5);
	col_addr(s, 6, AF_INET, &r->vip4);
	col_addr(s, 7, AF_INET6, &r->vip6);
	col_text(s, 8, r->hostname, sizeof(r->hostname));
	col_text(s, 9, r->dev, sizeof(r->dev));
	r->netns_cookie = (uint64_t)sqlite3_column_int64(s, 10);
	r->created = sqlite3_column_int64(s, 11);
	r->checkpointed = sqlite3_column_int(s, 12);
	r->phase = phase_of((const char *)sqlite3_column_text(s, 13));
	col_text(s, 14, r->template, sizeof(r->template));
	col_addr(s, 15, AF_INET, &r->virt4);
	col_addr(s, 16, AF_INET6, &r->virt6);
	r->hosts_off = sqlite3_column_int64(s, 17); /* (NULL: 0) */
}

int vni_state_get(struct vni_state *st, const char *name, struct vni_record *r, char *err)
{
	sqlite3_stmt *s;
	int rc;

	if (!(s = vni_db_stmt(st, "SELECT " COLUMNS " FROM instances WHERE name = ?")))
		return vni_db_err(st, err, "query");
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		read_row(s, r);
	vni_db_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return vni_db_err(st, err, "query");
	if (rc == SQLITE_ROW) {
		sqlite3_stmt *m = NULL;
		int ret = vni_db_read_maps(st, &m, r, err);

		sqlite3_finalize(m);
		if (ret)
			return ret;
	}
	return rc == SQLITE_ROW;
}

int vni_state_conflict(struct vni_state *st, const struct vni_record *r, char *err)
{
	/* one indexed lookup per unique column (an OR over them scans) */
	static const char q[] =
		"SELECT 'an instance named ' || ?1 || ' exists' FROM instances WHERE name = ?1"
		" UNION ALL SELECT 'cgroup ' || ?2 || ' is already instance ' || name"
		" FROM instances WHERE cgroup = ?2"
		" UNION ALL SELECT 'AID ' || ?3 || ' is taken by instance ' || name"
		" FROM instances WHERE aid = ?3"
		" UNION ALL SELECT 'VIP ' || ?4 || ' is taken by instance ' || name"
		" FROM instances WHERE vip4 = ?4"
		" UNION ALL SELECT 'VIP ' || ?5 || ' is taken by instance ' || name"
		" FROM instances WHERE vip6 = ?5"
		" UNION ALL SELECT 'VIP ' || addr || ' is the address of service ' || name"
		" FROM services WHERE addr IN (?4, ?5)"
		" UNION ALL SELECT 'hostname ' || ?6 || ' is taken by instance ' || name"
		" FROM instances WHERE hostname = ?6 LIMIT 1";
	sqlite3_stmt *s;
	int rc, ret = 0;

	if (!(s = vni_db_stmt(st, q)))
		return vni_db_err(st, err, "query");
	sqlite3_bind_text(s, 1, r->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, r->cgroup, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, r->aid);
	vni_bind_addr(s, 4, &r->vip4);
	vni_bind_addr(s, 5, &r->vip6);
	sqlite3_bind_text(s, 6, r->hostname, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		ret = vni_err(err, -EEXIST, "%s", (const char *)sqlite3_column_text(s, 0));
	else if (rc != SQLITE_DONE)
		ret = vni_db_err(st, err, "query");
	vni_db_reset(s);
	return ret;
}

int vni_state_set_checkpointed(struct vni_state *st, const char *name, bool on, char *err)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(st->db, "UPDATE instances SET checkpointed = ? WHERE name = ?", -1,
			       &s, NULL) != SQLITE_OK)
		return vni_db_err(st, err, "update");
	sqlite3_bind_int(s, 1, on);
	sqlite3_bind_text(s, 2, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : vni_db_err(st, err, "update");
}

/* The name of an instance q finds for the cgroup a: 1, or 0 for none. */
static int nesting_query(struct vni_state *st, const char *q, const char *a, char *name,
			 size_t n, char *err)
{
	sqlite3_stmt *s;
	int rc;

	if (!(s = vni_db_stmt(st, q)))
		return vni_db_err(st, err, "query");
	sqlite3_bind_text(s, 1, a, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		col_text(s, 0, name, n);
	vni_db_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return vni_db_err(st, err, "query");
	return rc == SQLITE_ROW;
}

int vni_state_nesting(struct vni_state *st, const char *cgroup, char *name, size_t n,
		      char *err)
{
	/* Lookups on the cgroup column's index, not a scan of every row: the
	 * cgroups below it are the range [cgroup "/", cgroup "0") ('0' follows
	 * '/'), the ones above it its prefixes ending before a '/'. */
	static const char below[] =
		"SELECT name FROM instances WHERE cgroup > ?1 || '/' AND cgroup < ?1 || '0' LIMIT 1";
	static const char above[] = "SELECT name FROM instances WHERE cgroup = ?1";
	char path[PATH_MAX];
	const char *p;
	int ret = nesting_query(st, below, cgroup, name, n, err);

	if (vni_path(path, sizeof(path), "%s", cgroup))
		return vni_err(err, -ENAMETOOLONG, "cgroup path too long");
	for (p = strchr(cgroup + 1, '/'); !ret && p; p = strchr(p + 1, '/')) {
		path[p - cgroup] = '\0';
		ret = nesting_query(st, above, path, name, n, err);
		path[p - cgroup] = '/';
	}
	return ret;
}

int vni_state_hostname_taken(struct vni_state *st, const char *hostname, char *err)
{
	sqlite3_stmt *s;
	int rc;

	if (!(s = vni_db_stmt(st, "SELECT 1 FROM instances WHERE hostname = ? COLLATE NOCASE")))
		return vni_db_err(st, err, "query");
	sqlite3_bind_text(s, 1, hostname, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	vni_db_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return vni_db_err(st, err, "query");
	return rc == SQLITE_ROW;
}

int vni_state_next_aid(struct vni_state *st, uint32_t *aid, char *err)
{
	/* one past the largest (indexed); the smallest gap only once the top is used */
	static const char q[] =
		"SELECT CASE WHEN IFNULL(MAX(aid), 0) < 4294967295 THEN IFNULL(MAX(aid), 0) + 1 ELSE"
		" (SELECT MIN(a) FROM (SELECT 1 AS a WHERE NOT EXISTS"
		" (SELECT 1 FROM instances WHERE aid = 1) UNION SELECT aid + 1 FROM instances"
		" WHERE aid < 4294967295 AND aid + 1 NOT IN (SELECT aid FROM instances))) END"
		" FROM instances";
	sqlite3_stmt *s;
	int ret = 0;

	if (!(s = vni_db_stmt(st, q)))
		return vni_db_err(st, err, "query");
	if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL)
		*aid = (uint32_t)sqlite3_column_int64(s, 0);
	else
		ret = vni_err(err, -ENOSPC, "no free AID left");
	vni_db_reset(s);
	return ret;
}

static int insert_row(struct vni_state *st, const struct vni_record *r, char *err)
{
	sqlite3_stmt *s;
	int rc;

	if (!(s = vni_db_stmt(st, "INSERT INTO instances (" COLUMNS
			       ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")))
		return vni_db_err(st, err, "insert");
	sqlite3_bind_text(s, 1, r->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, r->cgroup, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)r->cgroup_id);
	sqlite3_bind_int(s, 4, r->owns_cgroup);
	sqlite3_bind_int64(s, 5, r->aid);
	sqlite3_bind_int64(s, 6, r->flags);
	vni_bind_addr(s, 7, &r->vip4);
	vni_bind_addr(s, 8, &r->vip6);
	sqlite3_bind_text(s, 9, r->hostname, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 10, r->dev, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 11, (sqlite3_int64)r->netns_cookie);
	sqlite3_bind_int64(s, 12, r->created);
	sqlite3_bind_int(s, 13, r->checkpointed);
	sqlite3_bind_text(s, 14, vni_phase_name(r->phase), -1, SQLITE_STATIC);
	if (r->template[0])
		sqlite3_bind_text(s, 15, r->template, -1, SQLITE_STATIC);
	vni_bind_addr(s, 16, &r->virt4);
	vni_bind_addr(s, 17, &r->virt6);
	if (r->hosts_off > 0)
		sqlite3_bind_int64(s, 18, r->hosts_off);
	rc = sqlite3_step(s);
	vni_db_reset(s);
	return rc == SQLITE_DONE ? 0 : vni_db_err(st, err, "insert");
}

int vni_state_insert(struct vni_state *st, const struct vni_record *r, char *err)
{
	int ret;

	if (!r->nmaps)
		return insert_row(st, r, err);
	if ((ret = vni_db_savepoint(st, "insert", err)))
		return ret;
	ret = insert_row(st, r, err);
	if (!ret)
		ret = vni_db_write_maps(st, r->name, r->maps, r->nmaps, err);
	return vni_db_release(st, ret, "insert", err);
}

int vni_state_update(struct vni_state *st, const struct vni_record *r, char *err)
{
	sqlite3_stmt *s;
	int rc;

	/* (an offset not known keeps the one recorded: vni_state_set_hosts_offs) */
	if (!(s = vni_db_stmt(st, "UPDATE instances SET cgroup_id = ?, phase = ?,"
				  " hosts_off = COALESCE(?, hosts_off) WHERE name = ?")))
		return vni_db_err(st, err, "update");
	sqlite3_bind_int64(s, 1, (sqlite3_int64)r->cgroup_id);
	sqlite3_bind_text(s, 2, vni_phase_name(r->phase), -1, SQLITE_STATIC);
	if (r->hosts_off > 0)
		sqlite3_bind_int64(s, 3, r->hosts_off);
	sqlite3_bind_text(s, 4, r->name, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	vni_db_reset(s);
	return rc == SQLITE_DONE ? 0 : vni_db_err(st, err, "update");
}

int vni_state_set_hosts_offs(struct vni_state *st, const struct vni_hosts_off *v, size_t n,
			     char *err)
{
	int ret = vni_db_savepoint(st, "hosts", err);
	sqlite3_stmt *s;
	size_t i;

	if (ret)
		return ret;
	if (!(s = vni_db_stmt(st, "UPDATE instances SET hosts_off = ? WHERE name = ?")))
		ret = vni_db_err(st, err, "update");
	for (i = 0; !ret && i < n; i++) {
		sqlite3_bind_int64(s, 1, v[i].off);
		sqlite3_bind_text(s, 2, v[i].name, -1, SQLITE_STATIC);
		if (sqlite3_step(s) != SQLITE_DONE)
			ret = vni_db_err(st, err, "update");
		vni_db_reset(s);
	}
	return vni_db_release(st, ret, "hosts", err);
}

int vni_state_rehome(struct vni_state *st, const struct vni_record *r, char *err)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(st->db,
			       "UPDATE instances SET cgroup = ?, cgroup_id = ?, netns_cookie = ?"
			       " WHERE name = ?",
			       -1, &s, NULL) != SQLITE_OK)
		return vni_db_err(st, err, "update");
	sqlite3_bind_text(s, 1, r->cgroup, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)r->cgroup_id);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)r->netns_cookie);
	sqlite3_bind_text(s, 4, r->name, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : vni_db_err(st, err, "update");
}

int vni_state_delete(struct vni_state *st, const char *name, char *err)
{
	sqlite3_stmt *s;
	int rc, ret = vni_db_savepoint(st, "delete", err);

	if (ret)
		return ret;
	ret = vni_db_write_maps(st, name, NULL, 0, err);
	if (!ret) /* it leaves its services */
		ret = vni_db_drop_memberships(st, name, err);
	if (!ret && !(s = vni_db_stmt(st, "DELETE FROM instances WHERE name = ?")))
		ret = vni_db_err(st, err, "delete");
	if (!ret) {
		sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
		rc = sqlite3_step(s);
		vni_db_reset(s);
		if (rc != SQLITE_DONE)
			ret = vni_db_err(st, err, "delete");
	}
	return vni_db_release(st, ret, "delete", err);
}

int vni_state_meta_get(struct vni_state *st, const char *key, char *value, size_t n, char *err)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(st->db, "SELECT value FROM meta WHERE key = ?", -1, &s, NULL) !=
	    SQLITE_OK)
		return vni_db_err(st, err, "query");
	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		col_text(s, 0, value, n);
	vni_db_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return vni_db_err(st, err, "query");
	return rc == SQLITE_ROW;
}

int vni_state_meta_set(struct vni_state *st, const char *key, const char *value, char *err)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(st->db,
			       value ? "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)" :
				       "DELETE FROM meta WHERE key = ?",
			       -1, &s, NULL) != SQLITE_OK)
		return vni_db_err(st, err, "update");
	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	if (value)
		sqlite3_bind_text(s, 2, value, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : vni_db_err(st, err, "update");
}

static int each_where(struct vni_state *st, const char *sql,
		      int (*fn)(const struct vni_record *r, void *arg), void *arg, char *err)
{
	struct vni_record r;
	sqlite3_stmt *s, *m = NULL;
	int rc, ret = 0;

	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
		return vni_db_err(st, err, "query");
	while (!ret && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		read_row(s, &r);
		ret = vni_db_read_maps(st, &m, &r, err);
		if (!ret)
			ret = fn(&r, arg);
	}
	if (!ret && rc != SQLITE_DONE)
		ret = vni_db_err(st, err, "query");
	sqlite3_finalize(m);
	sqlite3_finalize(s);
	return ret;
}

int vni_state_each(struct vni_state *st, int (*fn)(const struct vni_record *r, void *arg),
		   void *arg, char *err)
{
	return each_where(st, "SELECT " COLUMNS " FROM instances ORDER BY name", fn, arg, err);
}

int vni_state_each_unfinished(struct vni_state *st,
			      int (*fn)(const struct vni_record *r, void *arg), void *arg,
			      char *err)
{
	/* the partial index makes this free when nothing was interrupted */
	return each_where(st, "SELECT " COLUMNS " FROM instances WHERE phase != 'ready'", fn, arg,
			  err);
}
