/* spec.c — the YAML experiment spec: the document and its top-level keys,
 * validated against the spec schema (plugin parameters use the same value
 * parser, params.c), with the entries of strategies/workloads handed to
 * spec_entry.c.  The file read is bounded: see CL_MAX_SPEC_BYTES.
 *
 * Every problem becomes a "file:line:col: message" diagnostic; the loader
 * goes on after a problem where what follows still makes sense (the next
 * key, the next entry), and skips what would only repeat it (the params of
 * an unknown plugin, the variants of an entry with a bad value). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "spec.h"
#include "spec_internal.h"
#include "suggest.h"

static const struct conlab_param top_params[] = {
    {"repeat", CONLAB_PARAM_INT, "5", 1, 1000000, NULL,
     "measured repetitions of each cell",
     offsetof(struct cl_top_values, repeat)},
    {"warmup", CONLAB_PARAM_INT, "1", 0, 1000000, NULL,
     "unmeasured repetitions first", offsetof(struct cl_top_values, warmup)},
    {"timeout", CONLAB_PARAM_DURATION, "300s", 0.001, 30 * 86400.0, NULL,
     "per cell", offsetof(struct cl_top_values, timeout)},
    {"record_tasks", CONLAB_PARAM_BOOL, "false", 0, 0, NULL,
     "write one row per task", offsetof(struct cl_top_values, record_tasks)},
    {"calibrate", CONLAB_PARAM_BOOL, "false", 0, 0, NULL,
     "measure the machine's floors first", offsetof(struct cl_top_values, calibrate)},
    CONLAB_PARAM_END};

static const struct conlab_param string_param = {
    "string", CONLAB_PARAM_STRING, NULL, 0, 0, NULL, NULL, 0};

static const struct conlab_param cpu_param = {
    "pinning", CONLAB_PARAM_INT, NULL, 0, 1048575, NULL, "a PU's OS index", 0};

void cl_ld_err(struct cl_loader *L, const struct cl_node *n,
                   const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    cl_diags_vadd(L->d, n && n->src ? n->src : L->file, n ? n->line : 0,
                  n ? n->col : 0, fmt, ap);
    va_end(ap);
    L->errors++;
}

void cl_ld_warn(struct cl_loader *L, const struct cl_node *n,
                const char *fmt, ...)
{
    char *msg = NULL;
    va_list ap;
    va_start(ap, fmt);
    if (vasprintf(&msg, fmt, ap) < 0)
        msg = NULL;
    va_end(ap);
    if (!msg) {
        L->oom = 1;
        return;
    }
    cl_diags_warn(L->d, n && n->src ? n->src : L->file, n ? n->line : 0,
                  n ? n->col : 0, "%s", msg);
    free(msg);
}

const char *cl_ld_kind_word(enum conlab_kind k)
{
    return k == CONLAB_KIND_STRATEGY ? "strategy" : "workload";
}

/* "a, b, c" in the scratch arena ("" when out of memory). */
const char *cl_ld_join(struct cl_loader *L, const char *const *v, size_t n)
{
    size_t len = 1;
    for (size_t i = 0; i < n; i++)
        len += strlen(v[i]) + 2;
    char *s = cl_arena_alloc(L->tmp, len);
    if (!s) {
        L->oom = 1;
        return "";
    }
    for (size_t i = 0; i < n; i++) {
        if (i)
            strcat(s, ", ");
        strcat(s, v[i]);
    }
    return s;
}

const char *cl_ld_did_you_mean(struct cl_loader *L, const char *word,
                               const char *const *cands, size_t n)
{
    const char *near = cl_suggest(word, cands, n);
    if (!near)
        return "";
    size_t len = strlen(near) + 24;
    char *s = cl_arena_alloc(L->tmp, len);
    if (!s) {
        L->oom = 1;
        return "";
    }
    snprintf(s, len, " (did you mean '%s'?)", near);
    return s;
}

/* Parse one non-sweep value with `p`; reports "<prefix> <problem>". */
int cl_ld_value(struct cl_loader *L, const struct conlab_param *p,
                    const struct cl_node *n, struct cl_pval *out,
                    const char *prefix)
{
    char err[512];
    const struct cl_node *where = n;
    int rc = cl_pval_parse(p, n, L->tmp, out, &where, err, sizeof err);
    if (rc == CL_PV_NOMEM)
        L->oom = 1;
    else if (rc == CL_PV_INVALID)
        cl_ld_err(L, where, "%s %s", prefix, err);
    return rc;
}

/* ---- top-level keys ------------------------------------------------------ */

static void top_scalar(struct cl_loader *L, const struct cl_node *key,
                       const struct cl_node *val)
{
    for (const struct conlab_param *p = top_params; p->name; p++) {
        if (strcmp(p->name, key->text) != 0)
            continue;
        char prefix[64];
        struct cl_pval v;
        snprintf(prefix, sizeof prefix, "'%s'", p->name);
        if (cl_ld_value(L, p, val, &v, prefix) == CL_PV_OK)
            cl_pval_store(p, &v, &L->top, L->tmp); /* scalars: cannot fail */
        return;
    }
}

static int valid_experiment(const char *s)
{
    static const char ok[] = "abcdefghijklmnopqrstuvwxyz"
                             "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-";
    size_t len = strlen(s);
    return len > 0 && len <= 200 && s[0] != '.' && strspn(s, ok) == len;
}

static void top_seed(struct cl_loader *L, const struct cl_node *key,
                     const struct cl_node *val)
{
    char buf[96];
    (void)key;
    if (val->kind == CL_NODE_SCALAR && val->text[0] >= '0' &&
        val->text[0] <= '9') {
        char *end;
        errno = 0;
        unsigned long long v = strtoull(val->text, &end, 10);
        if (*end == '\0' && errno != ERANGE) {
            L->top.seed = v;
            return;
        }
    }
    cl_ld_err(L, val, "'seed' expects a whole number from 0 to %" PRIu64
              ", got %s", UINT64_MAX, cl_node_describe(val, buf, sizeof buf));
}

#define CL_MIN_MEMORY (UINT64_C(1) << 20) /* 1 MiB */
#define CL_MAX_MEMORY (UINT64_C(1) << 60) /* 1 EiB */

static void top_memory(struct cl_loader *L, const struct cl_node *key,
                       const struct cl_node *val)
{
    char buf[96];
    (void)key;
    uint64_t bytes;
    if (val->kind == CL_NODE_SCALAR && cl_parse_size(val->text, &bytes) == 0 &&
        (bytes == 0 || (bytes >= CL_MIN_MEMORY && bytes <= CL_MAX_MEMORY))) {
        L->top.memory = bytes;
        return;
    }
    cl_ld_err(L, val, "'memory' expects a size from 1MiB to 1EiB (e.g. "
              "512MiB, 2GiB; 0 for no limit), got %s",
              cl_node_describe(val, buf, sizeof buf));
}

static void top_experiment(struct cl_loader *L, const struct cl_node *key,
                           const struct cl_node *val)
{
    struct cl_pval v;
    (void)key;
    if (cl_node_is_null(val)) {
        cl_ld_err(L, val, "'experiment' has no value");
        return;
    }
    if (cl_ld_value(L, &string_param, val, &v, "'experiment'") != CL_PV_OK)
        return;
    if (!valid_experiment(v.s)) {
        cl_ld_err(L, val, "experiment name '%s' is not allowed: it names a "
                  "directory, so use only letters, digits, '.', '_' and '-', "
                  "not starting with '.'", v.s);
        return;
    }
    if (!(L->spec->experiment = strdup(v.s)))
        L->oom = 1;
}

static void top_description(struct cl_loader *L, const struct cl_node *key,
                            const struct cl_node *val)
{
    struct cl_pval v;
    (void)key;
    if (cl_node_is_null(val))
        return;
    if (cl_ld_value(L, &string_param, val, &v, "'description'") != CL_PV_OK)
        return;
    if (!(L->spec->description = strdup(v.s)))
        L->oom = 1;
}

static void top_pinning(struct cl_loader *L, const struct cl_node *key,
                        const struct cl_node *val)
{
    struct cl_pinning *pin = &L->spec->pinning;
    (void)key;
    L->spec->pinning_line = val->line;
    L->spec->pinning_col = val->col;
    if (val->kind == CL_NODE_SCALAR && !cl_node_is_null(val) &&
        cl_pinning_kind_parse(val->text, &pin->kind) == 0)
        return;
    if (val->kind != CL_NODE_SEQ) {
        char buf[96];
        cl_ld_err(L, val, "'pinning' must be none, compact, scatter or a list "
                  "of CPU numbers such as [0, 2], got %s%s",
                  cl_node_describe(val, buf, sizeof buf),
                  val->kind == CL_NODE_SCALAR
                      ? cl_ld_did_you_mean(L, val->text, cl_pinning_names,
                                     cl_pinning_n_names) : "");
        return;
    }
    if (val->n == 0) {
        cl_ld_err(L, val, "'pinning' is an empty list; give CPU numbers such "
                  "as [0, 2], or none");
        return;
    }
    int *cpus = calloc(val->n, sizeof *cpus);
    if (!cpus) {
        L->oom = 1;
        return;
    }
    size_t k = 0, bad = 0;
    for (const struct cl_node *e = val->first; e; e = e->next) {
        struct cl_pval v;
        if (cl_ld_value(L, &cpu_param, e, &v, "'pinning' entry") == CL_PV_OK)
            cpus[k++] = (int)v.i;
        else
            bad++;
    }
    if (bad) {
        free(cpus);
        return;
    }
    free(pin->cpus);
    pin->kind = CL_PIN_LIST;
    pin->n = k;
    pin->cpus = cpus;
}
/* ---- the document -------------------------------------------------------- */

/* The keys read once the scalars are: only remembered here. */
static void top_record(struct cl_loader *L, const struct cl_node *key,
                       const struct cl_node *val)
{
    switch (key->text[0]) {
    case 's': L->root.strategies = (struct cl_node *)val;
              L->root.strategies_key = key; break;
    case 'w': L->root.workloads = (struct cl_node *)val;
              L->root.workloads_key = key; break;
    case 'm': L->matrix = val; L->matrix_key = key; break;
    case 'z': L->root.zip = val; L->zip_key = key; break;
    case 'e': L->exclude = val; break;
    default: L->baseline = val; break;
    }
}

typedef void (*top_fn)(struct cl_loader *, const struct cl_node *,
                       const struct cl_node *);

static const struct {
    const char *name;
    top_fn fn;
} top_keys[] = {
    {"experiment", top_experiment}, {"description", top_description},
    {"repeat", top_scalar},         {"warmup", top_scalar},
    {"timeout", top_scalar},        {"pinning", top_pinning},
    {"seed", top_seed},             {"record_tasks", top_scalar},
    {"calibrate", top_scalar},
    {"memory", top_memory},
    {"strategies", top_record},     {"workloads", top_record},
    {"matrix", top_record},         {"zip", top_record},
    {"exclude", top_record},        {"baseline", top_record},
};
#define N_TOP_KEYS (sizeof top_keys / sizeof top_keys[0])

static void unknown_top_key(struct cl_loader *L, const struct cl_node *key)
{
    const char *names[N_TOP_KEYS];
    for (size_t i = 0; i < N_TOP_KEYS; i++)
        names[i] = top_keys[i].name;
    const char *near = cl_suggest(key->text, names, N_TOP_KEYS);
    if (near)
        cl_ld_err(L, key, "unknown key '%s' (did you mean '%s'?)", key->text,
                  near);
    else
        cl_ld_err(L, key, "unknown key '%s' (known: %s)", key->text,
                  cl_ld_join(L, names, N_TOP_KEYS));
}

/* The experiment's default name: the file's base name without extension. */
static char *name_from_path(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const char *dot = strrchr(base, '.');
    size_t len = dot && dot != base ? (size_t)(dot - base) : strlen(base);
    return strndup(base, len);
}

/* At most CL_MAX_CELLS cells, said at whichever of strategies/workloads
 * comes last, before anything is made per cell (the variants are per list,
 * CL_MAX_VARIANTS at most each). */
static void check_cells(struct cl_loader *L)
{
    size_t ns = L->spec->n_strategies, nw = L->spec->n_workloads;
    const struct cl_node *s = L->root.strategies_key, *w = L->root.workloads_key;
    if (!s || !w || !ns || nw <= CL_MAX_CELLS / ns)
        return;
    const struct cl_node *at =
        s->line > w->line || (s->line == w->line && s->col > w->col) ? s : w;
    cl_ld_err(L, at, "%zu strategy x %zu workload variants make %zu cells, "
              "more than the %d an experiment may have; split the sweep "
              "into several specs", ns, nw, ns * nw, CL_MAX_CELLS);
}

/* The blocks: matrix's items, or the spec itself.  0, or -1 (reported). */
static int make_blocks(struct cl_loader *L, struct cl_node *root)
{
    char buf[96];
    L->root = (struct cl_block){.node = root};
    for (const struct cl_node *k = root->first; k; k = k->next)
        if (!strcmp(k->text, "strategies") || !strcmp(k->text, "workloads") ||
            !strcmp(k->text, "matrix") || !strcmp(k->text, "zip"))
            top_record(L, k, k->value);
    L->blocks = &L->root;
    L->n_blocks = 1;
    if (!L->matrix)
        return 0;
    const struct cl_node *m = L->matrix;
    if (L->root.strategies_key || L->root.workloads_key || L->zip_key) {
        const struct cl_node *k = L->root.strategies_key ? L->root.strategies_key
                                  : L->root.workloads_key ? L->root.workloads_key
                                                         : L->zip_key;
        cl_ld_err(L, k, "'%s' beside 'matrix': put it inside each block of "
                  "'matrix' (line %d)", k->text, L->matrix_key->line);
        return -1;
    }
    if (m->kind != CL_NODE_SEQ || m->n == 0) {
        cl_ld_err(L, m, "'matrix' must be a list of blocks, each with its own "
                  "'strategies:' and 'workloads:', got %s",
                  cl_node_describe(m, buf, sizeof buf));
        return -1;
    }
    if (!(L->blocks = cl_arena_alloc(L->tmp, m->n * sizeof *L->blocks))) {
        L->oom = 1;
        return -1;
    }
    L->n_blocks = 0;
    for (struct cl_node *it = m->first; it; it = it->next) {
        struct cl_block *b = &L->blocks[L->n_blocks++];
        *b = (struct cl_block){.node = it};
        if (it->kind != CL_NODE_MAP) {
            cl_ld_err(L, it, "a 'matrix' block must be a mapping with "
                      "'strategies:' and 'workloads:', got %s",
                      cl_node_describe(it, buf, sizeof buf));
            continue;
        }
        for (struct cl_node *k = it->first; k; k = k->next) {
            if (!strcmp(k->text, "strategies")) {
                b->strategies = k->value;
                b->strategies_key = k;
            } else if (!strcmp(k->text, "workloads")) {
                b->workloads = k->value;
                b->workloads_key = k;
            } else if (!strcmp(k->text, "zip")) {
                b->zip = k->value;
            } else if (!strcmp(k->text, "exclude")) {
                b->exclude = k->value;
            } else {
                static const char *const keys[] = {"strategies", "workloads",
                                                   "zip", "exclude"};
                cl_ld_err(L, k, "unknown key '%s' in a 'matrix' block%s "
                          "(keys: strategies, workloads, zip, exclude)",
                          k->text, cl_ld_did_you_mean(L, k->text, keys, 4));
            }
        }
        if (!b->strategies_key || !b->workloads_key)
            cl_ld_err(L, it, "this 'matrix' block has no '%s'",
                      b->strategies_key ? "workloads" : "strategies");
    }
    return L->errors ? -1 : 0;
}

/* Each block's lists into variants, then the cells. */
static void load_blocks(struct cl_loader *L)
{
    for (size_t i = 0; i < L->n_blocks; i++) {
        struct cl_block *b = &L->blocks[i];
        cl_ld_block_zip(L, b);
        if (b->strategies_key)
            cl_ld_list(L, b->strategies_key, b->strategies, &b->s);
        if (b->workloads_key)
            cl_ld_list(L, b->workloads_key, b->workloads, &b->w);
    }
    if (!L->matrix)
        check_cells(L);
    cl_ld_cells(L);
}

static void free_blocks(struct cl_loader *L)
{
    for (size_t i = 0; i < L->n_blocks; i++) {
        free(L->blocks[i].s.v);
        free(L->blocks[i].w.v);
    }
}

static void load_root(struct cl_loader *L, struct cl_node *root)
{
    char buf[96];
    static const struct cl_node start = {.line = 1, .col = 1};
    if (!root || cl_node_is_null(root)) {
        cl_ld_err(L, &start, "empty spec: expected a mapping with at least "
                  "'strategies:' and 'workloads:'");
        return;
    }
    if (root->kind != CL_NODE_MAP) {
        cl_ld_err(L, root, "a spec must be a mapping of keys such as "
                  "'strategies:' and 'workloads:', got %s",
                  cl_node_describe(root, buf, sizeof buf));
        return;
    }
    if (make_blocks(L, root) != 0)
        return;
    cl_ld_overrides(L, root);
    for (const struct cl_node *k = root->first; k; k = k->next) {
        size_t i = 0;
        while (i < N_TOP_KEYS && strcmp(top_keys[i].name, k->text) != 0)
            i++;
        if (i == N_TOP_KEYS)
            unknown_top_key(L, k);
        else
            top_keys[i].fn(L, k, k->value);
    }
    load_blocks(L);
    if (!L->strategies_key && !L->matrix)
        cl_ld_err(L, root, "missing key 'strategies' (the strategies to run, "
                  "e.g. 'strategies: [sequential, threads]')");
    if (!L->workloads_key && !L->matrix)
        cl_ld_err(L, root, "missing key 'workloads' (the workloads to run, "
                  "e.g. 'workloads: [sleep]')");
    if (!L->spec->experiment && !cl_node_get(root, "experiment", NULL)) {
        char *name = name_from_path(L->file);
        if (!name)
            L->oom = 1;
        else if (valid_experiment(name))
            L->spec->experiment = name;
        else {
            cl_ld_err(L, root, "cannot name the experiment after the file "
                      "('%s' is not a valid directory name); add "
                      "'experiment: NAME'", name);
            free(name);
        }
    }
}

/* Fill L->top from the table's defaults (parsed like plugin defaults). */
static int top_defaults(struct cl_loader *L)
{
    char err[512];
    for (const struct conlab_param *p = top_params; p->name; p++) {
        struct cl_pval v;
        if (cl_pval_default(p, L->tmp, &v, err, sizeof err) != CL_PV_OK ||
            cl_pval_store(p, &v, &L->top, L->tmp) != CL_PV_OK)
            return -1;
    }
    L->top.seed = 42;
    return 0;
}

static void copy_top(struct cl_spec *s, const struct cl_top_values *t)
{
    s->repeat = (int)t->repeat;
    s->warmup = (int)t->warmup;
    s->timeout_s = t->timeout;
    s->seed = (uint64_t)t->seed;
    s->record_tasks = t->record_tasks;
    s->calibrate = t->calibrate;
    s->memory_bytes = t->memory;
}

/* The overrides, recorded in the spec.  0, or -1 out of memory. */
static int copy_overrides(struct cl_spec *s, const struct cl_spec_opts *o)
{
    if (!o || !o->n_sets)
        return 0;
    if (!(s->overrides = calloc(o->n_sets, sizeof *s->overrides)))
        return -1;
    for (; s->n_overrides < o->n_sets; s->n_overrides++)
        if (!(s->overrides[s->n_overrides] = strdup(o->sets[s->n_overrides])))
            return -1;
    return 0;
}

int cl_spec_load_string(const char *name, const char *text, size_t len,
                        const struct cl_plugin_lookup *lk,
                        struct cl_spec **out, struct cl_diags *diags)
{
    return cl_spec_load_string_opts(name, text, len, lk, NULL, out, diags);
}

int cl_spec_load_string_opts(const char *name, const char *text, size_t len,
                             const struct cl_plugin_lookup *lk,
                             const struct cl_spec_opts *opts,
                             struct cl_spec **out, struct cl_diags *diags)
{
    const char *file = name ? name : "<spec>";
    size_t n0 = diags->n;
    struct cl_loader L = {.file = file, .d = diags, .lk = lk, .opts = opts};
    *out = NULL;
    L.spec = calloc(1, sizeof *L.spec);
    L.tmp = cl_arena_new();
    if (L.spec) {
        L.strategies = (struct cl_vlist){&L.spec->strategies,
                                      &L.spec->n_strategies, 0};
        L.workloads = (struct cl_vlist){&L.spec->workloads,
                                     &L.spec->n_workloads, 0};
        L.spec->path = strdup(file);
        L.spec->text = malloc(len + 1);
        L.spec->baseline = SIZE_MAX;
    }
    if (!L.spec || !L.tmp || !L.spec->path || !L.spec->text ||
        copy_overrides(L.spec, opts) != 0 || top_defaults(&L) != 0) {
        L.oom = 1;
    } else {
        memcpy(L.spec->text, text, len);
        L.spec->text[len] = '\0';
        L.spec->text_len = len;
        struct cl_node *root = NULL;
        if (cl_yaml_parse(file, text, len, L.tmp, diags, &root) == 0 &&
            diags->n == n0)
            load_root(&L, root);
        else if (diags->n == n0)
            L.oom = 1; /* unusable without a message: only OOM does that */
        else if (root)
            load_root(&L, root); /* harmless tree problems: check the rest */
        copy_top(L.spec, &L.top);
    }
    if (L.oom)
        cl_diags_add(diags, file, 0, 0, "out of memory loading the spec");
    free_blocks(&L);
    cl_arena_free(L.tmp);
    if (L.oom || L.errors || cl_diags_errors(diags, n0)) {
        cl_spec_free(L.spec);
        return -1;
    }
    *out = L.spec;
    return 0;
}

/* What a spec file is, for refusing one that is not a file. */
static const char *file_kind(mode_t m)
{
    return S_ISCHR(m)    ? "it is a character device, not a file"
           : S_ISBLK(m)  ? "it is a block device, not a file"
           : S_ISSOCK(m) ? "it is a socket, not a file"
                         : "it is not a regular file";
}

/* Read the whole spec: a regular file or a FIFO (a pipe, /dev/stdin), at
 * most CL_MAX_SPEC_BYTES.  0, or -1 with the reason in why. */
static int read_spec(const char *path, char **buf, size_t *len, char *why,
                     size_t whylen)
{
    struct stat st;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &st) != 0) {
        snprintf(why, whylen, "cannot read the spec: %s", strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    if (S_ISDIR(st.st_mode))
        errno = EISDIR; /* read() would say so, after open() took it */
    if (!S_ISREG(st.st_mode) && !S_ISFIFO(st.st_mode)) {
        snprintf(why, whylen, "cannot read the spec: %s",
                 S_ISDIR(st.st_mode) ? strerror(errno)
                                     : file_kind(st.st_mode));
        close(fd);
        return -1;
    }
    if (S_ISREG(st.st_mode) && st.st_size > CL_MAX_SPEC_BYTES) {
        snprintf(why, whylen, "cannot read the spec: it is %lld bytes, "
                 "larger than 16 MiB, the most conlab reads",
                 (long long)st.st_size);
        close(fd);
        return -1;
    }
    size_t cap = S_ISREG(st.st_mode) && st.st_size < CL_MAX_SPEC_BYTES
                     ? (size_t)st.st_size + 1 : 4096;
    size_t n = 0;
    char *b = malloc(cap);
    const char *fail = b ? NULL : strerror(ENOMEM);
    while (!fail) {
        if (n == cap) {
            char *nb = realloc(b, cap * 2);
            if (!nb) {
                fail = strerror(ENOMEM);
                break;
            }
            b = nb;
            cap *= 2;
        }
        size_t want = cap - n;
        if (want > CL_MAX_SPEC_BYTES + 1 - n) /* one byte more tells */
            want = CL_MAX_SPEC_BYTES + 1 - n;
        ssize_t r = read(fd, b + n, want);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            fail = strerror(errno);
        else if (r == 0)
            break;
        else if ((n += (size_t)r) > CL_MAX_SPEC_BYTES)
            fail = "larger than 16 MiB, the most conlab reads";
    }
    close(fd);
    if (fail) {
        snprintf(why, whylen, "cannot read the spec: %s", fail);
        free(b);
        return -1;
    }
    *buf = b;
    *len = n;
    return 0;
}

int cl_spec_load_file(const char *path, const struct cl_plugin_lookup *lk,
                      struct cl_spec **out, struct cl_diags *diags)
{
    return cl_spec_load_file_opts(path, lk, NULL, out, diags);
}

int cl_spec_load_file_opts(const char *path, const struct cl_plugin_lookup *lk,
                           const struct cl_spec_opts *opts,
                           struct cl_spec **out, struct cl_diags *diags)
{
    char *text, why[256];
    size_t len;
    *out = NULL;
    if (read_spec(path, &text, &len, why, sizeof why) != 0) {
        cl_diags_add(diags, path, 0, 0, "%s", why);
        return -1;
    }
    int rc = cl_spec_load_string_opts(path, text, len, lk, opts, out, diags);
    free(text);
    return rc;
}

void cl_spec_free(struct cl_spec *spec)
{
    if (!spec)
        return;
    for (size_t i = 0; i < spec->n_strategies; i++)
        cl_variant_free(&spec->strategies[i]);
    for (size_t i = 0; i < spec->n_workloads; i++)
        cl_variant_free(&spec->workloads[i]);
    free(spec->strategies);
    free(spec->workloads);
    free(spec->pairs);
    for (size_t i = 0; i < spec->n_overrides; i++)
        free(spec->overrides[i]);
    free(spec->overrides);
    free(spec->pinning.cpus);
    free(spec->path);
    free(spec->text);
    free(spec->experiment);
    free(spec->description);
    free(spec);
}

void cl_spec_opts_add(struct cl_spec_opts *o, const char *key_eq_value)
{
    if (o->n_sets == o->cap_) {
        size_t cap = o->cap_ ? 2 * o->cap_ : 8;
        char **v = realloc(o->owned_, cap * sizeof *v);
        if (!v) {
            fprintf(stderr, "conlab: out of memory\n");
            exit(3);
        }
        o->owned_ = v;
        o->cap_ = cap;
    }
    if (!(o->owned_[o->n_sets] = strdup(key_eq_value))) {
        fprintf(stderr, "conlab: out of memory\n");
        exit(3);
    }
    o->n_sets++;
    o->sets = (const char *const *)o->owned_;
}

void cl_spec_opts_free(struct cl_spec_opts *o)
{
    for (size_t i = 0; o->owned_ && i < o->n_sets; i++)
        free(o->owned_[i]);
    free(o->owned_);
    memset(o, 0, sizeof *o);
}
