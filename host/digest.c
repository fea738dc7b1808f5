/* digest.c — see digest.h. */
#include "digest.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <openssl/evp.h>

/* libcrypto failing on a digest it always has is out of memory: as
 * cl_xmalloc does, say so and stop. */
static void failed(const char *what)
{
    fprintf(stderr, "conlab: libcrypto: cannot %s a SHA-256\n", what);
    abort();
}

static void to_hex(const unsigned char *md, unsigned n, char hex[CL_SHA256_HEX])
{
    static const char digits[] = "0123456789abcdef";
    for (unsigned i = 0; i < n && i < CL_SHA256_HEX / 2; i++) {
        hex[2 * i] = digits[md[i] >> 4];
        hex[2 * i + 1] = digits[md[i] & 15];
    }
    hex[2 * (n < CL_SHA256_HEX / 2 ? n : CL_SHA256_HEX / 2)] = '\0';
}

/* A fresh SHA-256 context. */
static EVP_MD_CTX *sha256_start(void)
{
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    if (!c || EVP_DigestInit_ex(c, EVP_sha256(), NULL) != 1)
        failed("start");
    return c;
}

static void sha256_finish(EVP_MD_CTX *c, char hex[CL_SHA256_HEX])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned n = 0;
    if (EVP_DigestFinal_ex(c, md, &n) != 1)
        failed("finish");
    EVP_MD_CTX_free(c);
    to_hex(md, n, hex);
}

void cl_sha256_hex(const void *data, size_t len, char hex[CL_SHA256_HEX])
{
    EVP_MD_CTX *c = sha256_start();
    if (EVP_DigestUpdate(c, data, len) != 1)
        failed("update");
    sha256_finish(c, hex);
}

int cl_sha256_file(const char *path, char hex[CL_SHA256_HEX])
{
    hex[0] = '\0';
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    EVP_MD_CTX *c = sha256_start();
    unsigned char buf[65536];
    size_t got;
    while ((got = fread(buf, 1, sizeof buf, f)) > 0)
        if (EVP_DigestUpdate(c, buf, got) != 1)
            failed("update");
    int e = ferror(f) ? EIO : 0;
    fclose(f);
    if (e) {
        EVP_MD_CTX_free(c);
        errno = e;
        return -1;
    }
    sha256_finish(c, hex);
    return 0;
}
