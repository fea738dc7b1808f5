/* params.c — see params.h: plugin parameters, parsing values (numbers,
 * durations, sizes, enums, lists) against a plugin's declared table, storing
 * them into its config struct, defaults, and the one check of a table. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "params.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "suggest.h"
#include "yamltree.h"

/* ------------------------------------------------------------------------ */
/* Durations                                                                 */
/* ------------------------------------------------------------------------ */

int cl_parse_duration(const char *text, double *out)
{
    static const struct {
        const char *unit;
        double mul, div; /* divide for sub-second units: exact for 250ms */
    } units[] = {
        {"", 1, 1},     {"s", 1, 1},     {"ms", 1, 1e3}, {"us", 1, 1e6},
        {"\xc2\xb5s", 1, 1e6}, /* µs */  {"ns", 1, 1e9}, {"m", 60, 1},
        {"min", 60, 1}, {"h", 3600, 1},
    };
    if (!text)
        return -1;
    /* The number: digits, '.', an exponent; no sign, hex, inf or nan. */
    size_t span = strspn(text, "0123456789.eE+-");
    if (span == 0 || span >= 64 || !(text[0] == '.' || (text[0] >= '0' &&
                                                         text[0] <= '9')))
        return -1;
    char num[64];
    memcpy(num, text, span);
    num[span] = '\0';
    char *end;
    errno = 0;
    double v = strtod(num, &end);
    if (*end != '\0' || errno == ERANGE || !isfinite(v) || v < 0)
        return -1;
    const char *unit = text + span;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (strcmp(unit, units[i].unit) == 0) {
            v = v * units[i].mul / units[i].div;
            if (!isfinite(v))
                return -1;
            *out = v;
            return 0;
        }
    }
    return -1;
}


/* ------------------------------------------------------------------------ */
/* Parsing one value                                                         */
/* ------------------------------------------------------------------------ */

int cl_param_type_is_list(enum conlab_param_type t)
{
    return t == CONLAB_PARAM_INT_LIST || t == CONLAB_PARAM_STRING_LIST;
}

static size_t type_size(enum conlab_param_type t)
{
    switch (t) {
    case CONLAB_PARAM_INT: return sizeof(int64_t);
    case CONLAB_PARAM_DOUBLE:
    case CONLAB_PARAM_DURATION: return sizeof(double);
    case CONLAB_PARAM_BOOL: return sizeof(int);
    case CONLAB_PARAM_STRING:
    case CONLAB_PARAM_ENUM: return sizeof(const char *);
    case CONLAB_PARAM_INT_LIST: return sizeof(struct conlab_int_list);
    case CONLAB_PARAM_STRING_LIST: return sizeof(struct conlab_string_list);
    }
    return 0;
}

/* "expects an integer" ... for messages; enums list their choices. */
static const char *expectation(const struct conlab_param *p,
                               enum conlab_param_type t, char *buf,
                               size_t len)
{
    switch (t) {
    case CONLAB_PARAM_INT: return "an integer";
    case CONLAB_PARAM_DOUBLE: return "a number";
    case CONLAB_PARAM_DURATION: return "a duration (e.g. 250ms, 1.5s)";
    case CONLAB_PARAM_BOOL: return "true or false";
    case CONLAB_PARAM_STRING: return "a string";
    case CONLAB_PARAM_INT_LIST: return "a list of integers";
    case CONLAB_PARAM_STRING_LIST: return "a list of strings";
    case CONLAB_PARAM_ENUM: {
        size_t o = (size_t)snprintf(buf, len, "one of ");
        for (const char *c = p->choices ? p->choices : ""; *c && o + 3 < len;
             c++) {
            if (*c == '|') {
                buf[o++] = ',';
                buf[o++] = ' ';
            } else {
                buf[o++] = *c;
            }
        }
        buf[o < len ? o : len - 1] = '\0';
        return buf;
    }
    }
    return "a value";
}

static int type_error(const struct conlab_param *p, enum conlab_param_type t,
                      const struct cl_node *n, char *err, size_t errlen)
{
    char ebuf[256], dbuf[96];
    snprintf(err, errlen, "expects %s, got %s",
             expectation(p, t, ebuf, sizeof ebuf),
             cl_node_describe(n, dbuf, sizeof dbuf));
    return CL_PV_INVALID;
}

static int parse_int(const char *s, int64_t *out)
{
    const char *d = s + (*s == '+' || *s == '-');
    if (*d < '0' || *d > '9')
        return -1;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (*end != '\0' || errno == ERANGE)
        return -1;
    *out = v;
    return 0;
}

static int parse_double(const char *s, double *out)
{
    /* Decimal only: strtod would also take hex, "inf" and "nan". */
    if (!*s || strpbrk(s, "xXpPnNiI"))
        return -1;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (*end != '\0' || errno == ERANGE || !isfinite(v))
        return -1;
    *out = v;
    return 0;
}

static int parse_bool(const char *s, int *out)
{
    static const char *const yes[] = {"true", "yes", "on"};
    static const char *const no[] = {"false", "no", "off"};
    for (size_t i = 0; i < 3; i++) {
        if (strcasecmp(s, yes[i]) == 0) {
            *out = 1;
            return 0;
        }
        if (strcasecmp(s, no[i]) == 0) {
            *out = 0;
            return 0;
        }
    }
    return -1;
}

/* The choice of `p` equal to s (in the arena, for the config), or NULL. */
static int parse_enum(const struct conlab_param *p, const char *s,
                      struct cl_arena *a, const char **out, char *err,
                      size_t errlen)
{
    const char *choices = p->choices ? p->choices : "";
    size_t n = 1;
    for (const char *c = choices; *c; c++)
        n += *c == '|';
    const char **v = cl_arena_alloc(a, n * sizeof *v);
    char *copy = cl_arena_strdup(a, choices);
    if (!v || !copy)
        return CL_PV_NOMEM;
    size_t k = 0;
    for (char *save = NULL, *t = strtok_r(copy, "|", &save); t;
         t = strtok_r(NULL, "|", &save)) {
        v[k++] = t;
        if (strcmp(t, s) == 0) {
            *out = t;
            return CL_PV_OK;
        }
    }
    char ebuf[256];
    const char *near = cl_suggest(s, v, k);
    snprintf(err, errlen, "expects %s, got '%s'%s%s%s",
             expectation(p, CONLAB_PARAM_ENUM, ebuf, sizeof ebuf), s,
             near ? " (did you mean '" : "", near ? near : "",
             near ? "'?)" : "");
    return CL_PV_INVALID;
}

static int range_error(const struct conlab_param *p, enum conlab_param_type t,
                       double v, int64_t iv, char *err, size_t errlen)
{
    const char *u = t == CONLAB_PARAM_DURATION ? "s" : "";
    if (t == CONLAB_PARAM_INT)
        snprintf(err, errlen, "= %" PRId64 " is out of range [%.15g, %.15g]",
                 iv, p->min, p->max);
    else
        snprintf(err, errlen, "= %.15g%s is out of range [%.15g%s, %.15g%s]",
                 v, u, p->min, u, p->max, u);
    return CL_PV_INVALID;
}

static int out_of_range(const struct conlab_param *p, double v)
{
    return p->min < p->max && (v < p->min || v > p->max);
}

/* ---- URLs -------------------------------------------------------------- */

/* A STRING or STRING_LIST parameter named "url" or "urls" holds URLs: the
 * host checks them as the http workload would at create time, so that
 * `conlab validate` refuses what `conlab run` would. */
static int holds_urls(const struct conlab_param *p)
{
    return (p->type == CONLAB_PARAM_STRING ||
            p->type == CONLAB_PARAM_STRING_LIST) &&
           (strcmp(p->name, "url") == 0 || strcmp(p->name, "urls") == 0);
}

int cl_url_check(const char *url, char *err, size_t errlen)
{
    for (const unsigned char *c = (const unsigned char *)url; *c; c++)
        if (*c <= ' ' || *c == 0x7f) {
            snprintf(err, errlen, "it has a %s at byte %zu",
                     *c == ' ' ? "space" : *c == '\r' ? "CR" :
                     *c == '\n' ? "line feed" : "control character",
                     (size_t)(c - (const unsigned char *)url) + 1);
            return -1;
        }
    if (strncmp(url, "builtin:", 8) == 0) {
        if (url[8] == '/')
            return 0;
        snprintf(err, errlen, "a builtin: URL is builtin:/PATH");
        return -1;
    }
    const char *sep = strstr(url, "://");
    size_t slen = sep ? (size_t)(sep - url) : 0;
    if (!sep || !slen || strspn(url, "abcdefghijklmnopqrstuvwxyz"
                                     "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+.-")
                             < slen) {
        snprintf(err, errlen, "not a URL");
        return -1;
    }
    if (!((slen == 4 && strncasecmp(url, "http", 4) == 0) ||
          (slen == 5 && strncasecmp(url, "https", 5) == 0))) {
        snprintf(err, errlen, "scheme '%.*s' is not http, https or builtin",
                 (int)(slen > 32 ? 32 : slen), url);
        return -1;
    }
    if (strchr("/?#", sep[3])) { /* "/?#" holds the NUL too: no host */
        snprintf(err, errlen, "it has no host");
        return -1;
    }
    return 0;
}

static int url_value(const char *s, char *err, size_t errlen)
{
    char why[128], shown[128];
    if (cl_url_check(s, why, sizeof why) == 0)
        return CL_PV_OK;
    /* The value as written, control characters escaped: one line. */
    size_t o = 0;
    for (const unsigned char *c = (const unsigned char *)s;
         *c && o + 8 < sizeof shown; c++)
        o += (size_t)snprintf(shown + o, sizeof shown - o,
                              *c < ' ' || *c == 0x7f ? "\\x%02x" : "%c", *c);
    snprintf(err, errlen, "expects URLs such as http://HOST/PATH, "
             "https://HOST/PATH or builtin:/PATH, got '%s%s' (%s)", shown,
             strlen(s) > o ? "..." : "", why);
    return CL_PV_INVALID;
}

/* One scalar of type t (the element type, for lists) into out->i/d/b/s. */
static int parse_scalar(const struct conlab_param *p, enum conlab_param_type t,
                        const struct cl_node *n, struct cl_arena *a,
                        struct cl_pval *out, const struct cl_node **where,
                        char *err, size_t errlen)
{
    *where = n;
    if (n->kind != CL_NODE_SCALAR || cl_node_is_null(n))
        return type_error(p, t, n, err, errlen);
    const char *s = n->text;
    switch (t) {
    case CONLAB_PARAM_INT:
        if (parse_int(s, &out->i) != 0)
            return type_error(p, t, n, err, errlen);
        if (out_of_range(p, (double)out->i))
            return range_error(p, t, 0, out->i, err, errlen);
        return CL_PV_OK;
    case CONLAB_PARAM_DOUBLE:
    case CONLAB_PARAM_DURATION:
        if ((t == CONLAB_PARAM_DOUBLE ? parse_double(s, &out->d)
                                      : cl_parse_duration(s, &out->d)) != 0)
            return type_error(p, t, n, err, errlen);
        if (out_of_range(p, out->d))
            return range_error(p, t, out->d, 0, err, errlen);
        return CL_PV_OK;
    case CONLAB_PARAM_BOOL:
        if (parse_bool(s, &out->b) != 0)
            return type_error(p, t, n, err, errlen);
        return CL_PV_OK;
    case CONLAB_PARAM_STRING:
        out->s = s;
        return holds_urls(p) ? url_value(s, err, errlen) : CL_PV_OK;
    case CONLAB_PARAM_ENUM:
        return parse_enum(p, s, a, &out->s, err, errlen);
    case CONLAB_PARAM_INT_LIST:
    case CONLAB_PARAM_STRING_LIST:
        break;
    }
    return type_error(p, t, n, err, errlen);
}

/* Normalised text of a scalar value, in the arena. */
static const char *scalar_text(struct cl_arena *a, enum conlab_param_type t,
                               const struct cl_pval *v)
{
    char buf[64];
    switch (t) {
    case CONLAB_PARAM_INT:
        snprintf(buf, sizeof buf, "%" PRId64, v->i);
        break;
    case CONLAB_PARAM_DOUBLE:
    case CONLAB_PARAM_DURATION:
        snprintf(buf, sizeof buf, "%.15g", v->d);
        break;
    case CONLAB_PARAM_BOOL:
        return v->b ? "true" : "false";
    default:
        return v->s;
    }
    return cl_arena_strdup(a, buf);
}

static const char *join_texts(struct cl_arena *a, const char **t, size_t n)
{
    size_t len = 0;
    for (size_t i = 0; i < n; i++)
        len += strlen(t[i]) + 1;
    char *s = cl_arena_alloc(a, len + 1), *o = s;
    if (!s)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        if (i)
            *o++ = ';';
        size_t l = strlen(t[i]);
        memcpy(o, t[i], l);
        o += l;
    }
    *o = '\0';
    return s;
}

static int parse_list(const struct conlab_param *p, const struct cl_node *n,
                      struct cl_arena *a, struct cl_pval *out,
                      const struct cl_node **where, char *err, size_t errlen)
{
    enum conlab_param_type et = p->type == CONLAB_PARAM_INT_LIST
                                    ? CONLAB_PARAM_INT
                                    : CONLAB_PARAM_STRING;
    *where = n;
    size_t count;
    const struct cl_node *first;
    if (n->kind == CL_NODE_SEQ) {
        count = n->n;
        first = n->first;
    } else if (n->kind == CL_NODE_SCALAR && !cl_node_is_null(n)) {
        count = 1; /* a single value is a list of one */
        first = n;
    } else {
        return type_error(p, p->type, n, err, errlen);
    }
    if (count == 0 && holds_urls(p)) {
        snprintf(err, errlen, "is an empty list; give at least one URL");
        return CL_PV_INVALID;
    }
    const char **texts = cl_arena_alloc(a, (count + 1) * sizeof *texts);
    int64_t *iv = cl_arena_alloc(a, (count + 1) * sizeof *iv);
    const char **sv = cl_arena_alloc(a, (count + 1) * sizeof *sv);
    if (!texts || !iv || !sv)
        return CL_PV_NOMEM;
    size_t k = 0;
    for (const struct cl_node *e = first; k < count; e = e->next, k++) {
        struct cl_pval ev = {.type = et};
        int rc = parse_scalar(p, et, e, a, &ev, where, err, errlen);
        if (rc != CL_PV_OK)
            return rc;
        iv[k] = ev.i;
        sv[k] = ev.s;
        if (!(texts[k] = scalar_text(a, et, &ev)))
            return CL_PV_NOMEM;
    }
    out->n = count;
    if (et == CONLAB_PARAM_INT)
        out->iv = iv;
    else
        out->sv = sv;
    out->text = join_texts(a, texts, count);
    return out->text ? CL_PV_OK : CL_PV_NOMEM;
}

int cl_pval_parse(const struct conlab_param *p, const struct cl_node *n,
                  struct cl_arena *a, struct cl_pval *out,
                  const struct cl_node **where, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    out->type = p->type;
    if (cl_param_type_is_list(p->type))
        return parse_list(p, n, a, out, where, err, errlen);
    int rc = parse_scalar(p, p->type, n, a, out, where, err, errlen);
    if (rc != CL_PV_OK)
        return rc;
    out->text = scalar_text(a, p->type, out);
    return out->text ? CL_PV_OK : CL_PV_NOMEM;
}

int cl_pval_default(const struct conlab_param *p, struct cl_arena *a,
                    struct cl_pval *out, char *err, size_t errlen)
{
    struct cl_diags d = {0};
    struct cl_node *root = NULL;
    int rc = cl_yaml_parse("default", p->def, strlen(p->def), a, &d, &root);
    if (rc != 0 || d.n) {
        snprintf(err, errlen,
                 "parameter '%s' has a default that is not valid YAML "
                 "('%s': %s)",
                 p->name, p->def, d.n ? d.v[0].msg : "out of memory");
        cl_diags_free(&d);
        return CL_PV_INVALID;
    }
    if (!root || cl_node_is_null(root)) {
        /* An empty default: "" for strings, [] for lists. */
        memset(out, 0, sizeof *out);
        out->type = p->type;
        out->s = out->text = "";
        if (p->type == CONLAB_PARAM_STRING || cl_param_type_is_list(p->type))
            return CL_PV_OK;
        snprintf(err, errlen, "parameter '%s' has an empty default",
                 p->name);
        return CL_PV_INVALID;
    }
    char msg[512];
    const struct cl_node *where;
    rc = cl_pval_parse(p, root, a, out, &where, msg, sizeof msg);
    if (rc == CL_PV_INVALID)
        snprintf(err, errlen, "parameter '%s' has an invalid default '%s' "
                 "(%s)", p->name, p->def, msg);
    else if (rc == CL_PV_NOMEM)
        snprintf(err, errlen, "out of memory");
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Storing into the config                                                   */
/* ------------------------------------------------------------------------ */

int cl_pval_store(const struct conlab_param *p, const struct cl_pval *v,
                  void *config, struct cl_arena *a)
{
    unsigned char *dst = (unsigned char *)config + p->offset;
    switch (p->type) {
    case CONLAB_PARAM_INT:
        memcpy(dst, &v->i, sizeof v->i);
        return CL_PV_OK;
    case CONLAB_PARAM_DOUBLE:
    case CONLAB_PARAM_DURATION:
        memcpy(dst, &v->d, sizeof v->d);
        return CL_PV_OK;
    case CONLAB_PARAM_BOOL:
        memcpy(dst, &v->b, sizeof v->b);
        return CL_PV_OK;
    case CONLAB_PARAM_STRING:
    case CONLAB_PARAM_ENUM: {
        const char *s = cl_arena_strdup(a, v->s);
        if (!s)
            return CL_PV_NOMEM;
        memcpy(dst, &s, sizeof s);
        return CL_PV_OK;
    }
    case CONLAB_PARAM_INT_LIST: {
        struct conlab_int_list l = {v->n, NULL};
        if (v->n) {
            int64_t *c = cl_arena_alloc(a, v->n * sizeof *c);
            if (!c)
                return CL_PV_NOMEM;
            memcpy(c, v->iv, v->n * sizeof *c);
            l.v = c;
        }
        memcpy(dst, &l, sizeof l);
        return CL_PV_OK;
    }
    case CONLAB_PARAM_STRING_LIST: {
        struct conlab_string_list l = {v->n, NULL};
        if (v->n) {
            const char **c = cl_arena_alloc(a, v->n * sizeof *c);
            if (!c)
                return CL_PV_NOMEM;
            for (size_t i = 0; i < v->n; i++)
                if (!(c[i] = cl_arena_strdup(a, v->sv[i])))
                    return CL_PV_NOMEM;
            l.v = c;
        }
        memcpy(dst, &l, sizeof l);
        return CL_PV_OK;
    }
    }
    return CL_PV_INVALID;
}

/* ------------------------------------------------------------------------ */
/* Tables and defaults                                                       */
/* ------------------------------------------------------------------------ */

/* A parameter name: [a-z0-9_-], 1 to 64 characters (as plugin names). */
static int valid_param_name(const char *s)
{
    size_t len = strlen(s);
    return len >= 1 && len <= 64 &&
           strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_-") == len;
}

_Static_assert(CL_PARAM_SIZE_1_0 == sizeof(struct conlab_param),
               "struct conlab_param grew: the 1.0 size is no longer sizeof; "
               "copy only CL_PARAM_SIZE_1_0 bytes of 1.0 entries");

size_t cl_param_stride(const struct conlab_plugin *p)
{
    return p->param_size ? p->param_size : CL_PARAM_SIZE_1_0;
}

const struct conlab_param *cl_param_at(const struct conlab_plugin *p, size_t i)
{
    return (const struct conlab_param *)((const char *)p->params +
                                         i * cl_param_stride(p));
}

/* The stride is one the host can walk: no shorter than a 1.0 entry, and
 * keeping every entry aligned. */
static int check_stride(const struct conlab_plugin *pl, char *err, size_t errlen)
{
    size_t stride = cl_param_stride(pl);
    if (stride < CL_PARAM_SIZE_1_0 ||
        stride % _Alignof(struct conlab_param) != 0) {
        snprintf(err, errlen, "param_size %zu is not a parameter entry's size "
                 "(at least ABI 1.0's %zu and a multiple of %zu; "
                 "CONLAB_PLUGIN_HEADER sets it)", stride,
                 (size_t)CL_PARAM_SIZE_1_0,
                 (size_t)_Alignof(struct conlab_param));
        return -1;
    }
    return 0;
}

int cl_params_check(const struct conlab_plugin *pl, char *err, size_t errlen)
{
    if (pl->params && check_stride(pl, err, errlen) != 0)
        return -1;
    for (size_t i = 0; pl->params && cl_param_at(pl, i)->name; i++) {
        const struct conlab_param *p = cl_param_at(pl, i);
        size_t sz = type_size(p->type);
        if (i >= CL_MAX_PARAMS) {
            snprintf(err, errlen, "more than %d parameters (is the table "
                     "missing CONLAB_PARAM_END?)", CL_MAX_PARAMS);
            return -1;
        }
        if (!valid_param_name(p->name)) {
            snprintf(err, errlen, "parameter %zu has an invalid name '%s' "
                     "(use [a-z0-9_-], at most 64)", i + 1, p->name);
            return -1;
        }
        if (strcmp(p->name, "plugin") == 0 || strcmp(p->name, "tasks") == 0) {
            snprintf(err, errlen, "parameter name '%s' is reserved by the "
                     "host", p->name);
            return -1;
        }
        for (size_t j = 0; j < i; j++) {
            if (strcmp(cl_param_at(pl, j)->name, p->name) == 0) {
                snprintf(err, errlen, "parameter '%s' is declared twice",
                         p->name);
                return -1;
            }
        }
        if (!sz) {
            snprintf(err, errlen, "parameter '%s' has unknown type %d",
                     p->name, (int)p->type);
            return -1;
        }
        if (p->offset > pl->config_size || sz > pl->config_size - p->offset) {
            snprintf(err, errlen, "parameter '%s' (offset %zu, %zu bytes) "
                     "does not fit the %zu-byte config (outside config_size)",
                     p->name, p->offset, sz, pl->config_size);
            return -1;
        }
        if (p->type == CONLAB_PARAM_ENUM && (!p->choices || !*p->choices)) {
            snprintf(err, errlen, "enum parameter '%s' lists no choices",
                     p->name);
            return -1;
        }
    }
    return 0;
}

int cl_params_defaults(const struct conlab_plugin *p, void **config,
                       void **arena, char *err, size_t errlen)
{
    *config = NULL;
    *arena = NULL;
    if (cl_params_check(p, err, errlen) != 0)
        return -1;
    void *cfg = calloc(1, p->config_size ? p->config_size : 1);
    struct cl_arena *ar = cl_arena_new(), *tmp = cl_arena_new();
    int rc = (cfg && ar && tmp) ? CL_PV_OK : CL_PV_NOMEM;
    for (size_t i = 0; rc == CL_PV_OK && p->params && cl_param_at(p, i)->name;
         i++) {
        const struct conlab_param *q = cl_param_at(p, i);
        struct cl_pval v;
        if (!q->def)
            continue; /* required: no default, left zeroed */
        rc = cl_pval_default(q, tmp, &v, err, errlen);
        if (rc == CL_PV_OK)
            rc = cl_pval_store(q, &v, cfg, ar);
    }
    cl_arena_free(tmp);
    if (rc != CL_PV_OK) {
        if (rc == CL_PV_NOMEM)
            snprintf(err, errlen, "out of memory");
        free(cfg);
        cl_arena_free(ar);
        return -1;
    }
    *config = cfg;
    *arena = ar;
    return 0;
}

void cl_params_free(void *config, void *arena)
{
    free(config);
    cl_arena_free(arena);
}

int cl_parse_size(const char *text, uint64_t *out)
{
    static const struct {
        const char *unit;
        double mult;
    } units[] = {{"", 1},           {"B", 1},
                 {"KiB", 1024.0},   {"MiB", 1048576.0},
                 {"GiB", 1073741824.0}, {"TiB", 1099511627776.0},
                 {"PiB", 1125899906842624.0},
                 {"EiB", 1152921504606846976.0},
                 {"kB", 1e3},       {"KB", 1e3},
                 {"MB", 1e6},       {"GB", 1e9},
                 {"TB", 1e12},      {"PB", 1e15},
                 {"EB", 1e18},      {"K", 1024.0},
                 {"M", 1048576.0},  {"G", 1073741824.0},
                 {"T", 1099511627776.0}, {"P", 1125899906842624.0},
                 {"E", 1152921504606846976.0}};
    if (!text || !*text || *text == '-' || *text == '+')
        return -1;
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (end == text || errno == ERANGE || !(v >= 0))
        return -1;
    while (*end == ' ')
        end++;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (strcmp(end, units[i].unit) == 0) {
            double b = v * units[i].mult;
            if (!(b < 18446744073709551616.0)) /* 2^64: past UINT64_MAX */
                return -1;
            *out = (uint64_t)b;
            return 0;
        }
    return -1;
}
