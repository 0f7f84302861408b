// SPDX-License-Identifier: GPL-2.0-only
/* The local registry's VIP pools in the state database (see state.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "core/state.h"
#include "core/state_db.h"
#include "sys/util.h"

static void bind_range(sqlite3_stmt *s, int col, const struct vni_range *r)
{
	struct vni_addr a = { .family = r->family };

	memcpy(a.a, r->first, 16);
	vni_bind_addr(s, col, &a);
	memcpy(a.a, r->last, 16);
	vni_bind_addr(s, col + 1, &a);
}

int vni_state_pool_add(struct vni_state *st, const char *pool, const struct vni_range *r,
		       char *err)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(st->db, "INSERT INTO pools VALUES (?, ?, ?, ?)", -1, &s, NULL) !=
	    SQLITE_OK)
		return vni_db_err(st, err, "insert");
	sqlite3_bind_text(s, 1, pool, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 2, r->family);
	bind_range(s, 3, r);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : vni_db_err(st, err, "insert");
}

int vni_state_pool_del(struct vni_state *st, const char *pool, const struct vni_range *r,
		       char *err)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(st->db, "DELETE FROM pools WHERE pool = ? AND first = ? AND last = ?",
			       -1, &s, NULL) != SQLITE_OK)
		return vni_db_err(st, err, "delete");
	sqlite3_bind_text(s, 1, pool, -1, SQLITE_STATIC);
	bind_range(s, 2, r);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return vni_db_err(st, err, "delete");
	return sqlite3_changes(st->db) ? 0 : -ENOENT;
}

int vni_state_pool_each(struct vni_state *st,
			int (*fn)(const char *pool, const struct vni_range *r, void *arg), void *arg,
			char *err)
{
	sqlite3_stmt *s;
	int rc, ret = 0;

	if (sqlite3_prepare_v2(st->db, "SELECT pool, family, first, last FROM pools ORDER BY pool, family, rowid",
			       -1, &s, NULL) != SQLITE_OK)
		return vni_db_err(st, err, "query");
	while (!ret && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct vni_range r = { .family = sqlite3_column_int(s, 1) };
		const char *first = (const char *)sqlite3_column_text(s, 2);
		const char *last = (const char *)sqlite3_column_text(s, 3);

		if (!first || !last || inet_pton(r.family, first, r.first) != 1 ||
		    inet_pton(r.family, last, r.last) != 1)
			continue; /* not written by vnictl */
		ret = fn((const char *)sqlite3_column_text(s, 0), &r, arg);
	}
	if (!ret && rc != SQLITE_DONE)
		ret = vni_db_err(st, err, "query");
	sqlite3_finalize(s);
	return ret;
}

int vni_state_vip_user(struct vni_state *st, const struct vni_addr *a, char *name, size_t n,
		       char *err)
{
	sqlite3_stmt *s;
	int rc, ret = 0;

	if (sqlite3_prepare_v2(st->db,
			       "SELECT name FROM instances WHERE vip4 = ?1"
			       " UNION ALL SELECT name FROM instances WHERE vip6 = ?1"
			       " UNION ALL SELECT 'service ' || name FROM services WHERE addr = ?1"
			       " LIMIT 1",
			       -1, &s, NULL) != SQLITE_OK)
		return vni_db_err(st, err, "query");
	vni_bind_addr(s, 1, a);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		if (name)
			vni_path(name, n, "%s", (const char *)sqlite3_column_text(s, 0));
		ret = 1;
	} else if (rc != SQLITE_DONE) {
		ret = vni_db_err(st, err, "query");
	}
	sqlite3_finalize(s);
	return ret;
}
