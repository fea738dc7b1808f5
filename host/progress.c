/* progress.c — see progress.h. */
#include "progress.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "neutral.h"
#include "rundir.h"
#include "util.h"

void cl_progress_start(struct cl_progress *p, int on,
                       const struct cl_cell *cells, size_t n_cells, int reps)
{
    memset(p, 0, sizeof *p);
    p->on = on;
    p->tty = p->on && isatty(STDERR_FILENO);
    for (size_t i = 0; i < n_cells; i++)
        p->total += !cells[i].done;
    p->reps = reps > 0 ? reps : 1;
    p->n_cells = n_cells;
    p->t0_ns = cl_now_ns();
}

static void clock_text(double s, char *buf, size_t len)
{
    long t = isfinite(s) && s > 0 ? lround(s) : 0;
    if (t >= 3600)
        snprintf(buf, len, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
    else
        snprintf(buf, len, "%ld:%02ld", t / 60, t % 60);
}

static void draw(const struct cl_progress *p)
{
    struct winsize ws;
    size_t cols = ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col ? ws.ws_col : 80;
    double now = (double)(cl_now_ns() - p->t0_ns) / 1e9;
    double in_cell = (double)(cl_now_ns() - p->cell_t0_ns) / 1e9;
    /* the mean cell so far; before the first ends, this cell's pace */
    double per_cell = p->done ? p->cells_s / (double)p->done
                      : p->rep ? in_cell / p->rep * p->reps : NAN;
    double left = per_cell * (double)(p->total - p->done) - in_cell;
    double frac = p->total ? ((double)p->done + (double)p->rep / p->reps) / (double)p->total : 1;
    char el[32], eta[32], bar[3 * 20 + 1] = "";
    clock_text(now, el, sizeof el);
    if (isfinite(left))
        clock_text(left > 0 ? left : 0, eta, sizeof eta);
    else
        snprintf(eta, sizeof eta, "?");
    size_t filled = (size_t)(frac * 20 + 0.5);
    for (size_t i = 0; i < 20; i++)
        strcat(bar, i < filled ? "█" : "░");
    char head[160], tail[96];
    snprintf(head, sizeof head, "[%zu/%zu] %s ", p->done + 1 <= p->total ? p->done + 1 : p->total,
             p->total, bar);
    snprintf(tail, sizeof tail, "  rep %d/%d  %s, ETA %s", p->rep + 1 <= p->reps ? p->rep + 1 : p->reps,
             p->reps, el, eta);
    /* the cell name gets what is left of the line (the bar is 20 columns) */
    size_t used = strlen(head) - 2 * 20 + strlen(tail);
    size_t room = cols > used + 4 ? cols - used - 1 : 0;
    char *name = cl_neutral_term(p->cell ? p->cell->name : "");
    size_t nlen = strlen(name);
    fprintf(stderr, "\r%s", head);
    if (nlen <= room)
        fputs(name, stderr);
    else if (room > 3)
        fprintf(stderr, "%.*s…", (int)(room - 1), name);
    fprintf(stderr, "%s\033[K", tail);
    free(name);
    fflush(stderr);
}

void cl_progress_cell(struct cl_progress *p, const struct cl_cell *c, size_t pos)
{
    if (!p->on)
        return;
    p->cell = c;
    p->pos = pos;
    p->rep = 0;
    p->cell_t0_ns = cl_now_ns();
    if (p->tty) {
        draw(p);
        return;
    }
    char *name = cl_neutral_term(c->name);
    fprintf(stderr, "[%*zu/%zu] %s ", p->n_cells >= 10 ? 2 : 1, pos + 1, p->n_cells,
            name);
    free(name);
    fflush(stderr);
}

void cl_progress_rep(struct cl_progress *p, const struct cl_rep_row *row)
{
    if (!p->on)
        return;
    p->rep++;
    if (p->tty) {
        draw(p);
        return;
    }
    fputc(row->status == CL_ST_OK ? '.' : '!', stderr);
    fflush(stderr);
}

void cl_progress_done(struct cl_progress *p, const struct cl_cell *c)
{
    if (!p->on)
        return;
    p->done++;
    p->cells_s += (double)(cl_now_ns() - p->cell_t0_ns) / 1e9;
    /* names and details from plugins and specs: no escape sequences */
    char *masked = cl_neutral_url(c->detail); /* a plugin's words may hold a URL */
    char *name = cl_neutral_term(c->name), *detail = cl_neutral_term(masked);
    free(masked);
    if (!p->tty) {
        if (c->status == CL_ST_OK)
            fprintf(stderr, " ok  %.4g s ± %.2g\n", c->wall.mean, c->wall.sd);
        else
            fprintf(stderr, " %s: %s\n", cl_status_name(c->status), detail);
    } else if (c->status != CL_ST_OK) {
        /* a cell that is not ok keeps a line; the bar moves on below it */
        fprintf(stderr, "\r\033[K[%zu/%zu] %s: %s: %s\n", p->pos + 1, p->n_cells,
                name, cl_status_name(c->status), detail);
    }
    free(name);
    free(detail);
    if (!p->tty)
        return;
    p->rep = 0;
    p->cell_t0_ns = cl_now_ns();
    if (p->done < p->total)
        draw(p);
}

void cl_progress_end(struct cl_progress *p)
{
    if (!p->on || !p->tty)
        return;
    char el[32];
    clock_text((double)(cl_now_ns() - p->t0_ns) / 1e9, el, sizeof el);
    fprintf(stderr, "\r\033[Kconlab: %zu of %zu cell%s run in %s\n", p->done,
            p->total, p->total == 1 ? "" : "s", el);
}
