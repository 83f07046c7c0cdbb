#ifndef C_ZLIB_H
#define C_ZLIB_H

#include <stddef.h>
#include <stdint.h>

// One zlib stream, inflating or deflating with a preset dictionary, flushed (Z_SYNC_FLUSH)
// after every call: the shape of SPDY's header compression, where each header block is one
// flushed piece of a stream that lives as long as the connection.

typedef struct swiftlet_zstream swiftlet_zstream;

// NULL when zlib cannot allocate. The dictionary is copied.
swiftlet_zstream *swiftlet_zstream_inflater(const uint8_t *dictionary, size_t dictionary_length);
swiftlet_zstream *swiftlet_zstream_deflater(const uint8_t *dictionary, size_t dictionary_length);

// Feeds `input` through the stream. On success returns 0 and sets *output (malloc'ed; the
// caller frees it) and *output_length. Returns -1 when the input is not valid zlib data or
// the output would exceed `output_limit` bytes; the stream is then unusable.
int swiftlet_zstream_run(swiftlet_zstream *stream, const uint8_t *input, size_t input_length,
                         size_t output_limit, uint8_t **output, size_t *output_length);

void swiftlet_zstream_free(swiftlet_zstream *stream);

#endif
