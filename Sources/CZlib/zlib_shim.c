#include "CZlib.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

struct swiftlet_zstream {
    z_stream z;
    int inflating;
    int broken;
    uint8_t *dictionary;
    size_t dictionary_length;
};

static swiftlet_zstream *make(const uint8_t *dictionary, size_t dictionary_length, int inflating) {
    swiftlet_zstream *s = calloc(1, sizeof(*s));
    if (s == NULL) return NULL;
    s->inflating = inflating;
    s->dictionary = malloc(dictionary_length ? dictionary_length : 1);
    if (s->dictionary == NULL) {
        free(s);
        return NULL;
    }
    memcpy(s->dictionary, dictionary, dictionary_length);
    s->dictionary_length = dictionary_length;
    int rc = inflating ? inflateInit(&s->z) : deflateInit(&s->z, Z_DEFAULT_COMPRESSION);
    if (rc == Z_OK && !inflating) {
        rc = deflateSetDictionary(&s->z, s->dictionary, (uInt)s->dictionary_length);
    }
    if (rc != Z_OK) {
        free(s->dictionary);
        free(s);
        return NULL;
    }
    return s;
}

swiftlet_zstream *swiftlet_zstream_inflater(const uint8_t *dictionary, size_t dictionary_length) {
    return make(dictionary, dictionary_length, 1);
}

swiftlet_zstream *swiftlet_zstream_deflater(const uint8_t *dictionary, size_t dictionary_length) {
    return make(dictionary, dictionary_length, 0);
}

int swiftlet_zstream_run(swiftlet_zstream *s, const uint8_t *input, size_t input_length,
                         size_t output_limit, uint8_t **output, size_t *output_length) {
    *output = NULL;
    *output_length = 0;
    if (s->broken) return -1;
    size_t capacity = input_length * 4 + 256;
    if (capacity > output_limit + 64) capacity = output_limit + 64;
    uint8_t *out = malloc(capacity);
    if (out == NULL) return -1;
    size_t used = 0;
    s->z.next_in = (Bytef *)input;
    s->z.avail_in = (uInt)input_length;
    for (;;) {
        if (used == capacity) {
            if (capacity > output_limit) goto fail;
            size_t grown = capacity * 2;
            uint8_t *bigger = realloc(out, grown);
            if (bigger == NULL) goto fail;
            out = bigger;
            capacity = grown;
        }
        s->z.next_out = out + used;
        s->z.avail_out = (uInt)(capacity - used);
        int rc = s->inflating ? inflate(&s->z, Z_SYNC_FLUSH) : deflate(&s->z, Z_SYNC_FLUSH);
        used = capacity - s->z.avail_out;
        if (rc == Z_NEED_DICT && s->inflating) {
            if (inflateSetDictionary(&s->z, s->dictionary, (uInt)s->dictionary_length) != Z_OK) goto fail;
            continue;
        }
        if (rc == Z_BUF_ERROR) {
            // No progress possible: all input is used and everything is flushed.
            if (s->z.avail_in == 0 && s->z.avail_out > 0) break;
            continue;
        }
        if (rc != Z_OK && rc != Z_STREAM_END) goto fail;
        if (used > output_limit) goto fail;
        if (s->z.avail_in == 0 && s->z.avail_out > 0) break;
    }
    if (used > output_limit) goto fail;
    *output = out;
    *output_length = used;
    return 0;
fail:
    free(out);
    s->broken = 1;
    return -1;
}

void swiftlet_zstream_free(swiftlet_zstream *s) {
    if (s == NULL) return;
    if (s->inflating) {
        inflateEnd(&s->z);
    } else {
        deflateEnd(&s->z);
    }
    free(s->dictionary);
    free(s);
}
