/* report_html.c — the report's HTML fragments for plot's report.html. */
#include "report_out.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "neutral.h"
#include "util.h"

/* ---- HTML fragments (for plot's report.html) ---------------------------------- */

void cl_report_html_header(FILE *out, const struct cl_run_report *r)
{
    fputs("<h1>", out);
    cl_xml_escape(out, r->experiment ? r->experiment : "conlab run");
    fputs("</h1>\n<p class=\"meta\">", out);
    cl_xml_escape(out, r->state ? r->state : "state unknown");
    fprintf(out, " · %zu cells", r->n_cells);
    if (r->repeat >= 0)
        fprintf(out, " · %d measured repetitions each", r->repeat);
    const char *facts[] = {r->hostname, r->cpu, r->topology, r->started};
    for (size_t i = 0; i < sizeof facts / sizeof *facts; i++)
        if (facts[i]) {
            fputs(" · ", out);
            cl_xml_escape(out, facts[i]);
        }
    if (r->pinning) {
        fputs(" · pinning ", out);
        cl_xml_escape(out, r->pinning);
    }
    fputs("</p>\n", out);
    if (!r->n_warn)
        return;
    fputs("<ul class=\"warnings\">\n", out);
    for (size_t i = 0; i < r->n_warn; i++) {
        fputs("<li>", out);
        cl_xml_escape(out, r->warn[i]);
        fputs("</li>\n", out);
    }
    fputs("</ul>\n", out);
}

void cl_report_html_workload(FILE *out, const struct cl_run_report *r, size_t w)
{
    struct cl_report_unit u = cl_report_unit(r, w);
    fprintf(out, "<table class=\"summary\">\n<caption>wall time in %s</caption>\n<tr>",
            u.name);
    for (int k = 0; k < CL_RCOLS; k++) {
        fputs("<th>", out);
        cl_xml_escape(out, cl_report_col_head[k]);
        fputs("</th>", out);
    }
    fputs("</tr>\n", out);
    for (size_t i = 0; i < r->n_cells; i++) {
        const struct cl_rcell *c = &r->cells[i];
        if (c->workload_ix != w)
            continue;
        char *f[CL_RCOLS];
        cl_report_row(r, c, u, f);
        fprintf(out, "<tr%s>", c->fastest ? " class=\"fastest\"" : "");
        for (int k = 0; k < CL_RCOLS; k++) {
            fputs(cl_report_col_left[k] ? "<td>" : "<td class=\"num\">", out);
            cl_xml_escape(out, k == CL_RCOL_MARK && c->fastest ? "★" : f[k]);
            fputs("</td>", out);
        }
        fputs("</tr>\n", out);
        cl_report_row_free(f);
    }
    fputs("</table>\n", out);
    int any = 0;
    for (size_t i = 0; i < r->n_cells; i++) {
        const struct cl_rcell *c = &r->cells[i];
        for (size_t k = 0; c->workload_ix == w && k < c->n_warn; k++) {
            fputs(any++ ? "<li><b>" : "<ul class=\"warnings\">\n<li><b>", out);
            cl_xml_escape(out, c->cell.strategy->label);
            fputs(":</b> ", out);
            cl_xml_escape(out, c->warn[k]);
            fputs("</li>\n", out);
        }
    }
    if (any)
        fputs("</ul>\n", out);
}

