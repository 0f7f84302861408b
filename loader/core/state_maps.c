// SPDX-License-Identifier: GPL-2.0-only
/* The instances' per-instance paths (vnictl run --map) in the state
 * database: table maps, rows in the order given, gone with the instance. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/state.h"
#include "core/state_db.h"
#include "sys/util.h"

int vni_db_savepoint(struct vni_state *st, const char *what, char *err)
{
	return sqlite3_exec(st->db, "SAVEPOINT vni", NULL, NULL, NULL) == SQLITE_OK ?
		       0 : vni_db_err(st, err, what);
}

int vni_db_release(struct vni_state *st, int ret, const char *what, char *err)
{
	if (!ret && sqlite3_exec(st->db, "RELEASE vni", NULL, NULL, NULL) == SQLITE_OK)
		return 0;
	if (!ret)
		ret = vni_db_err(st, err, what);
	sqlite3_exec(st->db, "ROLLBACK TO vni; RELEASE vni", NULL, NULL, NULL);
	return ret;
}

int vni_db_read_maps(struct vni_state *st, sqlite3_stmt **s, struct vni_record *r, char *err)
{
	int rc;

	if (!*s && sqlite3_prepare_v2(st->db,
				      "SELECT path, source FROM maps WHERE name = ? ORDER BY seq",
				      -1, s, NULL) != SQLITE_OK)
		return vni_db_err(st, err, "query");
	sqlite3_reset(*s);
	sqlite3_bind_text(*s, 1, r->name, -1, SQLITE_TRANSIENT);
	for (r->nmaps = 0; (rc = sqlite3_step(*s)) == SQLITE_ROW && r->nmaps < VNI_MAPS_MAX;
	     r->nmaps++) {
		struct vni_map *m = &r->maps[r->nmaps];

		snprintf(m->path, sizeof(m->path), "%s", (const char *)sqlite3_column_text(*s, 0));
		snprintf(m->source, sizeof(m->source), "%s",
			 (const char *)sqlite3_column_text(*s, 1));
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return vni_db_err(st, err, "query");
	return 0;
}

int vni_db_write_maps(struct vni_state *st, const char *name, const struct vni_map *maps,
		      unsigned n, char *err)
{
	sqlite3_stmt *s;
	unsigned i;
	int rc;

	if (sqlite3_prepare_v2(st->db, "DELETE FROM maps WHERE name = ?", -1, &s, NULL) !=
	    SQLITE_OK)
		return vni_db_err(st, err, "update");
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return vni_db_err(st, err, "update");
	if (!n)
		return 0;
	if (sqlite3_prepare_v2(st->db, "INSERT INTO maps SELECT ?1, ?2, ?3, ?4"
			       " WHERE EXISTS (SELECT 1 FROM instances WHERE name = ?1)", -1, &s, NULL) !=
	    SQLITE_OK)
		return vni_db_err(st, err, "insert");
	for (i = 0, rc = SQLITE_DONE; i < n && rc == SQLITE_DONE; i++) {
		sqlite3_reset(s);
		sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
		sqlite3_bind_int(s, 2, (int)i);
		sqlite3_bind_text(s, 3, maps[i].path, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 4, maps[i].source, -1, SQLITE_STATIC);
		rc = sqlite3_step(s);
	}
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : vni_db_err(st, err, "insert");
}

int vni_state_set_maps(struct vni_state *st, const char *name, const struct vni_map *maps,
		       unsigned n, char *err)
{
	int ret = vni_db_savepoint(st, "update", err);

	if (ret)
		return ret;
	return vni_db_release(st, vni_db_write_maps(st, name, maps, n, err), "update", err);
}
