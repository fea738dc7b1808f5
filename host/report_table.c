/* report_table.c — the report as a table: the rows every format shares,
 * and the text (terminal), markdown and CSV writers. */
#include "report_out.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "neutral.h"
#include "util.h"


const char *const cl_report_col_head[CL_RCOLS] = {
    "", "strategy", "workers", "mean", "± sd", "median", "95% CI",
    "speedup", "efficiency", "CPU", "failed", "status"};
const int cl_report_col_left[CL_RCOLS] = {1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};


struct cl_report_unit cl_report_unit(const struct cl_run_report *r, size_t w)
{
    double lo = INFINITY;
    for (size_t i = 0; i < r->n_cells; i++)
        if (r->cells[i].workload_ix == w && r->cells[i].n_ok && r->cells[i].cell.wall.mean < lo)
            lo = r->cells[i].cell.wall.mean;
    if (!isfinite(lo) || lo >= 1)
        return (struct cl_report_unit){"s", 1, 3};
    if (lo >= 1e-3)
        return (struct cl_report_unit){"ms", 1e3, 2};
    return (struct cl_report_unit){"µs", 1e6, 1};
}

const char *cl_report_cell_status(const struct cl_run_report *r,
                                    const struct cl_rcell *c)
{
    if (c->cell.done)
        return cl_status_name(c->cell.status);
    return r->state && !strcmp(r->state, "running") ? "running" : "unfinished";
}

/* The row of a cell, every field allocated. */
void cl_report_row(const struct cl_run_report *r, const struct cl_rcell *c,
                      struct cl_report_unit u, char *f[CL_RCOLS])
{
    const struct cl_summary *s = &c->cell.wall;
    f[CL_RCOL_MARK] = cl_xstrdup(c->fastest ? "*" : c->tie ? "=" : "");
    f[CL_RCOL_STRATEGY] = cl_xstrdup(c->cell.strategy->label);
    f[CL_RCOL_WORKERS] = c->cell.workers ? cl_xasprintf("%u", c->cell.workers) : cl_xstrdup("-");
    if (c->n_ok) {
        f[CL_RCOL_MEAN] = cl_xasprintf("%.*f", u.dec, s->mean * u.mul);
        f[CL_RCOL_SD] = cl_xasprintf("± %.*f", u.dec, s->sd * u.mul);
        f[CL_RCOL_MEDIAN] = cl_xasprintf("%.*f", u.dec, s->median * u.mul);
        f[CL_RCOL_CI] = c->n_ok >= 2 ? cl_xasprintf("%.*f–%.*f", u.dec, s->ci95_lo * u.mul,
                                             u.dec, s->ci95_hi * u.mul)
                               : cl_xstrdup("-");
    } else {
        f[CL_RCOL_MEAN] = cl_xstrdup("-");
        f[CL_RCOL_SD] = cl_xstrdup("");
        f[CL_RCOL_MEDIAN] = cl_xstrdup("-");
        f[CL_RCOL_CI] = cl_xstrdup("-");
    }
    const struct cl_cell *m = &c->cell;
    f[CL_RCOL_SPEEDUP] = !isfinite(m->speedup) ? cl_xstrdup("-")
                         : m->speedup_lo < m->speedup_hi
                             ? cl_xasprintf("%.2fx (%.2f–%.2f)", m->speedup,
                                            m->speedup_lo, m->speedup_hi)
                             : cl_xasprintf("%.2fx", m->speedup);
    f[CL_RCOL_EFF] = isfinite(c->efficiency) ? cl_xasprintf("%.0f%%", c->efficiency * 100)
                                       : cl_xstrdup("-");
    f[CL_RCOL_CPU] = isfinite(c->cpu_util) ? cl_xasprintf("%.0f%%", c->cpu_util * 100)
                                     : cl_xstrdup("-");
    f[CL_RCOL_FAILED] = cl_xasprintf("%llu", (unsigned long long)c->tasks_failed);
    f[CL_RCOL_STATUS] = cl_xasprintf("%s%s", cl_report_cell_status(r, c),
                               c->n_warn ? " !" : "");
}

void cl_report_row_free(char *f[CL_RCOLS])
{
    for (int i = 0; i < CL_RCOLS; i++)
        free(f[i]);
}

/* Columns on a terminal: UTF-8 continuation bytes take no room. */
static size_t disp_width(const char *s)
{
    size_t w = 0;
    for (; *s; s++)
        w += ((unsigned char)*s & 0xC0) != 0x80;
    return w;
}

static void pad(FILE *out, const char *s, size_t width, int left)
{
    size_t w = disp_width(s);
    if (!left)
        for (size_t i = w; i < width; i++)
            fputc(' ', out);
    fputs(s, out);
    if (left)
        for (size_t i = w; i < width; i++)
            fputc(' ', out);
}

/* s on the terminal: names and details from the files, the plugins and the
 * spec never carry escape sequences there. */
static void put_term(FILE *out, const char *s)
{
    char *t = cl_neutral_term(s);
    fputs(t, out);
    free(t);
}

/* Words of `raw` wrapped at `width` columns, lines after the first indented
 * (both already terminal-safe). */
static void wrap(FILE *out, const char *first, const char *indent,
                 const char *raw, size_t width)
{
    size_t col = disp_width(first);
    fputs(first, out);
    char *text = cl_neutral_term(raw);
    const char *p = text;
    int line_start = 1;
    while (*p) {
        size_t len = strcspn(p, " ");
        char word[512];
        snprintf(word, sizeof word, "%.*s", (int)len, p);
        size_t w = disp_width(word);
        if (!line_start && col + 1 + w > width) {
            fprintf(out, "\n%s", indent);
            col = disp_width(indent);
            line_start = 1;
        }
        if (!line_start) {
            fputc(' ', out);
            col++;
        }
        fwrite(p, 1, len, out);
        col += w;
        line_start = 0;
        p += len;
        while (*p == ' ')
            p++;
    }
    fputc('\n', out);
    free(text);
}

static void text_header(FILE *out, const struct cl_run_report *r)
{
    size_t n_fin = 0;
    for (size_t i = 0; i < r->n_cells; i++)
        n_fin += r->cells[i].cell.done;
    put_term(out, r->experiment ? r->experiment : "conlab run");
    fputs(": ", out);
    put_term(out, r->state ? r->state : "state unknown");
    fprintf(out, ", %zu cell%s", n_fin, n_fin == 1 ? "" : "s");
    if (n_fin != r->n_cells)
        fprintf(out, " finished (%zu started)", r->n_cells);
    if (r->repeat >= 0)
        fprintf(out, ", %d measured repetition%s each", r->repeat, r->repeat == 1 ? "" : "s");
    if (r->warmup > 0)
        fprintf(out, " after %d warmup", r->warmup);
    fputc('\n', out);
    fputs("  ", out);
    put_term(out, r->dir);
    const char *facts[] = {r->hostname, r->cpu};
    for (size_t i = 0; i < sizeof facts / sizeof *facts; i++)
        if (facts[i]) {
            fputs(" · ", out);
            put_term(out, facts[i]);
        }
    if (r->online_cpus > 0)
        fprintf(out, " · %ld CPUs", r->online_cpus);
    if (r->pinning) {
        fputs(" · pinning ", out);
        put_term(out, r->pinning);
    }
    if (r->started) {
        fputs(" · ", out);
        put_term(out, r->started);
    }
    fputc('\n', out);
    for (size_t i = 0; i < r->n_warn; i++)
        wrap(out, "  ! ", "    ", r->warn[i], 100);
}

static void text_workload(FILE *out, const struct cl_run_report *r, size_t w)
{
    struct cl_report_unit u = cl_report_unit(r, w);
    size_t n = 0;
    for (size_t i = 0; i < r->n_cells; i++)
        n += r->cells[i].workload_ix == w;
    char *(*rows)[CL_RCOLS] = cl_xcalloc(n, sizeof *rows);
    size_t width[CL_RCOLS];
    for (int k = 0; k < CL_RCOLS; k++)
        width[k] = disp_width(cl_report_col_head[k]);
    size_t j = 0;
    for (size_t i = 0; i < r->n_cells; i++) {
        if (r->cells[i].workload_ix != w)
            continue;
        cl_report_row(r, &r->cells[i], u, rows[j]);
        char *label = cl_neutral_term(rows[j][CL_RCOL_STRATEGY]);
        free(rows[j][CL_RCOL_STRATEGY]);
        rows[j][CL_RCOL_STRATEGY] = label;
        for (int k = 0; k < CL_RCOLS; k++)
            if (disp_width(rows[j][k]) > width[k])
                width[k] = disp_width(rows[j][k]);
        j++;
    }
    fputc('\n', out);
    put_term(out, r->workloads[w]->label);
    fprintf(out, "  (wall time in %s)\n", u.name);
    for (int k = 0; k < CL_RCOLS; k++) {
        fputs(k == 0 ? "" : k == CL_RCOL_SD ? " " : "  ", out);
        pad(out, cl_report_col_head[k], width[k], cl_report_col_left[k]);
    }
    fputc('\n', out);
    for (j = 0; j < n; j++) {
        for (int k = 0; k < CL_RCOLS; k++) {
            fputs(k == 0 ? "" : k == CL_RCOL_SD ? " " : "  ", out);
            if (k == CL_RCOLS - 1)
                fputs(rows[j][k], out); /* no trailing blanks */
            else
                pad(out, rows[j][k], width[k], cl_report_col_left[k]);
        }
        fputc('\n', out);
        cl_report_row_free(rows[j]);
    }
    free(rows);
    for (size_t i = 0; i < r->n_cells; i++) {
        const struct cl_rcell *c = &r->cells[i];
        if (c->workload_ix != w)
            continue;
        for (size_t k = 0; k < c->n_warn; k++) {
            char *label = cl_neutral_term(c->cell.strategy->label);
            char *first = cl_xasprintf("  ! %s: ", label);
            free(label);
            wrap(out, first, "      ", c->warn[k], 100);
            free(first);
        }
    }
}

int cl_report_write_text(FILE *out, const struct cl_run_report *r)
{
    text_header(out, r);
    for (size_t w = 0; w < r->n_workloads; w++)
        text_workload(out, r, w);
    if (r->n_cells)
        fputs("\n* fastest (= a tie: the two fastest not told apart) · speedup = "
              "baseline median / median, (95% bootstrap interval) · efficiency = "
              "speedup / workers · CPU = (user+sys) / wall, 100% = one CPU · "
              "95% CI: Student t for the mean · ! see the notes\n", out);
    else
        fputs("\nno repetition measured yet\n", out);
    return ferror(out) ? -1 : 0;
}

/* ---- markdown ------------------------------------------------------------------- */

/* Text from the files, the plugins or the spec as Markdown: no markup, no
 * raw HTML, no escape sequences. */
static void md_text(FILE *out, const char *s)
{
    char *m = cl_neutral_md(s);
    fputs(m, out);
    free(m);
}

int cl_report_write_md(FILE *out, const struct cl_run_report *r)
{
    fputs("# ", out);
    md_text(out, r->experiment ? r->experiment : "conlab run");
    fputs("\n\n", out);
    md_text(out, r->state ? r->state : "state unknown");
    fprintf(out, ", %zu cells", r->n_cells);
    if (r->hostname) {
        fputs(" · ", out);
        md_text(out, r->hostname);
    }
    if (r->cpu) {
        fputs(" · ", out);
        md_text(out, r->cpu);
    }
    if (r->online_cpus > 0)
        fprintf(out, " · %ld CPUs", r->online_cpus);
    if (r->started) {
        fputs(" · ", out);
        md_text(out, r->started);
    }
    fputs("\n", out);
    if (r->n_warn)
        fputc('\n', out);
    for (size_t i = 0; i < r->n_warn; i++) {
        fputs("- **warning:** ", out);
        md_text(out, r->warn[i]);
        fputc('\n', out);
    }
    for (size_t w = 0; w < r->n_workloads; w++) {
        struct cl_report_unit u = cl_report_unit(r, w);
        fputs("\n## ", out);
        md_text(out, r->workloads[w]->label);
        fprintf(out, "\n\nWall time in %s.\n\n|", u.name);
        for (int k = 0; k < CL_RCOLS; k++) {
            fputc(' ', out);
            md_text(out, k == CL_RCOL_MARK ? " " : cl_report_col_head[k]);
            fputs(" |", out);
        }
        fputs("\n|", out);
        for (int k = 0; k < CL_RCOLS; k++)
            fputs(cl_report_col_left[k] ? " --- |" : " ---: |", out);
        fputc('\n', out);
        for (size_t i = 0; i < r->n_cells; i++) {
            if (r->cells[i].workload_ix != w)
                continue;
            char *f[CL_RCOLS];
            cl_report_row(r, &r->cells[i], u, f);
            fputc('|', out);
            for (int k = 0; k < CL_RCOLS; k++) {
                fputc(' ', out);
                if (k == CL_RCOL_MARK && r->cells[i].fastest)
                    fputs("**fastest**", out);
                else
                    md_text(out, f[k]);
                fputs(" |", out);
            }
            fputc('\n', out);
            cl_report_row_free(f);
        }
        int any = 0;
        for (size_t i = 0; i < r->n_cells; i++) {
            const struct cl_rcell *c = &r->cells[i];
            for (size_t k = 0; c->workload_ix == w && k < c->n_warn; k++) {
                fputs(any++ ? "- " : "\n- ", out);
                fputs("**", out);
                md_text(out, c->cell.strategy->label);
                fputs(":** ", out);
                md_text(out, c->warn[k]);
                fputc('\n', out);
            }
        }
    }
    return ferror(out) ? -1 : 0;
}

/* ---- CSV -------------------------------------------------------------------------- */

static void csv_d(FILE *out, double v)
{
    fputc(',', out);
    if (isfinite(v))
        fprintf(out, "%.9g", v);
}

int cl_report_write_csv(FILE *out, const struct cl_run_report *r)
{
    fputs("experiment,cell,strategy,workload,strategy_label,workload_label,"
          "status,finished,reps,ok_reps,workers,"
          "wall_mean_s,wall_sd_s,wall_median_s,wall_ci95_lo_s,wall_ci95_hi_s,"
          "wall_cv,speedup,speedup_ci95_lo,speedup_ci95_hi,efficiency,"
          "efficiency_ci95_lo,efficiency_ci95_hi,baseline,startup_median_s,"
          "span_median_s,teardown_median_s,cpu_util,tasks_failed,fastest,tie,"
          "warnings\n", out);
    for (size_t w = 0; w < r->n_workloads; w++)
        for (size_t i = 0; i < r->n_cells; i++) {
            const struct cl_rcell *c = &r->cells[i];
            if (c->workload_ix != w)
                continue;
            cl_csv_field(out, r->experiment ? r->experiment : "", 1);
            cl_csv_field(out, c->cell.name, 0);
            cl_csv_field(out, c->plugin, 0);
            cl_csv_field(out, c->wplugin, 0);
            cl_csv_field(out, c->cell.strategy->label, 0);
            cl_csv_field(out, c->cell.workload->label, 0);
            cl_csv_field(out, cl_report_cell_status(r, c), 0);
            fprintf(out, ",%d,%zu,%zu,%u", c->cell.done, c->cell.n_rows, c->n_ok, c->cell.workers);
            csv_d(out, c->cell.wall.mean);
            csv_d(out, c->cell.wall.sd);
            csv_d(out, c->cell.wall.median);
            csv_d(out, c->cell.wall.ci95_lo);
            csv_d(out, c->cell.wall.ci95_hi);
            csv_d(out, c->cv);
            csv_d(out, c->cell.speedup);
            csv_d(out, c->cell.speedup_lo);
            csv_d(out, c->cell.speedup_hi);
            csv_d(out, c->efficiency);
            csv_d(out, c->efficiency_lo);
            csv_d(out, c->efficiency_hi);
            cl_csv_field(out, isfinite(c->cell.speedup) ? r->baseline : "", 0);
            csv_d(out, c->startup);
            csv_d(out, c->span);
            csv_d(out, c->teardown);
            csv_d(out, c->cpu_util);
            fprintf(out, ",%llu,%d,%d", (unsigned long long)c->tasks_failed,
                    c->fastest, c->tie);
            size_t len = 0;
            for (size_t k = 0; k < c->n_warn; k++)
                len += strlen(c->warn[k]) + 2;
            char *all = cl_xcalloc(len + 1, 1);
            for (size_t k = 0; k < c->n_warn; k++) {
                if (k)
                    strcat(all, "; ");
                strcat(all, c->warn[k]);
            }
            cl_csv_field(out, all, 0);
            free(all);
            fputc('\n', out);
        }
    return ferror(out) ? -1 : 0;
}

