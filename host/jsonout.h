/* jsonout.h — the JSON the reports write (report --format json, compare
 * --format json), built with json-c: the few value makers conlab needs on
 * top of it, with numbers written as "%.9g" and no value written as null.
 * Host-private. */
#ifndef CONLAB_HOST_JSONOUT_H
#define CONLAB_HOST_JSONOUT_H

#include <stdio.h>

#include <json-c/json.h>

/** A number ("%.9g"), or NULL (JSON null) when not finite.  New reference,
 *  owned by the caller (usually handed to json_object_object_add). */
struct json_object *cl_json_num(double v);
/** A string, or NULL (JSON null) when s is NULL.  New reference. */
struct json_object *cl_json_str(const char *s);
/** true, false, or NULL (JSON null) when v < 0.  New reference. */
struct json_object *cl_json_bool3(int v);
/** An array of strings.  New reference. */
struct json_object *cl_json_strs(char *const *v, size_t n);
/** Write `obj` and a newline to `out`, then drop the reference to it.
 *  0, or -1 if `out` could not be written. */
int cl_json_write(FILE *out, struct json_object *obj);

#endif
