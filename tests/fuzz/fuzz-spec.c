/* fuzz-spec.c — libFuzzer target for the YAML spec loader.
 *
 * Feeds arbitrary bytes (not NUL-terminated) to cl_spec_load_string with a
 * fake plugin lookup, so every path of the loader — YAML parsing, keys,
 * plugin resolution, every parameter type, sweeps, zip, exclude, matrix,
 * labels, baseline, anchors and aliases (tests/fuzz/corpus/billion-laughs.yaml
 * among the seeds), durations, pinning, diagnostics — runs under ASan and UBSan; leaks are reported by
 * LeakSanitizer.  The fake plugins (tests/support/fake_plugins.h) are those
 * tests/unit/test-spec.c and the specs under tests/specs/ name, so the seed
 * corpus reaches deep at once.
 *
 * Built only with CONLAB_FUZZ=ON and clang (tests/fuzz/CMakeLists.txt):
 *   CC=clang cmake -S . -B build-fuzz -DCONLAB_FUZZ=ON
 *   cmake --build build-fuzz --target fuzz-spec
 *   build-fuzz/tests/fuzz/fuzz-spec -dict=tests/fuzz/yaml.dict \
 *       /tmp/corpus tests/fuzz/corpus experiments tests/specs/good tests/specs/bad
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_plugins.h"
#include "spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* ---- the target ----------------------------------------------------------- */

/* Read everything a caller would: labels, parameter texts, configs. */
static size_t touch(const struct cl_spec *s)
{
    size_t sum = strlen(s->path) + strlen(s->experiment) + s->text_len;
    if (s->description)
        sum += strlen(s->description);
    for (size_t i = 0; i < s->pinning.n; i++)
        sum += (size_t)s->pinning.cpus[i];
    const struct cl_variant *lists[2] = {s->strategies, s->workloads};
    size_t counts[2] = {s->n_strategies, s->n_workloads};
    for (int k = 0; k < 2; k++)
        for (size_t i = 0; i < counts[k]; i++) {
            const struct cl_variant *v = &lists[k][i];
            sum += strlen(v->label) + (size_t)v->tasks;
            for (size_t j = 0; j < v->n_params; j++)
                sum += strlen(v->params[j].name) + strlen(v->params[j].value);
            const unsigned char *cfg = v->config;
            for (size_t b = 0; cfg && b < v->plugin->config_size; b++)
                sum += cfg[b];
            if (v->user_label)
                sum += strlen(v->user_label);
        }
    for (size_t i = 0; i < s->n_pairs; i++) /* every cell names variants */
        sum += strlen(s->strategies[s->pairs[i].strategy].label) +
               strlen(s->workloads[s->pairs[i].workload].label);
    if (s->baseline != SIZE_MAX)
        sum += (size_t)s->strategies[s->baseline].is_baseline;
    return sum;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static FILE *sink;
    if (!sink)
        sink = fopen("/dev/null", "w");
    struct cl_spec *spec = NULL;
    struct cl_diags diags = {0, 0, NULL};
    int rc = cl_spec_load_string("fuzz.yaml", (const char *)data, size,
                                 &fake_lookup, &spec, &diags);
    if (rc == 0) {
        if (!spec || cl_diags_errors(&diags, 0))
            abort(); /* success means a spec and no error (warnings may be) */
        if (spec->n_pairs == 0 || spec->baseline >= spec->n_strategies)
            abort(); /* ... with cells and a baseline */
        volatile size_t sum = touch(spec);
        (void)sum;
    } else if (spec || cl_diags_errors(&diags, 0) == 0) {
        abort(); /* failure means no spec and at least one error */
    }
    if (sink)
        cl_diags_print(sink, &diags);
    cl_diags_free(&diags);
    cl_spec_free(spec);
    return 0;
}
