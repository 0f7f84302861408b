/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A small client of etcd's v3 API as JSON over HTTP (the gRPC gateway every
 * etcd 3.4 serves under /v3/), with libcurl and json-c: POST a request,
 * get the response. Several endpoints: a request that cannot reach one
 * goes to the next. Every request is bounded in time (connect 1 s, whole
 * request 3 s), so an unreachable registry fails in seconds. A request
 * that was sent and timed out is not sent again (it may have been applied):
 * the caller reads back. Keys and
 * values travel base64-encoded (glibc's b64_ntop/b64_pton).
 */
#ifndef VNI_ETCD_H
#define VNI_ETCD_H

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>

struct etcd;

/* endpoints: "HOST:PORT[,HOST:PORT...]". */
int etcd_open(const char *endpoints, struct etcd **out, char *err);
void etcd_close(struct etcd *e);

/* POSTs body (consumed) to /v3/PATH ("kv/txn"); *resp is the parsed reply
 * (json_object_put it). An HTTP error or an error reply is -EIO with
 * etcd's message; no endpoint reachable: -EHOSTUNREACH naming them. */
int etcd_call(struct etcd *e, const char *path, json_object *body, json_object **resp,
	      char *err);

/* Watches keys from key up to range_end (base64 JSON strings, consumed) from
 * revision start (0: now), on a connection of its own (a thread may run it
 * while others use e): calls on_events(result, arg) for every reply with
 * events; returns when the stream ends or fails (-EIO), or when on_events
 * returns non-zero; also once for the reply that says the watch exists. No
 * overall time limit: a watch waits. */
int etcd_watch(struct etcd *e, json_object *key, json_object *range_end, int64_t start,
	       int (*on_events)(json_object *result, void *arg), void *arg, char *err);

/* A JSON string of the base64 of s (len bytes; -1: strlen). */
json_object *etcd_b64(const char *s, int len);
/* The decoded value of a base64 JSON field into buf (NUL-terminated);
 * bytes, or -1 when absent or too long. */
int etcd_unb64(json_object *o, const char *field, char *buf, size_t n);
/* An int64 field (etcd sends them as strings); 0 when absent. */
int64_t etcd_int(json_object *o, const char *field);

#endif
