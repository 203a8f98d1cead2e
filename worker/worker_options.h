/*  mf_worker_options: mandelfarm-worker's command line, parsed and
    checked in one place. Every refusal is one line naming the flag, what
    was given and what is allowed; main prints it and exits with status 2.

    The testing flags (--test-delay, --test-corrupt) exist only where this
    file is compiled with MF_TEST_FAULTS, in the test worker the tests
    build (never installed); the release worker refuses them as unknown.

    (Not "options.h": the build's -iquote order would then give this
    header to every `#include "options.h"` meant for the master's.)
*/
#ifndef MF_WORKER_OPTIONS_H
#define MF_WORKER_OPTIONS_H

#include "worker.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

typedef struct {
    mf_worker_opts_t worker;            //  what mf_worker_run takes: endpoint, threads,
                                        //  kernel, name (and the test faults)
    const char *cert;                   //  --cert FILE_secret, or NULL
    const char *master_key;             //  --master-key FILE, or NULL
    int log_level;                      //  an mf_log_level_t: -q, -v, else info
    bool help;                          //  --help was given
    bool version;                       //  --version was given
} mf_worker_options_t;

//  Parses argv into opts (the keys' files are only named, not read).
//  Returns 0, or -1 with one line in err.
int mf_worker_options_parse (int argc, char *argv [], mf_worker_options_t *opts,
                             char *err, size_t errlen);

//  Writes the --help text.
void mf_worker_options_usage (FILE *out);

#endif
