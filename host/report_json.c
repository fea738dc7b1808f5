/* report_json.c — the report as JSON (report --format json), through
 * json-c. */
#include "report_out.h"

#include <math.h>
#include <stdio.h>

#include "jsonout.h"

/* ---- JSON ------------------------------------------------------------------------- */

#define ADD(o, k, v) json_object_object_add((o), (k), (v))

/* {"NAME": median over the ok repetitions} of every counter the cell's
 * repetitions have (in the order they first appear). */
static struct json_object *json_counters(const struct cl_rcell *c)
{
    struct json_object *o = json_object_new_object();
    for (size_t i = 0; i < c->cell.n_rows; i++)
        for (size_t k = 0; k < c->cell.rows[i].n_counters; k++) {
            const char *name = c->cell.rows[i].counters[k].name;
            if (!json_object_object_get_ex(o, name, NULL))
                ADD(o, name, cl_json_num(cl_rows_counter_median(
                                 c->cell.rows, c->cell.n_rows, name)));
        }
    return o;
}

static struct json_object *json_cell(const struct cl_run_report *r,
                                     const struct cl_rcell *c)
{
    const struct cl_summary *s = &c->cell.wall;
    struct json_object *o = json_object_new_object();
    ADD(o, "cell", cl_json_str(c->cell.name));
    ADD(o, "strategy", cl_json_str(c->plugin));
    ADD(o, "workload", cl_json_str(c->wplugin));
    ADD(o, "strategy_label", cl_json_str(c->cell.strategy->label));
    ADD(o, "workload_label", cl_json_str(c->cell.workload->label));
    ADD(o, "series", cl_json_str(c->series));
    ADD(o, "status", cl_json_str(cl_report_cell_status(r, c)));
    ADD(o, "finished", cl_json_bool3(c->cell.done));
    ADD(o, "detail", cl_json_str(c->cell.detail));
    ADD(o, "workers", json_object_new_int64(c->cell.workers));
    ADD(o, "sweep", cl_json_num(c->sweep));
    ADD(o, "reps", json_object_new_uint64(c->cell.n_rows));
    ADD(o, "ok_reps", json_object_new_uint64(c->n_ok));
    struct json_object *w = json_object_new_object();
    const char *names[] = {"mean", "sd", "median", "min", "max", "ci95_lo", "ci95_hi", "cv"};
    const double vals[] = {s->mean, s->sd, s->median, s->min, s->max,
                           s->ci95_lo, s->ci95_hi, c->cv};
    for (size_t k = 0; k < sizeof vals / sizeof *vals; k++)
        ADD(w, names[k], cl_json_num(vals[k]));
    ADD(o, "wall_s", w);
    struct json_object *walls = json_object_new_array();
    for (size_t k = 0; k < c->cell.n_rows; k++)
        json_object_array_add(walls, cl_json_num(c->cell.rows[k].status == CL_ST_OK
                                                     ? c->cell.rows[k].wall_s : NAN));
    ADD(o, "walls_s", walls);
    struct json_object *seeds = json_object_new_array();
    for (size_t k = 0; k < c->cell.n_rows; k++)
        json_object_array_add(seeds, c->cell.rows[k].seed_known
                                         ? json_object_new_uint64(c->cell.rows[k].seed)
                                         : NULL);
    ADD(o, "seeds", seeds);
    struct json_object *ph = json_object_new_object();
    ADD(ph, "startup_median", cl_json_num(c->startup));
    ADD(ph, "span_median", cl_json_num(c->span));
    ADD(ph, "teardown_median", cl_json_num(c->teardown));
    ADD(o, "phases_s", ph);
    ADD(o, "counters", json_counters(c));
    ADD(o, "speedup", cl_json_num(c->cell.speedup));
    ADD(o, "speedup_ci95_lo", cl_json_num(c->cell.speedup_lo));
    ADD(o, "speedup_ci95_hi", cl_json_num(c->cell.speedup_hi));
    ADD(o, "efficiency", cl_json_num(c->efficiency));
    ADD(o, "efficiency_ci95_lo", cl_json_num(c->efficiency_lo));
    ADD(o, "efficiency_ci95_hi", cl_json_num(c->efficiency_hi));
    ADD(o, "cpu_util", cl_json_num(c->cpu_util));
    ADD(o, "tasks_failed", json_object_new_uint64(c->tasks_failed));
    ADD(o, "fastest", cl_json_bool3(c->fastest));
    ADD(o, "tie", cl_json_bool3(c->tie));
    ADD(o, "warnings", cl_json_strs(c->warn, c->n_warn));
    return o;
}

int cl_report_write_json(FILE *out, const struct cl_run_report *r)
{
    struct json_object *o = json_object_new_object();
    struct json_object *boot = json_object_new_object();
    ADD(boot, "resamples", json_object_new_int(CL_BOOT_RESAMPLES));
    ADD(boot, "seed", json_object_new_uint64(CL_BOOT_SEED));
    ADD(boot, "rng", json_object_new_string("gsl mt19937"));
    ADD(o, "dir", cl_json_str(r->dir));
    ADD(o, "experiment", cl_json_str(r->experiment));
    ADD(o, "state", cl_json_str(r->state));
    ADD(o, "started", cl_json_str(r->started));
    ADD(o, "repeat", json_object_new_int(r->repeat));
    ADD(o, "warmup", json_object_new_int(r->warmup));
    ADD(o, "pinning", cl_json_str(r->pinning));
    ADD(o, "pinning_possible", cl_json_bool3(r->pinning_possible));
    struct json_object *h = json_object_new_object();
    ADD(h, "hostname", cl_json_str(r->hostname));
    ADD(h, "cpu", cl_json_str(r->cpu));
    ADD(h, "online_cpus", json_object_new_int64(r->online_cpus));
    ADD(h, "loadavg_1m", cl_json_num(r->loadavg_1m));
    ADD(h, "governor", cl_json_str(r->governor));
    ADD(h, "virtualized", cl_json_bool3(r->virtualized));
    ADD(h, "hypervisor", cl_json_str(r->hypervisor));
    ADD(o, "host", h);
    ADD(o, "warnings", cl_json_strs(r->warn, r->n_warn));
    ADD(o, "baseline", cl_json_str(r->baseline));
    ADD(o, "bootstrap", boot);
    struct json_object *ws = json_object_new_array();
    for (size_t w = 0; w < r->n_workloads; w++) {
        struct json_object *wo = json_object_new_object();
        struct json_object *cells = json_object_new_array();
        const char *plugin = NULL;
        for (size_t i = 0; i < r->n_cells; i++)
            if (r->cells[i].workload_ix == w) {
                plugin = r->cells[i].wplugin;
                json_object_array_add(cells, json_cell(r, &r->cells[i]));
            }
        ADD(wo, "workload", cl_json_str(plugin));
        ADD(wo, "workload_label", cl_json_str(r->workloads[w]->label));
        ADD(wo, "cells", cells);
        json_object_array_add(ws, wo);
    }
    ADD(o, "workloads", ws);
    return cl_json_write(out, o);
}

#undef ADD

