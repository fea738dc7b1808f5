/* compare.c — see compare.h.
 *
 * Cells are matched by name.  For each pair the figure is the ratio of the
 * median wall times (B / A: below 1, B is faster), and the question "is it
 * beyond the noise?" is answered by the Mann-Whitney U test over the ok
 * repetitions of the two runs.  Why Mann-Whitney and not Welch's t: wall
 * times are skewed (a repetition can only be slowed down, not sped up, by a
 * disturbance) and come in small samples, where one outlier moves a mean and
 * an sd a lot but a rank only by one; the test assumes no shape, and under a
 * shift it is a test of the medians.
 *
 * A comparison tests every common cell at once, so at alpha = 0.05 one cell
 * in twenty would be flagged by chance alone.  The p-values are therefore
 * adjusted across the cells: Holm-Bonferroni by default (the chance of any
 * false flag stays below alpha, whatever the dependence between cells: the
 * right promise for a CI gate, where one false alarm fails the build), or
 * Benjamini-Hochberg (the expected share of false flags among the flags
 * stays below alpha: more power with many cells).  A change is reported
 * when the adjusted p < 0.05 AND the medians differ by more than a
 * threshold (5% by default): a tiny but consistent shift is real, yet
 * rarely matters, and run-to-run drift of a few percent (the machine's
 * state, not the code) is not what a comparison is for. */
#include "compare.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "csv.h"
#include "jsonout.h"
#include "neutral.h"
#include "report.h"
#include "rundir.h"
#include "util.h"

/* ---- the test ------------------------------------------------------------------- */

#define EXACT_MAX 30

/* P(U <= u) under the null, no ties: counts[k] = arrangements of na "a" and
 * nb "b" values with U = k, by the recurrence on the largest value (it is an
 * a, adding nb to U, or a b, adding nothing), built one na at a time. */
static double exact_cdf(size_t na, size_t nb, size_t u)
{
    size_t top = na * nb + 1;
    /* row[j] = the count polynomial for (i, j), i the current na */
    double **prev = cl_xcalloc(nb + 1, sizeof *prev);
    double **cur = cl_xcalloc(nb + 1, sizeof *cur);
    for (size_t j = 0; j <= nb; j++) {
        prev[j] = cl_xcalloc(top, sizeof **prev);
        cur[j] = cl_xcalloc(top, sizeof **cur);
        prev[j][0] = 1; /* i = 0: one arrangement, U = 0 */
    }
    for (size_t i = 1; i <= na; i++) {
        memset(cur[0], 0, top * sizeof **cur);
        cur[0][0] = 1; /* j = 0 */
        for (size_t j = 1; j <= nb; j++) {
            memset(cur[j], 0, top * sizeof **cur);
            for (size_t k = 0; k <= i * j; k++)
                cur[j][k] = (k >= j ? prev[j][k - j] : 0) + cur[j - 1][k];
        }
        double **t = prev;
        prev = cur;
        cur = t;
    }
    double below = 0, total = 0;
    for (size_t k = 0; k < top; k++) {
        total += prev[nb][k];
        if (k <= u)
            below += prev[nb][k];
    }
    for (size_t j = 0; j <= nb; j++) {
        free(prev[j]);
        free(cur[j]);
    }
    free(prev);
    free(cur);
    return below / total;
}

/* A value and where it came from, to sort by value (the samples of both
 * runs; the p-values of the cells). */
struct ranked {
    double v;
    size_t i;
};

static int by_value(const void *x, const void *y)
{
    double a = ((const struct ranked *)x)->v, b = ((const struct ranked *)y)->v;
    return (a > b) - (a < b);
}

double cl_mann_whitney_p(const double *a, size_t na, const double *b, size_t nb,
                         double *u_out)
{
    if (na == 0 || nb == 0) {
        if (u_out)
            *u_out = NAN;
        return NAN;
    }
    size_t n = na + nb;
    struct ranked *all = cl_xmalloc(n * sizeof *all);
    for (size_t i = 0; i < na; i++)
        all[i] = (struct ranked){a[i], i};
    for (size_t i = 0; i < nb; i++)
        all[na + i] = (struct ranked){b[i], na + i};
    qsort(all, n, sizeof *all, by_value);
    /* midranks; the rank sum of a gives U; tie groups correct the variance */
    double rank_sum_a = 0, ties = 0;
    int tied = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j + 1 < n && all[j + 1].v == all[i].v)
            j++;
        double rank = (double)(i + j) / 2 + 1, t = (double)(j - i + 1);
        for (size_t k = i; k <= j; k++)
            if (all[k].i < na) /* one of a */
                rank_sum_a += rank;
        if (t > 1) {
            tied = 1;
            ties += t * t * t - t;
        }
        i = j + 1;
    }
    free(all);
    double fa = (double)na, fb = (double)nb, fn = (double)n;
    double u = rank_sum_a - fa * (fa + 1) / 2;
    if (u_out)
        *u_out = u;
    if (!tied && na <= EXACT_MAX && nb <= EXACT_MAX) {
        double lo = fmin(u, fa * fb - u);
        double p = 2 * exact_cdf(na, nb, (size_t)llround(lo));
        return p > 1 ? 1 : p;
    }
    double mu = fa * fb / 2;
    double var = fa * fb / 12 * ((fn + 1) - ties / (fn * (fn - 1)));
    if (!(var > 0))
        return 1; /* every value the same: no evidence of a difference */
    double z = (fabs(u - mu) - 0.5) / sqrt(var);
    if (z < 0)
        z = 0;
    return erfc(z / M_SQRT2);
}

/* The smallest two-sided p the exact test can give with these sizes. */
static double min_p(size_t na, size_t nb)
{
    double c = 1; /* C(na + nb, na) */
    for (size_t i = 1; i <= na; i++)
        c = c * (double)(nb + i) / (double)i;
    return 2 / c;
}

/* ---- many cells at once --------------------------------------------------------- */

int cl_correction_parse(const char *s, enum cl_correction *out)
{
    static const char *const names[] = {"holm", "bh", "none"};
    for (int i = 0; i < 3; i++)
        if (strcmp(s, names[i]) == 0) {
            *out = (enum cl_correction)i;
            return 0;
        }
    return -1;
}

static const char *correction_name(enum cl_correction c)
{
    return c == CL_CORRECT_HOLM ? "Holm-Bonferroni"
           : c == CL_CORRECT_BH ? "Benjamini-Hochberg"
                                : "no correction";
}

void cl_p_adjust(const double *p, size_t n, enum cl_correction c, double *adj)
{
    struct ranked *v = cl_xmalloc((n + 1) * sizeof *v);
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(p[i]))
            v[m++] = (struct ranked){p[i], i};
        else
            adj[i] = NAN;
    qsort(v, m, sizeof *v, by_value);
    double run = c == CL_CORRECT_BH ? 1 : 0;
    for (size_t k = 0; k < m; k++) {
        if (c == CL_CORRECT_HOLM) { /* step down: (m - k) p_(k), never decreasing */
            run = fmax(run, (double)(m - k) * v[k].v);
            adj[v[k].i] = fmin(run, 1);
        } else if (c == CL_CORRECT_BH) { /* step up, from the largest p */
            size_t r = m - 1 - k;
            run = fmin(run, (double)m / (double)(r + 1) * v[r].v);
            adj[v[r].i] = run;
        } else {
            adj[v[k].i] = fmin(v[k].v, 1);
        }
    }
    free(v);
}

double cl_p_adjust_floor(double p_min, size_t m, enum cl_correction c)
{
    double f = c == CL_CORRECT_HOLM ? p_min * (double)(m ? m : 1) : p_min;
    return fmin(f, 1);
}

/* ---- pairing the cells ---------------------------------------------------------- */

enum verdict { V_SAME, V_FASTER, V_SLOWER, V_UNCLEAR, V_FEW, V_NODATA, V_ONLY_A,
               V_ONLY_B };

static const char *const verdict_name[] = {"same", "faster", "slower", "unclear",
                                           "too few", "no data", "only in A",
                                           "only in B"};

/* How the comparison was asked for. */
struct how {
    double threshold;         /* |ratio - 1| that counts as a change */
    enum cl_correction correction;
    int fail_slower, fail_faster; /* --fail-on */
};

struct pair {
    const struct cl_rcell *a, *b;
    double med_a, med_b, ratio, p, p_adj;
    size_t na, nb;
    enum verdict v;
    char note[256];
};

static size_t ok_walls(const struct cl_rcell *c, double *w)
{
    return c ? cl_cell_ok_walls(&c->cell, w) : 0;
}

/* The figures of one pair: medians, ratio, the test's raw p. */
static void measure(struct pair *p)
{
    p->med_a = p->a && p->a->n_ok ? p->a->cell.wall.median : NAN;
    p->med_b = p->b && p->b->n_ok ? p->b->cell.wall.median : NAN;
    p->ratio = p->med_b / p->med_a;
    p->p = p->p_adj = NAN;
    if (!p->a || !p->b)
        return;
    if (p->a->cell.status != p->b->cell.status)
        snprintf(p->note, sizeof p->note, "status %s -> %s",
                 cl_status_name(p->a->cell.status), cl_status_name(p->b->cell.status));
    double *wa = cl_xmalloc((p->a->cell.n_rows + 1) * sizeof *wa);
    double *wb = cl_xmalloc((p->b->cell.n_rows + 1) * sizeof *wb);
    p->na = ok_walls(p->a, wa);
    p->nb = ok_walls(p->b, wb);
    if (p->na && p->nb && p->med_a > 0)
        p->p = cl_mann_whitney_p(wa, p->na, wb, p->nb, NULL);
    free(wa);
    free(wb);
}

/* The verdict of one pair, its p adjusted within a family of m tests. */
static void judge(struct pair *p, const struct how *h, size_t m)
{
    double off = fabs(p->ratio - 1);
    if (!p->b)
        p->v = V_ONLY_A;
    else if (!p->a)
        p->v = V_ONLY_B;
    else if (!isfinite(p->p))
        p->v = V_NODATA;
    else if (p->p_adj < CL_COMPARE_ALPHA && off > h->threshold)
        p->v = p->ratio < 1 ? V_FASTER : V_SLOWER;
    else if (off <= h->threshold)
        p->v = V_SAME;
    else if (cl_p_adjust_floor(min_p(p->na, p->nb), m, h->correction) >= CL_COMPARE_ALPHA)
        p->v = V_FEW;
    else
        p->v = V_UNCLEAR;
}

static const struct cl_rcell *find(const struct cl_run_report *r, const char *name)
{
    for (size_t i = 0; i < r->n_cells; i++)
        if (strcmp(r->cells[i].cell.name, name) == 0)
            return &r->cells[i];
    return NULL;
}

static struct pair *pair_up(const struct cl_run_report *a,
                            const struct cl_run_report *b, const struct how *h,
                            size_t *n_out)
{
    struct pair *v = cl_xcalloc(a->n_cells + b->n_cells + 1, sizeof *v);
    size_t n = 0;
    for (size_t i = 0; i < a->n_cells; i++) {
        v[n].a = &a->cells[i];
        v[n++].b = find(b, a->cells[i].cell.name);
    }
    for (size_t i = 0; i < b->n_cells; i++)
        if (!find(a, b->cells[i].cell.name))
            v[n++].b = &b->cells[i];
    double *p = cl_xmalloc((n + 1) * sizeof *p);
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        measure(&v[i]);
        p[i] = v[i].p;
        m += isfinite(p[i]) != 0;
    }
    cl_p_adjust(p, n, h->correction, p);
    for (size_t i = 0; i < n; i++) {
        v[i].p_adj = p[i];
        judge(&v[i], h, m);
    }
    free(p);
    *n_out = n;
    return v;
}

/* Whether the pairs hold a change --fail-on names. */
static int failed(const struct pair *v, size_t n, const struct how *h)
{
    for (size_t i = 0; i < n; i++)
        if ((v[i].v == V_SLOWER && h->fail_slower) ||
            (v[i].v == V_FASTER && h->fail_faster))
            return 1;
    return 0;
}

/* What to keep in mind when reading the comparison: every run warning of
 * either run (a busy machine, a VM, frequency scaling, an unfinished run),
 * and two different machines.  Owned by the caller (free each, then v). */
static char **caveats(const struct cl_run_report *a, const struct cl_run_report *b,
                      size_t *n_out)
{
    const struct cl_run_report *ab[] = {a, b};
    char **v = cl_xcalloc(a->n_warn + b->n_warn + 2, sizeof *v);
    size_t n = 0;
    for (int k = 0; k < 2; k++)
        for (size_t i = 0; i < ab[k]->n_warn; i++) {
            const char *w = ab[k]->warn[i];
            int in_other = 0;
            for (size_t j = 0; j < ab[!k]->n_warn && !in_other; j++)
                in_other = strcmp(w, ab[!k]->warn[j]) == 0;
            if (!in_other)
                v[n++] = cl_xasprintf("%c: %s", "AB"[k], w);
            else if (k == 0) /* said once for both */
                v[n++] = cl_xasprintf("A and B: %s", w);
        }
    int other_host = a->hostname && b->hostname && strcmp(a->hostname, b->hostname) != 0;
    int other_cpu = a->cpu && b->cpu && strcmp(a->cpu, b->cpu) != 0;
    if (other_host || other_cpu)
        v[n++] = cl_xasprintf("A and B ran on different machines (%s, %s): a "
                              "change may be the machine's, not the code's",
                              other_host ? a->hostname : a->cpu,
                              other_host ? b->hostname : b->cpu);
    *n_out = n;
    return v;
}

/* ---- output --------------------------------------------------------------------- */

/* A comparison, as the writers see it. */
struct outcome {
    const struct cl_run_report *a, *b;
    const struct pair *v;
    size_t n;
    char **warn;
    size_t n_warn;
    const struct how *h;
};

static const char *fmt_p(double p, char *buf, size_t len)
{
    if (!isfinite(p))
        snprintf(buf, len, "-");
    else if (p < 0.001)
        snprintf(buf, len, "<0.001");
    else
        snprintf(buf, len, "%.3f", p);
    return buf;
}

static const char *cell_name(const struct pair *p)
{
    return p->a ? p->a->cell.name : p->b->cell.name;
}

static int changed(const struct pair *p)
{
    return p->v == V_FASTER || p->v == V_SLOWER;
}

enum { K_CELL, K_A, K_B, K_RATIO, K_P, K_PADJ, K_VERDICT, N_K };

static const char *const head[N_K] = {"cell", "A median", "B median", "B/A",
                                      "p", "adj. p", "verdict"};

static void pair_fields(const struct pair *p, char f[N_K][300])
{
    snprintf(f[K_CELL], 300, "%s", cell_name(p));
    cl_fmt_dur(p->med_a, f[K_A], 300);
    cl_fmt_dur(p->med_b, f[K_B], 300);
    if (isfinite(p->ratio))
        snprintf(f[K_RATIO], 300, "%.3f", p->ratio);
    else
        snprintf(f[K_RATIO], 300, "-");
    fmt_p(p->p, f[K_P], 300);
    fmt_p(p->p_adj, f[K_PADJ], 300);
    snprintf(f[K_VERDICT], 300, "%s%s%s%s", changed(p) ? "** " : "",
             verdict_name[p->v], *p->note ? "; " : "", p->note);
}

static size_t width(const char *s)
{
    size_t w = 0;
    for (; *s; s++)
        w += ((unsigned char)*s & 0xC0) != 0x80;
    return w;
}

static void counts_line(FILE *out, const struct pair *v, size_t n)
{
    size_t c[V_ONLY_B + 1] = {0};
    for (size_t i = 0; i < n; i++)
        c[v[i].v]++;
    int first = 1;
    for (int k = 0; k <= V_ONLY_B; k++)
        if (c[k]) {
            fprintf(out, "%s%zu %s", first ? "" : ", ", c[k], verdict_name[k]);
            first = 0;
        }
    fputc('\n', out);
}

/* The legend under the table (text and md). */
static void legend(FILE *out, const struct how *h)
{
    fprintf(out, "B/A < 1: B is faster.  p: Mann-Whitney U over the ok repetitions "
            "(two-sided); adj. p: %s across the cells.  A change (**): adj. p < "
            "%g and medians more than %g%% apart.\n",
            correction_name(h->correction), CL_COMPARE_ALPHA, h->threshold * 100);
}

/* The caveats, a line each: prefix, then the text made safe by `safe`. */
static void put_warnings(FILE *out, const struct outcome *o, const char *prefix,
                         char *(*safe)(const char *))
{
    for (size_t i = 0; i < o->n_warn; i++) {
        char *t = safe(o->warn[i]);
        fprintf(out, "%s%s\n", prefix, t);
        free(t);
    }
}

static void write_text(FILE *out, const struct outcome *o)
{
    size_t w[N_K];
    for (int k = 0; k < N_K; k++)
        w[k] = width(head[k]);
    char (*f)[N_K][300] = cl_xcalloc(o->n + 1, sizeof *f);
    for (size_t i = 0; i < o->n; i++) {
        pair_fields(&o->v[i], f[i]);
        char *cell = cl_neutral_term(f[i][K_CELL]); /* no escape sequences */
        snprintf(f[i][K_CELL], sizeof f[i][K_CELL], "%s", cell);
        free(cell);
        for (int k = 0; k < N_K; k++)
            if (width(f[i][k]) > w[k])
                w[k] = width(f[i][k]);
    }
    const struct cl_run_report *ab[] = {o->a, o->b};
    for (int k = 0; k < 2; k++) {
        char *dir = cl_neutral_term(ab[k]->dir);
        char *ex = cl_neutral_term(ab[k]->experiment ? ab[k]->experiment : "?");
        fprintf(out, "%c: %s (%s)\n", "AB"[k], dir, ex);
        free(dir);
        free(ex);
    }
    put_warnings(out, o, "  ! ", cl_neutral_term);
    fputc('\n', out);
    for (int k = 0; k < N_K; k++) {
        int pad = (int)(w[k] + strlen(head[k]) - width(head[k]));
        if (k == K_CELL)
            fprintf(out, "%-*s", pad, head[k]);
        else if (k == K_VERDICT)
            fprintf(out, "  %s", head[k]);
        else
            fprintf(out, "  %*s", pad, head[k]);
    }
    fputc('\n', out);
    for (size_t i = 0; i < o->n; i++) {
        for (int k = 0; k < N_K; k++) {
            size_t extra = strlen(f[i][k]) - width(f[i][k]);
            if (k == K_VERDICT)
                fprintf(out, "  %s", f[i][k]);
            else
                fprintf(out, k == K_CELL ? "%-*s" : "  %*s", (int)(w[k] + extra), f[i][k]);
        }
        fputc('\n', out);
    }
    free(f);
    fputc('\n', out);
    counts_line(out, o->v, o->n);
    legend(out, o->h);
}

static void md_cell(FILE *out, const char *s)
{
    char *m = cl_neutral_md(s); /* no markup, no raw HTML */
    fprintf(out, " %s |", m);
    free(m);
}

static void write_md(FILE *out, const struct outcome *o)
{
    fputs("# conlab compare\n\n- A:", out);
    md_cell(out, o->a->dir);
    fputs("\n- B:", out);
    md_cell(out, o->b->dir);
    fputc('\n', out);
    put_warnings(out, o, "- **warning:** ", cl_neutral_md);
    fputs("\n| cell | A median | B median | B/A | p | adj. p | verdict |\n"
          "| --- | ---: | ---: | ---: | ---: | ---: | --- |\n", out);
    for (size_t i = 0; i < o->n; i++) {
        const struct pair *p = &o->v[i];
        char f[N_K][300];
        pair_fields(p, f);
        fputc('|', out);
        for (int k = 0; k < N_K; k++) {
            if (k == K_VERDICT && changed(p)) {
                fprintf(out, " **%s**", verdict_name[p->v]);
                if (*p->note)
                    fprintf(out, "; %s", p->note);
                fputs(" |", out);
            } else {
                md_cell(out, f[k]);
            }
        }
        fputc('\n', out);
    }
    fputc('\n', out);
    counts_line(out, o->v, o->n);
    fputc('\n', out);
    legend(out, o->h);
}

static void num_field(FILE *out, double x)
{
    fputc(',', out);
    if (isfinite(x))
        fprintf(out, "%.9g", x);
}

/* CSV is the table alone: the caveats go to stderr. */
static void write_csv(FILE *out, const struct outcome *o)
{
    put_warnings(stderr, o, "conlab compare: warning: ", cl_neutral_term);
    fputs("cell,a_median_s,b_median_s,ratio,p,p_adjusted,a_reps,b_reps,verdict,"
          "changed,note\n", out);
    for (size_t i = 0; i < o->n; i++) {
        const struct pair *p = &o->v[i];
        cl_csv_field(out, cell_name(p), 1);
        num_field(out, p->med_a);
        num_field(out, p->med_b);
        num_field(out, p->ratio);
        num_field(out, p->p);
        num_field(out, p->p_adj);
        fprintf(out, ",%zu,%zu", p->na, p->nb);
        cl_csv_field(out, verdict_name[p->v], 0);
        fprintf(out, ",%d", changed(p));
        cl_csv_field(out, p->note, 0);
        fputc('\n', out);
    }
}

static void write_json(FILE *out, const struct outcome *o)
{
    static const char *const corr[] = {"holm", "bh", "none"};
    struct json_object *j = json_object_new_object();
    json_object_object_add(j, "a", cl_json_str(o->a->dir));
    json_object_object_add(j, "b", cl_json_str(o->b->dir));
    json_object_object_add(j, "test", cl_json_str("mann-whitney-u"));
    json_object_object_add(j, "correction", cl_json_str(corr[o->h->correction]));
    json_object_object_add(j, "alpha", cl_json_num(CL_COMPARE_ALPHA));
    json_object_object_add(j, "threshold", cl_json_num(o->h->threshold));
    json_object_object_add(j, "warnings", cl_json_strs(o->warn, o->n_warn));
    struct json_object *cells = json_object_new_array();
    for (size_t i = 0; i < o->n; i++) {
        const struct pair *p = &o->v[i];
        struct json_object *c = json_object_new_object();
        json_object_object_add(c, "cell", cl_json_str(cell_name(p)));
        json_object_object_add(c, "a_median_s", cl_json_num(p->med_a));
        json_object_object_add(c, "b_median_s", cl_json_num(p->med_b));
        json_object_object_add(c, "ratio", cl_json_num(p->ratio));
        json_object_object_add(c, "p", cl_json_num(p->p));
        json_object_object_add(c, "p_adjusted", cl_json_num(p->p_adj));
        json_object_object_add(c, "a_reps", json_object_new_uint64(p->na));
        json_object_object_add(c, "b_reps", json_object_new_uint64(p->nb));
        json_object_object_add(c, "verdict", cl_json_str(verdict_name[p->v]));
        json_object_object_add(c, "changed", json_object_new_boolean(changed(p)));
        json_object_object_add(c, "note", cl_json_str(p->note));
        json_object_array_add(cells, c);
    }
    json_object_object_add(j, "cells", cells);
    json_object_object_add(j, "failed", json_object_new_boolean(failed(o->v, o->n, o->h)));
    cl_json_write(out, j);
}

/* ---- the command ---------------------------------------------------------------- */

static const char compare_help[] =
    "usage: conlab compare DIR_A DIR_B [--format text|md|csv|json]\n"
    "                      [--threshold PCT] [--correction holm|bh|none]\n"
    "                      [--fail-on slower|faster|any|none]\n"
    "\n"
    "Cell by cell (matched by name), how run B's wall time compares with run\n"
    "A's: the ratio of the medians (B/A; below 1, B is faster) and whether\n"
    "the difference is beyond the noise of the repetitions.\n"
    "\n"
    "The test is Mann-Whitney U (Wilcoxon rank-sum, two-sided) over the ok\n"
    "repetitions: exact without ties up to 30 repetitions a side, the normal\n"
    "approximation otherwise.  It assumes no distribution (wall times are\n"
    "skewed, and one outlier moves a t-test a lot); under a shift it tests the\n"
    "medians.  Testing many cells at once, some would pass p < 0.05 by chance,\n"
    "so the p-values are adjusted across the cells: Holm-Bonferroni by default\n"
    "(the chance of even one false flag stays under 5%: what a CI gate wants),\n"
    "Benjamini-Hochberg with --correction bh (under 5% of the flags false, on\n"
    "average: finds more with many cells), or none.\n"
    "\n"
    "A cell is flagged faster or slower when its adjusted p < 0.05 AND the\n"
    "medians differ by more than the threshold: a smaller change is 'same'\n"
    "however significant.  'unclear': they differ more, but p is not small\n"
    "enough; 'too few': the repetitions cannot reach p < 0.05 at all (the\n"
    "exact test needs 4 a side for one cell, and Holm multiplies the smallest\n"
    "p by the number of cells: 10 cells need 7 repetitions a side).\n"
    "The warnings of either run (a busy machine, a virtual machine, frequency\n"
    "scaling, an unfinished run) and different machines are repeated first.\n"
    "\n"
    "  -f, --format F        text (default), md, csv (warnings on stderr) or json\n"
    "  -t, --threshold PCT   smallest change worth a flag, in percent (default 5)\n"
    "  -c, --correction C    holm (default), bh or none\n"
    "  -x, --fail-on WHICH   exit 1 when a cell is flagged slower, faster, or\n"
    "                        either (any); none (default): exit 0 whatever changed\n"
    "\n"
    "Exit status: 0; 1 a cell changed the way --fail-on names; 2 bad command\n"
    "line, unreadable or inconsistent DIR; 3 cannot write.\n";

/* --fail-on WHICH into h.  0, or -1 if unknown. */
static int parse_fail_on(const char *s, struct how *h)
{
    int slower = !strcmp(s, "slower") || !strcmp(s, "any");
    int faster = !strcmp(s, "faster") || !strcmp(s, "any");
    if (!slower && !faster && strcmp(s, "none") != 0)
        return -1;
    h->fail_slower = slower;
    h->fail_faster = faster;
    return 0;
}

int cl_cmd_compare(int argc, char **argv)
{
    static const struct option opts[] = {
        {"format", required_argument, NULL, 'f'},
        {"threshold", required_argument, NULL, 't'},
        {"correction", required_argument, NULL, 'c'},
        {"fail-on", required_argument, NULL, 'x'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    enum cl_report_format fmt = CL_FMT_TEXT;
    struct how h = {CL_COMPARE_THRESHOLD, CL_CORRECT_HOLM, 0, 0};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "f:t:c:x:h", opts, NULL)) != -1) {
        switch (c) {
        case 'f':
            if (cl_report_format_parse(optarg, &fmt) != 0) {
                fprintf(stderr, "conlab compare: unknown format '%s' (text, md, "
                        "csv or json)\n", optarg);
                return CL_EXIT_USAGE;
            }
            break;
        case 't': {
            char *end = NULL;
            double pct = strtod(optarg, &end);
            if (!end || end == optarg || (*end && strcmp(end, "%") != 0) ||
                !(pct >= 0 && pct < 1000)) {
                fprintf(stderr, "conlab compare: --threshold wants a percentage "
                        "such as 5 (got '%s')\n", optarg);
                return CL_EXIT_USAGE;
            }
            h.threshold = pct / 100;
            break;
        }
        case 'c':
            if (cl_correction_parse(optarg, &h.correction) != 0) {
                fprintf(stderr, "conlab compare: unknown correction '%s' (holm, "
                        "bh or none)\n", optarg);
                return CL_EXIT_USAGE;
            }
            break;
        case 'x':
            if (parse_fail_on(optarg, &h) != 0) {
                fprintf(stderr, "conlab compare: --fail-on wants slower, faster, "
                        "any or none (got '%s')\n", optarg);
                return CL_EXIT_USAGE;
            }
            break;
        case 'h': fputs(compare_help, stdout); return 0;
        default:
            fprintf(stderr, "see 'conlab compare --help'\n");
            return CL_EXIT_USAGE;
        }
    }
    if (argc - optind != 2) {
        fprintf(stderr, "conlab compare: two run directories, please; see "
                "'conlab compare --help'\n");
        return CL_EXIT_USAGE;
    }
    struct cl_run_report *ra = NULL, *rb = NULL;
    char err[1024];
    if (cl_report_load(argv[optind], &ra, err, sizeof err) != 0 ||
        cl_report_load(argv[optind + 1], &rb, err, sizeof err) != 0) {
        fprintf(stderr, "conlab compare: %s\n", err);
        cl_report_free(ra);
        return CL_EXIT_USAGE;
    }
    struct outcome o = {.a = ra, .b = rb, .h = &h};
    struct pair *v = pair_up(ra, rb, &h, &o.n);
    o.v = v;
    o.warn = caveats(ra, rb, &o.n_warn);
    switch (fmt) {
    case CL_FMT_TEXT: write_text(stdout, &o); break;
    case CL_FMT_MD: write_md(stdout, &o); break;
    case CL_FMT_CSV: write_csv(stdout, &o); break;
    case CL_FMT_JSON: write_json(stdout, &o); break;
    }
    int bad = fflush(stdout) != 0 || ferror(stdout);
    int rc = failed(v, o.n, &h) ? CL_EXIT_CHANGED : CL_EXIT_OK;
    for (size_t i = 0; i < o.n_warn; i++)
        free(o.warn[i]);
    free(o.warn);
    free(v);
    cl_report_free(ra);
    cl_report_free(rb);
    if (bad) {
        fprintf(stderr, "conlab compare: cannot write: %s\n", strerror(errno));
        return CL_EXIT_INTERNAL;
    }
    return rc;
}
