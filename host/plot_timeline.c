/* plot_timeline.c — see plot_timeline.h. */
#include "plot_timeline.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "plot_svg.h"
#include "util.h"

/* ---- timelines ------------------------------------------------------------------ */



static size_t find_cell(const struct cl_run_report *r, const char *name, size_t hint)
{
    if (hint < r->n_cells && strcmp(r->cells[hint].cell.name, name) == 0)
        return hint;
    for (size_t i = 0; i < r->n_cells; i++)
        if (strcmp(r->cells[i].cell.name, name) == 0)
            return i;
    return SIZE_MAX;
}

/* The first measured repetition of every cell, from tasks.csv.  1 if the
 * file is there, 0 if not, -1 on a read error (message in err). */
int cl_timelines_load(const struct cl_run_report *r, struct cl_timeline *tl,
                          char *err, size_t errlen)
{
    char *path = cl_xasprintf("%s/tasks.csv", r->dir);
    struct cl_csv_in in;
    if (cl_csv_open(&in, path) != 0) {
        int rc = errno == ENOENT ? 0 : -1;
        if (rc)
            snprintf(err, errlen, "%s: %s", path, strerror(errno));
        free(path);
        return rc;
    }
    free(path);
    struct cl_csv_row h, row;
    if (cl_csv_next(&in, &h) != 1) {
        cl_csv_close(&in);
        return 1; /* empty: the cells simply have no records */
    }
    long c_cell = cl_csv_col(&h, "cell"), c_rep = cl_csv_col(&h, "repetition"),
         c_task = cl_csv_col(&h, "task"), c_worker = cl_csv_col(&h, "worker"),
         c_cpu = cl_csv_col(&h, "cpu"), c_start = cl_csv_col(&h, "start_s"),
         c_end = cl_csv_col(&h, "end_s"), c_status = cl_csv_col(&h, "status");
    size_t hint = 0;
    while (cl_csv_next(&in, &row) == 1) {
        if (atoi(cl_csv_get(&row, c_rep)) == 1) {
            size_t ci = find_cell(r, cl_csv_get(&row, c_cell), hint);
            if (ci != SIZE_MAX) {
                hint = ci;
                struct cl_timeline *t = &tl[ci];
                const char *st = cl_csv_get(&row, c_status);
                t->present = 1;
                if (!*cl_csv_get(&row, c_worker) || !*cl_csv_get(&row, c_start)) {
                    t->missing++;
                } else {
                    if (t->n == t->cap) {
                        t->cap = t->cap ? 2 * t->cap : 256;
                        t->bars = cl_xrealloc(t->bars, t->cap * sizeof *t->bars);
                    }
                    struct cl_bar *b = &t->bars[t->n++];
                    b->task = strtoull(cl_csv_get(&row, c_task), NULL, 10);
                    b->worker = (unsigned)strtoul(cl_csv_get(&row, c_worker), NULL, 10);
                    b->cpu = *cl_csv_get(&row, c_cpu) ? atoi(cl_csv_get(&row, c_cpu)) : -1;
                    b->start = strtod(cl_csv_get(&row, c_start), NULL);
                    b->end = *cl_csv_get(&row, c_end) ? strtod(cl_csv_get(&row, c_end), NULL) : NAN;
                    b->status = !strcmp(st, "ok") ? 'o' : !strcmp(st, "failed") ? 'f' : 'u';
                }
            }
        }
        cl_csv_row_free(&row);
    }
    cl_csv_row_free(&h);
    cl_csv_close(&in);
    return 1;
}

static int cmp_unsigned(const void *a, const void *b)
{
    unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;
    return (x > y) - (x < y);
}

/* Distinct worker ids, ascending; returns how many. */
static size_t worker_ids(const struct cl_timeline *t, unsigned **out)
{
    unsigned *ids = cl_xmalloc((t->n ? t->n : 1) * sizeof *ids);
    for (size_t i = 0; i < t->n; i++)
        ids[i] = t->bars[i].worker;
    qsort(ids, t->n, sizeof *ids, cmp_unsigned);
    size_t n = 0;
    for (size_t i = 0; i < t->n; i++)
        if (n == 0 || ids[n - 1] != ids[i])
            ids[n++] = ids[i];
    *out = ids;
    return n;
}

static long lane_of(const unsigned *ids, size_t n, unsigned worker)
{
    const unsigned *p = bsearch(&worker, ids, n, sizeof *ids, cmp_unsigned);
    return p ? (long)(p - ids) : -1;
}

static double rep1_wall(const struct cl_rcell *c)
{
    for (size_t i = 0; i < c->cell.n_rows; i++)
        if (c->cell.rows[i].repetition == 1)
            return c->cell.rows[i].wall_s;
    return NAN;
}

/* Where a drawn bar goes: tasks that overlap on one worker (a coroutine
 * strategy's, say) are stacked in rows of their lane, first fit by start. */
struct placed {
    size_t bar;     /* index into the timeline */
    size_t lane;
    double start;
    size_t row;     /* global row */
    int shade;      /* alternates along a row, so neighbours differ */
};

#define MAX_ROWS_PER_LANE 32

static int by_lane_start(const void *x, const void *y)
{
    const struct placed *a = x, *b = y;
    if (a->lane != b->lane)
        return a->lane < b->lane ? -1 : 1;
    return (a->start > b->start) - (a->start < b->start);
}

/* Place the bars of the first `lanes` workers; returns the rows used and
 * sets lane_row[l] (first row of lane l; lane_row[lanes] = total). */
static size_t place_bars(const struct cl_timeline *t, const unsigned *ids, size_t lanes,
                         struct placed *pl, size_t *n_pl, size_t *lane_row,
                         int *stacked)
{
    size_t n = 0;
    for (size_t i = 0; i < t->n; i++) {
        long l = lane_of(ids, lanes, t->bars[i].worker);
        if (l >= 0)
            pl[n++] = (struct placed){i, (size_t)l, t->bars[i].start, 0, 0};
    }
    qsort(pl, n, sizeof *pl, by_lane_start);
    double row_end[MAX_ROWS_PER_LANE];
    int shade[MAX_ROWS_PER_LANE];
    size_t rows = 0, i = 0;
    *stacked = 0;
    for (size_t l = 0; l < lanes; l++) {
        size_t used = 1;
        row_end[0] = -INFINITY;
        shade[0] = 0;
        for (; i < n && pl[i].lane == l; i++) {
            const struct cl_bar *b = &t->bars[pl[i].bar];
            double end = isfinite(b->end) ? b->end : INFINITY;
            size_t r = 0;
            while (r < used && row_end[r] > b->start + 1e-9)
                r++;
            if (r == used) {
                if (used < MAX_ROWS_PER_LANE) {
                    row_end[used] = -INFINITY;
                    shade[used++] = 0;
                } else {
                    r = 0; /* more at once than rows: they overlap again */
                    for (size_t k = 1; k < used; k++)
                        if (row_end[k] < row_end[r])
                            r = k;
                    *stacked = 2;
                }
            }
            row_end[r] = end;
            pl[i].row = rows + r;
            pl[i].shade = shade[r]++ % 2;
        }
        if (used > 1 && !*stacked)
            *stacked = 1;
        lane_row[l] = rows;
        rows += used;
    }
    lane_row[lanes] = rows;
    *n_pl = n;
    return rows;
}

/* What a timeline left out, in words ("" when nothing). */
static void timeline_note(char *note, size_t size, const struct cl_timeline *t,
                          size_t lanes, size_t n_ids, size_t drawn, size_t n_pl,
                          size_t stride, int stacked)
{
    size_t len = 0;
    note[0] = '\0';
    if (t->missing)
        len += (size_t)snprintf(note + len, size - len, "%zu task%s never ran · ",
                                t->missing, t->missing == 1 ? "" : "s");
    if (n_ids > lanes && len < size)
        len += (size_t)snprintf(note + len, size - len,
                                "showing %zu of %zu workers · ", lanes, n_ids);
    if (stride > 1 && len < size)
        len += (size_t)snprintf(note + len, size - len,
                                "%zu of their %zu tasks drawn (1 in %zu ok ones, every "
                                "failed one) · ", drawn, n_pl, stride);
    if (stacked == 2 && len < size)
        len += (size_t)snprintf(note + len, size - len,
                                "over %d tasks at once on a worker: some overlap · ",
                                MAX_ROWS_PER_LANE);
    if (len > 4 && len < size)
        note[len - 4] = '\0'; /* the last " · " (the dot takes two bytes) */
}

void cl_plot_timeline(FILE *f, const struct cl_rcell *c, const struct cl_timeline *t)
{
    unsigned *ids = NULL;
    size_t n_ids = worker_ids(t, &ids);
    size_t lanes = n_ids > CL_PLOT_MAX_LANES ? CL_PLOT_MAX_LANES : n_ids;
    struct placed *pl = cl_xmalloc((t->n ? t->n : 1) * sizeof *pl);
    size_t *lane_row = cl_xcalloc(lanes + 1, sizeof *lane_row);
    size_t n_pl = 0;
    int stacked = 0;
    size_t rows = place_bars(t, ids, lanes, pl, &n_pl, lane_row, &stacked);
    size_t n_bad = 0;
    double wall1 = rep1_wall(c), tmax = isfinite(wall1) ? wall1 : 0;
    for (size_t i = 0; i < n_pl; i++) {
        const struct cl_bar *b = &t->bars[pl[i].bar];
        n_bad += b->status != 'o';
        tmax = fmax(tmax, isfinite(b->end) ? b->end : b->start);
    }
    if (!(tmax > 0))
        tmax = 1e-3;
    /* beyond the cap, every stride-th ok task (failed ones all stay) */
    size_t stride = n_pl > CL_PLOT_MAX_BARS
                        ? (n_pl - n_bad + CL_PLOT_MAX_BARS - 1) / CL_PLOT_MAX_BARS : 1;
    if (stride < 1)
        stride = 1;
    size_t drawn = 0, seen = 0;
    for (size_t i = 0; i < n_pl; i++)
        if (t->bars[pl[i].bar].status != 'o' || seen++ % stride == 0)
            drawn++;
    char note[400];
    timeline_note(note, sizeof note, t, lanes, n_ids, drawn, n_pl, stride, stacked);
    double row_h = rows ? fmin(22, fmax(1.5, 400.0 / (double)rows)) : 22;
    double width = 960, left = 96, right = width - 24, top = 60;
    double plot_h = (double)(rows ? rows : 1) * row_h;
    double height = top + plot_h + 84 + (*note ? 22 : 0);

    char title[600], sub[400], wall[32];
    snprintf(title, sizeof title, "Timeline: %s", c->cell.name);
    snprintf(sub, sizeof sub, "repetition 1 · %zu task%s on %zu worker%s · wall %s · "
             "a bar is a task from start to end%s",
             t->n + t->missing, t->n + t->missing == 1 ? "" : "s", n_ids,
             n_ids == 1 ? "" : "s", cl_fmt_dur(wall1, wall, sizeof wall),
             stacked ? "; tasks overlapping on a worker are stacked" : "");
    cl_svg_begin(f, width, height, title);
    cl_svg_heading(f, 12, width, title, sub);
    struct cl_tunit u = cl_time_unit(tmax);
    struct cl_axis x = {0, tmax * 1.02, left, right, 0};
    char xlabel[64];
    snprintf(xlabel, sizeof xlabel, "time since the strategy started (%s)", u.name);
    cl_svg_x_axis(f, &x, top + plot_h + 4, top - 4, u.mul, xlabel);

    /* lanes: a label (with the CPU when the worker stayed on one), a rule
     * between lanes of several rows */
    double lane_step = 0;
    for (size_t l = 0; l < lanes; l++) {
        double y0 = top + (double)lane_row[l] * row_h;
        double lh = (double)(lane_row[l + 1] - lane_row[l]) * row_h;
        if (stacked && l > 0)
            fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
                    "stroke=\"#bbb\"/>\n", left - 40, y0, right, y0);
        if (y0 + lh / 2 < lane_step)
            continue; /* labels would collide: every few lanes */
        int cpu = -2;
        for (size_t i = 0; i < t->n && cpu != -1; i++)
            if (t->bars[i].worker == ids[l])
                cpu = cpu == -2 || cpu == t->bars[i].cpu ? t->bars[i].cpu : -1;
        char label[48];
        if (cpu >= 0 && lh >= 10)
            snprintf(label, sizeof label, "w%u · cpu %d", ids[l], cpu);
        else
            snprintf(label, sizeof label, "w%u", ids[l]);
        cl_svg_text(f, left - 6, y0 + lh / 2 + 4, "end", lh >= 12 ? 11 : 9, "fill=\"#444\"", label);
        lane_step = y0 + lh / 2 + 10;
    }
    if (isfinite(wall1)) {
        double xe = cl_axis_at(&x, wall1);
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#555\" "
                "stroke-dasharray=\"4 3\"><title>run() returned</title></line>\n",
                xe, top - 4, xe, top + plot_h);
    }

    size_t seen_ok = 0, counts[3] = {0, 0, 0};
    double gap = row_h >= 8 ? 1.5 : row_h >= 3 ? 0.5 : 0;
    for (size_t i = 0; i < n_pl; i++) {
        const struct cl_bar *b = &t->bars[pl[i].bar];
        counts[b->status == 'o' ? 0 : b->status == 'f' ? 1 : 2]++;
        if (b->status == 'o' && seen_ok++ % stride != 0)
            continue;
        double end = isfinite(b->end) ? b->end : tmax;
        double x0 = cl_axis_at(&x, b->start), x1 = cl_axis_at(&x, end);
        const char *fill = b->status == 'o' ? (pl[i].shade ? CL_C_OK2 : CL_C_OK)
                           : b->status == 'f' ? CL_C_FAILED : CL_C_UNFINISHED;
        char s1[32], s2[32];
        fprintf(f, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" "
                "fill=\"%s\"><title>task %llu: %s to %s, %s, worker %u, cpu %d</title></rect>\n",
                x0, top + (double)pl[i].row * row_h + gap / 2, fmax(x1 - x0, 0.6),
                row_h - gap, fill, (unsigned long long)b->task,
                cl_fmt_dur(b->start, s1, sizeof s1), cl_fmt_dur(end, s2, sizeof s2),
                b->status == 'o' ? "ok" : b->status == 'f' ? "failed" : "unfinished",
                b->worker, b->cpu);
    }

    /* legend, and what was left out */
    double ly = top + plot_h + 58, lx = left;
    const char *lname[3] = {"ok", "failed", "unfinished"};
    const char *lcol[3] = {CL_C_OK, CL_C_FAILED, CL_C_UNFINISHED};
    for (int k = 0; k < 3; k++) {
        char buf[64];
        snprintf(buf, sizeof buf, "%s (%zu)", lname[k], counts[k]);
        fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"12\" height=\"12\" fill=\"%s\"/>\n",
                lx, ly - 10, lcol[k]);
        cl_svg_text(f, lx + 17, ly, "start", 11.5, "fill=\"#333\"", buf);
        lx += 30 + cl_svg_text_w(buf, 11.5);
    }
    if (*note) {
        char fit[sizeof note + 8];
        cl_svg_text(f, left, ly + 22, "start", 11.5, "fill=\"#a33\"",
                    cl_svg_fit(note, 11.5, width - left - 12, fit, sizeof fit));
    }
    free(lane_row);
    free(pl);
    free(ids);
    cl_svg_end(f);
}

