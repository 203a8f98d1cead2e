/*  The fuzzing harnesses' contract. A harness is one file,
    fuzz/fuzz_NAME.c, defining LLVMFuzzerTestOneInput, with its seed
    corpus in fuzz/corpus/NAME/ (small files, including valid inputs).
    The Makefile finds it by its name: `make fuzz` builds it with clang
    and libFuzzer (ASan, UBSan) and runs it FUZZ_SECONDS; `make test`
    links it with fuzz/replay.c (gcc, no libFuzzer) and replays the seed
    corpus. Nothing else is needed to add one.

    A harness checks what its decoder promises, not only that it does not
    crash: FUZZ_CHECK aborts with the failed condition, which libFuzzer
    reports as a crash and the replay as a failed test.
*/
#ifndef MF_FUZZ_H
#define MF_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define FUZZ_CHECK(cond) \
    do { \
        if (!(cond)) { \
            fprintf (stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
            abort (); \
        } \
    } while (0)

//  Runs one input; returns 0 (libFuzzer's convention). Aborts on a
//  broken promise.
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

#endif
