/* merge.c — see merge.h.
 *
 * A sharded run is DIR/shard-0 ... DIR/shard-<N-1>, each an ordinary run
 * directory of `conlab run --shard I/N`.  Merging reads every shard back
 * with the same reader `--resume` uses (so exactly the cells a shard
 * finished count, with their measured rows), refuses shards of another spec,
 * names the cells no shard finished, and writes DIR/results.csv,
 * DIR/summary.csv and DIR/tasks.csv with the writers `conlab run` uses:
 * the summary (statistics, speedups against `sequential`) is computed again
 * from the merged rows, never pasted from the shards' summaries. */
#include "merge.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "dirlock.h"
#include "results.h"
#include "resume.h"
#include "cli.h"
#include "specload.h"
#include "stats.h"
#include "util.h"

static void spec_hash(const struct cl_spec *spec, char *buf, size_t len)
{
    snprintf(buf, len, "fnv1a64:%016" PRIx64, cl_fnv1a64(spec->text, spec->text_len));
}

/* ---- YAML in ----------------------------------------------------------------- */

int cl_ydoc_load(struct cl_ydoc *d, const char *path, char *err, size_t errlen)
{
    memset(d, 0, sizeof *d);
    FILE *f = fopen(path, "r");
    if (!f) {
        int e = errno;
        snprintf(err, errlen, "cannot read %s: %s", path, strerror(e));
        errno = e;
        return -1;
    }
    yaml_parser_t p;
    if (!yaml_parser_initialize(&p)) {
        fclose(f);
        snprintf(err, errlen, "cannot read %s: out of memory", path);
        errno = ENOMEM;
        return -1;
    }
    yaml_parser_set_input_file(&p, f);
    int ok = yaml_parser_load(&p, &d->doc);
    if (!ok)
        snprintf(err, errlen, "%s:%zu:%zu: %s", path, p.problem_mark.line + 1,
                 p.problem_mark.column + 1, p.problem ? p.problem : "invalid YAML");
    else if (!yaml_document_get_root_node(&d->doc)) {
        snprintf(err, errlen, "%s: empty", path);
        yaml_document_delete(&d->doc);
        ok = 0;
    }
    yaml_parser_delete(&p);
    fclose(f);
    d->loaded = ok;
    if (!ok)
        errno = EINVAL;
    return ok ? 0 : -1;
}

void cl_ydoc_free(struct cl_ydoc *d)
{
    if (d->loaded)
        yaml_document_delete(&d->doc);
    d->loaded = 0;
}

yaml_node_t *cl_ydoc_get(struct cl_ydoc *d, yaml_node_t *map, const char *key)
{
    if (!d->loaded)
        return NULL;
    if (!map)
        map = yaml_document_get_root_node(&d->doc);
    if (!map || map->type != YAML_MAPPING_NODE)
        return NULL;
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
         p < map->data.mapping.pairs.top; p++) {
        yaml_node_t *k = yaml_document_get_node(&d->doc, p->key);
        if (k && k->type == YAML_SCALAR_NODE &&
            strcmp((const char *)k->data.scalar.value, key) == 0)
            return yaml_document_get_node(&d->doc, p->value);
    }
    return NULL;
}

const char *cl_ydoc_str(struct cl_ydoc *d, yaml_node_t *map, const char *key)
{
    yaml_node_t *n = cl_ydoc_get(d, map, key);
    return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

/* ---- YAML out ---------------------------------------------------------------- */

static void yemit(struct cl_yout *y)
{
    if (y->ok && !yaml_emitter_emit(&y->e, &y->ev))
        y->ok = 0;
    else if (!y->ok)
        yaml_event_delete(&y->ev);
}

static int yout_write(void *data, unsigned char *buf, size_t size)
{
    return fwrite(buf, 1, size, data) == size;
}

int cl_yout_open(struct cl_yout *y, const char *path)
{
    memset(y, 0, sizeof *y);
    y->path = cl_xstrdup(path);
    y->tmp = cl_xasprintf("%s.tmp.%ld", path, (long)getpid());
    y->f = fopen(y->tmp, "w");
    if (!y->f) {
        int e = errno;
        free(y->path);
        free(y->tmp);
        errno = e;
        return -1;
    }
    y->ok = yaml_emitter_initialize(&y->e);
    if (!y->ok) {
        fclose(y->f);
        unlink(y->tmp);
        free(y->path);
        free(y->tmp);
        errno = ENOMEM;
        return -1;
    }
    yaml_emitter_set_output(&y->e, yout_write, y->f);
    yaml_emitter_set_unicode(&y->e, 1);
    yaml_emitter_set_width(&y->e, 100);
    yaml_stream_start_event_initialize(&y->ev, YAML_UTF8_ENCODING);
    yemit(y);
    yaml_document_start_event_initialize(&y->ev, NULL, NULL, NULL, 1);
    yemit(y);
    cl_yout_map_start(y);
    return 0;
}

static void yscalar(struct cl_yout *y, const char *s, yaml_scalar_style_t style)
{
    if (!s)
        s = "";
    if (!yaml_scalar_event_initialize(&y->ev, NULL, NULL, (yaml_char_t *)s,
                                      (int)strlen(s), 1, 1, style)) {
        y->ok = 0;
        return;
    }
    yemit(y);
}

void cl_yout_scalar(struct cl_yout *y, const char *s)
{
    yscalar(y, s, YAML_ANY_SCALAR_STYLE);
}

void cl_yout_literal(struct cl_yout *y, const char *s)
{
    yscalar(y, s, YAML_LITERAL_SCALAR_STYLE);
}

void cl_yout_kv(struct cl_yout *y, const char *key, const char *value)
{
    cl_yout_scalar(y, key);
    cl_yout_scalar(y, value);
}

void cl_yout_kvf(struct cl_yout *y, const char *key, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    cl_yout_kv(y, key, buf);
}

void cl_yout_map_start(struct cl_yout *y)
{
    yaml_mapping_start_event_initialize(&y->ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE);
    yemit(y);
}

void cl_yout_map_end(struct cl_yout *y)
{
    yaml_mapping_end_event_initialize(&y->ev);
    yemit(y);
}

void cl_yout_seq_start(struct cl_yout *y, int flow)
{
    yaml_sequence_start_event_initialize(&y->ev, NULL, NULL, 1,
                                         flow ? YAML_FLOW_SEQUENCE_STYLE
                                              : YAML_BLOCK_SEQUENCE_STYLE);
    yemit(y);
}

void cl_yout_seq_end(struct cl_yout *y)
{
    yaml_sequence_end_event_initialize(&y->ev);
    yemit(y);
}

void cl_yout_node(struct cl_yout *y, struct cl_ydoc *d, yaml_node_t *n)
{
    if (!n) {
        cl_yout_scalar(y, "");
        return;
    }
    switch (n->type) {
    case YAML_SCALAR_NODE:
        yscalar(y, (const char *)n->data.scalar.value,
                n->data.scalar.style == YAML_LITERAL_SCALAR_STYLE
                    ? YAML_LITERAL_SCALAR_STYLE : YAML_ANY_SCALAR_STYLE);
        return;
    case YAML_SEQUENCE_NODE:
        cl_yout_seq_start(y, n->data.sequence.style == YAML_FLOW_SEQUENCE_STYLE);
        for (yaml_node_item_t *i = n->data.sequence.items.start;
             i < n->data.sequence.items.top; i++)
            cl_yout_node(y, d, yaml_document_get_node(&d->doc, *i));
        cl_yout_seq_end(y);
        return;
    case YAML_MAPPING_NODE:
        cl_yout_map_start(y);
        for (yaml_node_pair_t *p = n->data.mapping.pairs.start;
             p < n->data.mapping.pairs.top; p++) {
            cl_yout_node(y, d, yaml_document_get_node(&d->doc, p->key));
            cl_yout_node(y, d, yaml_document_get_node(&d->doc, p->value));
        }
        cl_yout_map_end(y);
        return;
    case YAML_NO_NODE:
        break;
    }
    cl_yout_scalar(y, "");
}

int cl_yout_close(struct cl_yout *y)
{
    cl_yout_map_end(y);
    yaml_document_end_event_initialize(&y->ev, 1);
    yemit(y);
    yaml_stream_end_event_initialize(&y->ev);
    yemit(y);
    int ok = y->ok;
    yaml_emitter_delete(&y->e);
    ok = fflush(y->f) == 0 && !ferror(y->f) && fsync(fileno(y->f)) == 0 && ok;
    ok = fclose(y->f) == 0 && ok;
    if (ok && rename(y->tmp, y->path) != 0)
        ok = 0;
    if (!ok)
        unlink(y->tmp);
    free(y->tmp);
    free(y->path);
    return ok ? 0 : -1;
}

/* ---- shard directories --------------------------------------------------------- */

/* Rows of summary.csv whose cell finished (as --resume counts them). */
static size_t count_done(const char *dir)
{
    char *path = cl_xasprintf("%s/summary.csv", dir);
    FILE *f = fopen(path, "r");
    free(path);
    if (!f)
        return 0;
    struct cl_csv_row hdr, row;
    size_t n = 0;
    if (cl_csv_read(f, &hdr) == 1) {
        long col = -1;
        for (size_t i = 0; i < hdr.n; i++)
            if (strcmp(hdr.f[i], "status") == 0)
                col = (long)i;
        while (cl_csv_read(f, &row) == 1) {
            if (col >= 0 && (size_t)col < row.n &&
                strcmp(row.f[col], cl_status_name(CL_ST_INTERRUPTED)) != 0)
                n++;
            cl_csv_row_free(&row);
        }
        cl_csv_row_free(&hdr);
    }
    fclose(f);
    return n;
}

void cl_shard_read(struct cl_shard *s, const char *dir, long number)
{
    memset(s, 0, sizeof *s);
    s->dir = cl_xstrdup(dir);
    s->number = number;
    struct stat st;
    s->exists = stat(dir, &st) == 0 && S_ISDIR(st.st_mode);
    if (!s->exists) {
        snprintf(s->why, sizeof s->why, "no directory %s", dir);
        return;
    }
    char *path = cl_xasprintf("%s/run.yaml", dir);
    char err[400];
    if (cl_ydoc_load(&s->run, path, err, sizeof err) != 0) {
        snprintf(s->why, sizeof s->why, "%s", errno == ENOENT ? "no run.yaml yet" : err);
        free(path);
        return;
    }
    free(path);
    s->has_run = 1;
    s->state = cl_ydoc_str(&s->run, NULL, "state");
    s->hash = cl_ydoc_str(&s->run, NULL, "spec_hash");
    const char *sh = cl_ydoc_str(&s->run, NULL, "shard");
    if (sh && sscanf(sh, "%u/%u", &s->shard, &s->shards) != 2)
        s->shard = s->shards = 0;
    const char *cells = cl_ydoc_str(&s->run, NULL, "cells");
    s->cells = cells ? strtoul(cells, NULL, 10) : 0;
    s->cells_done = count_done(dir);
}

void cl_shard_free(struct cl_shard *s)
{
    cl_ydoc_free(&s->run);
    free(s->dir);
    s->dir = NULL;
}

int cl_shard_done(const struct cl_shard *s)
{
    return s->has_run && s->state && strcmp(s->state, "complete") == 0 &&
           s->cells_done >= s->cells;
}

static int by_number(const void *a, const void *b)
{
    const struct cl_shard *x = a, *y = b;
    if (x->number != y->number)
        return x->number < y->number ? -1 : 1;
    return strcmp(x->dir, y->dir);
}

int cl_shards_scan(const char *dir, struct cl_shard **out, size_t *n,
                   char *err, size_t errlen)
{
    *out = NULL;
    *n = 0;
    DIR *d = opendir(dir);
    if (!d) {
        snprintf(err, errlen, "cannot read %s: %s", dir, strerror(errno));
        return -1;
    }
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strncmp(e->d_name, "shard-", 6) != 0)
            continue;
        char *path = cl_xasprintf("%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
            char *end = NULL;
            long k = strtol(e->d_name + 6, &end, 10);
            if (!isdigit((unsigned char)e->d_name[6]) || *end)
                k = -1;
            *out = cl_xrealloc(*out, (*n + 1) * sizeof **out);
            cl_shard_read(&(*out)[(*n)++], path, k);
        }
        free(path);
    }
    closedir(d);
    if (*n > 1)
        qsort(*out, *n, sizeof **out, by_number);
    return 0;
}

void cl_iso_time(double t, char *buf, size_t len)
{
    time_t s = (time_t)t;
    struct tm tm;
    localtime_r(&s, &tm);
    strftime(buf, len, "%Y-%m-%dT%H:%M:%S%z", &tm);
}

/* Seconds since the epoch of an ISO time run.yaml wrote, or NAN. */
static double parse_iso(const char *s)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    const char *end = s ? strptime(s, "%Y-%m-%dT%H:%M:%S%z", &tm) : NULL;
    if (!end || *end)
        return NAN;
    long off = tm.tm_gmtoff;
    return (double)(timegm(&tm) - off);
}

/* ---- merging ------------------------------------------------------------------- */

struct merge {
    const char *dir;
    struct cl_shard *shards;
    size_t n_shards;
    struct cl_spec *spec;
    char *spec_from;        /* where the spec came from, for messages */
    struct cl_cell *cells;  /* every cell of the spec, run order */
    size_t n_cells;
    long *src;              /* per cell: the shard it came from, or -1 */
    unsigned n_split;       /* N when every shard says the same I/N, else 0 */
    int quiet;
};

static const char merge_help[] =
    "usage: conlab merge DIR [--spec SPEC] [--quiet]\n"
    "\n"
    "Merges the shards of one run: every DIR/shard-*/ that `conlab run --shard\n"
    "I/N -o DIR/shard-<I-1>` wrote, on this machine or as a Slurm array task\n"
    "(`conlab slurm` does it for you), into DIR/results.csv, DIR/summary.csv,\n"
    "DIR/run.yaml and DIR/tasks.csv (when the shards have them).  The summary\n"
    "is computed from the merged rows: speedups compare against `sequential`\n"
    "of the same workload even when it ran in another shard.\n"
    "\n"
    "The cells come from DIR/spec.yaml (written by `conlab slurm`), or SPEC,\n"
    "or else the spec recorded in the shards' run.yaml.  Shards made from a\n"
    "different spec are refused, as is a cell finished by two shards.  Cells\n"
    "no shard finished are named, with the shard that should have run them;\n"
    "what there is gets merged all the same (run.yaml: state incomplete).\n"
    "Merging again after more shards finished replaces the merged files.\n"
    "\n"
    "  -s, --spec SPEC   the experiment the shards ran\n"
    "  -q, --quiet       no summary table\n"
    "\n"
    "Exit status: 0 every cell merged and ok; 1 some cell missing or not ok;\n"
    "2 bad command line, no shards, shards of different specs, DIR being\n"
    "written by another conlab (DIR/.lock says who); 3 the merged files could\n"
    "not be written.\n";

/* Shards must all come from the spec; the message names every one that
 * does not. */
static int check_hashes(const struct merge *m)
{
    char want[64];
    spec_hash(m->spec, want, sizeof want);
    int bad = 0;
    for (size_t i = 0; i < m->n_shards; i++) {
        const struct cl_shard *s = &m->shards[i];
        if (!s->has_run || (s->hash && strcmp(s->hash, want) == 0))
            continue;
        if (!bad)
            fprintf(stderr, "conlab merge: refusing to mix runs of different "
                    "specs: %s is %s\n", m->spec_from, want);
        fprintf(stderr, "  %s/run.yaml: spec_hash %s\n", s->dir,
                s->hash ? s->hash : "(none)");
        bad = 1;
    }
    return bad ? -1 : 0;
}

/* The spec: --spec, DIR/spec.yaml, or the one the first shard recorded. */
static int load_merge_spec(struct merge *m, struct cl_registry *reg,
                           const char *spec_path)
{
    char *in_dir = cl_xasprintf("%s/spec.yaml", m->dir);
    if (!spec_path && access(in_dir, F_OK) == 0)
        spec_path = in_dir;
    int rc;
    if (spec_path) {
        m->spec_from = cl_xstrdup(spec_path);
        rc = cl_spec_open(reg, spec_path, &m->spec);
        free(in_dir);
        return rc;
    }
    free(in_dir);
    for (size_t i = 0; i < m->n_shards; i++) {
        struct cl_shard *s = &m->shards[i];
        const char *text = s->has_run ? cl_ydoc_str(&s->run, NULL, "spec") : NULL;
        if (!text)
            continue;
        const char *path = cl_ydoc_str(&s->run, NULL, "spec_path");
        const char *cwd = cl_ydoc_str(&s->run, NULL, "cwd");
        char *abs = path && path[0] != '/' && cwd ? cl_xasprintf("%s/%s", cwd, path)
                                                  : cl_xstrdup(path ? path : ".");
        char *slash = strrchr(abs, '/');
        char *spec_dir = slash ? strndup(abs, (size_t)(slash - abs)) : NULL;
        m->spec_from = cl_xasprintf("the spec recorded in %s/run.yaml", s->dir);
        rc = cl_spec_open_text(reg, path ? path : "spec", text, strlen(text), spec_dir,
                               &m->spec);
        free(abs);
        free(spec_dir);
        return rc;
    }
    fprintf(stderr, "conlab merge: no spec: no %s/spec.yaml, no --spec, and no "
            "shard has a run.yaml to take it from\n", m->dir);
    return -1;
}

/* Every cell of the spec, named and ordered as cl_run does. */
static void make_cells(struct merge *m)
{
    const struct cl_spec *spec = m->spec;
    m->n_cells = spec->n_workloads * spec->n_strategies;
    m->cells = cl_xcalloc(m->n_cells ? m->n_cells : 1, sizeof *m->cells);
    m->src = cl_xcalloc(m->n_cells ? m->n_cells : 1, sizeof *m->src);
    size_t k = 0;
    for (size_t w = 0; w < spec->n_workloads; w++)
        for (size_t s = 0; s < spec->n_strategies; s++, k++) {
            struct cl_cell *c = &m->cells[k];
            c->index = k;
            c->strategy = &spec->strategies[s];
            c->workload = &spec->workloads[w];
            c->name = cl_xasprintf("%s x %s", c->strategy->label, c->workload->label);
            c->speedup = NAN;
            m->src[k] = -1;
        }
}

static void free_cells(struct cl_cell *cells, size_t n, int names)
{
    for (size_t i = 0; cells && i < n; i++) {
        if (names)
            free(cells[i].name);
        free(cells[i].rows);
    }
    free(cells);
}

/* Take the cells shard `si` finished.  -1 when one was already taken from
 * another shard; 1 when the shard cannot be read (its cells stay missing). */
static int take_shard(struct merge *m, size_t si)
{
    struct cl_shard *s = &m->shards[si];
    struct cl_cell *tmp = cl_xcalloc(m->n_cells ? m->n_cells : 1, sizeof *tmp);
    for (size_t i = 0; i < m->n_cells; i++) {
        tmp[i] = m->cells[i];
        tmp[i].rows = NULL;
        tmp[i].n_rows = 0;
        tmp[i].done = 0;
    }
    char err[1024];
    int rc = 0;
    if (cl_resume_load(s->dir, m->spec, 1, tmp, m->n_cells, err, sizeof err) != 0) {
        fprintf(stderr, "conlab merge: skipping %s: %s\n", s->dir, err);
        rc = 1;
    }
    for (size_t i = 0; rc == 0 && i < m->n_cells; i++) {
        if (!tmp[i].done)
            continue;
        if (m->src[i] >= 0) {
            fprintf(stderr, "conlab merge: cell '%s' was run by both %s and %s: "
                    "refusing to pick one (remove one of them)\n", tmp[i].name,
                    m->shards[m->src[i]].dir, s->dir);
            rc = -1;
            break;
        }
        struct cl_cell *c = &m->cells[i];
        c->rows = tmp[i].rows;
        c->n_rows = tmp[i].n_rows;
        c->status = tmp[i].status;
        c->workers = tmp[i].workers;
        memcpy(c->detail, tmp[i].detail, sizeof c->detail);
        c->done = 1;
        tmp[i].rows = NULL;
        m->src[i] = (long)si;
    }
    free_cells(tmp, m->n_cells, 0);
    return rc;
}

/* Wall-time statistics over the ok repetitions, as cl_run summarises. */
static void summarize(struct cl_cell *c)
{
    double *w = cl_xmalloc((c->n_rows ? c->n_rows : 1) * sizeof *w);
    size_t n = 0;
    for (size_t i = 0; i < c->n_rows; i++)
        if (c->rows[i].status == CL_ST_OK)
            w[n++] = c->rows[i].wall_s;
    cl_summarize(w, n, &c->wall);
    free(w);
}

/* If every shard names the same N, that N. */
static unsigned common_split(const struct merge *m)
{
    unsigned n = 0;
    for (size_t i = 0; i < m->n_shards; i++) {
        const struct cl_shard *s = &m->shards[i];
        if (!s->has_run)
            continue;
        if (!s->shards || (n && s->shards != n))
            return 0;
        n = s->shards;
    }
    return n;
}

/* The shard directory that ran (or should have run) shard I of n_split. */
static const struct cl_shard *shard_for(const struct merge *m, unsigned I)
{
    for (size_t i = 0; i < m->n_shards; i++)
        if (m->shards[i].has_run && m->shards[i].shard == I)
            return &m->shards[i];
    for (size_t i = 0; i < m->n_shards; i++)
        if (!m->shards[i].has_run && m->shards[i].number == (long)I - 1)
            return &m->shards[i];
    return NULL;
}

static size_t report_missing(const struct merge *m)
{
    size_t missing = 0;
    for (size_t i = 0; i < m->n_cells; i++)
        missing += !m->cells[i].done;
    if (!missing)
        return 0;
    fprintf(stderr, "conlab merge: %zu of %zu cells missing (no shard finished them):\n",
            missing, m->n_cells);
    for (size_t i = 0; i < m->n_cells; i++) {
        if (m->cells[i].done)
            continue;
        fprintf(stderr, "  %s", m->cells[i].name);
        if (m->n_split) {
            unsigned I = (unsigned)(i % m->n_split) + 1;
            const struct cl_shard *s = shard_for(m, I);
            fprintf(stderr, "  (shard %u/%u: ", I, m->n_split);
            if (!s)
                fprintf(stderr, "no directory for it)");
            else if (s->has_run)
                fprintf(stderr, "%s, state %s)", s->dir, s->state ? s->state : "?");
            else
                fprintf(stderr, "%s: %s)", s->dir, s->why);
        }
        fputc('\n', stderr);
    }
    return missing;
}

/* tasks.csv: every shard's task rows of the cells taken from it. */
static int write_tasks(const struct merge *m)
{
    int any = 0;
    for (size_t i = 0; i < m->n_shards && !any; i++) {
        char *p = cl_xasprintf("%s/tasks.csv", m->shards[i].dir);
        any = access(p, F_OK) == 0;
        free(p);
    }
    char *path = cl_xasprintf("%s/tasks.csv", m->dir);
    if (!any) {
        unlink(path); /* a stale one from an earlier merge would mislead */
        free(path);
        return 0;
    }
    char *tmp = cl_xasprintf("%s.tmp.%ld", path, (long)getpid());
    FILE *out = fopen(tmp, "w");
    int ok = out != NULL, header = 0;
    for (size_t si = 0; ok && si < m->n_shards; si++) {
        char *in_path = cl_xasprintf("%s/tasks.csv", m->shards[si].dir);
        FILE *in = fopen(in_path, "r");
        free(in_path);
        if (!in)
            continue;
        struct cl_csv_row row;
        int first = 1, last_keep = 0;
        char *last = NULL; /* a cell's rows come together: decide once per cell */
        while (cl_csv_read(in, &row) == 1) {
            int keep = first ? !header : 0;
            if (!first && row.n && last && strcmp(last, row.f[0]) == 0)
                keep = last_keep;
            else if (!first && row.n) {
                for (size_t c = 0; c < m->n_cells && !keep; c++)
                    keep = m->src[c] == (long)si && strcmp(m->cells[c].name, row.f[0]) == 0;
                free(last);
                last = cl_xstrdup(row.f[0]);
                last_keep = keep;
            }
            if (keep) {
                for (size_t f = 0; f < row.n; f++)
                    cl_csv_field(out, row.f[f], f == 0);
                fputc('\n', out);
            }
            header |= first;
            first = 0;
            cl_csv_row_free(&row);
        }
        free(last);
        fclose(in);
    }
    if (out) {
        ok = fflush(out) == 0 && !ferror(out) && fsync(fileno(out)) == 0 && ok;
        ok = fclose(out) == 0 && ok;
    }
    if (ok && rename(tmp, path) != 0)
        ok = 0;
    if (!ok) {
        fprintf(stderr, "conlab merge: cannot write %s: %s\n", path, strerror(errno));
        unlink(tmp);
    }
    free(tmp);
    free(path);
    return ok ? 0 : -1;
}

static void yout_pinning(struct cl_yout *y, const struct cl_pinning *p)
{
    switch (p->kind) {
    case CL_PIN_NONE: cl_yout_kv(y, "pinning", "none"); return;
    case CL_PIN_COMPACT: cl_yout_kv(y, "pinning", "compact"); return;
    case CL_PIN_SCATTER: cl_yout_kv(y, "pinning", "scatter"); return;
    case CL_PIN_LIST: break;
    }
    cl_yout_scalar(y, "pinning");
    cl_yout_seq_start(y, 1);
    for (size_t i = 0; i < p->n; i++) {
        char buf[16];
        snprintf(buf, sizeof buf, "%d", p->cpus[i]);
        cl_yout_scalar(y, buf);
    }
    cl_yout_seq_end(y);
}

/* 1 when every shard ran on the same host (name, CPU, topology). */
static int one_host(struct merge *m, struct cl_shard **first)
{
    static const char *const keys[] = {"hostname", "cpu", "topology"};
    *first = NULL;
    for (size_t i = 0; i < m->n_shards; i++) {
        struct cl_shard *s = &m->shards[i];
        if (!s->has_run)
            continue;
        if (!*first) {
            *first = s;
            continue;
        }
        yaml_node_t *a = cl_ydoc_get(&(*first)->run, NULL, "host");
        yaml_node_t *b = cl_ydoc_get(&s->run, NULL, "host");
        for (size_t k = 0; k < 3; k++) {
            const char *x = cl_ydoc_str(&(*first)->run, a, keys[k]);
            const char *y = cl_ydoc_str(&s->run, b, keys[k]);
            if (!x || !y || strcmp(x, y) != 0)
                return 0;
        }
    }
    return *first != NULL;
}

static void yout_shard(struct cl_yout *y, struct merge *m, struct cl_shard *s)
{
    static const char *const copy[] = {"state", "started", "finished", "elapsed_s",
                                       "cells", "shard", "conlab", "host",
                                       "command_line", "cwd"};
    cl_yout_map_start(y);
    const char *base = strrchr(s->dir, '/');
    cl_yout_kv(y, "dir", base ? base + 1 : s->dir);
    if (!s->has_run) {
        cl_yout_kv(y, "state", "missing");
        cl_yout_kv(y, "why", s->why);
    } else {
        size_t taken = 0;
        for (size_t i = 0; i < m->n_cells; i++)
            taken += m->src[i] >= 0 && &m->shards[m->src[i]] == s;
        for (size_t k = 0; k < sizeof copy / sizeof *copy; k++) {
            yaml_node_t *n = cl_ydoc_get(&s->run, NULL, copy[k]);
            if (!n)
                continue;
            cl_yout_scalar(y, copy[k]);
            cl_yout_node(y, &s->run, n);
        }
        cl_yout_kvf(y, "cells_merged", "%zu", taken);
    }
    cl_yout_map_end(y);
}

/* run.yaml of the whole run: what a run's says, with every shard's host,
 * times and command line listed. */
static int write_run_yaml(struct merge *m, size_t missing, int argc, char **argv)
{
    char *path = cl_xasprintf("%s/run.yaml", m->dir);
    struct cl_yout y;
    if (cl_yout_open(&y, path) != 0) {
        fprintf(stderr, "conlab merge: cannot write %s: %s\n", path, strerror(errno));
        free(path);
        return -1;
    }
    int all_complete = 1;
    double started = NAN, finished = NAN;
    for (size_t i = 0; i < m->n_shards; i++) {
        struct cl_shard *s = &m->shards[i];
        all_complete &= s->has_run && s->state && strcmp(s->state, "complete") == 0;
        double a = s->has_run ? parse_iso(cl_ydoc_str(&s->run, NULL, "started")) : NAN;
        double b = s->has_run ? parse_iso(cl_ydoc_str(&s->run, NULL, "finished")) : NAN;
        if (isfinite(a) && !(a >= started))
            started = a;
        if (isfinite(b) && !(b <= finished))
            finished = b;
    }
    char buf[64], hash[64];
    cl_yout_kv(&y, "experiment", m->spec->experiment);
    cl_yout_kv(&y, "state", missing == 0 && all_complete ? "complete" : "incomplete");
    if (isfinite(started)) {
        cl_iso_time(started, buf, sizeof buf);
        cl_yout_kv(&y, "started", buf);
    }
    if (isfinite(finished) && all_complete) {
        cl_iso_time(finished, buf, sizeof buf);
        cl_yout_kv(&y, "finished", buf);
        if (isfinite(started)) /* first start to last end, to the second */
            cl_yout_kvf(&y, "elapsed_s", "%.0f", finished - started);
    }
    double busy = 0;
    for (size_t i = 0; i < m->n_shards; i++) {
        const char *e = m->shards[i].has_run
                            ? cl_ydoc_str(&m->shards[i].run, NULL, "elapsed_s") : NULL;
        busy += e ? strtod(e, NULL) : 0;
    }
    cl_yout_kvf(&y, "shards_elapsed_s", "%.3f", busy); /* the shards' time, summed */
    cl_iso_time(cl_wall_time(), buf, sizeof buf);
    cl_yout_kv(&y, "merged", buf);
    cl_yout_kvf(&y, "cells", "%zu", m->n_cells);
    cl_yout_kvf(&y, "cells_merged", "%zu", m->n_cells - missing);
    if (missing) {
        cl_yout_scalar(&y, "cells_missing");
        cl_yout_seq_start(&y, 0);
        for (size_t i = 0; i < m->n_cells; i++)
            if (!m->cells[i].done)
                cl_yout_scalar(&y, m->cells[i].name);
        cl_yout_seq_end(&y);
    }
    if (m->n_split)
        cl_yout_kvf(&y, "shards", "%u", m->n_split);

    cl_yout_scalar(&y, "conlab");
    cl_yout_map_start(&y);
    cl_yout_kv(&y, "version", CONLAB_VERSION);
    cl_yout_kvf(&y, "plugin_abi", "%d.%d", CONLAB_ABI_MAJOR, CONLAB_ABI_MINOR);
    cl_yout_map_end(&y);
    struct cl_shard *first;
    if (one_host(m, &first)) {
        cl_yout_scalar(&y, "host");
        cl_yout_node(&y, &first->run, cl_ydoc_get(&first->run, NULL, "host"));
    }
    cl_yout_scalar(&y, "command_line");
    cl_yout_seq_start(&y, 1);
    cl_yout_scalar(&y, "conlab");
    for (int i = 0; i < argc; i++)
        cl_yout_scalar(&y, argv[i]);
    cl_yout_seq_end(&y);
    char cwd[4096];
    if (getcwd(cwd, sizeof cwd))
        cl_yout_kv(&y, "cwd", cwd);
    cl_yout_kv(&y, "spec_path", m->spec->path);
    spec_hash(m->spec, hash, sizeof hash);
    cl_yout_kv(&y, "spec_hash", hash);
    cl_yout_kvf(&y, "seed", "%llu", (unsigned long long)m->spec->seed);
    cl_yout_kvf(&y, "repeat", "%d", m->spec->repeat);
    cl_yout_kvf(&y, "warmup", "%d", m->spec->warmup);
    cl_yout_kvf(&y, "timeout_s", "%g", m->spec->timeout_s);
    yout_pinning(&y, &m->spec->pinning);

    cl_yout_scalar(&y, "shard_runs");
    cl_yout_seq_start(&y, 0);
    for (size_t i = 0; i < m->n_shards; i++)
        yout_shard(&y, m, &m->shards[i]);
    cl_yout_seq_end(&y);
    cl_yout_scalar(&y, "spec");
    cl_yout_literal(&y, m->spec->text);
    int rc = cl_yout_close(&y);
    if (rc != 0)
        fprintf(stderr, "conlab merge: cannot write %s: %s\n", path, strerror(errno));
    free(path);
    return rc;
}

static int write_merged(struct merge *m, size_t missing, int argc, char **argv)
{
    char err[1024];
    struct cl_results *res = cl_results_open(m->dir, m->spec, 0, m->cells,
                                             m->n_cells, err, sizeof err);
    if (!res) {
        fprintf(stderr, "conlab merge: %s\n", err);
        return -1;
    }
    int rc = cl_results_cell_done(res, m->cells, m->n_cells);
    if (rc != 0)
        fprintf(stderr, "conlab merge: cannot write %s/summary.csv: %s\n",
                m->dir, strerror(errno));
    cl_results_close(res);
    if (rc == 0)
        rc = write_tasks(m);
    if (rc == 0)
        rc = write_run_yaml(m, missing, argc, argv);
    return rc;
}

static void merge_free(struct merge *m, struct cl_registry *reg)
{
    for (size_t i = 0; i < m->n_shards; i++)
        cl_shard_free(&m->shards[i]);
    free(m->shards);
    free_cells(m->cells, m->n_cells, 1);
    free(m->src);
    free(m->spec_from);
    cl_spec_free(m->spec);
    cl_registry_free(reg);
}

int cl_cmd_merge(int argc, char **argv)
{
    static const struct option opts[] = {{"spec", required_argument, NULL, 's'},
                                         {"quiet", no_argument, NULL, 'q'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    /* for run.yaml, as typed (getopt permutes argv) */
    int argc0 = argc < 64 ? argc : 64;
    char *argv0[64];
    for (int i = 0; i < argc0; i++)
        argv0[i] = argv[i];
    struct merge m;
    memset(&m, 0, sizeof m);
    const char *spec_path = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "s:qh", opts, NULL)) != -1) {
        switch (c) {
        case 's': spec_path = optarg; break;
        case 'q': m.quiet = 1; break;
        case 'h': fputs(merge_help, stdout); return 0;
        default: fputs("see 'conlab merge --help'\n", stderr); return CL_EXIT_USAGE;
        }
    }
    if (argc - optind != 1) {
        fputs(merge_help, stderr);
        return CL_EXIT_USAGE;
    }
    m.dir = argv[optind];
    struct cl_registry reg;
    cl_registry_init(&reg);
    char err[1024];
    int rc = CL_EXIT_USAGE;
    /* merge writes DIR: own it from the first read to the last
     * write, as run does (issue 14). */
    struct cl_dirlock lock;
    int owned = cl_dirlock_acquire(m.dir, argc0, argv0, &lock, err, sizeof err);
    if (owned != CL_DIRLOCK_OK) {
        fprintf(stderr, "conlab merge: %s\n", err);
        rc = owned == CL_DIRLOCK_REFUSED ? CL_EXIT_USAGE : CL_EXIT_INTERNAL;
        goto out;
    }
    if (cl_shards_scan(m.dir, &m.shards, &m.n_shards, err, sizeof err) != 0) {
        fprintf(stderr, "conlab merge: %s\n", err);
        goto out;
    }
    if (m.n_shards == 0) {
        fprintf(stderr, "conlab merge: no shard-*/ directories in %s (run "
                "`conlab run SPEC --shard I/N -o %s/shard-<I-1>`, or `conlab slurm`)\n",
                m.dir, m.dir);
        goto out;
    }
    if (load_merge_spec(&m, &reg, spec_path) != 0 || check_hashes(&m) != 0)
        goto out;
    make_cells(&m);
    for (size_t i = 0; i < m.n_shards; i++)
        if (m.shards[i].has_run && take_shard(&m, i) < 0)
            goto out;
    m.n_split = common_split(&m);
    for (size_t i = 0; i < m.n_cells; i++)
        if (m.cells[i].done)
            summarize(&m.cells[i]);
    size_t missing = report_missing(&m);
    if (write_merged(&m, missing, argc0, argv0) != 0) {
        rc = CL_EXIT_INTERNAL;
        goto out;
    }
    rc = missing ? CL_EXIT_CELLS : CL_EXIT_OK;
    for (size_t i = 0; i < m.n_cells; i++)
        if (m.cells[i].done && m.cells[i].status != CL_ST_OK)
            rc = CL_EXIT_CELLS;
    if (!m.quiet)
        cl_print_summary(stdout, m.cells, m.n_cells);
    size_t with_run = 0;
    for (size_t i = 0; i < m.n_shards; i++)
        with_run += m.shards[i].has_run;
    printf("merged %zu of %zu cells from %zu shard director%s into %s/\n",
           m.n_cells - missing, m.n_cells, with_run, with_run == 1 ? "y" : "ies",
           m.dir);
out:
    cl_dirlock_release(&lock);
    merge_free(&m, &reg);
    return rc;
}
