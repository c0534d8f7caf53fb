/* fuzz.h - what every fuzz target (tests/fuzz/fuzz_*.c) shares: reading
   its input as a stream of small numbers, and checking a property.

   A target is one function, LLVMFuzzerTestOneInput(data, size): built with
   clang's -fsanitize=fuzzer it is a fuzzer (`./run fuzz NAME`), built with
   replay.c it replays a saved corpus in `./run test`. It must be
   deterministic (the same input does the same thing: no clock, no
   randomness, no state carried from one input to the next) and bounded
   (every loop it runs ends after a number of steps fixed in the target,
   whatever the input says). book/hardening.md says how to add one. */
#ifndef FUZZ_H
#define FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The input, read front to back; past its end every read gives 0. */
typedef struct fuzz_in {
    const uint8_t *p;
    size_t n;
} fuzz_in;

static inline int fuzz_more(const fuzz_in *in)
{
    return in->n > 0;
}

static inline uint64_t fuzz_bytes(fuzz_in *in, unsigned count)
{
    uint64_t v = 0;

    for (unsigned i = 0; i < count; i++) {
        uint64_t b = 0;
        if (in->n) {
            b = *in->p++;
            in->n--;
        }
        v |= b << (8 * i);
    }
    return v;
}

static inline uint8_t fuzz_u8(fuzz_in *in) { return (uint8_t)fuzz_bytes(in, 1); }
static inline uint16_t fuzz_u16(fuzz_in *in) { return (uint16_t)fuzz_bytes(in, 2); }
static inline uint32_t fuzz_u32(fuzz_in *in) { return (uint32_t)fuzz_bytes(in, 4); }
static inline uint64_t fuzz_u64(fuzz_in *in) { return fuzz_bytes(in, 8); }

/* A property that must hold for every input: when it does not, say which
   and where, and abort, which libFuzzer records as a finding (and the
   replay as a failed test). */
#define FUZZ_CHECK(cond, ...)                                                  \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "%s:%d: property violated: %s: ", __FILE__,        \
                    __LINE__, #cond);                                          \
            fprintf(stderr, __VA_ARGS__);                                      \
            fputc('\n', stderr);                                               \
            abort();                                                           \
        }                                                                      \
    } while (0)

#endif /* FUZZ_H */
