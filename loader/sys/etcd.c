// SPDX-License-Identifier: GPL-2.0-only
/* etcd v3 over its JSON gateway (see etcd.h). */
#include <errno.h>
#include <stdbool.h>
#include <resolv.h>
#include <stdio.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>

#include "sys/curl_dl.h"
#include "sys/dl.h"
#include "sys/etcd.h"
#include "sys/util.h"

#define MAX_ENDPOINTS 8
#define CONNECT_TIMEOUT_MS 1000L
#define REQUEST_TIMEOUT_MS 3000L
#define MAX_REPLY (64u << 20)

struct etcd {
	CURL *curl;
	char endpoint[MAX_ENDPOINTS][128];
	int n;
	int current; /* the one that answered last */
	char list[512];
};

/* libcurl's functions, set by etcd_open (loaded on first use) */
static const struct vni_curl *C;

struct reply {
	char *buf;
	size_t len;
};

static size_t gather(char *data, size_t size, size_t nmemb, void *arg)
{
	struct reply *r = arg;
	size_t n = size * nmemb;
	char *p;

	if (r->len + n > MAX_REPLY || !(p = realloc(r->buf, r->len + n + 1)))
		return 0;
	memcpy(p + r->len, data, n);
	r->buf = p;
	r->len += n;
	r->buf[r->len] = '\0';
	return n;
}

int etcd_open(const char *endpoints, struct etcd **out, char *err)
{
	static int global_done;
	struct etcd *e;
	const char *p = endpoints;

	if (!C && !(C = vni_curl(err)))
		return -ENOENT;
	if (!global_done && C->global_init(CURL_GLOBAL_DEFAULT) == 0)
		global_done = 1;
	e = calloc(1, sizeof(*e));
	if (!e || !(e->curl = C->easy_init())) {
		free(e);
		return vni_err(err, -ENOMEM, "cannot start an HTTP client (libcurl)");
	}
	snprintf(e->list, sizeof(e->list), "%s", endpoints);
	while (*p) {
		size_t len = strcspn(p, ",");

		if (!len || len >= sizeof(e->endpoint[0]) || e->n == MAX_ENDPOINTS || !memchr(p, ':', len)) {
			etcd_close(e);
			return vni_err(err, -EINVAL, "invalid etcd endpoint list '%s': give HOST:PORT[,HOST:PORT...] (at most %d)",
				       endpoints, MAX_ENDPOINTS);
		}
		memcpy(e->endpoint[e->n++], p, len);
		p += len + (p[len] == ',');
	}
	if (!e->n) {
		etcd_close(e);
		return vni_err(err, -EINVAL, "no etcd endpoint given");
	}
	*out = e;
	return 0;
}

void etcd_close(struct etcd *e)
{
	if (!e)
		return;
	if (e->curl)
		C->easy_cleanup(e->curl);
	free(e);
}

/* One POST to one endpoint: 0 with the HTTP status and body, or a curl
 * error (cannot connect, timed out). */
static CURLcode post(struct etcd *e, int i, const char *path, const char *body, long *status,
		     struct reply *r, bool *sent)
{
	long bytes = 0;
	struct curl_slist *hdr = C->slist_append(NULL, "Content-Type: application/json");
	char url[256];
	CURLcode rc;

	snprintf(url, sizeof(url), "http://%s/v3/%s", e->endpoint[i], path);
	C->easy_reset(e->curl);
	C->easy_setopt(e->curl, CURLOPT_URL, url);
	C->easy_setopt(e->curl, CURLOPT_HTTPHEADER, hdr);
	C->easy_setopt(e->curl, CURLOPT_POSTFIELDS, body);
	C->easy_setopt(e->curl, CURLOPT_CONNECTTIMEOUT_MS, CONNECT_TIMEOUT_MS);
	C->easy_setopt(e->curl, CURLOPT_TIMEOUT_MS, REQUEST_TIMEOUT_MS);
	C->easy_setopt(e->curl, CURLOPT_NOSIGNAL, 1L);
	C->easy_setopt(e->curl, CURLOPT_NOPROXY, "*");
	C->easy_setopt(e->curl, CURLOPT_WRITEFUNCTION, gather);
	C->easy_setopt(e->curl, CURLOPT_WRITEDATA, r);
	rc = C->easy_perform(e->curl);
	C->slist_free_all(hdr);
	if (rc == CURLE_OK)
		C->easy_getinfo(e->curl, CURLINFO_RESPONSE_CODE, status);
	C->easy_getinfo(e->curl, CURLINFO_REQUEST_SIZE, &bytes);
	*sent = bytes > 0;
	return rc;
}

int etcd_call(struct etcd *e, const char *path, json_object *body, json_object **resp,
	      char *err)
{
	const char *text = json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN);
	struct reply r = { NULL, 0 };
	CURLcode rc = CURLE_OK;
	long status = 0;
	bool sent = false;
	int k, i = 0, ret;

	*resp = NULL;
	/* the endpoint that answered last first, then the others */
	for (k = 0; k < e->n; k++) {
		i = (e->current + k) % e->n;
		free(r.buf);
		r.buf = NULL;
		r.len = 0;
		rc = post(e, i, path, text, &status, &r, &sent);
		/* no leader (503): another member may have one */
		if (rc == CURLE_OK && status != 503)
			break;
		/* a request that was sent and timed out may have been applied:
		 * not sent again (the caller reads back); only one that never
		 * reached the member goes to the next */
		if (rc != CURLE_OK && sent)
			break;
	}
	json_object_put(body);
	if (k == e->n || rc != CURLE_OK) {
		ret = vni_err(err, -EHOSTUNREACH, "etcd registry %s unreachable: %s", e->list,
			      rc != CURLE_OK ? C->easy_strerror(rc) : "no leader (HTTP 503)");
		goto out;
	}
	e->current = i;
	*resp = r.buf ? json_tokener_parse(r.buf) : NULL;
	if (!*resp) {
		ret = vni_err(err, -EIO, "etcd %s: HTTP %ld with no JSON reply", e->endpoint[i], status);
	} else if (status != 200) {
		json_object *m;
		char *p;

		ret = vni_err(err, -EIO, "etcd %s: HTTP %ld: %s", e->endpoint[i], status,
			      json_object_object_get_ex(*resp, "message", &m) ?
				      json_object_get_string(m) : r.buf);
		/* one line: what etcd says may hold newlines */
		for (p = err; p && *p; p++)
			if (*p == '\n' || *p == '\r')
				*p = ' ';
		json_object_put(*resp);
		*resp = NULL;
	} else {
		ret = 0;
	}
out:
	free(r.buf);
	return ret;
}

/* glibc's base64 (libresolv), loaded on first use (sys/dl.h) */
static struct {
	__typeof__(&b64_ntop) ntop;
	__typeof__(&b64_pton) pton;
} b64;

static int load_b64(void)
{
	static const struct vni_dl_fn fns[] = { VNI_DL_FN(b64, ntop, "__b64_ntop"),
						VNI_DL_FN(b64, pton, "__b64_pton") };
	static struct vni_dl lib = VNI_DL_LIB("libresolv.so.2", "libc6", "the etcd registry", fns, b64);

	return vni_dl_load(&lib, NULL);
}

json_object *etcd_b64(const char *s, int len)
{
	size_t n = len < 0 ? strlen(s) : (size_t)len;
	char *buf = malloc(n / 3 * 4 + 8);
	json_object *o;

	if (!buf)
		return NULL;
	if (load_b64() || b64.ntop((const unsigned char *)s, n, buf, n / 3 * 4 + 8) < 0)
		buf[0] = '\0';
	o = json_object_new_string(buf);
	free(buf);
	return o;
}

int etcd_unb64(json_object *o, const char *field, char *buf, size_t n)
{
	json_object *v;
	int len;

	if (n)
		buf[0] = '\0';
	if (!json_object_object_get_ex(o, field, &v) || load_b64())
		return -1;
	len = b64.pton(json_object_get_string(v), (unsigned char *)buf, n ? n - 1 : 0);
	if (len < 0)
		return -1;
	buf[len] = '\0';
	return len;
}

int64_t etcd_int(json_object *o, const char *field)
{
	json_object *v;

	if (!o || !json_object_object_get_ex(o, field, &v))
		return 0;
	errno = 0;
	return json_object_get_int64(v);
}

struct stream {
	char *buf;
	size_t len;
	int (*on_events)(json_object *result, void *arg);
	void *arg;
	int stop;
};

/* NDJSON: one reply per line; lines may arrive in pieces. */
static size_t stream_data(char *data, size_t size, size_t nmemb, void *arg)
{
	struct stream *s = arg;
	size_t n = size * nmemb;
	char *p, *nl;

	if (s->len + n > MAX_REPLY || !(p = realloc(s->buf, s->len + n + 1)))
		return 0;
	memcpy(p + s->len, data, n);
	s->buf = p;
	s->len += n;
	s->buf[s->len] = '\0';
	while ((nl = memchr(s->buf, '\n', s->len))) {
		json_object *o, *result, *events;

		*nl = '\0';
		o = json_tokener_parse(s->buf);
		/* the reply saying the watch exists counts too: what changed before
		 * it is looked at then */
		if (o && json_object_object_get_ex(o, "result", &result) && !s->stop &&
		    (json_object_object_get_ex(result, "events", &events) ||
		     json_object_object_get_ex(result, "created", &events)))
			s->stop = s->on_events(result, s->arg);
		json_object_put(o);
		s->len -= (size_t)(nl + 1 - s->buf);
		memmove(s->buf, nl + 1, s->len + 1);
	}
	return s->stop ? 0 : n;
}

int etcd_watch(struct etcd *e, json_object *key, json_object *range_end, int64_t start,
	       int (*on_events)(json_object *result, void *arg), void *arg, char *err)
{
	json_object *body = json_object_new_object(), *req = json_object_new_object();
	struct stream s = { .on_events = on_events, .arg = arg };
	struct curl_slist *hdr;
	CURL *c = C->easy_init();
	char url[256];
	CURLcode rc;

	json_object_object_add(req, "key", key);
	json_object_object_add(req, "range_end", range_end);
	if (start)
		json_object_object_add(req, "start_revision", json_object_new_int64(start));
	json_object_object_add(body, "create_request", req);
	if (!c) {
		json_object_put(body);
		return vni_err(err, -ENOMEM, "cannot start an HTTP client (libcurl)");
	}
	/* a watch on a member without a leader goes silent unless asked to fail */
	hdr = C->slist_append(NULL, "Content-Type: application/json");
	hdr = C->slist_append(hdr, "Grpc-Metadata-hasleader: true");
	snprintf(url, sizeof(url), "http://%s/v3/watch", e->endpoint[e->current]);
	C->easy_setopt(c, CURLOPT_URL, url);
	C->easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
	C->easy_setopt(c, CURLOPT_POSTFIELDS, json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN));
	C->easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, CONNECT_TIMEOUT_MS);
	C->easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	C->easy_setopt(c, CURLOPT_NOPROXY, "*");
	C->easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
	C->easy_setopt(c, CURLOPT_WRITEFUNCTION, stream_data);
	C->easy_setopt(c, CURLOPT_WRITEDATA, &s);
	rc = C->easy_perform(c);
	C->slist_free_all(hdr);
	C->easy_cleanup(c);
	json_object_put(body);
	free(s.buf);
	if (s.stop)
		return 0;
	/* the next call starts at the next endpoint */
	e->current = (e->current + 1) % e->n;
	return vni_err(err, -EIO, "etcd watch ended: %s", C->easy_strerror(rc));
}
