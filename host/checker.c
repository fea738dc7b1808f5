/* checker.c — see check_internal.h: the framework every check of `conlab
 * check` is written in.  A check builds the strategy and workload entries
 * it wants (struct cl_plugref), runs them as a one-cell spec generated as
 * YAML and loaded by the real spec loader (so --param values are parsed and
 * range-checked as in a spec), one repetition forked and judged exactly as
 * `conlab run` does it (cl_run_rep_once), and says PASS, FAIL or SKIP. */
#include "check_internal.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rep.h"
#include "serve.h"
#include "spec.h"
#include "util.h"

void cl_plugref_init(struct cl_plugref *r, const char *name, const char *path)
{
    memset(r, 0, sizeof *r);
    r->name = name;
    r->path = path;
}

void cl_plugref_free(struct cl_plugref *r)
{
    for (size_t i = 0; i < r->n; i++)
        free(r->kv[i].value);
    r->n = 0;
}

/* Set key to value (printf-style), replacing an earlier value.  0, or -1
 * when the table is full. */
int cl_plugref_set(struct cl_plugref *r, const char *key, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *v = NULL;
    int len = vasprintf(&v, fmt, ap);
    va_end(ap);
    if (len < 0)
        return -1;
    for (size_t i = 0; i < r->n; i++)
        if (strcmp(r->kv[i].key, key) == 0) {
            free(r->kv[i].value);
            r->kv[i].value = v;
            return 0;
        }
    if (r->n == CL_PLUGREF_MAX) {
        free(v);
        return -1;
    }
    r->kv[r->n].key = key;
    r->kv[r->n].value = v;
    r->n++;
    return 0;
}

void cl_plugref_copy(struct cl_plugref *dst, const struct cl_plugref *src)
{
    cl_plugref_init(dst, src->name, src->path);
    for (size_t i = 0; i < src->n; i++)
        (void)cl_plugref_set(dst, src->kv[i].key, "%s", src->kv[i].value);
}

/* ---- the verdicts ----------------------------------------------------------- */

int cl_ck_selected(const struct cl_checker *ck, const char *name)
{
    if (!ck->only)
        return 1;
    size_t len = strlen(name);
    for (const char *p = ck->only; *p;) {
        size_t n = strcspn(p, ",");
        if (n == len && strncmp(p, name, n) == 0)
            return 1;
        p += n + (p[n] == ',');
    }
    return 0;
}

void cl_ck_pass(struct cl_checker *ck, const char *name, const char *fmt, ...)
{
    ck->passed++;
    printf("PASS %s", name);
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        fputs(" (", stdout);
        vprintf(fmt, ap);
        fputc(')', stdout);
        va_end(ap);
    }
    fputc('\n', stdout);
}

static void report(unsigned *counter, const char *word, const char *name,
                   const char *fmt, va_list ap)
{
    (*counter)++;
    printf("%s %s: ", word, name);
    vprintf(fmt, ap);
    fputc('\n', stdout);
}

void cl_ck_fail(struct cl_checker *ck, const char *name, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    report(&ck->failed, "FAIL", name, fmt, ap);
    va_end(ap);
}

void cl_ck_skip(struct cl_checker *ck, const char *name, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    report(&ck->skipped, "SKIP", name, fmt, ap);
    va_end(ap);
}

/* ---- generated specs --------------------------------------------------------- */

static void yaml_quoted(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            fputc('\\', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static void write_entry(FILE *f, const struct cl_plugref *r)
{
    fprintf(f, "  - %s:\n", r->name);
    if (r->path) {
        fputs("      plugin: ", f);
        yaml_quoted(f, r->path);
        fputc('\n', f);
    }
    for (size_t i = 0; i < r->n; i++)
        fprintf(f, "      %s: %s\n", r->kv[i].key, r->kv[i].value);
}

static char *spec_text(const struct cl_checker *ck, const struct cl_plugref *s,
                       const struct cl_plugref *w, const char *pinning)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return NULL;
    fprintf(f, "experiment: check\nrepeat: 1\nwarmup: 0\ntimeout: %.9gs\n"
               "seed: %llu\npinning: %s\nstrategies:\n",
            ck->timeout_s, (unsigned long long)ck->seed,
            pinning ? pinning : "none");
    write_entry(f, s);
    fputs("workloads:\n", f);
    write_entry(f, w);
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

/* Load a generated spec.  NULL with the loader's messages in why. */
struct cl_spec *cl_ck_load_spec(struct cl_checker *ck, const struct cl_plugref *s,
                                 const struct cl_plugref *w, const char *pinning,
                                 char *why, size_t whylen)
{
    char *text = spec_text(ck, s, w, pinning);
    if (!text) {
        snprintf(why, whylen, "cannot build a spec: %s", strerror(errno));
        return NULL;
    }
    struct cl_diags d = {0, 0, NULL};
    struct cl_plugin_lookup lk = cl_registry_lookup(&ck->reg);
    struct cl_spec *spec = NULL;
    if (cl_spec_load_string("<check>", text, strlen(text), &lk, &spec, &d) != 0) {
        why[0] = '\0';
        size_t used = 0;
        for (size_t i = 0; i < d.n && used + 1 < whylen; i++)
            used += (size_t)snprintf(why + used, whylen - used, "%s%s",
                                     i ? "; " : "", d.v[i].msg);
        if (!d.n)
            snprintf(why, whylen, "the generated spec did not load");
        spec = NULL;
    }
    cl_diags_free(&d);
    free(text);
    return spec;
}

/* ---- running one cell -------------------------------------------------------- */

void cl_ck_outcome_free(struct cl_outcome *o)
{
    if (o->mem.sh)
        cl_cellmem_unmap(&o->mem);
}

const char *cl_ck_builtin_url(struct cl_checker *ck, const struct cl_variant *w)
{
    if (!cl_rep_needs_server(w) || ck->server_failed)
        return NULL;
    if (!ck->server) {
        char err[512];
        char *exe = cl_exe_path();
        if (cl_server_spawn(&ck->server, exe ? exe : "/proc/self/exe",
                            ck->seed, err, sizeof err) != 0) {
            cl_log(CONLAB_LOG_ERROR, NULL, "built-in server: %s", err);
            ck->server = NULL;
            ck->server_failed = 1;
        }
        free(exe);
    }
    return ck->server ? cl_server_url(ck->server) : NULL;
}

/* Run strategy s x workload w once.  0 when it ran (o->row judged, o->mem
 * to be released by outcome_free), -1 when it could not (o->why). */
int cl_ck_run_cell(struct cl_checker *ck, const struct cl_plugref *s,
                    const struct cl_plugref *w, const char *pinning,
                    struct cl_outcome *o)
{
    memset(o, 0, sizeof *o);
    struct cl_spec *spec = cl_ck_load_spec(ck, s, w, pinning, o->why, sizeof o->why);
    if (!spec)
        return -1;
    const char *url = cl_ck_builtin_url(ck, &spec->workloads[0]);
    int rc = cl_run_rep_once(spec, 0, 0, ck->topo, url, &o->mem, &o->row);
    cl_spec_free(spec);
    if (rc != 0) {
        snprintf(o->why, sizeof o->why, "%s", o->row.detail);
        return -1;
    }
    const struct cl_shared *sh = o->mem.sh;
    o->n_workers = sh->n_workers;
    o->begun = atomic_load(&sh->workers_begun);
    o->ended = atomic_load(&sh->workers_ended);
    o->lost = atomic_load(&sh->workers_lost);
    o->init_failed = atomic_load(&sh->workers_init_failed);
    o->misuse = atomic_load(&sh->misuse);
    o->bad_index = atomic_load(&sh->bad_index);
    o->finished = sh->phase == CL_PHASE_FINISHED;
    o->run_status = sh->run_status;
    if (o->row.status == CL_ST_INTERRUPTED)
        ck->interrupted = 1;
    return 0;
}

/* "wrong: 1 tasks never ran", with the failure reasons when tasks failed. */
const char *cl_ck_describe(const struct cl_outcome *o, char *buf, size_t len)
{
    const struct cl_rep_row *r = &o->row;
    snprintf(buf, len, "%s: %s", cl_status_name(r->status),
             r->detail[0] ? r->detail : "no detail");
    if (r->reasons[0]) {
        size_t used = strlen(buf);
        snprintf(buf + used, len - used, " (reasons: %s)", r->reasons);
    }
    return buf;
}

/* Run a cell and report it as check `name`: PASS when the row is ok. */
void cl_ck_expect_ok(struct cl_checker *ck, const char *name,
                     const struct cl_plugref *s, const struct cl_plugref *w)
{
    struct cl_outcome o;
    char buf[2048];
    if (cl_ck_run_cell(ck, s, w, NULL, &o) != 0)
        cl_ck_fail(ck, name, "could not run: %s", o.why);
    else if (o.row.status != CL_ST_OK)
        cl_ck_fail(ck, name, "%s", cl_ck_describe(&o, buf, sizeof buf));
    else
        cl_ck_pass(ck, name, NULL);
    cl_ck_outcome_free(&o);
}

/* ---- helpers about plugins ----------------------------------------------------- */

/* Is plugin `name` of `kind` in the plugin path (and loadable)? */
int cl_ck_have(struct cl_checker *ck, enum conlab_kind kind, const char *name,
                char *why, size_t whylen)
{
    char err[1024];
    if (cl_registry_find(&ck->reg, kind, name, err, sizeof err))
        return 1;
    snprintf(why, whylen, "%s '%s' is not in the plugin path (%s)",
             cl_kind_name(kind), name, err);
    return 0;
}

/* The strategy's parameter that sets its number of workers, if any. */
static const struct conlab_param *worker_param(const struct cl_plugin *p)
{
    static const char *const names[] = {"workers", "concurrency", "threads",
                                        "processes"};
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++)
        for (size_t i = 0; p->desc.params && p->desc.params[i].name; i++) {
            const struct conlab_param *q = &p->desc.params[i];
            if (q->type == CONLAB_PARAM_INT && strcmp(q->name, names[k]) == 0)
                return q;
        }
    return NULL;
}

/* Ask the strategy under test for `want` workers (clamped to its range);
 * 0 when it has no such parameter. */
int cl_ck_set_workers(const struct cl_checker *ck, struct cl_plugref *r, long long want)
{
    const struct conlab_param *q = worker_param(ck->plugin);
    if (!q)
        return 0;
    if (q->min < q->max) {
        if ((double)want > q->max)
            want = (long long)q->max;
        if ((double)want < q->min)
            want = (long long)ceil(q->min);
    }
    return cl_plugref_set(r, q->name, "%lld", want) == 0;
}
