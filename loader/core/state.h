/* SPDX-License-Identifier: GPL-2.0-only */
/* The node's declarative state (instances, AIDs, VIPs, hostnames) in SQLite.
 * The BPF maps are the kernel's working copy of it. */
#ifndef VNI_STATE_H
#define VNI_STATE_H

#include <limits.h>
#include <net/if.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/pathmap.h"
#include "core/pool.h"
#include "core/validate.h"

/* Where an instance is in its life. attach and detach record their intent
 * before touching the kernel, so a vnictl killed half-way leaves a row that
 * says what to finish or undo (see recover.h). */
enum vni_phase {
	VNI_READY = 0,
	VNI_ATTACHING, /* attach started, not finished */
	VNI_DETACHING, /* detach started, not finished */
};

struct vni_record {
	char name[PATH_MAX]; /* as given: relative name or absolute cgroup path */
	char cgroup[PATH_MAX];
	uint64_t cgroup_id;
	bool owns_cgroup; /* created by vnictl, removed on detach */
	uint32_t aid;
	uint32_t flags; /* VNI_F_* */
	struct vni_addr vip4, vip6;
	char hostname[VNI_HOSTNAME_MAX + 1];
	char dev[IF_NAMESIZE];
	uint64_t netns_cookie;
	int64_t created; /* unix time */
	bool checkpointed; /* dumped and gone from the kernel; name, AID, VIPs still reserved */
	enum vni_phase phase;
	struct vni_map maps[VNI_MAPS_MAX]; /* of its last 'vnictl run --map', as given */
	unsigned nmaps;
	/* A clone: the checkpoint dir of its template, and the template's VIPs
	 * (virtual ids: what the restored sockets bind stands for the clone's
	 * own VIPs, translated by the instance programs: vni_vids). "" and
	 * family 0 for any other instance. */
	char template[PATH_MAX];
	struct vni_addr virt4, virt6;
	/* where its lines start in the hosts file, as its attach appended them
	 * or the file was last written whole (core/hostsedit.h); a hint that a
	 * detach checks; 0: not known */
	int64_t hosts_off;
};

const char *vni_phase_name(enum vni_phase p);

/* Where an instance's lines start in the hosts file (vni_record.hosts_off). */
struct vni_hosts_off {
	char *name;
	int64_t off;
};

struct vni_state;

/* Opens (creating if needed) <dir>/state.db and takes the node lock
 * (<dir>/lock, flock): concurrent vnictl calls wait for each other. */
int vni_state_open(const char *dir, bool create, struct vni_state **out, char *err);
/* The same (creating), but -EWOULDBLOCK at once while another holds the lock. */
int vni_state_try_open(const char *dir, struct vni_state **out, char *err);
void vni_state_close(struct vni_state *st);
/* The same, and when this open made the state dir and nothing is recorded,
 * the dir goes again: a refused attach, or init/down on a fresh node, leave
 * no trace. */
void vni_state_close_tidy(struct vni_state *st);

/* A process that runs many operations (attach_bench, a daemon, apply) keeps
 * its database connection between them, with its prepared statements: the
 * next open takes the node lock and goes on with the same connection, unless
 * the database file was replaced meanwhile. Closed at exit. Off by default:
 * a command's one connection is closed with it (the last connection to close
 * checkpoints the WAL; a WAL left behind makes every later open re-read it). */
void vni_state_keep_open(bool on);

/* The state dir (beside the database: the farm's hosts, core/agent.c). */
const char *vni_state_dir(const struct vni_state *st);

/* 1 found, 0 not found, <0 error. */
int vni_state_get(struct vni_state *st, const char *name, struct vni_record *r, char *err);

/* Names the first clash of r with a recorded instance (name, cgroup, AID,
 * VIP, hostname): returns -EEXIST with a message, 0 when none. */
int vni_state_conflict(struct vni_state *st, const struct vni_record *r, char *err);

/* 1 (and the instance's name) when a recorded instance's cgroup is an
 * ancestor or a descendant of cgroup, 0 if none, <0 error. */
int vni_state_nesting(struct vni_state *st, const char *cgroup, char *name, size_t n,
		      char *err);

/* 1 when an instance has this hostname (case-insensitive), 0 if not, <0 error. */
int vni_state_hostname_taken(struct vni_state *st, const char *hostname, char *err);

/* A free AID: one past the largest, or the smallest gap when that is taken. */
int vni_state_next_aid(struct vni_state *st, uint32_t *aid, char *err);

/* insert writes r's maps too; delete removes the instance's. */
int vni_state_insert(struct vni_state *st, const struct vni_record *r, char *err);
/* Writes r's cgroup id and phase, and its hosts_off when known (> 0). */
int vni_state_update(struct vni_state *st, const struct vni_record *r, char *err);
/* Each of n instances' hosts_off, in one change (the file was written whole). */
int vni_state_set_hosts_offs(struct vni_state *st, const struct vni_hosts_off *v, size_t n,
			     char *err);
/* Writes r's cgroup path, cgroup id and network namespace (sync --boot). */
int vni_state_rehome(struct vni_state *st, const struct vni_record *r, char *err);
int vni_state_delete(struct vni_state *st, const char *name, char *err);
/* Replaces the instance's maps (core/pathmap.h) with these n. */
int vni_state_set_maps(struct vni_state *st, const char *name, const struct vni_map *maps,
		       unsigned n, char *err);
int vni_state_set_checkpointed(struct vni_state *st, const char *name, bool on, char *err);

/* Small facts about the node (e.g. which cgroup root vnictl created).
 * get: 1 found (value copied), 0 not found, <0 error. set with value NULL deletes. */
int vni_state_meta_get(struct vni_state *st, const char *key, char *value, size_t n, char *err);
int vni_state_meta_set(struct vni_state *st, const char *key, const char *value, char *err);

/* The local registry's VIP pools (state_pools.c). del: -ENOENT when no
 * such range is in the pool. */
int vni_state_pool_add(struct vni_state *st, const char *pool, const struct vni_range *r,
		       char *err);
int vni_state_pool_del(struct vni_state *st, const char *pool, const struct vni_range *r,
		       char *err);
int vni_state_pool_each(struct vni_state *st,
			int (*fn)(const char *pool, const struct vni_range *r, void *arg), void *arg,
			char *err);
/* 1 (and the instance's name, or "service NAME") when an instance has the
 * address as a VIP or a service as its address. */
int vni_state_vip_user(struct vni_state *st, const struct vni_addr *a, char *name, size_t n,
		       char *err);

/*
 * Service addresses (vnictl service; state_services.c). A service is
 * ADDR:PORT/PROTO, owned by no instance, served by its members, each in a
 * slot of its own (the slot a member keeps while it is a member; slots of
 * members that left are holes, reused by the next). add and del record
 * their intent (phase attaching/detaching) before touching the kernel, as
 * attach and detach do (core/svcbuild.c finishes or undoes them).
 */
#define VNI_SVC_PROTO_NAME(p) ((p) == 17 ? "udp" : "tcp")
struct vni_service_member {
	char instance[PATH_MAX];
	uint32_t slot;
};
struct vni_service {
	char name[VNI_NAME_MAX + 1];
	uint32_t id; /* 1..255: its slots in the BPF maps */
	struct vni_addr addr;
	uint16_t port;
	uint8_t proto; /* IPPROTO_TCP or IPPROTO_UDP */
	char dev[IF_NAMESIZE];
	uint64_t netns_cookie;
	int64_t created;
	enum vni_phase phase;
	unsigned nmembers; /* ordered by slot */
	struct vni_service_member members[64]; /* VNI_SVC_MAX_MEMBERS */
};

/* 1 found, 0 not found, <0 error. */
int vni_state_svc_get(struct vni_state *st, const char *name, struct vni_service *svc,
		      char *err);
/* The service row and its members (svc->id 0: the smallest free id). */
int vni_state_svc_insert(struct vni_state *st, struct vni_service *svc, char *err);
int vni_state_svc_set_phase(struct vni_state *st, const char *name, enum vni_phase p,
			    char *err);
int vni_state_svc_delete(struct vni_state *st, const char *name, char *err);
/* A member into the service's smallest free slot (m->slot set), or out. */
int vni_state_svc_member_add(struct vni_state *st, const char *svc,
			     struct vni_service_member *m, char *err);
int vni_state_svc_member_del(struct vni_state *st, const char *svc, const char *instance,
			     char *err);
/* Every service, ordered by name (svc: the caller's buffer, reused). */
int vni_state_svc_each(struct vni_state *st, struct vni_service *svc,
		       int (*fn)(const struct vni_service *svc, void *arg), void *arg, char *err);
/* fn for the name of each service in a phase other than ready (a service
 * command was cut short); stops on non-zero. */
int vni_state_svc_each_unfinished(struct vni_state *st, int (*fn)(const char *name, void *arg),
				  void *arg, char *err);
/* How many services have the address (at any port), or <0. */
int vni_state_svc_addr_count(struct vni_state *st, const struct vni_addr *a, char *err);

/* Calls fn for each record, ordered by name; stops on a non-zero return. */
int vni_state_each(struct vni_state *st, int (*fn)(const struct vni_record *r, void *arg),
		   void *arg, char *err);
/* The same for rows not in phase "ready" (interrupted operations). */
int vni_state_each_unfinished(struct vni_state *st,
			      int (*fn)(const struct vni_record *r, void *arg), void *arg,
			      char *err);

#endif
