/* serve_route.c — `conlab serve`'s routes: what a request asks for (its
 * path and query, the delay drawn) and the response it gets.  See
 * serve_internal.h. */
#include "serve_internal.h"

#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "params.h" /* cl_parse_duration */
#include "serve.h" /* cl_serve_byte */
#include "util.h"

#define MAX_BODY ((uint64_t)1 << 30)       /* largest /bytes/N */
#define PATTERN_SPAN ((size_t)64 * 1024)   /* bodies up to this are static */
#define BLOCK_SIZE ((size_t)64 * 1024)     /* content reader block */

/* ------------------------------------------------------------------------ */
/* Bodies                                                                    */
/* ------------------------------------------------------------------------ */

/* The alphabet repeated: body byte k of /bytes/N is pattern[N % 26 + k]. */
static char pattern[PATTERN_SPAN + 26];
static pthread_once_t pattern_once = PTHREAD_ONCE_INIT;

static void pattern_init(void)
{
    for (size_t k = 0; k < sizeof pattern; k++)
        pattern[k] = (char)cl_serve_byte(0, k);
}

struct body {
    uint64_t n;     /* promised length (Content-Length) */
    uint64_t limit; /* bytes actually sent; < n for /reset */
};

static ssize_t read_body(void *cls, uint64_t pos, char *buf, size_t max)
{
    const struct body *b = cls;
    if (pos >= b->limit)
        return b->limit < b->n ? MHD_CONTENT_READER_END_WITH_ERROR
                               : MHD_CONTENT_READER_END_OF_STREAM;
    size_t len = max < PATTERN_SPAN ? max : PATTERN_SPAN;
    if (len > b->limit - pos)
        len = (size_t)(b->limit - pos);
    memcpy(buf, pattern + (b->n + pos) % 26, len);
    return (ssize_t)len;
}

/* n bytes promised, the first `limit` of them sent. */
static struct MHD_Response *body_response(uint64_t n, uint64_t limit)
{
    struct MHD_Response *r;
    if (limit == n && n <= PATTERN_SPAN) {
        r = MHD_create_response_from_buffer((size_t)n, pattern + n % 26,
                                            MHD_RESPMEM_PERSISTENT);
    } else {
        struct body *b = malloc(sizeof *b);
        if (!b)
            return NULL;
        *b = (struct body){n, limit};
        r = MHD_create_response_from_callback(n, BLOCK_SIZE, read_body, b, free);
        if (!r)
            free(b);
    }
    if (r && MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
                                     "application/octet-stream") != MHD_YES) {
        MHD_destroy_response(r);
        return NULL;
    }
    return r;
}

static struct MHD_Response *text_response(const char *text, const char *type)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(
        strlen(text), (void *)text, MHD_RESPMEM_MUST_COPY);
    if (r && type &&
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type) != MHD_YES) {
        MHD_destroy_response(r);
        return NULL;
    }
    return r;
}

void cl_srv_routes_init(void)
{
    pthread_once(&pattern_once, pattern_init);
}

/* ------------------------------------------------------------------------ */
/* Requests                                                                  */
/* ------------------------------------------------------------------------ */

static const char not_found_text[] =
    "not found; routes: /bytes/N /status/CODE /reset/N /stall /stats "
    "(query: delay=100ms dist=fixed|uniform|exponential i=K)\n";

int cl_srv_parse_u64(const char *s, uint64_t max, uint64_t *out)
{
    uint64_t v = 0;
    if (!*s)
        return -1;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return -1;
        unsigned d = (unsigned)(*s - '0');
        if (v > (max - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

static int bad(struct cl_srv_route *r, const char *fmt, const char *arg)
{
    r->kind = CL_SRV_BAD_REQUEST;
    snprintf(r->why, sizeof r->why, fmt, arg);
    return -1;
}

/* The path part of the route; the delay is drawn separately. */
int cl_srv_parse_path(const char *path, struct cl_srv_route *r)
{
    static const struct {
        const char *prefix;
        enum cl_srv_route_kind kind;
        uint64_t min, max;
        const char *what;
    } sized[] = {
        {"/bytes/", CL_SRV_BYTES, 0, MAX_BODY, "/bytes/N wants N from 0 to 1073741824, not '%s'\n"},
        {"/reset/", CL_SRV_RESET, 1, MAX_BODY, "/reset/N wants N from 1 to 1073741824, not '%s'\n"},
        {"/status/", CL_SRV_STATUS, 100, 599, "/status/CODE wants a CODE from 100 to 599, not '%s'\n"},
    };
    for (size_t i = 0; i < sizeof sized / sizeof sized[0]; i++) {
        size_t len = strlen(sized[i].prefix);
        if (strncmp(path, sized[i].prefix, len) != 0)
            continue;
        const char *arg = path + len;
        if (cl_srv_parse_u64(arg, sized[i].max, &r->n) != 0 || r->n < sized[i].min)
            return bad(r, sized[i].what, arg);
        r->kind = sized[i].kind;
        return 0;
    }
    if (!strcmp(path, "/stall"))
        r->kind = CL_SRV_STALL;
    else if (!strcmp(path, "/stats"))
        r->kind = CL_SRV_STATS;
    else
        r->kind = CL_SRV_NOT_FOUND;
    return 0;
}

/* splitmix64's finaliser: a good 64-bit mix. */
static uint64_t mix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15u;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9u;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebu;
    return x ^ (x >> 31);
}

/* The draw key of the connection's request in progress (the top bit set,
 * apart from every i=K). */
static uint64_t conn_key(const struct cl_srv_conn *cn)
{
    return (UINT64_C(1) << 63) | (mix64(cn->id) ^ cn->nreq);
}

/* A uniform draw in [0, 1) from (seed, path, key). */
static double draw_unit(uint64_t seed, const char *path, uint64_t key)
{
    uint64_t x = mix64(mix64(seed) ^ cl_fnv1a64(path, strlen(path)));
    x = mix64(x ^ key);
    return (double)(x >> 11) * 0x1p-53;
}

/* The query: delay=D, dist=..., i=K.  Fills r->delay; -1 makes r a 400. */
int cl_srv_parse_query(struct MHD_Connection *c, uint64_t seed,
                       const struct cl_srv_conn *cn, const char *path, struct cl_srv_route *r)
{
    const char *delay = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "delay");
    const char *dist = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "dist");
    const char *istr = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "i");
    double mean = 0;
    uint64_t i = 0;
    r->delay = 0;
    if (delay && (cl_parse_duration(delay, &mean) != 0 || mean > CL_SRV_MAX_DELAY_S))
        return bad(r, "delay wants a duration up to 1h such as 100ms, 1.5s, "
                      "250us, not '%s'\n", delay);
    if (istr && cl_srv_parse_u64(istr, UINT64_MAX, &i) != 0)
        return bad(r, "i wants a whole number, not '%s'\n", istr);
    if (!dist || !strcmp(dist, "fixed")) {
        r->delay = mean;
        return 0;
    }
    /* With i, the draw depends on (seed, path, i) only; else on the
     * connection and its request count (conn_key sets the top bit). */
    double u = draw_unit(seed, path, istr ? i : conn_key(cn));
    if (!strcmp(dist, "uniform"))
        r->delay = 2 * mean * u;
    else if (!strcmp(dist, "exponential"))
        r->delay = -mean * log1p(-u);
    else
        return bad(r, "dist wants fixed, uniform or exponential, not '%s'\n", dist);
    if (r->delay > CL_SRV_MAX_DELAY_S)
        r->delay = CL_SRV_MAX_DELAY_S;
    return 0;
}


/* ------------------------------------------------------------------------ */
/* Responses                                                                 */
/* ------------------------------------------------------------------------ */

struct MHD_Response *cl_srv_response(struct cl_srv *s, const struct cl_srv_route *r,
                                          unsigned *code)
{
    char text[192];
    *code = MHD_HTTP_OK;
    switch (r->kind) {
    case CL_SRV_BYTES:
        return body_response(r->n, r->n);
    case CL_SRV_RESET:
        return body_response(r->n, r->n / 2);
    case CL_SRV_STATUS:
        *code = (unsigned)r->n;
        /* 1xx, 204 and 304 carry no body. */
        if (r->n < 200 || r->n == 204 || r->n == 304)
            return text_response("", NULL);
        snprintf(text, sizeof text, "%u %s\n", *code, MHD_get_reason_phrase_for(*code));
        return text_response(text, "text/plain");
    case CL_SRV_STATS:
        snprintf(text, sizeof text,
                 "{\"connections\": %" PRIuFAST64 ", \"requests\": %" PRIuFAST64
                 ", \"active\": %" PRIdFAST64 "}\n",
                 atomic_load(&s->connections), atomic_load(&s->requests),
                 atomic_load(&s->active));
        return text_response(text, "application/json");
    case CL_SRV_NOT_FOUND:
        *code = MHD_HTTP_NOT_FOUND;
        return text_response(not_found_text, "text/plain");
    case CL_SRV_BAD_REQUEST:
        *code = MHD_HTTP_BAD_REQUEST;
        return text_response(r->why, "text/plain");
    case CL_SRV_BAD_METHOD: {
        *code = MHD_HTTP_METHOD_NOT_ALLOWED;
        struct MHD_Response *resp = text_response("only GET and HEAD\n", "text/plain");
        if (resp && MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW,
                                            "GET, HEAD") != MHD_YES) {
            MHD_destroy_response(resp);
            return NULL;
        }
        return resp;
    }
    case CL_SRV_STALL:
        break;
    }
    return NULL;
}
