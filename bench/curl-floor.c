/* curl-floor.c — an HTTP shape done with libcurl alone, the way a plain C
 * program would: one thread, one multi handle, N easy handles in flight,
 * curl_multi_perform + curl_multi_poll, each handle re-added for its next
 * GET until M GETs per handle are done (keep-alive through the multi
 * handle's connection cache).  No coroutines, no conlab, no per-task clock
 * reads or records.  Between bench/raw-http.c (bare sockets) and conlab's
 * `http` workload: what is above raw-http here is libcurl's; what conlab
 * adds above this is the instrument's.  bench/targets.py builds it when
 * libcurl's headers are there and prints it under the HTTP targets.
 *
 *   cc -O2 -o curl-floor bench/curl-floor.c -lcurl
 *   ./curl-floor URL N [M]
 * prints {"wall_s": W, "ok": K}: W from the first curl_multi_add_handle to
 * the last response (handles are made and configured before), K transfers
 * with status 200. */
#include <curl/curl.h>

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static size_t discard(char *data, size_t size, size_t nmemb, void *userp)
{
    (void)data;
    (void)userp;
    return size * nmemb;
}

int main(int argc, char **argv)
{
    if (argc != 3 && argc != 4) {
        fprintf(stderr, "usage: curl-floor URL N [M]\n");
        return 2;
    }
    long n = atol(argv[2]), m = argc == 4 ? atol(argv[3]) : 1;
    if (n < 1 || m < 1 || curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return 2;
    CURLM *multi = curl_multi_init();
    CURL **easy = calloc((size_t)n, sizeof *easy);
    long *left = calloc((size_t)n, sizeof *left);
    if (!multi || !easy || !left)
        return 1;
    for (long i = 0; i < n; i++) {
        if (!(easy[i] = curl_easy_init()))
            return 1;
        curl_easy_setopt(easy[i], CURLOPT_URL, argv[1]);
        curl_easy_setopt(easy[i], CURLOPT_WRITEFUNCTION, discard);
        curl_easy_setopt(easy[i], CURLOPT_PRIVATE, (void *)&left[i]);
        curl_easy_setopt(easy[i], CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(easy[i], CURLOPT_PROXY, "");
        left[i] = m;
    }
    long ok = 0, done = 0, total = n * m;
    double t0 = now();
    for (long i = 0; i < n; i++)
        curl_multi_add_handle(multi, easy[i]);
    while (done < total) {
        int running = 0, q = 0;
        if (curl_multi_perform(multi, &running) != CURLM_OK)
            return 1;
        CURLMsg *msg;
        while ((msg = curl_multi_info_read(multi, &q))) {
            if (msg->msg != CURLMSG_DONE)
                continue;
            CURL *e = msg->easy_handle;
            CURLcode result = msg->data.result;
            long code = 0, *mine = NULL;
            curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &code);
            curl_easy_getinfo(e, CURLINFO_PRIVATE, (char **)&mine);
            ok += result == CURLE_OK && code == 200;
            done++;
            curl_multi_remove_handle(multi, e);
            if (--*mine > 0)
                curl_multi_add_handle(multi, e);
        }
        if (done < total && curl_multi_poll(multi, NULL, 0, 1000, NULL) != CURLM_OK)
            return 1;
    }
    double wall = now() - t0;
    printf("{\"wall_s\": %.6f, \"ok\": %ld}\n", wall, ok);
    for (long i = 0; i < n; i++) {
        curl_multi_remove_handle(multi, easy[i]);
        curl_easy_cleanup(easy[i]);
    }
    curl_multi_cleanup(multi);
    curl_global_cleanup();
    free(easy);
    free(left);
    return ok == total ? 0 : 1;
}
