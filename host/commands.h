/* commands.h — the `conlab` subcommands.  Host-private. */
#ifndef CONLAB_HOST_COMMANDS_H
#define CONLAB_HOST_COMMANDS_H

#include <stddef.h>

int cl_cmd_list(int argc, char **argv);
int cl_cmd_validate(int argc, char **argv);
int cl_cmd_run(int argc, char **argv);
int cl_cmd_version(int argc, char **argv);

#endif
