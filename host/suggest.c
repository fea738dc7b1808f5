/* suggest.c — see suggest.h. */
#include "suggest.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static size_t min3(size_t a, size_t b, size_t c)
{
    size_t m = a < b ? a : b;
    return m < c ? m : c;
}

size_t cl_edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    size_t local[3 * 64];
    size_t *buf = local;
    if (lb + 1 > 64) {
        if (lb > SIZE_MAX / (3 * sizeof *buf) - 1 ||
            !(buf = malloc(3 * (lb + 1) * sizeof *buf)))
            return la > lb ? la : lb; /* an upper bound: suggests nothing */
    }
    /* Three rows: two back (for transpositions), previous, current. */
    size_t *pp = buf, *p = buf + (lb + 1), *c = buf + 2 * (lb + 1);
    for (size_t j = 0; j <= lb; j++)
        p[j] = j;
    for (size_t i = 1; i <= la; i++) {
        c[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t cost = a[i - 1] != b[j - 1];
            size_t v = min3(p[j] + 1, c[j - 1] + 1, p[j - 1] + cost);
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
                a[i - 2] == b[j - 1] && pp[j - 2] + 1 < v)
                v = pp[j - 2] + 1;
            c[j] = v;
        }
        size_t *t = pp;
        pp = p;
        p = c;
        c = t;
    }
    size_t d = p[lb];
    if (buf != local)
        free(buf);
    return d;
}

const char *cl_suggest(const char *word, const char *const *cands, size_t n)
{
    if (!word || !*word)
        return NULL;
    size_t wl = strlen(word);
    size_t limit = (wl + 1) / 3 > 1 ? (wl + 1) / 3 : 1;
    const char *best = NULL;
    size_t best_d = SIZE_MAX;
    for (size_t i = 0; i < n; i++) {
        if (!cands[i])
            continue;
        if (strcasecmp(word, cands[i]) == 0)
            return cands[i];
        size_t d = cl_edit_distance(word, cands[i]);
        if (d < best_d) {
            best_d = d;
            best = cands[i];
        }
    }
    /* Close enough, and not a rewrite of the whole word. */
    if (best && best_d <= limit && best_d < wl && best_d < strlen(best))
        return best;
    return NULL;
}
