/*  replay: the seed corpus of one harness as a unit test, without
    libFuzzer. Linked with fuzz/fuzz_NAME.c into replay_NAME; feeds every
    file of fuzz/corpus/NAME (or of the files and directories given as
    arguments, e.g. a crash file to reproduce) to LLVMFuzzerTestOneInput,
    in name order. Fails if there is no input at all: a harness without a
    corpus would test nothing.
*/
#include "fuzz.h"

#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#ifndef MF_FUZZ_CORPUS
#   define MF_FUZZ_CORPUS "fuzz/corpus"
#endif
#define INPUT_MAX (8u << 20)            //  bytes, above the largest message (4 MiB + 44)
#define FILES_MAX 100000                //  inputs per run, a bound on the loop

static uint8_t *s_buffer;

//  Runs one file. Returns 0, or -1 if it cannot be read.
static int
s_run_file (const char *path)
{
    FILE *file = fopen (path, "rb");
    if (!file) {
        fprintf (stderr, "replay: cannot read '%s': %s\n", path, strerror (errno));
        return -1;
    }
    size_t size = fread (s_buffer, 1, INPUT_MAX + 1, file);
    fclose (file);
    if (size > INPUT_MAX) {
        fprintf (stderr, "replay: '%s' is larger than %u bytes\n", path, INPUT_MAX);
        return -1;
    }
    //  A copy of exactly size bytes, so ASan sees any read past the end.
    uint8_t *input = malloc (size? size: 1);
    if (!input)
        return -1;
    memcpy (input, s_buffer, size);
    LLVMFuzzerTestOneInput (input, size);
    free (input);
    return 0;
}

//  Runs a file, or every regular file of a directory. Adds to *count.
static int
s_run (const char *path, int *count)
{
    struct stat st;
    if (stat (path, &st)) {
        fprintf (stderr, "replay: cannot read '%s': %s\n", path, strerror (errno));
        return -1;
    }
    if (!S_ISDIR (st.st_mode)) {
        (*count)++;
        return s_run_file (path);
    }
    struct dirent **entries;
    int entry_count = scandir (path, &entries, NULL, alphasort);
    if (entry_count < 0) {
        fprintf (stderr, "replay: cannot read '%s': %s\n", path, strerror (errno));
        return -1;
    }
    int rc = 0;
    for (int index = 0; index < entry_count; index++) {
        char child [4096];
        snprintf (child, sizeof child, "%s/%s", path, entries [index]->d_name);
        if (rc == 0 && entries [index]->d_name [0] != '.' && *count < FILES_MAX
        &&  stat (child, &st) == 0 && S_ISREG (st.st_mode)) {
            (*count)++;
            rc = s_run_file (child);
        }
        free (entries [index]);
    }
    free (entries);
    return rc;
}

int
main (int argc, char *argv [])
{
    const char *slash = strrchr (argv [0], '/');
    const char *name = slash? slash + 1: argv [0];
    if (strncmp (name, "replay_", 7) == 0)
        name += 7;
    s_buffer = malloc (INPUT_MAX + 1);
    if (!s_buffer)
        return 1;
    char corpus [4096];
    snprintf (corpus, sizeof corpus, "%s/%s", MF_FUZZ_CORPUS, name);
    int count = 0, rc = 0;
    if (argc > 1)
        for (int index = 1; index < argc && rc == 0; index++)
            rc = s_run (argv [index], &count);
    else
        rc = s_run (corpus, &count);
    free (s_buffer);
    if (rc)
        return 1;
    if (count == 0) {
        fprintf (stderr, "replay %s: no input in %s; a harness needs a seed corpus\n",
                 name, argc > 1? argv [1]: corpus);
        return 1;
    }
    printf ("replay %s: %d input%s, every check held\n", name, count, count == 1? "": "s");
    return 0;
}
