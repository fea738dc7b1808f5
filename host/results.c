/* results.c — results.csv, summary.csv, tasks.csv, run.yaml, and the table.
 *
 * Nothing measured is lost: each repetition's row is written and flushed as
 * soon as it exists, results.csv is fsync'ed after every cell, and
 * summary.csv and run.yaml are replaced atomically (write, fsync, rename), so
 * a reader (or a crash) never sees half a file. */
#include "results.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <hwloc.h>
#include <yaml.h>

#include "config.h"
#include "report.h"
#include "resume.h"
#include "util.h"

struct cl_results {
    char *dir;
    FILE *results;
    FILE *tasks;
    /* the parameter columns: union of every variant's parameters */
    size_t n_scols, n_wcols;
    const char **scols, **wcols;
    const struct cl_spec *spec;
};

const char *cl_status_name(enum cl_status s)
{
    switch (s) {
    case CL_ST_OK: return "ok";
    case CL_ST_FAILED: return "failed";
    case CL_ST_WRONG: return "wrong";
    case CL_ST_ERROR: return "error";
    case CL_ST_MEMORY: return "memory";
    case CL_ST_TIMEOUT: return "timeout";
    case CL_ST_CRASHED: return "crashed";
    case CL_ST_INTERRUPTED: return "interrupted";
    case CL_ST_SKIPPED: return "skipped";
    }
    return "?";
}

/* ---- CSV ---------------------------------------------------------------------- */

void cl_csv_field(FILE *f, const char *s, int first)
{
    if (!first)
        fputc(',', f);
    if (!s)
        return;
    int quote = s[0] == ' ' || (s[0] && s[strlen(s) - 1] == ' ');
    for (const char *p = s; *p && !quote; p++)
        quote = *p == ',' || *p == '"' || *p == '\n' || *p == '\r';
    if (!quote) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (const char *p = s; *p; p++) {
        if (*p == '"')
            fputc('"', f);
        fputc(*p, f);
    }
    fputc('"', f);
}

static void csv_num(FILE *f, double v)
{
    fputc(',', f);
    if (isfinite(v))
        fprintf(f, "%.9g", v);
}

static void csv_u(FILE *f, unsigned long long v)
{
    fprintf(f, ",%llu", v);
}

static void add_col(const char ***cols, size_t *n, const char *name)
{
    for (size_t i = 0; i < *n; i++)
        if (strcmp((*cols)[i], name) == 0)
            return;
    *cols = cl_xrealloc(*cols, (*n + 1) * sizeof **cols);
    (*cols)[(*n)++] = name;
}

static const char *param_value(const struct cl_variant *v, const char *name)
{
    for (size_t i = 0; i < v->n_params; i++)
        if (strcmp(v->params[i].name, name) == 0)
            return v->params[i].value;
    return NULL;
}

static const char *pinning_text(const struct cl_pinning *p, char *buf, size_t len)
{
    switch (p->kind) {
    case CL_PIN_NONE: return "none";
    case CL_PIN_COMPACT: return "compact";
    case CL_PIN_SCATTER: return "scatter";
    case CL_PIN_LIST: break;
    }
    size_t off = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < p->n && off + 12 < len; i++)
        off += (size_t)snprintf(buf + off, len - off, "%s%d", i ? ";" : "", p->cpus[i]);
    return buf;
}

static const char *const id_cols[] = {"experiment", "cell", "strategy", "workload"};

static void write_id(FILE *f, const struct cl_spec *spec, const struct cl_cell *c)
{
    cl_csv_field(f, spec->experiment, 1);
    cl_csv_field(f, c->name, 0);
    cl_csv_field(f, c->strategy->label, 0);
    cl_csv_field(f, c->workload->label, 0);
}

static void write_params_header(FILE *f, const struct cl_results *r)
{
    for (size_t i = 0; i < r->n_scols; i++) {
        char *h = cl_xasprintf("strategy.%s", r->scols[i]);
        cl_csv_field(f, h, 0);
        free(h);
    }
    for (size_t i = 0; i < r->n_wcols; i++) {
        char *h = cl_xasprintf("workload.%s", r->wcols[i]);
        cl_csv_field(f, h, 0);
        free(h);
    }
    cl_csv_field(f, "pinning", 0);
}

static void write_params(FILE *f, const struct cl_results *r, const struct cl_cell *c)
{
    char buf[512];
    for (size_t i = 0; i < r->n_scols; i++)
        cl_csv_field(f, param_value(c->strategy, r->scols[i]), 0);
    for (size_t i = 0; i < r->n_wcols; i++)
        cl_csv_field(f, param_value(c->workload, r->wcols[i]), 0);
    cl_csv_field(f, pinning_text(&r->spec->pinning, buf, sizeof buf), 0);
}

static void write_rep(FILE *f, const struct cl_results *r,
                      const struct cl_cell *c, const struct cl_rep_row *row);

/* Write `path` through a temporary file and rename: all or nothing. */
static FILE *atomic_open(const char *path, char **tmp)
{
    *tmp = cl_xasprintf("%s.tmp.%ld", path, (long)getpid());
    return fopen(*tmp, "w");
}

static int atomic_commit(FILE *f, const char *path, char *tmp)
{
    int ok = fflush(f) == 0 && !ferror(f) && fsync(fileno(f)) == 0;
    ok = (fclose(f) == 0) && ok;
    if (ok && rename(tmp, path) != 0)
        ok = 0;
    if (!ok)
        unlink(tmp);
    free(tmp);
    return ok ? 0 : -1;
}

static int is_done_cell(const struct cl_cell *cells, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (cells[i].done && strcmp(cells[i].name, name) == 0)
            return 1;
    return 0;
}

/* tasks.csv on resume: keep the records of finished cells only. */
static int carry_tasks(const char *path, const struct cl_cell *cells, size_t n,
                       FILE *out)
{
    FILE *in = fopen(path, "r");
    if (!in)
        return errno == ENOENT ? 0 : -1;
    struct cl_csv_row row;
    int first = 1, rc;
    while ((rc = cl_csv_read(in, &row)) == 1) {
        if (!first && row.n && is_done_cell(cells, n, row.f[0])) {
            for (size_t i = 0; i < row.n; i++)
                cl_csv_field(out, row.f[i], i == 0);
            fputc('\n', out);
        }
        first = 0;
        cl_csv_row_free(&row);
    }
    fclose(in);
    return 0;
}

struct cl_results *cl_results_open(const char *dir, const struct cl_spec *spec,
                                   int record_tasks, const struct cl_cell *cells,
                                   size_t n_cells, char *err, size_t errlen)
{
    if (cl_mkdirs(dir) != 0) {
        snprintf(err, errlen, "cannot create %s: %s", dir, strerror(errno));
        return NULL;
    }
    struct cl_results *r = cl_xcalloc(1, sizeof *r);
    r->dir = cl_xstrdup(dir);
    r->spec = spec;
    for (size_t i = 0; i < spec->n_strategies; i++)
        for (size_t j = 0; j < spec->strategies[i].n_params; j++)
            add_col(&r->scols, &r->n_scols, spec->strategies[i].params[j].name);
    for (size_t i = 0; i < spec->n_workloads; i++)
        for (size_t j = 0; j < spec->workloads[i].n_params; j++)
            add_col(&r->wcols, &r->n_wcols, spec->workloads[i].params[j].name);

    /* results.csv: the header and the rows of cells already done (resume),
     * put in place atomically, then appended to. */
    char *path = cl_xasprintf("%s/results.csv", dir), *tmp;
    FILE *f = atomic_open(path, &tmp);
    if (f) {
        for (size_t i = 0; i < 4; i++)
            cl_csv_field(f, id_cols[i], i == 0);
        fputs(",repetition,status,tasks,tasks_ok,tasks_failed,wall_s,user_s,sys_s,"
              "throughput_per_s,lat_p50_s,lat_p99_s,lat_max_s,max_rss_kib,"
              "vol_ctxsw,invol_ctxsw", f);
        write_params_header(f, r);
        fputs(",workers,tasks_missing,tasks_duplicated,tasks_wrong,detail,"
              "failure_reasons\n", f);
        for (size_t i = 0; i < n_cells; i++)
            for (size_t j = 0; cells[i].done && j < cells[i].n_rows; j++)
                write_rep(f, r, &cells[i], &cells[i].rows[j]);
    }
    if (!f || atomic_commit(f, path, tmp) != 0 || !(r->results = fopen(path, "a"))) {
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
        if (!f)
            free(tmp);
        free(path);
        cl_results_close(r);
        return NULL;
    }
    free(path);

    if (record_tasks) {
        path = cl_xasprintf("%s/tasks.csv", dir);
        f = atomic_open(path, &tmp);
        if (f) {
            fputs("cell,repetition,task,worker,cpu,start_s,end_s,status,reason,"
                  "value,bytes,code\n", f);
            if (carry_tasks(path, cells, n_cells, f) != 0) {
                fclose(f);
                unlink(tmp);
                free(tmp);
                f = NULL;
                tmp = NULL;
            }
        }
        if (!f || atomic_commit(f, path, tmp) != 0 || !(r->tasks = fopen(path, "a"))) {
            snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
            if (!f)
                free(tmp);
            free(path);
            cl_results_close(r);
            return NULL;
        }
        free(path);
    }
    return r;
}

const char *cl_results_dir(const struct cl_results *r)
{
    return r->dir;
}

static void write_rep(FILE *f, const struct cl_results *r,
                      const struct cl_cell *c, const struct cl_rep_row *row)
{
    write_id(f, r->spec, c);
    fprintf(f, ",%d,%s", row->repetition, cl_status_name(row->status));
    csv_u(f, row->tasks);
    csv_u(f, row->tasks_ok);
    csv_u(f, row->tasks_failed);
    csv_num(f, row->wall_s);
    csv_num(f, row->user_s);
    csv_num(f, row->sys_s);
    csv_num(f, row->throughput_per_s);
    csv_num(f, row->lat_p50_s);
    csv_num(f, row->lat_p99_s);
    csv_num(f, row->lat_max_s);
    fprintf(f, ",%ld,%ld,%ld", row->max_rss_kib, row->vol_ctxsw, row->invol_ctxsw);
    write_params(f, r, c);
    fprintf(f, ",%u", row->workers);
    csv_u(f, row->tasks_missing);
    csv_u(f, row->tasks_duplicated);
    csv_u(f, row->tasks_wrong);
    cl_csv_field(f, row->detail, 0);
    cl_csv_field(f, row->reasons, 0);
    fputc('\n', f);
}

int cl_results_rep(struct cl_results *r, const struct cl_cell *c,
                   const struct cl_rep_row *row)
{
    write_rep(r->results, r, c, row);
    return fflush(r->results) == 0 && !ferror(r->results) ? 0 : -1;
}

int cl_results_tasks(struct cl_results *r, const struct cl_cell *c,
                     int repetition, const struct cl_cellmem *m)
{
    if (!r->tasks)
        return 0;
    FILE *f = r->tasks;
    uint64_t t0 = m->sh->wall_start_ns;
    for (uint64_t i = 0; i < m->n_tasks; i++) {
        const struct cl_record *rec = &m->rec[i];
        uint32_t state = atomic_load(&rec->state);
        cl_csv_field(f, c->name, 1);
        fprintf(f, ",%d,%llu", repetition, (unsigned long long)i);
        if (state == CL_REC_NEVER) {
            fputs(",,,,,missing,,,,\n", f);
            continue;
        }
        fprintf(f, ",%u,%d", rec->worker, rec->cpu);
        csv_num(f, (double)((int64_t)(rec->start_ns - t0)) / 1e9);
        if (state == CL_REC_DONE)
            csv_num(f, (double)((int64_t)(rec->end_ns - t0)) / 1e9);
        else
            fputc(',', f);
        const char *st = state != CL_REC_DONE ? "unfinished"
                         : rec->status == CONLAB_OK ? "ok" : "failed";
        fprintf(f, ",%s", st);
        cl_csv_field(f, rec->reason && rec->reason <= CL_MAX_REASONS
                            ? m->sh->reasons[rec->reason - 1] : "", 0);
        fprintf(f, ",%llu,%llu,%d\n", (unsigned long long)rec->value,
                (unsigned long long)rec->bytes, rec->code);
    }
    return fflush(f) == 0 && !ferror(f) ? 0 : -1;
}

/* ---- summary ------------------------------------------------------------------ */

void cl_cells_speedups(struct cl_cell *cells, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        cells[i].speedup = NAN;
        for (size_t j = 0; j < n; j++) {
            if (cells[j].workload != cells[i].workload ||
                strcmp(cells[j].strategy->plugin->name, "sequential") != 0 ||
                cells[j].wall.n == 0 || cells[i].wall.n == 0)
                continue;
            cells[i].speedup = cells[j].wall.mean / cells[i].wall.mean;
            break;
        }
    }
}

int cl_results_cell_done(struct cl_results *r, struct cl_cell *cells, size_t n)
{
    if (fflush(r->results) != 0 || fsync(fileno(r->results)) != 0)
        return -1;
    if (r->tasks && (fflush(r->tasks) != 0 || fsync(fileno(r->tasks)) != 0))
        return -1;
    cl_cells_speedups(cells, n);
    char *path = cl_xasprintf("%s/summary.csv", r->dir), *tmp;
    FILE *f = atomic_open(path, &tmp);
    if (!f) {
        free(path);
        free(tmp);
        return -1;
    }
    for (size_t i = 0; i < 4; i++)
        cl_csv_field(f, id_cols[i], i == 0);
    fputs(",status,reps,workers,tasks,wall_mean_s,wall_sd_s,wall_median_s,"
          "wall_min_s,wall_max_s,wall_ci95_lo_s,wall_ci95_hi_s,speedup,"
          "throughput_mean_per_s,lat_p50_median_s,lat_p99_median_s,"
          "user_mean_s,sys_mean_s,max_rss_max_kib", f);
    write_params_header(f, r);
    fputs(",detail\n", f);
    for (size_t i = 0; i < n; i++) {
        const struct cl_cell *c = &cells[i];
        if (!c->done)
            continue;
        write_id(f, r->spec, c);
        fprintf(f, ",%s,%zu,%u,%llu", cl_status_name(c->status), c->wall.n,
                c->workers, (unsigned long long)c->workload->tasks);
        csv_num(f, c->wall.mean);
        csv_num(f, c->wall.sd);
        csv_num(f, c->wall.median);
        csv_num(f, c->wall.min);
        csv_num(f, c->wall.max);
        csv_num(f, c->wall.ci95_lo);
        csv_num(f, c->wall.ci95_hi);
        csv_num(f, c->speedup);
        /* means / medians over the ok repetitions */
        double tp = 0, us = 0, ss = 0;
        long rss = 0;
        size_t k = 0;
        double p50[64], p99[64];
        size_t np = 0;
        for (size_t j = 0; j < c->n_rows; j++) {
            const struct cl_rep_row *row = &c->rows[j];
            if (row->max_rss_kib > rss)
                rss = row->max_rss_kib;
            if (row->status != CL_ST_OK)
                continue;
            tp += row->throughput_per_s;
            us += row->user_s;
            ss += row->sys_s;
            if (np < 64) {
                p50[np] = row->lat_p50_s;
                p99[np++] = row->lat_p99_s;
            }
            k++;
        }
        cl_sort_doubles(p50, np);
        cl_sort_doubles(p99, np);
        csv_num(f, k ? tp / (double)k : NAN);
        csv_num(f, cl_quantile_sorted(p50, np, 0.5));
        csv_num(f, cl_quantile_sorted(p99, np, 0.5));
        csv_num(f, k ? us / (double)k : NAN);
        csv_num(f, k ? ss / (double)k : NAN);
        fprintf(f, ",%ld", rss);
        write_params(f, r, c);
        cl_csv_field(f, c->detail, 0);
        fputc('\n', f);
    }
    int rc = atomic_commit(f, path, tmp);
    free(path);
    return rc;
}

/* ---- run.yaml ----------------------------------------------------------------- */

struct emitter {
    yaml_emitter_t e;
    yaml_event_t ev;
    int ok;
};

static void emit(struct emitter *m)
{
    if (m->ok && !yaml_emitter_emit(&m->e, &m->ev))
        m->ok = 0;
}

static void scalar_style(struct emitter *m, const char *s, yaml_scalar_style_t st)
{
    if (!s)
        s = "";
    yaml_scalar_event_initialize(&m->ev, NULL, NULL, (yaml_char_t *)s,
                                 (int)strlen(s), 1, 1, st);
    emit(m);
}

static void scalar(struct emitter *m, const char *s)
{
    scalar_style(m, s, YAML_ANY_SCALAR_STYLE);
}

static void kv(struct emitter *m, const char *k, const char *v)
{
    scalar(m, k);
    scalar(m, v);
}

static void kvf(struct emitter *m, const char *k, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void kvf(struct emitter *m, const char *k, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    kv(m, k, buf);
}

static void map_start(struct emitter *m)
{
    yaml_mapping_start_event_initialize(&m->ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE);
    emit(m);
}

static void map_end(struct emitter *m)
{
    yaml_mapping_end_event_initialize(&m->ev);
    emit(m);
}

static int write_handler(void *data, unsigned char *buf, size_t size)
{
    return fwrite(buf, 1, size, data) == size;
}

static char *cpu_model(void)
{
    FILE *f = fopen("/proc/cpuinfo", "r");
    char line[512];
    char *model = NULL;
    while (f && fgets(line, sizeof line, f)) {
        if (strncmp(line, "model name", 10) == 0) {
            char *c = strchr(line, ':');
            if (c) {
                c++;
                while (*c == ' ' || *c == '\t')
                    c++;
                c[strcspn(c, "\n")] = '\0';
                model = cl_xstrdup(c);
                break;
            }
        }
    }
    if (f)
        fclose(f);
    return model ? model : cl_xstrdup("unknown");
}

static void iso_time(double t, char *buf, size_t len)
{
    time_t s = (time_t)t;
    struct tm tm;
    localtime_r(&s, &tm);
    strftime(buf, len, "%Y-%m-%dT%H:%M:%S%z", &tm);
}

int cl_results_meta(struct cl_results *r, const struct cl_spec *spec,
                    const char *state, const struct cl_meta *meta)
{
    int argc = meta->argc;
    char **argv = meta->argv;
    double started = meta->started, finished = meta->finished;
    const char *topo_summary = meta->topology;
    char *path = cl_xasprintf("%s/run.yaml", r->dir), *tmp;
    FILE *f = atomic_open(path, &tmp);
    if (!f) {
        free(path);
        free(tmp);
        return -1;
    }
    struct emitter m;
    memset(&m, 0, sizeof m);
    m.ok = yaml_emitter_initialize(&m.e);
    yaml_emitter_set_output(&m.e, write_handler, f);
    yaml_emitter_set_unicode(&m.e, 1);
    yaml_emitter_set_width(&m.e, 100);
    yaml_stream_start_event_initialize(&m.ev, YAML_UTF8_ENCODING);
    emit(&m);
    yaml_document_start_event_initialize(&m.ev, NULL, NULL, NULL, 1);
    emit(&m);
    map_start(&m);

    char buf[64];
    kv(&m, "experiment", spec->experiment);
    kv(&m, "state", state);
    iso_time(started, buf, sizeof buf);
    kv(&m, "started", buf);
    if (finished > 0) {
        iso_time(finished, buf, sizeof buf);
        kv(&m, "finished", buf);
        kvf(&m, "elapsed_s", "%.3f", finished - started);
    }
    kvf(&m, "cells", "%zu", meta->n_cells);
    if (meta->shards)
        kvf(&m, "shard", "%u/%u", meta->shard, meta->shards);

    scalar(&m, "conlab");
    map_start(&m);
    kv(&m, "version", CONLAB_VERSION);
    kvf(&m, "plugin_abi", "%d.%d", CONLAB_ABI_MAJOR, CONLAB_ABI_MINOR);
    kv(&m, "compiler", "gcc-compatible " __VERSION__);
    kv(&m, "libyaml", yaml_get_version_string());
    unsigned hv = hwloc_get_api_version();
    kvf(&m, "hwloc", "%u.%u.%u", hv >> 16, (hv >> 8) & 0xff, hv & 0xff);
    map_end(&m);

    scalar(&m, "host");
    map_start(&m);
    struct utsname u;
    if (uname(&u) == 0) {
        kv(&m, "hostname", u.nodename);
        kvf(&m, "kernel", "%s %s", u.sysname, u.release);
        kv(&m, "machine", u.machine);
    }
    char *model = cpu_model();
    kv(&m, "cpu", model);
    free(model);
    kvf(&m, "online_cpus", "%ld", sysconf(_SC_NPROCESSORS_ONLN));
    kv(&m, "topology", topo_summary);
    if (meta->facts) {
        const struct cl_host_facts *hf = meta->facts;
        if (isfinite(hf->loadavg_1m))
            kvf(&m, "loadavg_1m", "%.2f", hf->loadavg_1m);
        if (hf->governor[0])
            kv(&m, "governor", hf->governor);
        if (hf->virtualized >= 0)
            kv(&m, "virtualized", hf->virtualized ? "true" : "false");
        if (hf->hypervisor[0])
            kv(&m, "hypervisor", hf->hypervisor);
    }
    map_end(&m);

    scalar(&m, "command_line");
    yaml_sequence_start_event_initialize(&m.ev, NULL, NULL, 1, YAML_FLOW_SEQUENCE_STYLE);
    emit(&m);
    for (int i = 0; i < argc; i++)
        scalar(&m, argv[i]);
    yaml_sequence_end_event_initialize(&m.ev);
    emit(&m);
    char cwd[4096];
    if (getcwd(cwd, sizeof cwd))
        kv(&m, "cwd", cwd);

    kv(&m, "spec_path", spec->path);
    kvf(&m, "spec_hash", "fnv1a64:%016llx",
        (unsigned long long)cl_fnv1a64(spec->text, spec->text_len));
    kvf(&m, "seed", "%llu", (unsigned long long)spec->seed);
    kvf(&m, "repeat", "%d", spec->repeat);
    kvf(&m, "warmup", "%d", spec->warmup);
    kvf(&m, "timeout_s", "%g", spec->timeout_s);
    char pin[256];
    kv(&m, "pinning", pinning_text(&spec->pinning, pin, sizeof pin));
    if (meta->pinning_possible >= 0)
        kv(&m, "pinning_possible", meta->pinning_possible ? "true" : "false");
    if (meta->pinning_note)
        kv(&m, "pinning_note", meta->pinning_note);
    scalar(&m, "spec");
    scalar_style(&m, spec->text, YAML_LITERAL_SCALAR_STYLE);

    map_end(&m);
    yaml_document_end_event_initialize(&m.ev, 1);
    emit(&m);
    yaml_stream_end_event_initialize(&m.ev);
    emit(&m);
    int ok = m.ok;
    yaml_emitter_delete(&m.e);
    int rc = atomic_commit(f, path, tmp);
    free(path);
    return ok && rc == 0 ? 0 : -1;
}

void cl_results_close(struct cl_results *r)
{
    if (!r)
        return;
    if (r->results)
        fclose(r->results);
    if (r->tasks)
        fclose(r->tasks);
    free(r->scols);
    free(r->wcols);
    free(r->dir);
    free(r);
}

/* ---- the terminal table -------------------------------------------------------- */

static void fmt_time(double s, char *buf, size_t len)
{
    if (!isfinite(s))
        snprintf(buf, len, "-");
    else if (s < 1e-3)
        snprintf(buf, len, "%.1f µs", s * 1e6);
    else if (s < 1)
        snprintf(buf, len, "%.2f ms", s * 1e3);
    else
        snprintf(buf, len, "%.3f s", s);
}

void cl_print_summary(FILE *out, const struct cl_cell *cells, size_t n)
{
    size_t wname = 8;
    for (size_t i = 0; i < n; i++)
        if (strlen(cells[i].strategy->label) > wname)
            wname = strlen(cells[i].strategy->label);
    const struct cl_variant *cur = NULL;
    for (size_t i = 0; i < n; i++) {
        const struct cl_cell *c = &cells[i];
        if (!c->done)
            continue;
        if (c->workload != cur) {
            cur = c->workload;
            fprintf(out, "\n%s\n  %-*s  %12s  %11s  %8s  %s\n", cur->label,
                    (int)wname, "strategy", "wall mean", "± sd", "speedup",
                    "status");
        }
        char mean[32], sd[32], sp[32];
        fmt_time(c->wall.mean, mean, sizeof mean);
        fmt_time(c->wall.sd, sd, sizeof sd);
        if (isfinite(c->speedup))
            snprintf(sp, sizeof sp, "%.2fx", c->speedup);
        else
            snprintf(sp, sizeof sp, "-");
        fprintf(out, "  %-*s  %12s  %11s  %8s  %s", (int)wname,
                c->strategy->label, mean, sd, sp, cl_status_name(c->status));
        if (c->status != CL_ST_OK)
            fprintf(out, " (%s)", c->detail);
        fputc('\n', out);
    }
    fputc('\n', out);
}
