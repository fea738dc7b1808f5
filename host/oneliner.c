/* oneliner.c — see oneliner.h. */
#include "oneliner.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "specload.h"
#include "util.h"

static int name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
}

/* The end of the VALUE starting at s: the first ',' outside brackets,
 * braces and quotes, or the NUL.  NULL with *why when they do not close. */
static const char *value_end(const char *s, const char **why)
{
    int depth = 0;
    char quote = 0;
    for (; *s; s++) {
        if (quote) {
            if (*s == '\\' && quote == '"' && s[1])
                s++;
            else if (*s == quote)
                quote = 0;
        } else if (*s == '\'' || *s == '"') {
            quote = *s;
        } else if (*s == '[' || *s == '{') {
            depth++;
        } else if (*s == ']' || *s == '}') {
            if (--depth < 0) {
                *why = "a ']' or '}' that nothing opened";
                return NULL;
            }
        } else if (*s == ',' && depth == 0) {
            return s;
        }
    }
    *why = quote ? "a quote that does not close"
           : depth ? "a '[' or '{' that does not close" : NULL;
    return *why ? NULL : s;
}

/* Append arg's entry ("  - NAME" or "  - NAME:\n      KEY: VALUE"...) to
 * out, adding the lines written to *line.  0, or -1 with *why. */
static int write_entry(FILE *out, const char *arg, int *line, const char **why)
{
    size_t n = 0;
    while (name_char(arg[n]))
        n++;
    if (n == 0 || (arg[n] && arg[n] != ':')) {
        *why = "wants NAME or NAME:KEY=VALUE[,KEY=VALUE...] (a NAME is "
               "letters, digits, '_', '-' and '.')";
        return -1;
    }
    for (const char *c = arg; *c; c++)
        if ((unsigned char)*c < 0x20 || *c == 0x7f) {
            *why = "a control character (a newline?) in it";
            return -1;
        }
    if (!arg[n]) {
        fprintf(out, "  - %.*s\n", (int)n, arg);
        (*line)++;
        return 0;
    }
    fprintf(out, "  - %.*s:\n", (int)n, arg);
    (*line)++;
    const char *p = arg + n + 1;
    if (!*p) {
        *why = "nothing after ':' (KEY=VALUE[,KEY=VALUE...] wanted)";
        return -1;
    }
    for (;;) {
        size_t k = 0;
        while (name_char(p[k]))
            k++;
        if (k == 0 || p[k] != '=') {
            *why = "a parameter is KEY=VALUE (KEY letters, digits, '_', '-', "
                   "'.'); lists go in [], e.g. workers=[1,2,4]";
            return -1;
        }
        const char *v = p + k + 1, *end = value_end(v, why);
        if (!end)
            return -1;
        while (*v == ' ')
            v++;
        if (v == end) {
            *why = "a KEY= without a VALUE";
            return -1;
        }
        fprintf(out, "      %.*s: %.*s\n", (int)k, p, (int)(end - v), v);
        (*line)++;
        if (!*end)
            return 0;
        p = end + 1;
    }
}

char *cl_oneliner_text(const struct cl_oneliner *o, int *first_line)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    if (!out) {
        perror("conlab run: open_memstream");
        return NULL;
    }
    fputs("# the spec `conlab run --strategy ... --workload ...` stands for\n"
          "experiment: " CL_ONELINER_EXPERIMENT "\n", out);
    int line = 3; /* the line the next write starts */
    if (o->repeat >= 0) {
        fprintf(out, "repeat: %d\n", o->repeat);
        line++;
    }
    if (o->warmup >= 0) {
        fprintf(out, "warmup: %d\n", o->warmup);
        line++;
    }
    int rc = 0;
    for (int kind = 0; kind < 2 && rc == 0; kind++) {
        const char *const *args = kind ? o->workloads : o->strategies;
        size_t n = kind ? o->n_workloads : o->n_strategies;
        fputs(kind ? "workloads:\n" : "strategies:\n", out);
        line++;
        for (size_t i = 0; i < n && rc == 0; i++) {
            const char *why = NULL;
            if (first_line)
                first_line[(kind ? o->n_strategies : 0) + i] = line;
            rc = write_entry(out, args[i], &line, &why);
            if (rc != 0)
                fprintf(stderr, "conlab run: --%s '%s': %s\n",
                        kind ? "workload" : "strategy", args[i], why);
        }
    }
    if (fclose(out) != 0 && rc == 0) {
        perror("conlab run: the generated spec");
        rc = -1;
    }
    if (rc != 0) {
        free(text);
        return NULL;
    }
    return text;
}

/* Print the loader's diagnostics, each one inside an argument's entry as
 * "conlab run: --KIND 'ARG': message (where)". */
static void print_diags(const struct cl_oneliner *o, const int *first_line,
                        const struct cl_diags *d)
{
    size_t n_args = o->n_strategies + o->n_workloads;
    for (size_t i = 0; i < d->n; i++) {
        const struct cl_diag *g = &d->v[i];
        size_t a = n_args;
        for (size_t j = 0; j < n_args; j++)
            if (g->line >= first_line[j])
                a = j;
        if (a == n_args || g->line <= 0) {
            fprintf(stderr, "%s:%d:%d: error: %s\n", g->file, g->line, g->col,
                    g->msg);
            continue;
        }
        int is_w = a >= o->n_strategies;
        fprintf(stderr, "conlab run: --%s '%s': %s (%s:%d:%d)\n",
                is_w ? "workload" : "strategy",
                is_w ? o->workloads[a - o->n_strategies] : o->strategies[a],
                g->msg, g->file, g->line, g->col);
    }
}

int cl_oneliner_open(struct cl_registry *reg, const struct cl_oneliner *o,
                     int show, const struct cl_spec_opts *opts,
                     struct cl_spec **spec)
{
    *spec = NULL;
    size_t n_args = o->n_strategies + o->n_workloads;
    int *first_line = cl_xcalloc(n_args ? n_args : 1, sizeof *first_line);
    char *text = cl_oneliner_text(o, first_line);
    if (!text) {
        free(first_line);
        return -1;
    }
    if (show)
        printf("%s\n", text);
    /* Loaded once to learn where its problems are, then (when there are
     * none) the way every spec is. */
    struct cl_diags diags = {0, 0, NULL};
    struct cl_plugin_lookup lk = cl_registry_lookup(reg);
    int rc = cl_spec_load_string_opts(CL_ONELINER_NAME, text, strlen(text),
                                      &lk, opts, spec, &diags);
    if (rc != 0) {
        print_diags(o, first_line, &diags);
        fprintf(stderr, "conlab: %zu error%s in the --strategy/--workload "
                "arguments%s\n", diags.n, diags.n == 1 ? "" : "s",
                show ? "" : " (-n shows the spec they stand for)");
    } else {
        cl_spec_free(*spec);
        *spec = NULL;
        rc = cl_spec_open_text_opts(reg, CL_ONELINER_NAME, text, strlen(text),
                                    NULL, opts, spec);
    }
    cl_diags_free(&diags);
    free(first_line);
    free(text);
    return rc;
}
