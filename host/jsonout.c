/* jsonout.c — see jsonout.h. */
#include "jsonout.h"

#include <math.h>

struct json_object *cl_json_num(double v)
{
    if (!isfinite(v))
        return NULL;
    char buf[40];
    snprintf(buf, sizeof buf, "%.9g", v);
    return json_object_new_double_s(v, buf);
}

struct json_object *cl_json_str(const char *s)
{
    return s ? json_object_new_string(s) : NULL;
}

struct json_object *cl_json_bool3(int v)
{
    return v < 0 ? NULL : json_object_new_boolean(v != 0);
}

struct json_object *cl_json_strs(char *const *v, size_t n)
{
    struct json_object *a = json_object_new_array();
    for (size_t i = 0; i < n; i++)
        json_object_array_add(a, json_object_new_string(v[i]));
    return a;
}

int cl_json_write(FILE *out, struct json_object *obj)
{
    const char *s = json_object_to_json_string_ext(
        obj, JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE);
    int rc = fputs(s, out) >= 0 && fputc('\n', out) != EOF ? 0 : -1;
    json_object_put(obj);
    return rc;
}
