/* suggest.h — "did you mean" for misspelt names.  Host-private. */
#ifndef CONLAB_HOST_SUGGEST_H
#define CONLAB_HOST_SUGGEST_H

#include <stddef.h>

/** Edit distance (Damerau-Levenshtein, optimal string alignment). */
size_t cl_edit_distance(const char *a, const char *b);
/** The candidate nearest to `word` (borrowed from cands) if it is close
 *  enough to suggest, else NULL.  NULL candidates are skipped. */
const char *cl_suggest(const char *word, const char *const *cands, size_t n);

#endif
