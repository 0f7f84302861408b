// SPDX-License-Identifier: GPL-2.0-only
/* Service addresses in the state database (see state.h): tables services
 * and service_members. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/state.h"
#include "core/state_db.h"
#include "sys/util.h"

#define SVC_COLUMNS "name, id, family, addr, port, proto, dev, netns_cookie, created, phase"

static int exec1(struct vni_state *st, const char *sql, const char *a, const char *b,
		 const char *what, char *err)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
		return vni_db_err(st, err, what);
	sqlite3_bind_text(s, 1, a, -1, SQLITE_STATIC);
	if (b)
		sqlite3_bind_text(s, 2, b, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : vni_db_err(st, err, what);
}

static int read_members(struct vni_state *st, struct vni_service *svc, char *err)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(st->db, "SELECT instance, slot FROM service_members"
			       " WHERE service = ? ORDER BY slot", -1, &s, NULL) != SQLITE_OK)
		return vni_db_err(st, err, "query");
	sqlite3_bind_text(s, 1, svc->name, -1, SQLITE_STATIC);
	for (svc->nmembers = 0; (rc = sqlite3_step(s)) == SQLITE_ROW &&
				svc->nmembers < sizeof(svc->members) / sizeof(svc->members[0]);
	     svc->nmembers++) {
		struct vni_service_member *m = &svc->members[svc->nmembers];

		vni_path(m->instance, sizeof(m->instance), "%s",
			 (const char *)sqlite3_column_text(s, 0));
		m->slot = (uint32_t)sqlite3_column_int(s, 1);
	}
	sqlite3_finalize(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : vni_db_err(st, err, "query");
}

static void read_row(sqlite3_stmt *s, struct vni_service *svc)
{
	const char *phase = (const char *)sqlite3_column_text(s, 9);

	memset(svc, 0, sizeof(*svc) - sizeof(svc->members));
	vni_path(svc->name, sizeof(svc->name), "%s", (const char *)sqlite3_column_text(s, 0));
	svc->id = (uint32_t)sqlite3_column_int(s, 1);
	svc->addr.family = sqlite3_column_int(s, 2);
	inet_pton(svc->addr.family, (const char *)sqlite3_column_text(s, 3), svc->addr.a);
	svc->port = (uint16_t)sqlite3_column_int(s, 4);
	svc->proto = (uint8_t)sqlite3_column_int(s, 5);
	vni_path(svc->dev, sizeof(svc->dev), "%s", (const char *)sqlite3_column_text(s, 6));
	svc->netns_cookie = (uint64_t)sqlite3_column_int64(s, 7);
	svc->created = sqlite3_column_int64(s, 8);
	svc->phase = !strcmp(phase, "ready")	 ? VNI_READY :
		     !strcmp(phase, "detaching") ? VNI_DETACHING :
						   VNI_ATTACHING;
}

int vni_state_svc_get(struct vni_state *st, const char *name, struct vni_service *svc,
		      char *err)
{
	sqlite3_stmt *s;
	int rc, ret;

	if (sqlite3_prepare_v2(st->db, "SELECT " SVC_COLUMNS " FROM services WHERE name = ?", -1,
			       &s, NULL) != SQLITE_OK)
		return vni_db_err(st, err, "query");
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		read_row(s, svc);
	sqlite3_finalize(s);
	if (rc == SQLITE_DONE)
		return 0;
	if (rc != SQLITE_ROW)
		return vni_db_err(st, err, "query");
	ret = read_members(st, svc, err);
	return ret ? ret : 1;
}

static int next_id(struct vni_state *st, uint32_t *id, char *err)
{
	sqlite3_stmt *s;
	int rc;

	/* the smallest free id: ids index the BPF slot array */
	if (sqlite3_prepare_v2(st->db, "SELECT 1 WHERE NOT EXISTS (SELECT 1 FROM services WHERE id = 1)"
			       " UNION ALL SELECT id + 1 FROM services WHERE id + 1 NOT IN"
			       " (SELECT id FROM services) ORDER BY 1 LIMIT 1", -1, &s, NULL) != SQLITE_OK)
		return vni_db_err(st, err, "query");
	rc = sqlite3_step(s);
	*id = rc == SQLITE_ROW ? (uint32_t)sqlite3_column_int(s, 0) : 1;
	sqlite3_finalize(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : vni_db_err(st, err, "query");
}

static int insert_member(struct vni_state *st, const char *svc,
			 const struct vni_service_member *m, char *err)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(st->db, "INSERT INTO service_members VALUES (?, ?, ?)", -1, &s,
			       NULL) != SQLITE_OK)
		return vni_db_err(st, err, "insert");
	sqlite3_bind_text(s, 1, svc, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, m->instance, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 3, (int)m->slot);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : vni_db_err(st, err, "insert");
}

int vni_state_svc_insert(struct vni_state *st, struct vni_service *svc, char *err)
{
	char addr[INET6_ADDRSTRLEN];
	sqlite3_stmt *s;
	unsigned i;
	int rc, ret = vni_db_savepoint(st, "insert", err);

	if (!ret && !svc->id)
		ret = next_id(st, &svc->id, err);
	if (!ret && sqlite3_prepare_v2(st->db, "INSERT INTO services (" SVC_COLUMNS ")"
				       " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", -1, &s, NULL) != SQLITE_OK)
		ret = vni_db_err(st, err, "insert");
	if (!ret) {
		sqlite3_bind_text(s, 1, svc->name, -1, SQLITE_STATIC);
		sqlite3_bind_int(s, 2, (int)svc->id);
		sqlite3_bind_int(s, 3, svc->addr.family);
		sqlite3_bind_text(s, 4, vni_addr_str(&svc->addr, addr, sizeof(addr)), -1,
				  SQLITE_STATIC);
		sqlite3_bind_int(s, 5, svc->port);
		sqlite3_bind_int(s, 6, svc->proto);
		sqlite3_bind_text(s, 7, svc->dev, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 8, (sqlite3_int64)svc->netns_cookie);
		sqlite3_bind_int64(s, 9, svc->created);
		sqlite3_bind_text(s, 10, vni_phase_name(svc->phase), -1, SQLITE_STATIC);
		rc = sqlite3_step(s);
		sqlite3_finalize(s);
		if (rc != SQLITE_DONE)
			ret = vni_db_err(st, err, "insert");
	}
	for (i = 0; !ret && i < svc->nmembers; i++) {
		svc->members[i].slot = i;
		ret = insert_member(st, svc->name, &svc->members[i], err);
	}
	return vni_db_release(st, ret, "insert", err);
}

int vni_state_svc_set_phase(struct vni_state *st, const char *name, enum vni_phase p,
			    char *err)
{
	return exec1(st, "UPDATE services SET phase = ?2 WHERE name = ?1", name,
		     vni_phase_name(p), "update", err);
}

int vni_state_svc_delete(struct vni_state *st, const char *name, char *err)
{
	int ret = vni_db_savepoint(st, "delete", err);

	if (!ret)
		ret = exec1(st, "DELETE FROM service_members WHERE service = ?", name, NULL,
			    "delete", err);
	if (!ret)
		ret = exec1(st, "DELETE FROM services WHERE name = ?", name, NULL, "delete", err);
	return vni_db_release(st, ret, "delete", err);
}

int vni_state_svc_member_add(struct vni_state *st, const char *svc,
			     struct vni_service_member *m, char *err)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(st->db, "SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM service_members"
			       " WHERE service = ?1 AND slot = 0) UNION ALL SELECT slot + 1 FROM"
			       " service_members WHERE service = ?1 AND slot + 1 NOT IN (SELECT slot"
			       " FROM service_members WHERE service = ?1) ORDER BY 1 LIMIT 1", -1, &s,
			       NULL) != SQLITE_OK)
		return vni_db_err(st, err, "query");
	sqlite3_bind_text(s, 1, svc, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	m->slot = rc == SQLITE_ROW ? (uint32_t)sqlite3_column_int(s, 0) : 0;
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return vni_db_err(st, err, "query");
	return insert_member(st, svc, m, err);
}

int vni_state_svc_member_del(struct vni_state *st, const char *svc, const char *instance,
			     char *err)
{
	return exec1(st, "DELETE FROM service_members WHERE service = ?1 AND instance = ?2", svc,
		     instance, "delete", err);
}

int vni_db_drop_memberships(struct vni_state *st, const char *instance, char *err)
{
	return exec1(st, "DELETE FROM service_members WHERE instance = ?", instance, NULL,
		     "delete", err);
}

int vni_state_svc_each(struct vni_state *st, struct vni_service *svc,
		       int (*fn)(const struct vni_service *svc, void *arg), void *arg, char *err)
{
	sqlite3_stmt *s;
	int rc, ret = 0;

	if (sqlite3_prepare_v2(st->db, "SELECT " SVC_COLUMNS " FROM services ORDER BY name", -1,
			       &s, NULL) != SQLITE_OK)
		return vni_db_err(st, err, "query");
	while (!ret && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		read_row(s, svc);
		ret = read_members(st, svc, err);
		if (!ret)
			ret = fn(svc, arg);
	}
	if (!ret && rc != SQLITE_DONE)
		ret = vni_db_err(st, err, "query");
	sqlite3_finalize(s);
	return ret;
}

int vni_state_svc_addr_count(struct vni_state *st, const struct vni_addr *a, char *err)
{
	sqlite3_stmt *s;
	int rc, ret;

	if (sqlite3_prepare_v2(st->db, "SELECT count(*) FROM services WHERE addr = ?", -1, &s,
			       NULL) != SQLITE_OK)
		return vni_db_err(st, err, "query");
	vni_bind_addr(s, 1, a);
	rc = sqlite3_step(s);
	ret = rc == SQLITE_ROW ? sqlite3_column_int(s, 0) : vni_db_err(st, err, "query");
	sqlite3_finalize(s);
	return ret;
}

int vni_state_svc_each_unfinished(struct vni_state *st, int (*fn)(const char *name, void *arg),
				  void *arg, char *err)
{
	sqlite3_stmt *s;
	int rc, ret = 0;

	if (sqlite3_prepare_v2(st->db, "SELECT name FROM services WHERE phase != 'ready'", -1, &s,
			       NULL) != SQLITE_OK)
		return vni_db_err(st, err, "query");
	while (!ret && (rc = sqlite3_step(s)) == SQLITE_ROW)
		ret = fn((const char *)sqlite3_column_text(s, 0), arg);
	if (!ret && rc != SQLITE_DONE)
		ret = vni_db_err(st, err, "query");
	sqlite3_finalize(s);
	return ret;
}
