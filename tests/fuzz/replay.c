/* replay.c - run a fuzz target's saved inputs once each, without libFuzzer.

   Every fuzz target (tests/fuzz/fuzz_*.c) is one function,
   LLVMFuzzerTestOneInput(data, size), as libFuzzer calls it. Linked with
   clang's -fsanitize=fuzzer it is a fuzzer (`./run fuzz`); linked with
   this file instead, by gcc under ASan and UBSan, it is a regression test:
   `replay FILE...` feeds it each file, in the order given, and `./run
   test` runs that over the target's corpus (tests/fuzz/corpus/NAME/),
   where every input that ever found a defect is kept. A sanitizer report
   or a failed check in the target aborts the run, and the log names the
   file being replayed when it happened.

   The exit status is 0 when every file was replayed; 1 when a file could
   not be read or none was given (a replay of nothing proves nothing). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* libFuzzer's optional set-up hook; a target that has none links too. */
__attribute__((weak)) int LLVMFuzzerInitialize(int *argc, char ***argv);

/* The largest input replayed: corpora are kept small (book/hardening.md). */
#define REPLAY_MAX (1u << 20)

int main(int argc, char **argv)
{
    static uint8_t buf[REPLAY_MAX + 1];
    unsigned long files = 0, bytes = 0;

    if (LLVMFuzzerInitialize)
        LLVMFuzzerInitialize(&argc, &argv);
    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE...: replays nothing\n", argv[0]);
        return 1;
    }
    //! [replay-loop]
    for (int i = 1; i < argc; i++) {
        FILE *f = fopen(argv[i], "rb");
        size_t n;

        if (!f) {
            fprintf(stderr, "replay: %s: %s\n", argv[i], strerror(errno));
            return 1;
        }
        n = fread(buf, 1, sizeof buf, f);
        if (ferror(f) || n > REPLAY_MAX) {
            fprintf(stderr, "replay: %s: %s\n", argv[i],
                    ferror(f) ? "read error" : "larger than 1 MiB");
            fclose(f);
            return 1;
        }
        fclose(f);
        /* Name the input first, so a crash's report follows its name. */
        fprintf(stderr, "replay: %s (%zu bytes)\n", argv[i], n);
        /* A copy of exactly n bytes, so ASan sees a read past the end. */
        uint8_t *copy = malloc(n ? n : 1);
        if (!copy) {
            fprintf(stderr, "replay: out of memory\n");
            return 1;
        }
        memcpy(copy, buf, n);
        LLVMFuzzerTestOneInput(copy, n);
        free(copy);
        files++;
        bytes += n;
    }
    //! [replay-loop]
    printf("replay: %lu inputs, %lu bytes, no finding\n", files, bytes);
    return 0;
}
