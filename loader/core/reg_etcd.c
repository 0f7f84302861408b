// SPDX-License-Identifier: GPL-2.0-only
/*
 * The farm's registry on etcd v3 (see registry.h). One key per thing held,
 * each claimed by a transaction that creates it only if it does not exist
 * (compare create_revision == 0), all of an instance's keys in one
 * transaction: two nodes attaching at once never get the same name, AID,
 * VIP or hostname. Under the prefix (default /vni):
 *   inst/NAME             {"name","aid","vip4","vip6","hostname","node","state","generation"}
 *   aid/%010u, vip/ADDR, host/HOSTNAME (lower case)   -> NAME
 *   pool/POOL/4|6/FIRST   "FIRST-LAST"
 *   hint/aid, hint/POOL/4|6                           where the next search starts
 * docs/farm.md.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include "core/registry.h"
#include "sys/etcd.h"
#include "sys/nladdr.h"
#include "sys/util.h"

#define MAX_ROUNDS 64     /* transactions one claim may try */
#define MAX_TRIES 65536   /* addresses looked at for one pick */
#define MAX_RANGES 256

struct etcd_registry {
	struct vni_registry g;
	struct etcd *e;
	char prefix[128];
	int64_t lease; /* the agent's, while it is in the farm */
};

/* inst/NAME as read: the identity, node, state, generation, mod_revision. */
struct held_rec {
	struct vni_record r;
	char node[65];
	char state[16];
	int64_t generation, rev;
};

static int parse_inst(const char *value, struct held_rec *h);
static int get_inst(struct etcd_registry *er, const char *name, struct held_rec *h, char *err);
static int cas_inst(struct etcd_registry *er, const struct held_rec *h, const char *node,
		    const char *state, char *err);

static struct etcd_registry *of(struct vni_registry *g)
{
	return (struct etcd_registry *)g;
}

__attribute__((format(printf, 3, 4))) static void key(const struct etcd_registry *r, char *buf,
						      const char *fmt, ...)
{
	char tail[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(tail, sizeof(tail), fmt, ap);
	va_end(ap);
	snprintf(buf, 512, "%s/%s", r->prefix, tail);
}

/* The end of a prefix range: the prefix with its last byte + 1. */
static json_object *range_end(const char *prefix)
{
	char end[512];
	size_t n = strlen(prefix);

	snprintf(end, sizeof(end), "%s", prefix);
	end[n - 1]++;
	return etcd_b64(end, -1);
}

static json_object *kv_get(const char *k, bool prefix)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "key", etcd_b64(k, -1));
	if (prefix)
		json_object_object_add(o, "range_end", range_end(k));
	return o;
}

/* The kvs of a range reply (borrowed), or NULL. */
static json_object *kvs_of(json_object *resp)
{
	json_object *kvs;

	return json_object_object_get_ex(resp, "kvs", &kvs) ? kvs : NULL;
}

/* Range over one key or a prefix: *resp to put, kvs borrowed from it. */
static int range(struct etcd_registry *r, const char *k, bool prefix, json_object **resp,
		 json_object **kvs, char *err)
{
	int ret = etcd_call(r->e, "kv/range", kv_get(k, prefix), resp, err);

	*kvs = ret ? NULL : kvs_of(*resp);
	return ret;
}

/* ---- a claim: one transaction of create-only keys ---- */

struct claim_keys {
	char k[5][512]; /* inst, aid, vip4, vip6, host; "" when not held */
	char v[5][1024];
	int n;
};

static void lower(char *s)
{
	for (; *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

/* inst/NAME's value: the identity, where it runs, its state, its generation
 * (one more at every change of hands). */
static void inst_json(const struct vni_record *rec, const char *node, const char *state,
		      int64_t generation, char *out, size_t n)
{
	char a4[INET6_ADDRSTRLEN] = "", a6[INET6_ADDRSTRLEN] = "";
	json_object *o = json_object_new_object();

	if (rec->vip4.family)
		vni_addr_str(&rec->vip4, a4, sizeof(a4));
	if (rec->vip6.family)
		vni_addr_str(&rec->vip6, a6, sizeof(a6));
	json_object_object_add(o, "name", json_object_new_string(rec->name));
	json_object_object_add(o, "aid", json_object_new_int64(rec->aid));
	json_object_object_add(o, "vip4", a4[0] ? json_object_new_string(a4) : NULL);
	json_object_object_add(o, "vip6", a6[0] ? json_object_new_string(a6) : NULL);
	json_object_object_add(o, "hostname", json_object_new_string(rec->hostname));
	json_object_object_add(o, "node", json_object_new_string(node));
	json_object_object_add(o, "state", json_object_new_string(state));
	json_object_object_add(o, "generation", json_object_new_int64(generation));
	snprintf(out, n, "%s", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
}

static void fill_keys(struct etcd_registry *er, const struct vni_record *rec, struct claim_keys *ck)
{
	char a4[INET6_ADDRSTRLEN] = "", a6[INET6_ADDRSTRLEN] = "", host[VNI_HOSTNAME_MAX + 1];

	memset(ck, 0, sizeof(*ck));
	if (rec->vip4.family)
		vni_addr_str(&rec->vip4, a4, sizeof(a4));
	if (rec->vip6.family)
		vni_addr_str(&rec->vip6, a6, sizeof(a6));
	snprintf(host, sizeof(host), "%s", rec->hostname);
	lower(host);
	key(er, ck->k[0], "inst/%.255s", rec->name);
	inst_json(rec, er->g.n->node_name, "running", 1, ck->v[0], sizeof(ck->v[0]));
	key(er, ck->k[1], "aid/%010u", rec->aid);
	if (a4[0])
		key(er, ck->k[2], "vip/%s", a4);
	if (a6[0])
		key(er, ck->k[3], "vip/%s", a6);
	key(er, ck->k[4], "host/%s", host);
	for (int i = 1; i < 5; i++)
		snprintf(ck->v[i], sizeof(ck->v[i]), "%.255s", rec->name);
}

static json_object *request(const char *op, const char *k, const char *v)
{
	json_object *o = json_object_new_object(), *req = json_object_new_object();

	json_object_object_add(req, "key", etcd_b64(k, -1));
	if (v)
		json_object_object_add(req, "value", etcd_b64(v, -1));
	json_object_object_add(o, op, req);
	return o;
}

/* Sends the transaction (compare, then success or failure requests): 1 when
 * it succeeded, 0 when the failure branch ran (*resp: the reply, the
 * caller's to put), <0 error. */
static int txn_call(struct etcd_registry *er, json_object *cmp, json_object *ok, json_object *ko,
		    json_object **resp, char *err)
{
	json_object *txn = json_object_new_object(), *rs;
	int ret;

	json_object_object_add(txn, "compare", cmp);
	json_object_object_add(txn, "success", ok);
	json_object_object_add(txn, "failure", ko);
	ret = etcd_call(er->e, "kv/txn", txn, resp, err);
	if (ret)
		return ret;
	if (json_object_object_get_ex(*resp, "succeeded", &rs) && json_object_get_boolean(rs)) {
		json_object_put(*resp);
		*resp = NULL;
		return 1;
	}
	return 0;
}

/* 1: claimed; 0: not, with taken[i] set for each key that exists (and
 * its holder's name in holder[i]); <0 error. */
static int claim_txn(struct etcd_registry *er, const struct claim_keys *ck,
		     const char hints[][2][512], int nhints, bool taken[5], char holder[5][256],
		     char *err)
{
	json_object *cmp = json_object_new_array(), *ok = json_object_new_array(),
		    *ko = json_object_new_array(), *resp, *rs;
	int i, j = 0, ret;

	for (i = 0; i < 5; i++) {
		json_object *c;

		taken[i] = false;
		holder[i][0] = '\0';
		if (!ck->k[i][0])
			continue;
		c = json_object_new_object();
		json_object_object_add(c, "key", etcd_b64(ck->k[i], -1));
		json_object_object_add(c, "target", json_object_new_string("CREATE"));
		json_object_object_add(c, "result", json_object_new_string("EQUAL"));
		json_object_object_add(c, "create_revision", json_object_new_string("0"));
		json_object_array_add(cmp, c);
		json_object_array_add(ok, request("request_put", ck->k[i], ck->v[i]));
		json_object_array_add(ko, request("request_range", ck->k[i], NULL));
	}
	for (i = 0; i < nhints; i++)
		json_object_array_add(ok, request("request_put", hints[i][0], hints[i][1]));
	ret = txn_call(er, cmp, ok, ko, &resp, err);
	if (ret)
		return ret;
	/* the failure branch: one range reply per compared key, in order */
	json_object_object_get_ex(resp, "responses", &rs);
	for (i = 0; i < 5; i++) {
		json_object *one, *rr, *kvs;

		if (!ck->k[i][0])
			continue;
		one = rs ? json_object_array_get_idx(rs, (size_t)j++) : NULL;
		if (one && json_object_object_get_ex(one, "response_range", &rr) &&
		    (kvs = kvs_of(rr)) && json_object_array_length(kvs) > 0) {
			taken[i] = true;
			etcd_unb64(json_object_array_get_idx(kvs, 0), "value", holder[i], 256);
		}
	}
	json_object_put(resp);
	return 0;
}

/* ---- picking: hints, pool ranges ---- */

struct picker {
	struct etcd_registry *er;
	struct vni_range r[MAX_RANGES];
	int n;
	struct vni_addr hint; /* where the next search starts */
	char hint_key[512];
	char *err;
};

static int vip_free(const struct vni_addr *a, void *arg)
{
	struct picker *p = arg;
	char k[512], ip[INET6_ADDRSTRLEN];
	json_object *resp, *kvs;
	int ret;

	ret = nl_addr_find(a->family, a->a, NULL, p->err, VNI_ERRLEN);
	if (ret)
		return ret < 0 ? ret : 0; /* an address of this node already */
	key(p->er, k, "vip/%s", vni_addr_str(a, ip, sizeof(ip)));
	ret = range(p->er, k, false, &resp, &kvs, p->err);
	if (ret)
		return ret;
	ret = !kvs || json_object_array_length(kvs) == 0;
	json_object_put(resp);
	return ret;
}

static int load_pool(struct picker *p, const char *pool, int family, char *err)
{
	char k[512], text[128], *dash;
	json_object *resp, *kvs;
	size_t i;
	int ret;

	key(p->er, k, "pool/%s/%d/", pool, family == AF_INET ? 4 : 6);
	ret = range(p->er, k, true, &resp, &kvs, err);
	if (ret)
		return ret;
	for (i = 0; kvs && i < json_object_array_length(kvs) && p->n < MAX_RANGES; i++) {
		struct vni_range *r = &p->r[p->n];

		if (etcd_unb64(json_object_array_get_idx(kvs, i), "value", text, sizeof(text)) < 0 ||
		    !(dash = strchr(text, '-')))
			continue;
		*dash = '\0';
		r->family = family;
		if (inet_pton(family, text, r->first) == 1 && inet_pton(family, dash + 1, r->last) == 1)
			p->n++;
	}
	json_object_put(resp);
	if (!p->n)
		return vni_err(err, -ENOENT, "pool %s has no %s range ('vnictl pool add')", pool,
			       family == AF_INET ? "IPv4" : "IPv6");
	key(p->er, p->hint_key, "hint/%s/%d", pool, family == AF_INET ? 4 : 6);
	ret = range(p->er, p->hint_key, false, &resp, &kvs, err);
	if (ret)
		return ret;
	if (kvs && json_object_array_length(kvs) &&
	    etcd_unb64(json_object_array_get_idx(kvs, 0), "value", text, sizeof(text)) > 0 &&
	    inet_pton(family, text, p->hint.a) == 1)
		p->hint.family = family;
	json_object_put(resp);
	return 0;
}

static int pick(struct picker *p, const char *pool, int family, struct vni_addr *out, char *err)
{
	int ret;

	p->err = err;
	ret = vni_pool_pick(p->r, p->n, p->hint.family ? &p->hint : NULL, MAX_TRIES, vip_free, p,
			    out);
	if (ret == 0)
		return vni_err(err, -ENOSPC, "pool %s: no free %s address", pool,
			       family == AF_INET ? "IPv4" : "IPv6");
	return ret < 0 ? ret : 0;
}

/* After AID from was found taken: the first free one above it among the
 * next 64 (one range read of aid/ keys), or from + 65 to go on from. */
static uint32_t next_free_aid(struct etcd_registry *er, uint32_t from)
{
	char k[512], end[512], kk[512];
	json_object *o, *resp, *kvs;
	uint32_t want = from + 1;
	size_t i, plen;

	key(er, k, "aid/%010u", want);
	key(er, end, "aid0");
	key(er, kk, "aid/");
	plen = strlen(kk);
	o = json_object_new_object();
	json_object_object_add(o, "key", etcd_b64(k, -1));
	json_object_object_add(o, "range_end", etcd_b64(end, -1));
	json_object_object_add(o, "limit", json_object_new_int(64));
	json_object_object_add(o, "keys_only", json_object_new_boolean(1));
	if (etcd_call(er->e, "kv/range", o, &resp, NULL))
		return want;
	kvs = kvs_of(resp);
	for (i = 0; kvs && i < json_object_array_length(kvs); i++) {
		if (etcd_unb64(json_object_array_get_idx(kvs, i), "key", kk, sizeof(kk)) < 0 ||
		    strtoul(kk + plen, NULL, 10) != want)
			break;
		want++;
	}
	json_object_put(resp);
	return want;
}

static int aid_hint(struct etcd_registry *er, uint32_t *aid, char *err)
{
	char k[512], text[32];
	json_object *resp, *kvs;
	int ret;

	key(er, k, "hint/aid");
	ret = range(er, k, false, &resp, &kvs, err);
	if (ret)
		return ret;
	*aid = 0;
	if (kvs && json_object_array_length(kvs) &&
	    etcd_unb64(json_object_array_get_idx(kvs, 0), "value", text, sizeof(text)) > 0)
		*aid = (uint32_t)strtoul(text, NULL, 10);
	json_object_put(resp);
	return 0;
}

static int etcd_release(struct vni_registry *g, const struct vni_record *rec, char *err);

static bool same_identity(const struct vni_record *a, const struct vni_record *b)
{
	return a->aid == b->aid && !memcmp(&a->vip4, &b->vip4, sizeof(a->vip4)) &&
	       !memcmp(&a->vip6, &b->vip6, sizeof(a->vip6)) && !strcasecmp(a->hostname, b->hostname);
}

/* restore: the farm's checkpointed instance becomes this node's, by a
 * compare-and-swap on its record. 1 taken, 0 not in the farm, <0 refused. */
static int take(struct etcd_registry *er, const struct vni_record *rec, char *err)
{
	const char *me = er->g.n->node_name;
	struct held_rec h;
	int ret = get_inst(er, rec->name, &h, err);

	if (ret <= 0)
		return ret;
	if (!same_identity(&h.r, rec))
		return vni_err(err, -EEXIST,
			       "the farm's instance %s has another identity (AID %u) than the image's (AID %u)",
			       rec->name, h.r.aid, rec->aid);
	if (!strcmp(h.state, "running"))
		return vni_err(err, -EBUSY, "instance %s is running on node %s", rec->name,
			       h.node[0] ? h.node : "?");
	ret = cas_inst(er, &h, me, "running", err);
	if (ret < 0)
		return ret;
	if (ret == 1)
		return 1;
	/* another node took it meanwhile: say which */
	if (get_inst(er, rec->name, &h, err) == 1)
		return vni_err(err, -EBUSY, "instance %s was restored on node %s meanwhile",
			       rec->name, h.node);
	return vni_err(err, -EAGAIN, "instance %s changed in the registry meanwhile; try again",
		       rec->name);
}

static const char *const what[] = { "an instance named", "AID", "VIP", "VIP", "hostname" };

static int clash(const struct vni_record *rec, int i, const char *holder, char *err)
{
	char v[INET6_ADDRSTRLEN];

	switch (i) {
	case 0:
		return vni_err(err, -EEXIST, "an instance named %s exists in the farm", rec->name);
	case 1:
		return vni_err(err, -EEXIST, "AID %u is taken by instance %s", rec->aid, holder);
	case 2:
	case 3:
		return vni_err(err, -EEXIST, "VIP %s is taken by instance %s",
			       vni_addr_str(i == 2 ? &rec->vip4 : &rec->vip6, v, sizeof(v)), holder);
	default:
		return vni_err(err, -EEXIST, "%s %s is taken by instance %s", what[i],
			       rec->hostname, holder);
	}
}

static int etcd_claim(struct vni_registry *g, struct vni_claim *c, char *err)
{
	struct etcd_registry *er = of(g);
	struct vni_record *rec = c->r;
	struct picker *pk[2] = { NULL, NULL };
	bool aid_auto = !rec->aid, host_auto = !rec->hostname[0];
	char hints[3][2][512], holder[5][256], base[VNI_HOSTNAME_MAX + 1] = "";
	struct claim_keys ck;
	bool taken[5];
	uint32_t aid = 0;
	int round, ret = 0, suffix = 1, nh, i;

	if (strlen(rec->name) > 255)
		return vni_err(err, -ENAMETOOLONG, "instance name too long for the registry");
	if (c->restore && (ret = take(er, rec, err)) != 0)
		return ret < 0 ? ret : 0; /* taken (1), or refused; 0: not in the farm, claim it */
	for (i = 0; i < 2 && !ret; i++) {
		if (!c->pool[i])
			continue;
		if (!(pk[i] = calloc(1, sizeof(*pk[i]))))
			ret = vni_err(err, -ENOMEM, "out of memory");
		else {
			pk[i]->er = er;
			ret = load_pool(pk[i], c->pool[i], i ? AF_INET6 : AF_INET, err);
		}
	}
	if (!ret && aid_auto)
		ret = aid_hint(er, &aid, err);
	for (round = 0; !ret && round < MAX_ROUNDS; round++) {
		nh = 0;
		for (i = 0; i < 2 && !ret; i++)
			if (pk[i] && !(ret = pick(pk[i], c->pool[i], i ? AF_INET6 : AF_INET,
						  i ? &rec->vip6 : &rec->vip4, err))) {
				snprintf(hints[nh][0], sizeof(hints[0][0]), "%s", pk[i]->hint_key);
				vni_addr_str(i ? &rec->vip6 : &rec->vip4, hints[nh][1], sizeof(hints[0][1]));
				nh++;
			}
		if (ret)
			break;
		if (aid_auto) {
			rec->aid = aid + 1 ? aid + 1 : 1;
			key(er, hints[nh][0], "hint/aid");
			snprintf(hints[nh][1], sizeof(hints[0][1]), "%u", rec->aid);
			nh++;
		}
		if (host_auto) {
			if (!base[0])
				vni_default_hostname(rec->vip4.family ? &rec->vip4 : &rec->vip6, base,
						     sizeof(base));
			if (suffix == 1)
				snprintf(rec->hostname, sizeof(rec->hostname), "%s", base);
			else
				snprintf(rec->hostname, sizeof(rec->hostname), "%.52s-%d", base, suffix);
		}
		fill_keys(er, rec, &ck);
		ret = claim_txn(er, &ck, hints, nh, taken, holder, err);
		if (ret < 0) {
			/* a request that timed out may have been committed: read
			 * back, and give back what is held (sync does, if not now) */
			etcd_release(g, rec, NULL);
			break;
		}
		if (ret == 1) {
			/* the node's own state agrees (a checkpointed instance here) */
			ret = c->again ? 0 : vni_state_conflict(g->st, rec, err);
			if (ret)
				etcd_release(g, rec, NULL);
			goto done;
		}
		/* what was given and is taken ends it; what was picked moves on */
		if (taken[0])
			ret = clash(rec, 0, holder[0], err);
		else if (taken[1] && !aid_auto)
			ret = clash(rec, 1, holder[1], err);
		else if (taken[2] && !pk[0])
			ret = clash(rec, 2, holder[2], err);
		else if (taken[3] && !pk[1])
			ret = clash(rec, 3, holder[3], err);
		else if (taken[4] && !host_auto)
			ret = clash(rec, 4, holder[4], err);
		if (ret)
			break;
		if (taken[1])
			aid = next_free_aid(er, rec->aid) - 1;
		for (i = 0; i < 2; i++)
			if (taken[2 + i] && pk[i]) {
				pk[i]->hint = i ? rec->vip6 : rec->vip4;
				base[0] = '\0'; /* a derived hostname follows the new VIP */
				suffix = 1;
			}
		if (taken[4])
			suffix++;
	}
	if (!ret)
		ret = vni_err(err, -EAGAIN, "the registry is too busy: no claim after %d tries",
			      MAX_ROUNDS);
done:
	free(pk[0]);
	free(pk[1]);
	return ret;
}

/* ---- release ---- */

static int etcd_release(struct vni_registry *g, const struct vni_record *rec, char *err)
{
	struct etcd_registry *er = of(g);
	json_object *resp, *kvs, *kv, *held, *node, *txn, *cmp, *ops, *c;
	char k[512], value[2048];
	struct claim_keys ck;
	struct vni_record mine = *rec;
	int64_t rev;
	int i, ret;

	key(er, k, "inst/%.255s", rec->name);
	ret = range(er, k, false, &resp, &kvs, err);
	if (ret)
		return ret;
	if (!kvs || !json_object_array_length(kvs)) {
		json_object_put(resp);
		return 0; /* not held: nothing to give back */
	}
	kv = json_object_array_get_idx(kvs, 0);
	rev = etcd_int(kv, "mod_revision");
	etcd_unb64(kv, "value", value, sizeof(value));
	json_object_put(resp);
	held = json_tokener_parse(value);
	/* the farm's (checkpointed, no node): only a node forgetting its
	 * checkpointed copy gives it back, not an attach reading back */
	if (held && json_object_object_get_ex(held, "node", &node) &&
	    !json_object_get_string(node)[0] && !rec->checkpointed) {
		json_object_put(held);
		return 0;
	}
	/* this node's */
	if (held && json_object_object_get_ex(held, "node", &node) &&
	    json_object_get_string(node)[0] &&
	    strcmp(json_object_get_string(node), g->n->node_name)) {
		/* a checkpointed copy here of what another node restored: only
		 * the node forgets it */
		ret = rec->checkpointed ? 0 :
					  vni_err(err, -EPERM, "instance %s belongs to node %s in the registry",
						  rec->name, json_object_get_string(node));
		json_object_put(held);
		return ret;
	}
	/* the keys as the registry has them (hostname, VIPs, AID) */
	if (held) {
		json_object *v;

		if (json_object_object_get_ex(held, "aid", &v))
			mine.aid = (uint32_t)json_object_get_int64(v);
		if (json_object_object_get_ex(held, "hostname", &v))
			snprintf(mine.hostname, sizeof(mine.hostname), "%s", json_object_get_string(v));
		memset(&mine.vip4, 0, sizeof(mine.vip4));
		memset(&mine.vip6, 0, sizeof(mine.vip6));
		if (json_object_object_get_ex(held, "vip4", &v) && json_object_get_string(v))
			vni_parse_vip(json_object_get_string(v), &mine.vip4, NULL);
		if (json_object_object_get_ex(held, "vip6", &v) && json_object_get_string(v))
			vni_parse_vip(json_object_get_string(v), &mine.vip6, NULL);
		json_object_put(held);
	}
	fill_keys(er, &mine, &ck);
	txn = json_object_new_object();
	cmp = json_object_new_array();
	ops = json_object_new_array();
	c = json_object_new_object();
	json_object_object_add(c, "key", etcd_b64(ck.k[0], -1));
	json_object_object_add(c, "target", json_object_new_string("MOD"));
	json_object_object_add(c, "result", json_object_new_string("EQUAL"));
	json_object_object_add(c, "mod_revision", json_object_new_int64(rev));
	json_object_array_add(cmp, c);
	for (i = 0; i < 5; i++)
		if (ck.k[i][0])
			json_object_array_add(ops, request("request_delete_range", ck.k[i], NULL));
	json_object_object_add(txn, "compare", cmp);
	json_object_object_add(txn, "success", ops);
	ret = etcd_call(er->e, "kv/txn", txn, &resp, err);
	if (ret)
		return ret;
	if (!json_object_object_get_ex(resp, "succeeded", &c) || !json_object_get_boolean(c))
		ret = vni_err(err, -EAGAIN, "instance %s changed in the registry meanwhile; try again",
			      rec->name);
	json_object_put(resp);
	return ret;
}

/* A record of the registry (inst/NAME's value) as the node's kind of record. */
static int parse_held(const char *value, struct vni_record *r, char *node, size_t n)
{
	struct held_rec h;
	int ret = parse_inst(value, &h);

	*r = h.r;
	snprintf(node, n, "%s", h.node);
	return ret;
}

static int parse_inst(const char *value, struct held_rec *h)
{
	json_object *o = json_tokener_parse(value), *v;
	struct vni_record *r = &h->r;

	memset(h, 0, sizeof(*h));
	if (!o)
		return -1;
	if (json_object_object_get_ex(o, "name", &v))
		snprintf(r->name, sizeof(r->name), "%s", json_object_get_string(v));
	if (json_object_object_get_ex(o, "aid", &v))
		r->aid = (uint32_t)json_object_get_int64(v);
	if (json_object_object_get_ex(o, "hostname", &v))
		snprintf(r->hostname, sizeof(r->hostname), "%s", json_object_get_string(v));
	if (json_object_object_get_ex(o, "vip4", &v) && json_object_get_string(v))
		vni_parse_vip(json_object_get_string(v), &r->vip4, NULL);
	if (json_object_object_get_ex(o, "vip6", &v) && json_object_get_string(v))
		vni_parse_vip(json_object_get_string(v), &r->vip6, NULL);
	if (json_object_object_get_ex(o, "node", &v))
		snprintf(h->node, sizeof(h->node), "%s", json_object_get_string(v));
	if (json_object_object_get_ex(o, "state", &v))
		snprintf(h->state, sizeof(h->state), "%s", json_object_get_string(v));
	if (json_object_object_get_ex(o, "generation", &v))
		h->generation = json_object_get_int64(v);
	json_object_put(o);
	return r->name[0] ? 0 : -1;
}

static int get_inst(struct etcd_registry *er, const char *name, struct held_rec *h, char *err)
{
	char k[512], value[2048];
	json_object *resp, *kvs, *kv;
	int ret;

	key(er, k, "inst/%.255s", name);
	ret = range(er, k, false, &resp, &kvs, err);
	if (ret)
		return ret;
	ret = 0;
	if (kvs && json_object_array_length(kvs)) {
		kv = json_object_array_get_idx(kvs, 0);
		etcd_unb64(kv, "value", value, sizeof(value));
		ret = parse_inst(value, h) ? vni_err(err, -EIO, "the registry's record of %s is not vni's", name) : 1;
		h->rev = etcd_int(kv, "mod_revision");
	}
	json_object_put(resp);
	return ret;
}

/* inst/NAME now runs on node in state, if nobody changed it since h was read:
 * 1 done, 0 changed meanwhile. */
static int cas_inst(struct etcd_registry *er, const struct held_rec *h, const char *node,
		    const char *state, char *err)
{
	json_object *txn = json_object_new_object(), *cmp = json_object_new_array(),
		    *ok = json_object_new_array(), *c = json_object_new_object(), *resp, *done;
	char k[512], value[1024];
	int ret;

	key(er, k, "inst/%.255s", h->r.name);
	inst_json(&h->r, node, state, h->generation + 1, value, sizeof(value));
	json_object_object_add(c, "key", etcd_b64(k, -1));
	json_object_object_add(c, "target", json_object_new_string("MOD"));
	json_object_object_add(c, "result", json_object_new_string("EQUAL"));
	json_object_object_add(c, "mod_revision", json_object_new_int64(h->rev));
	json_object_array_add(cmp, c);
	json_object_array_add(ok, request("request_put", k, value));
	json_object_object_add(txn, "compare", cmp);
	json_object_object_add(txn, "success", ok);
	ret = etcd_call(er->e, "kv/txn", txn, &resp, err);
	if (ret)
		return ret;
	ret = json_object_object_get_ex(resp, "succeeded", &done) && json_object_get_boolean(done);
	json_object_put(resp);
	return ret;
}

/* One scan of inst/ (sync only: an attach never lists the registry). */
static int etcd_each_held(struct vni_registry *g,
			  int (*fn)(const struct vni_record *r, void *arg), void *arg, char *err)
{
	struct etcd_registry *er = of(g);
	char k[512], *value, node[128];
	json_object *resp, *kvs;
	struct vni_record r;
	size_t i;
	int ret;

	key(er, k, "inst/");
	ret = range(er, k, true, &resp, &kvs, err);
	if (ret)
		return ret;
	value = malloc(8192);
	for (i = 0; !ret && value && kvs && i < json_object_array_length(kvs); i++)
		if (etcd_unb64(json_object_array_get_idx(kvs, i), "value", value, 8192) > 0 &&
		    !parse_held(value, &r, node, sizeof(node)) && !strcmp(node, g->n->node_name))
			ret = fn(&r, arg);
	free(value);
	json_object_put(resp);
	return ret;
}

static int etcd_hand_back(struct vni_registry *g, const struct vni_record *rec, char *err)
{
	struct etcd_registry *er = of(g);
	struct held_rec h;
	int ret = get_inst(er, rec->name, &h, err);

	if (ret <= 0)
		return ret;
	if (strcmp(h.node, g->n->node_name))
		return vni_err(err, -EPERM, "instance %s belongs to node %s in the registry",
			       rec->name, h.node);
	ret = cas_inst(er, &h, "", "checkpointed", err);
	if (ret == 0)
		return vni_err(err, -EAGAIN, "instance %s changed in the registry meanwhile",
			       rec->name);
	return ret < 0 ? ret : 0;
}

/* ---- pools ---- */

struct all_ranges {
	struct vni_range r[MAX_RANGES];
	char pool[MAX_RANGES][VNI_POOL_NAME_MAX + 1];
	int n;
};

static int load_all_ranges(struct etcd_registry *er, struct all_ranges *a, char *err)
{
	char k[512], kk[512], text[128], *dash, *p;
	json_object *resp, *kvs;
	size_t i, plen;
	int ret;

	key(er, k, "pool/");
	plen = strlen(k);
	ret = range(er, k, true, &resp, &kvs, err);
	if (ret)
		return ret;
	for (i = 0; kvs && i < json_object_array_length(kvs) && a->n < MAX_RANGES; i++) {
		json_object *kv = json_object_array_get_idx(kvs, i);
		struct vni_range *r = &a->r[a->n];
		int family;

		if (etcd_unb64(kv, "key", kk, sizeof(kk)) < 0 ||
		    etcd_unb64(kv, "value", text, sizeof(text)) < 0 || !(dash = strchr(text, '-')))
			continue;
		/* pool/POOL/4|6/FIRST */
		p = kk + plen;
		if (!strchr(p, '/'))
			continue;
		snprintf(a->pool[a->n], sizeof(a->pool[0]), "%.*s", (int)(strchr(p, '/') - p), p);
		family = strchr(text, ':') ? AF_INET6 : AF_INET;
		*dash = '\0';
		r->family = family;
		if (inet_pton(family, text, r->first) == 1 && inet_pton(family, dash + 1, r->last) == 1)
			a->n++;
	}
	json_object_put(resp);
	return 0;
}

/* How many VIPs held in the registry fall in r (one scan of vip/). */
static int count_used(struct etcd_registry *er, const struct vni_range *r, uint64_t *used,
		      char *holder, size_t n, char *err)
{
	char k[512], kk[512];
	json_object *resp, *kvs;
	size_t i, plen;
	int ret;

	key(er, k, "vip/");
	plen = strlen(k);
	ret = range(er, k, true, &resp, &kvs, err);
	if (ret)
		return ret;
	*used = 0;
	for (i = 0; kvs && i < json_object_array_length(kvs); i++) {
		json_object *kv = json_object_array_get_idx(kvs, i);
		struct vni_addr a;

		if (etcd_unb64(kv, "key", kk, sizeof(kk)) < 0 || vni_parse_vip(kk + plen, &a, NULL) ||
		    vni_range_index(r, &a) < 0)
			continue;
		if (!(*used)++ && holder)
			etcd_unb64(kv, "value", holder, n);
	}
	json_object_put(resp);
	return 0;
}

static void range_key(struct etcd_registry *er, const char *pool, const struct vni_range *r,
		      char *k)
{
	char first[INET6_ADDRSTRLEN];

	inet_ntop(r->family, r->first, first, sizeof(first));
	key(er, k, "pool/%s/%d/%s", pool, r->family == AF_INET ? 4 : 6, first);
}

static int etcd_pool_add(struct vni_registry *g, const char *pool, const struct vni_range *r,
			 char *err)
{
	struct etcd_registry *er = of(g);
	struct all_ranges *a = calloc(1, sizeof(*a));
	char k[512], text[96], b[96];
	json_object *resp, *o;
	int ret, i;

	if (!a)
		return vni_err(err, -ENOMEM, "out of memory");
	ret = load_all_ranges(er, a, err);
	for (i = 0; !ret && i < a->n; i++)
		if (vni_ranges_overlap(&a->r[i], r))
			ret = vni_err(err, -EEXIST, "range %s overlaps %s of pool %s",
				      vni_range_str(r, text, sizeof(text)),
				      vni_range_str(&a->r[i], b, sizeof(b)), a->pool[i]);
	free(a);
	if (ret)
		return ret;
	range_key(er, pool, r, k);
	o = kv_get(k, false);
	json_object_object_add(o, "value", etcd_b64(vni_range_str(r, text, sizeof(text)), -1));
	ret = etcd_call(er->e, "kv/put", o, &resp, err);
	if (!ret)
		json_object_put(resp);
	return ret;
}

static int etcd_pool_del(struct vni_registry *g, const char *pool, const struct vni_range *r,
			 char *err)
{
	struct etcd_registry *er = of(g);
	char k[512], text[96], holder[256] = "";
	json_object *resp, *kvs, *o;
	uint64_t used;
	int ret, found;

	range_key(er, pool, r, k);
	ret = range(er, k, false, &resp, &kvs, err);
	if (ret)
		return ret;
	/* the range as stored, both ends */
	found = kvs && json_object_array_length(kvs) &&
		etcd_unb64(json_object_array_get_idx(kvs, 0), "value", holder, sizeof(holder)) > 0 &&
		!strcmp(holder, vni_range_str(r, text, sizeof(text)));
	holder[0] = '\0';
	json_object_put(resp);
	if (!found)
		return vni_err(err, -ENOENT, "pool %s has no range %s", pool,
			       vni_range_str(r, text, sizeof(text)));
	ret = count_used(er, r, &used, holder, sizeof(holder), err);
	if (ret)
		return ret;
	if (used)
		return vni_err(err, -EBUSY, "range %s of pool %s has %llu address(es) in use (instance %s)",
			       vni_range_str(r, text, sizeof(text)), pool, (unsigned long long)used,
			       holder);
	o = json_object_new_object();
	json_object_object_add(o, "key", etcd_b64(k, -1));
	ret = etcd_call(er->e, "kv/deleterange", o, &resp, err);
	if (!ret)
		json_object_put(resp);
	return ret;
}

static int etcd_pool_each(struct vni_registry *g,
			  int (*fn)(const struct vni_pool_usage *u, void *arg), void *arg, char *err)
{
	struct etcd_registry *er = of(g);
	struct all_ranges *a = calloc(1, sizeof(*a));
	int ret, i;

	if (!a)
		return vni_err(err, -ENOMEM, "out of memory");
	ret = load_all_ranges(er, a, err);
	for (i = 0; !ret && i < a->n; i++) {
		struct vni_pool_usage u = { .pool = a->pool[i], .range = a->r[i],
					    .size = vni_range_size(&a->r[i]) };

		ret = count_used(er, &a->r[i], &u.used, NULL, 0, err);
		if (!ret)
			ret = fn(&u, arg);
	}
	free(a);
	return ret;
}

/* ---- the farm: instances, nodes, the agent's lease, lost, watch ---- */

static int etcd_each_instance(struct vni_registry *g,
			      int (*fn)(const struct vni_farm_instance *i, void *arg), void *arg,
			      char *err)
{
	struct etcd_registry *er = of(g);
	char k[512], *value = malloc(8192);
	json_object *resp, *kvs;
	struct held_rec h;
	size_t i;
	int ret;

	if (!value)
		return vni_err(err, -ENOMEM, "out of memory");
	key(er, k, "inst/");
	ret = range(er, k, true, &resp, &kvs, err);
	for (i = 0; !ret && kvs && i < json_object_array_length(kvs); i++) {
		struct vni_farm_instance fi = { .generation = 0 };

		if (etcd_unb64(json_object_array_get_idx(kvs, i), "value", value, 8192) <= 0 ||
		    parse_inst(value, &h))
			continue;
		fi.r = h.r;
		snprintf(fi.node, sizeof(fi.node), "%s", h.node);
		snprintf(fi.state, sizeof(fi.state), "%s", h.state);
		fi.generation = h.generation;
		ret = fn(&fi, arg);
	}
	json_object_put(resp); /* (NULL after an error) */
	free(value);
	return ret;
}

static int etcd_get_instance(struct vni_registry *g, const char *name,
			     struct vni_farm_instance *out, char *err)
{
	struct held_rec h;
	int ret = get_inst(of(g), name, &h, err);

	if (ret == 1) {
		memset(out, 0, sizeof(*out));
		out->r = h.r;
		snprintf(out->node, sizeof(out->node), "%s", h.node);
		snprintf(out->state, sizeof(out->state), "%s", h.state);
		out->generation = h.generation;
	}
	return ret;
}

/* node/NAME {"node","since"}, on the agent's lease: there while it lives. */
static int etcd_each_node(struct vni_registry *g,
			  int (*fn)(const struct vni_farm_node *m, void *arg), void *arg, char *err)
{
	struct etcd_registry *er = of(g);
	char k[512], value[512];
	json_object *resp, *kvs, *o, *v;
	size_t i;
	int ret;

	key(er, k, "node/");
	ret = range(er, k, true, &resp, &kvs, err);
	if (ret)
		return ret;
	for (i = 0; !ret && kvs && i < json_object_array_length(kvs); i++) {
		struct vni_farm_node m = { .alive = true };

		if (etcd_unb64(json_object_array_get_idx(kvs, i), "value", value, sizeof(value)) <= 0 ||
		    !(o = json_tokener_parse(value)))
			continue;
		if (json_object_object_get_ex(o, "node", &v))
			snprintf(m.name, sizeof(m.name), "%s", json_object_get_string(v));
		if (json_object_object_get_ex(o, "since", &v))
			m.since = json_object_get_int64(v);
		json_object_put(o);
		if (m.name[0])
			ret = fn(&m, arg);
	}
	json_object_put(resp);
	return ret;
}

static int etcd_join(struct vni_registry *g, int ttl, char *err)
{
	struct etcd_registry *er = of(g);
	json_object *o = json_object_new_object(), *resp, *put, *node = json_object_new_object();
	char k[512];
	int ret;

	json_object_object_add(o, "TTL", json_object_new_int64(ttl));
	ret = etcd_call(er->e, "lease/grant", o, &resp, err);
	if (ret) {
		json_object_put(node);
		return ret;
	}
	er->lease = etcd_int(resp, "ID");
	json_object_put(resp);
	if (!er->lease) {
		json_object_put(node);
		return vni_err(err, -EIO, "etcd granted no lease");
	}
	json_object_object_add(node, "node", json_object_new_string(g->n->node_name));
	json_object_object_add(node, "since", json_object_new_int64((int64_t)time(NULL)));
	key(er, k, "node/%s", g->n->node_name);
	put = kv_get(k, false);
	json_object_object_add(put, "value",
			       etcd_b64(json_object_to_json_string_ext(node, JSON_C_TO_STRING_PLAIN), -1));
	json_object_object_add(put, "lease", json_object_new_int64(er->lease));
	json_object_put(node);
	ret = etcd_call(er->e, "kv/put", put, &resp, err);
	if (!ret)
		json_object_put(resp);
	return ret;
}

static int etcd_keepalive(struct vni_registry *g, char *err)
{
	struct etcd_registry *er = of(g);
	json_object *o = json_object_new_object(), *resp, *result;
	int ret;

	json_object_object_add(o, "ID", json_object_new_int64(er->lease));
	ret = etcd_call(er->e, "lease/keepalive", o, &resp, err);
	if (ret)
		return ret;
	/* a lapsed lease comes back without a TTL (not as an error) */
	ret = json_object_object_get_ex(resp, "result", &result) && etcd_int(result, "TTL") > 0 ?
		      0 :
		      vni_err(err, -ENOENT, "the node's lease lapsed");
	json_object_put(resp);
	return ret;
}

static void etcd_leave(struct vni_registry *g)
{
	struct etcd_registry *er = of(g);
	json_object *o, *resp;

	if (!er->lease)
		return;
	o = json_object_new_object();
	json_object_object_add(o, "ID", json_object_new_int64(er->lease));
	if (!etcd_call(er->e, "lease/revoke", o, &resp, NULL))
		json_object_put(resp);
	er->lease = 0;
}

struct lost_ctx {
	struct etcd_registry *er;
	const char *node;
	int n;
	char *err;
};

static int mark_one(const struct vni_farm_instance *i, void *arg)
{
	struct lost_ctx *c = arg;
	struct held_rec h;

	if (strcmp(i->node, c->node) || strcmp(i->state, "running"))
		return 0;
	/* read again with its revision: a node may have taken it meanwhile */
	if (get_inst(c->er, i->r.name, &h, c->err) == 1 && !strcmp(h.node, c->node) &&
	    !strcmp(h.state, "running") && cas_inst(c->er, &h, c->node, "lost", c->err) == 1)
		c->n++;
	return 0;
}

static int etcd_mark_lost(struct vni_registry *g, const char *node, char *err)
{
	struct lost_ctx c = { of(g), node, 0, err };
	int ret = etcd_each_instance(g, mark_one, &c, err);

	return ret ? ret : c.n;
}

struct watch_ctx {
	int (*changed)(void *arg);
	void *arg;
};

static int on_events(json_object *result, void *arg)
{
	struct watch_ctx *w = arg;

	(void)result;
	return w->changed(w->arg);
}

static int etcd_reg_watch(struct vni_registry *g, int (*changed)(void *arg), void *arg, char *err)
{
	struct etcd_registry *er = of(g);
	struct watch_ctx w = { changed, arg };
	char k[512];

	key(er, k, "%s", "");
	return etcd_watch(er->e, etcd_b64(k, -1), range_end(k), 0, on_events, &w, err);
}

static void etcd_reg_close(struct vni_registry *g)
{
	etcd_close(of(g)->e);
	free(g);
}

/* ---- service addresses: vip/ADDR -> "service on NODE" ---- */

static void addr_key(struct etcd_registry *er, const struct vni_addr *a, char *k, char *holder,
		     size_t n)
{
	char ip[INET6_ADDRSTRLEN];

	key(er, k, "vip/%s", vni_addr_str(a, ip, sizeof(ip)));
	snprintf(holder, n, "service on %s", er->g.n->node_name);
}

/* One compare and one request, in a transaction: 1 if it held, 0 if not
 * (*have: the key's value then), <0 error. */
static int addr_txn(struct etcd_registry *er, const char *k, const char *holder, bool put,
		    char *have, size_t n, char *err)
{
	json_object *cmp = json_object_new_array(), *ok = json_object_new_array(),
		    *ko = json_object_new_array(), *c, *resp, *rs, *kvs;
	int ret;

	c = json_object_new_object();
	json_object_object_add(c, "key", etcd_b64(k, -1));
	json_object_object_add(c, "result", json_object_new_string("EQUAL"));
	if (put) { /* created by no one */
		json_object_object_add(c, "target", json_object_new_string("CREATE"));
		json_object_object_add(c, "create_revision", json_object_new_string("0"));
		json_object_array_add(ok, request("request_put", k, holder));
	} else { /* still ours */
		json_object_object_add(c, "target", json_object_new_string("VALUE"));
		json_object_object_add(c, "value", etcd_b64(holder, -1));
		json_object_array_add(ok, request("request_delete_range", k, NULL));
	}
	json_object_array_add(cmp, c);
	json_object_array_add(ko, request("request_range", k, NULL));
	have[0] = '\0';
	ret = txn_call(er, cmp, ok, ko, &resp, err);
	if (ret)
		return ret;
	if (json_object_object_get_ex(resp, "responses", &rs) && (rs = json_object_array_get_idx(rs, 0)) &&
	    json_object_object_get_ex(rs, "response_range", &rs) && (kvs = kvs_of(rs)) &&
	    json_object_array_length(kvs) > 0)
		etcd_unb64(json_object_array_get_idx(kvs, 0), "value", have, n);
	json_object_put(resp);
	return 0;
}

static int etcd_claim_addr(struct vni_registry *g, const struct vni_addr *a, char *err)
{
	struct etcd_registry *er = of(g);
	char k[512], holder[128], have[256], ip[INET6_ADDRSTRLEN];
	int ret;

	addr_key(er, a, k, holder, sizeof(holder));
	ret = addr_txn(er, k, holder, true, have, sizeof(have), err);
	if (ret < 0 || ret == 1 || !strcmp(have, holder))
		return ret < 0 ? ret : 0;
	return vni_err(err, -EEXIST, "address %s is taken by %s%s in the registry",
		       vni_addr_str(a, ip, sizeof(ip)), strncmp(have, "service ", 8) ? "instance " : "",
		       have);
}

static int etcd_release_addr(struct vni_registry *g, const struct vni_addr *a, char *err)
{
	struct etcd_registry *er = of(g);
	char k[512], holder[128], have[256];
	int ret;

	addr_key(er, a, k, holder, sizeof(holder));
	ret = addr_txn(er, k, holder, false, have, sizeof(have), err);
	return ret < 0 ? ret : 0; /* not ours (any more): nothing to give back */
}

const struct vni_registry_ops vni_registry_etcd = {
	.kind = "etcd",
	.claim = etcd_claim,
	.release = etcd_release,
	.hand_back = etcd_hand_back,
	.each_held = etcd_each_held,
	.claim_addr = etcd_claim_addr,
	.release_addr = etcd_release_addr,
	.pool_add = etcd_pool_add,
	.pool_del = etcd_pool_del,
	.pool_each = etcd_pool_each,
	.each_instance = etcd_each_instance,
	.each_node = etcd_each_node,
	.get_instance = etcd_get_instance,
	.join = etcd_join,
	.keepalive = etcd_keepalive,
	.leave = etcd_leave,
	.mark_lost = etcd_mark_lost,
	.watch = etcd_reg_watch,
	.close = etcd_reg_close,
};

/* "etcd://HOST:PORT[,HOST:PORT...][/PREFIX]" */
int vni_registry_etcd_open(const struct vni_node *n, const char *url, struct vni_registry **out,
			   char *err)
{
	struct etcd_registry *er = calloc(1, sizeof(*er));
	char endpoints[512];
	const char *hosts = url + strlen("etcd://"), *slash = strchr(hosts, '/');
	int ret;

	if (!er)
		return vni_err(err, -ENOMEM, "out of memory");
	snprintf(endpoints, sizeof(endpoints), "%.*s",
		 (int)(slash ? (size_t)(slash - hosts) : strlen(hosts)), hosts);
	snprintf(er->prefix, sizeof(er->prefix), "%s", slash && slash[1] ? slash : "/vni");
	if (er->prefix[strlen(er->prefix) - 1] == '/')
		er->prefix[strlen(er->prefix) - 1] = '\0';
	ret = etcd_open(endpoints, &er->e, err);
	if (ret) {
		free(er);
		return ret;
	}
	er->g.ops = &vni_registry_etcd;
	er->g.n = n;
	*out = &er->g;
	return 0;
}
