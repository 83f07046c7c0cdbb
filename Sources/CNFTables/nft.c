#define _GNU_SOURCE
#include "CNFTables.h"

#include <errno.h>
#include <fcntl.h>
#include <nftables/libnftables.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct swiftlet_nft {
    pthread_t thread;
    pthread_mutex_t callers;   // one caller at a time
    pthread_mutex_t mu;        // guards the fields below
    pthread_cond_t cv;
    char *netns_path;
    int ready;                 // 1: context open, -1: failed (open_errno says why)
    int open_errno;
    int quit;
    const char *script;        // the job, when non-NULL
    int done;
    int result;
    char *error;
    struct nft_ctx *ctx;
};

static void *worker(void *arg) {
    swiftlet_nft *h = arg;
    int failure = 0;
    if (h->netns_path) {
        int fd = open(h->netns_path, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || setns(fd, CLONE_NEWNET) != 0) failure = errno ? errno : EINVAL;
        if (fd >= 0) close(fd);
    }
    struct nft_ctx *ctx = NULL;
    if (!failure) {
        ctx = nft_ctx_new(NFT_CTX_DEFAULT);
        if (!ctx) failure = ENOMEM;
    }
    if (ctx) {
        nft_ctx_buffer_output(ctx);
        nft_ctx_buffer_error(ctx);
    }
    pthread_mutex_lock(&h->mu);
    h->ctx = ctx;
    h->ready = failure ? -1 : 1;
    h->open_errno = failure;
    pthread_cond_broadcast(&h->cv);
    while (!failure) {
        while (!h->quit && h->script == NULL) pthread_cond_wait(&h->cv, &h->mu);
        if (h->quit) break;
        const char *script = h->script;
        pthread_mutex_unlock(&h->mu);
        int rc = nft_run_cmd_from_buffer(ctx, script);
        const char *err = nft_ctx_get_error_buffer(ctx);
        (void)nft_ctx_get_output_buffer(ctx);  // discard (and rewind) what a command printed
        char *copy = rc != 0 ? strdup(err && *err ? err : "nft: the transaction failed") : NULL;
        pthread_mutex_lock(&h->mu);
        h->script = NULL;
        h->result = rc == 0 ? 0 : -1;
        h->error = copy;
        h->done = 1;
        pthread_cond_broadcast(&h->cv);
    }
    pthread_mutex_unlock(&h->mu);
    if (ctx) nft_ctx_free(ctx);
    return NULL;
}

swiftlet_nft *swiftlet_nft_open(const char *netns_path) {
    swiftlet_nft *h = calloc(1, sizeof(*h));
    if (!h) return NULL;
    pthread_mutex_init(&h->callers, NULL);
    pthread_mutex_init(&h->mu, NULL);
    pthread_cond_init(&h->cv, NULL);
    if (netns_path) h->netns_path = strdup(netns_path);
    if (pthread_create(&h->thread, NULL, worker, h) != 0) {
        int e = errno;
        free(h->netns_path);
        free(h);
        errno = e;
        return NULL;
    }
    pthread_mutex_lock(&h->mu);
    while (h->ready == 0) pthread_cond_wait(&h->cv, &h->mu);
    int ready = h->ready, e = h->open_errno;
    pthread_mutex_unlock(&h->mu);
    if (ready < 0) {
        pthread_join(h->thread, NULL);
        free(h->netns_path);
        free(h);
        errno = e;
        return NULL;
    }
    return h;
}

int swiftlet_nft_run(swiftlet_nft *h, const char *script, char **error_out) {
    pthread_mutex_lock(&h->callers);
    pthread_mutex_lock(&h->mu);
    h->done = 0;
    h->error = NULL;
    h->script = script;
    pthread_cond_broadcast(&h->cv);
    while (!h->done) pthread_cond_wait(&h->cv, &h->mu);
    int result = h->result;
    char *error = h->error;
    h->error = NULL;
    pthread_mutex_unlock(&h->mu);
    pthread_mutex_unlock(&h->callers);
    if (error_out) *error_out = error; else free(error);
    return result;
}

void swiftlet_nft_close(swiftlet_nft *h) {
    if (!h) return;
    pthread_mutex_lock(&h->callers);
    pthread_mutex_lock(&h->mu);
    h->quit = 1;
    pthread_cond_broadcast(&h->cv);
    pthread_mutex_unlock(&h->mu);
    pthread_join(h->thread, NULL);
    pthread_mutex_unlock(&h->callers);
    pthread_mutex_destroy(&h->callers);
    pthread_mutex_destroy(&h->mu);
    pthread_cond_destroy(&h->cv);
    free(h->netns_path);
    free(h);
}
