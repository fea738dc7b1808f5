/* registry.c — plugin search path, dlopen, ABI validation.
 *
 * Plugins are loaded RTLD_NOW|RTLD_LOCAL: unresolved symbols fail at load,
 * not mid-run, and one plugin's symbols never satisfy another's.  The host
 * reads a descriptor only up to the struct_size the plugin declares and
 * copies it into a zeroed host-sized struct, so members appended in a later
 * minor simply read as NULL/0 for older plugins. */
#include "registry.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "params.h"
#include "suggest.h"
#include "util.h"

/* The smallest descriptor and ops tables a 1.0 plugin can have: everything up
 * to (not including) the 1.0 reserved tail, whose first slots later minors
 * turned into members (param_size, counters: since 1.1). */
#define MIN_DESC_SIZE offsetof(struct conlab_plugin, param_size)
#define MIN_SOPS_SIZE offsetof(struct conlab_strategy_ops, counters)
#define MIN_WOPS_SIZE offsetof(struct conlab_workload_ops, reserved)

static int verbose(void)
{
    const char *v = getenv("CONLAB_PLUGIN_VERBOSE");
    return v && *v && strcmp(v, "0") != 0;
}

#define TRACE(...)                                                             \
    do {                                                                       \
        if (verbose())                                                         \
            cl_log(CONLAB_LOG_INFO, "plugin loader", __VA_ARGS__);            \
    } while (0)

const char *cl_kind_name(enum conlab_kind kind)
{
    switch (kind) {
    case CONLAB_KIND_STRATEGY: return "strategy";
    case CONLAB_KIND_WORKLOAD: return "workload";
    }
    return "plugin";
}

static int seterr(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int seterr(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (err && errlen)
        vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

static int valid_name(const char *s)
{
    if (!s || !*s || strlen(s) > 64)
        return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
              *s == '_' || *s == '-'))
            return 0;
    return 1;
}

/* A counter name: [a-z0-9_], 1 to 64 characters (a results.csv column
 * `counter.<name>`). */
static int valid_counter_name(const char *s)
{
    size_t len = s ? strlen(s) : 0;
    return len >= 1 && len <= 64 &&
           strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_") == len;
}

/* The strategy's counter names (since 1.1): valid, unique, at most
 * CL_MAX_COUNTERS. */
static int check_counters(const struct cl_plugin *p, const char *path,
                          char *err, size_t errlen)
{
    const char *const *c = p->sops.counters;
    for (size_t i = 0; c && c[i]; i++) {
        if (i >= CL_MAX_COUNTERS)
            return seterr(err, errlen,
                          "%s: strategy '%s' names more than %d counters "
                          "(the %zuth is '%.64s'; is the list missing its "
                          "NULL end?)", path, p->desc.name, CL_MAX_COUNTERS,
                          i + 1, c[i]);
        if (!valid_counter_name(c[i]))
            return seterr(err, errlen,
                          "%s: strategy '%s': counter %zu '%.64s' has an "
                          "invalid name (use [a-z0-9_], 1 to 64 characters)",
                          path, p->desc.name, i + 1, c[i]);
        for (size_t j = 0; j < i; j++)
            if (strcmp(c[j], c[i]) == 0)
                return seterr(err, errlen,
                              "%s: strategy '%s': counter '%s' is named "
                              "twice (counters %zu and %zu)", path,
                              p->desc.name, c[i], j + 1, i + 1);
    }
    return 0;
}

/* Re-lay the parameter table at the host's stride when the plugin's differs
 * (an older or newer struct conlab_param): each entry's common prefix,
 * zero-extended.  The table was checked (cl_params_check). */
static void relay_params(struct cl_plugin *p)
{
    size_t stride = cl_param_stride(&p->desc);
    if (!p->desc.params || stride == sizeof(struct conlab_param))
        return;
    size_t n = 0;
    while (cl_param_at(&p->desc, n)->name)
        n++;
    struct conlab_param *t = cl_xcalloc(n + 1, sizeof *t);
    size_t common = stride < sizeof *t ? stride : sizeof *t;
    for (size_t i = 0; i < n; i++)
        memcpy(&t[i], cl_param_at(&p->desc, i), common);
    p->params_copy = t;
    p->desc.params = t;
    p->desc.param_size = sizeof *t;
}

int cl_plugin_validate(const struct conlab_plugin *d, const char *path,
                       struct cl_plugin *p, char *err, size_t errlen)
{
    if (!d)
        return seterr(err, errlen, "%s: entry point returned NULL", path);
    if (d->abi_major != CONLAB_ABI_MAJOR || d->abi_minor > CONLAB_ABI_MINOR)
        return seterr(err, errlen,
                      "%s: built for conlab plugin ABI %u.%u, but this conlab "
                      "speaks ABI %u.%u (it loads plugins of major %u with "
                      "minor <= %u); rebuild the plugin against this conlab's "
                      "SDK", path, d->abi_major, d->abi_minor, CONLAB_ABI_MAJOR,
                      CONLAB_ABI_MINOR, CONLAB_ABI_MAJOR, CONLAB_ABI_MINOR);
    if (d->struct_size < MIN_DESC_SIZE)
        return seterr(err, errlen,
                      "%s: descriptor is %u bytes, smaller than the %zu bytes "
                      "of ABI %u.0 (struct_size wrong or corrupt)", path,
                      d->struct_size, (size_t)MIN_DESC_SIZE, CONLAB_ABI_MAJOR);
    memset(p, 0, sizeof *p);
    memcpy(&p->desc, d,
           d->struct_size < sizeof p->desc ? d->struct_size : sizeof p->desc);
    p->built_major = d->abi_major;
    p->built_minor = d->abi_minor;
    if (p->built_minor < 1)
        p->desc.param_size = 0; /* a 1.0 reserved slot: never read */
    const char *name = p->desc.name;
    if (!valid_name(name))
        return seterr(err, errlen,
                      "%s: plugin name '%s' is missing or invalid (use "
                      "[a-z0-9_-]+)", path, name ? name : "(null)");
    char why[512];
    if (cl_params_check(&p->desc, why, sizeof why) != 0)
        return seterr(err, errlen, "%s: plugin '%s': %s", path, name, why);
    if (p->desc.kind == CONLAB_KIND_STRATEGY) {
        const struct conlab_strategy_ops *o = p->desc.strategy;
        if (!o)
            return seterr(err, errlen, "%s: strategy '%s' has no ops table",
                          path, name);
        if (o->struct_size < MIN_SOPS_SIZE)
            return seterr(err, errlen,
                          "%s: strategy '%s': ops table is %u bytes, smaller "
                          "than ABI %u.0's %zu", path, name, o->struct_size,
                          CONLAB_ABI_MAJOR, (size_t)MIN_SOPS_SIZE);
        memcpy(&p->sops, o,
               o->struct_size < sizeof p->sops ? o->struct_size : sizeof p->sops);
        if (p->built_minor < 1)
            p->sops.counters = NULL; /* a 1.0 reserved slot: never read */
        const char *missing = !p->sops.workers ? "workers"
                              : !p->sops.run   ? "run"
                                               : NULL;
        if (missing)
            return seterr(err, errlen,
                          "%s: strategy '%s' lacks the required operation "
                          "'%s'", path, name, missing);
        if (p->sops.flags)
            return seterr(err, errlen,
                          "%s: strategy '%s' sets flags 0x%x, but no strategy "
                          "flags are defined in ABI %u.%u", path, name,
                          p->sops.flags, CONLAB_ABI_MAJOR, CONLAB_ABI_MINOR);
        if (check_counters(p, path, err, errlen) != 0)
            return -1;
        p->desc.strategy = &p->sops;
        p->desc.workload = NULL;
    } else if (p->desc.kind == CONLAB_KIND_WORKLOAD) {
        const struct conlab_workload_ops *o = p->desc.workload;
        if (!o)
            return seterr(err, errlen, "%s: workload '%s' has no ops table",
                          path, name);
        if (o->struct_size < MIN_WOPS_SIZE)
            return seterr(err, errlen,
                          "%s: workload '%s': ops table is %u bytes, smaller "
                          "than ABI %u.0's %zu", path, name, o->struct_size,
                          CONLAB_ABI_MAJOR, (size_t)MIN_WOPS_SIZE);
        memcpy(&p->wops, o,
               o->struct_size < sizeof p->wops ? o->struct_size : sizeof p->wops);
        const char *missing = !p->wops.create     ? "create"
                              : !p->wops.run_task ? "run_task"
                                                  : NULL;
        if (missing)
            return seterr(err, errlen,
                          "%s: workload '%s' lacks the required operation "
                          "'%s'", path, name, missing);
        p->desc.workload = &p->wops;
        p->desc.strategy = NULL;
    } else {
        return seterr(err, errlen, "%s: plugin '%s' has unknown kind %u", path,
                      name, p->desc.kind);
    }
    relay_params(p);
    return 0;
}

struct cl_plugin *cl_plugin_open(const char *path, char *err, size_t errlen)
{
    TRACE("loading %s", path);
    dlerror();
    void *dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!dl) {
        const char *e = dlerror();
        seterr(err, errlen, "%s: cannot load: %s", path, e ? e : "dlopen failed");
        return NULL;
    }
    conlab_plugin_entry_fn entry =
        (conlab_plugin_entry_fn)dlsym(dl, CONLAB_PLUGIN_ENTRY_SYMBOL);
    if (!entry) {
        /* SQLite-style fallback: conlab_<basename>_entry, so several plugins
         * can be linked statically into one binary. */
        const char *base = strrchr(path, '/');
        base = base ? base + 1 : path;
        char sym[160];
        int n = snprintf(sym, sizeof sym, "conlab_%.*s_entry",
                         (int)strcspn(base, "."), base);
        if (n > 0 && (size_t)n < sizeof sym)
            entry = (conlab_plugin_entry_fn)dlsym(dl, sym);
        if (!entry) {
            seterr(err, errlen,
                   "%s: not a conlab plugin: no '%s' symbol (define it with "
                   "CONLAB_PLUGIN_DEFINE and build with conlab's SDK)",
                   path, CONLAB_PLUGIN_ENTRY_SYMBOL);
            dlclose(dl);
            return NULL;
        }
    }
    const struct conlab_plugin *d = entry(&cl_host_api);
    struct cl_plugin *p = cl_xcalloc(1, sizeof *p);
    if (cl_plugin_validate(d, path, p, err, errlen)) {
        TRACE("refused %s: %s", path, err);
        free(p);
        dlclose(dl);
        return NULL;
    }
    p->dl = dl;
    p->path = cl_xstrdup(path);
    TRACE("loaded %s: %s '%s' %s (ABI %u.%u)", path, cl_kind_name(p->desc.kind),
          p->desc.name, p->desc.version ? p->desc.version : "",
          p->built_major, p->built_minor);
    return p;
}

void cl_plugin_close(struct cl_plugin *p)
{
    if (!p)
        return;
    /* dlclose only at exit: descriptors and strings may still be borrowed. */
    free(p->params_copy);
    free(p->path);
    free(p);
}

const struct cl_plugin *cl_plugin_of(const struct conlab_plugin *d)
{
    if (!d)
        return NULL;
    return (const struct cl_plugin *)((const char *)d -
                                      offsetof(struct cl_plugin, desc));
}

static void add_dir(struct cl_registry *r, const char *dir)
{
    if (!dir || !*dir)
        return;
    for (size_t i = 0; i < r->n_dirs; i++)
        if (strcmp(r->dirs[i], dir) == 0)
            return;
    r->dirs = cl_xrealloc(r->dirs, (r->n_dirs + 1) * sizeof *r->dirs);
    r->dirs[r->n_dirs++] = cl_xstrdup(dir);
}

static int is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

void cl_registry_init(struct cl_registry *r)
{
    memset(r, 0, sizeof *r);
    const char *env = getenv("CONLAB_PLUGIN_PATH");
    if (env) {
        char *copy = cl_xstrdup(env), *save = NULL;
        for (char *t = strtok_r(copy, ":", &save); t; t = strtok_r(NULL, ":", &save))
            add_dir(r, t);
        free(copy);
    }
    char *exe = cl_exe_dir();
    if (exe) {
        char *build = cl_xasprintf("%s/%s", exe, CONLAB_PLUGIN_DIR_BUILD);
        char *inst = cl_xasprintf("%s/%s", exe, CONLAB_PLUGIN_DIR_INSTALL);
        if (is_dir(build))
            add_dir(r, build);
        if (is_dir(inst))
            add_dir(r, inst);
        free(build);
        free(inst);
        free(exe);
    }
    if (is_dir(CONLAB_PLUGIN_DIR_ABS))
        add_dir(r, CONLAB_PLUGIN_DIR_ABS);
    for (size_t i = 0; i < r->n_dirs; i++)
        TRACE("search path %zu: %s", i + 1, r->dirs[i]);
}

void cl_registry_free(struct cl_registry *r)
{
    for (size_t i = 0; i < r->n_dirs; i++)
        free(r->dirs[i]);
    free(r->dirs);
    for (size_t i = 0; i < r->n; i++)
        cl_plugin_close(r->v[i]);
    free(r->v);
    for (size_t i = 0; i < r->n_scan_errors; i++)
        free(r->scan_errors[i]);
    free(r->scan_errors);
    free(r->spec_dir);
    memset(r, 0, sizeof *r);
}

static const struct cl_plugin *remember(struct cl_registry *r, struct cl_plugin *p)
{
    r->v = cl_xrealloc(r->v, (r->n + 1) * sizeof *r->v);
    r->v[r->n++] = p;
    return p;
}

static const struct cl_plugin *loaded_path(struct cl_registry *r, const char *path)
{
    char *real = realpath(path, NULL);
    const struct cl_plugin *hit = NULL;
    for (size_t i = 0; real && i < r->n && !hit; i++) {
        char *other = realpath(r->v[i]->path, NULL);
        if (other && strcmp(other, real) == 0)
            hit = r->v[i];
        free(other);
    }
    free(real);
    return hit;
}

static const struct cl_plugin *loaded_name(struct cl_registry *r,
                                           enum conlab_kind kind,
                                           const char *name)
{
    for (size_t i = 0; i < r->n; i++)
        if (r->v[i]->desc.kind == kind && strcmp(r->v[i]->desc.name, name) == 0)
            return r->v[i];
    return NULL;
}

static int has_suffix(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && strcmp(s + a - b, suf) == 0;
}

void cl_registry_scan(struct cl_registry *r)
{
    if (r->scanned)
        return;
    r->scanned = 1;
    for (size_t d = 0; d < r->n_dirs; d++) {
        DIR *dir = opendir(r->dirs[d]);
        if (!dir)
            continue;
        struct dirent *e;
        char **files = NULL;
        size_t nf = 0;
        while ((e = readdir(dir)))
            if (has_suffix(e->d_name, ".so") &&
                (strncmp(e->d_name, "strategy_", 9) == 0 ||
                 strncmp(e->d_name, "workload_", 9) == 0)) {
                files = cl_xrealloc(files, (nf + 1) * sizeof *files);
                files[nf++] = cl_xasprintf("%s/%s", r->dirs[d], e->d_name);
            }
        closedir(dir);
        for (size_t i = 0; i < nf; i++) {
            if (!loaded_path(r, files[i])) {
                char err[1024];
                struct cl_plugin *p = cl_plugin_open(files[i], err, sizeof err);
                if (p && loaded_name(r, p->desc.kind, p->desc.name)) {
                    TRACE("%s: '%s' already found earlier in the path; skipped",
                          files[i], p->desc.name);
                    cl_plugin_close(p);
                } else if (p) {
                    remember(r, p);
                } else {
                    r->scan_errors = cl_xrealloc(
                        r->scan_errors, (r->n_scan_errors + 1) * sizeof(char *));
                    r->scan_errors[r->n_scan_errors++] = cl_xstrdup(err);
                }
            }
            free(files[i]);
        }
        free(files);
    }
}

static size_t known_names(struct cl_registry *r, enum conlab_kind kind,
                          const char **out, size_t max)
{
    cl_registry_scan(r);
    size_t n = 0;
    for (size_t i = 0; i < r->n && n < max; i++)
        if (r->v[i]->desc.kind == kind)
            out[n++] = r->v[i]->desc.name;
    /* sorted, for stable messages */
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && strcmp(out[j - 1], out[j]) > 0; j--) {
            const char *t = out[j];
            out[j] = out[j - 1];
            out[j - 1] = t;
        }
    return n;
}

const struct cl_plugin *cl_registry_find(struct cl_registry *r,
                                         enum conlab_kind kind,
                                         const char *name, char *err,
                                         size_t errlen)
{
    const struct cl_plugin *hit = loaded_name(r, kind, name);
    if (hit)
        return hit;
    if (valid_name(name)) {
        for (size_t d = 0; d < r->n_dirs; d++) {
            char *path = cl_xasprintf("%s/%s_%s.so", r->dirs[d],
                                      cl_kind_name(kind), name);
            if (access(path, F_OK) == 0) {
                struct cl_plugin *p = cl_plugin_open(path, err, errlen);
                free(path);
                if (!p)
                    return NULL;
                if (p->desc.kind != kind || strcmp(p->desc.name, name) != 0) {
                    seterr(err, errlen,
                           "%s: file name says %s '%s' but the plugin is %s "
                           "'%s'", p->path, cl_kind_name(kind), name,
                           cl_kind_name(p->desc.kind), p->desc.name);
                    cl_plugin_close(p);
                    return NULL;
                }
                return remember(r, p);
            }
            free(path);
        }
    }
    const char *names[256];
    size_t n = known_names(r, kind, names, 256);
    char list[1024] = "";
    size_t off = 0;
    for (size_t i = 0; i < n && off < sizeof list - 64; i++)
        off += (size_t)snprintf(list + off, sizeof list - off, "%s%s",
                                i ? ", " : "", names[i]);
    const char *near = cl_suggest(name, names, n);
    if (near)
        seterr(err, errlen, "unknown %s '%s' (did you mean '%s'? known: %s)",
               cl_kind_name(kind), name, near, n ? list : "none");
    else
        seterr(err, errlen, "unknown %s '%s' (known: %s)", cl_kind_name(kind),
               name, n ? list : "none found; set CONLAB_PLUGIN_PATH");
    return NULL;
}

const struct cl_plugin *cl_registry_load(struct cl_registry *r,
                                         const char *path, char *err,
                                         size_t errlen)
{
    char *try = NULL;
    if (access(path, F_OK) != 0 && path[0] != '/' && r->spec_dir) {
        try = cl_xasprintf("%s/%s", r->spec_dir, path);
        if (access(try, F_OK) != 0) {
            free(try);
            try = NULL;
        }
    }
    const char *use = try ? try : path;
    if (access(use, F_OK) != 0) {
        seterr(err, errlen, "%s: no such plugin file%s%s", path,
               r->spec_dir ? " (also looked in " : "",
               r->spec_dir ? r->spec_dir : "");
        if (r->spec_dir && err && strlen(err) + 2 < errlen)
            strcat(err, ")");
        free(try);
        return NULL;
    }
    const struct cl_plugin *hit = loaded_path(r, use);
    if (!hit) {
        /* Paths are taken as given, even "./x.so": dlopen must not search. */
        char *abs = realpath(use, NULL);
        struct cl_plugin *p = cl_plugin_open(abs ? abs : use, err, errlen);
        free(abs);
        if (p)
            hit = remember(r, p);
    }
    free(try);
    return hit;
}

static const struct conlab_plugin *lookup_find(void *ctx, enum conlab_kind kind,
                                               const char *name,
                                               const char *path, char *err,
                                               size_t errlen)
{
    struct cl_registry *r = ctx;
    const struct cl_plugin *p =
        path ? cl_registry_load(r, path, err, errlen)
             : cl_registry_find(r, kind, name, err, errlen);
    if (!p)
        return NULL;
    if (p->desc.kind != kind) {
        seterr(err, errlen, "%s: is a %s plugin ('%s'), not a %s", p->path,
               cl_kind_name(p->desc.kind), p->desc.name, cl_kind_name(kind));
        return NULL;
    }
    return &p->desc;
}

static size_t lookup_names(void *ctx, enum conlab_kind kind, const char **out,
                           size_t max)
{
    return known_names(ctx, kind, out, max);
}

struct cl_plugin_lookup cl_registry_lookup(struct cl_registry *r)
{
    struct cl_plugin_lookup lk = {lookup_find, lookup_names, r};
    return lk;
}
