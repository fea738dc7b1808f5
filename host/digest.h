/* digest.h — SHA-256 of a buffer or a file, as hex (libcrypto). */
#ifndef CONLAB_HOST_DIGEST_H
#define CONLAB_HOST_DIGEST_H

#include <stddef.h>

/* 64 hex digits and the NUL. */
#define CL_SHA256_HEX 65

/** The SHA-256 of len bytes at data, as 64 lowercase hex digits into
 *  hex[CL_SHA256_HEX]. */
void cl_sha256_hex(const void *data, size_t len, char hex[CL_SHA256_HEX]);

/** The SHA-256 of the file at path, as cl_sha256_hex.  0, or -1 with errno
 *  (hex is then ""). */
int cl_sha256_file(const char *path, char hex[CL_SHA256_HEX]);

#endif
