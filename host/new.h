/* new.h — `conlab new`: write a ready out-of-tree plugin folder.
 * Host-private. */
#ifndef CONLAB_HOST_NEW_H
#define CONLAB_HOST_NEW_H

/* conlab new <strategy|workload> NAME [DIR]: argv[0] is "new".
 * Returns 0, CL_EXIT_USAGE (bad arguments, DIR not empty) or
 * CL_EXIT_INTERNAL (a file could not be written; nothing is left behind). */
int cl_cmd_new(int argc, char **argv);

/* 1 if `name` can name a generated plugin: [a-z][a-z0-9_-]*, at most 64
 * characters (the registry's limit); else 0. */
int cl_new_valid_name(const char *name);

#endif
