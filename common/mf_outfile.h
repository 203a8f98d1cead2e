/*  mf_outfile: an output file that appears under its final name only when
    complete. It is written under a temporary name in the same directory
    (".NAME.tmp-XXXXXX") and renamed over NAME on commit, so a crash or a
    Ctrl-C never leaves a half-written file, and an old file of that name
    stays intact until the new one is whole.
*/
#ifndef MF_OUTFILE_H
#define MF_OUTFILE_H

#include <stddef.h>
#include <stdio.h>

typedef struct _mf_outfile_t mf_outfile_t;

//  Checks, without leaving anything behind, that path can be written:
//  its directory exists and is writable, and path is not a directory.
//  Returns 0, or -1 with the reason in err.
int mf_outfile_check (const char *path, char *err, size_t errlen);

//  Opens a temporary file beside path. Returns NULL with the reason in err.
mf_outfile_t *mf_outfile_open (const char *path, char *err, size_t errlen);

//  The stream to write to (owned by the outfile).
FILE *mf_outfile_stream (mf_outfile_t *self);

//  Flushes, syncs and closes the file and renames it to its final name;
//  destroys the outfile. Returns 0, or -1 (the temporary file is removed).
int mf_outfile_commit (mf_outfile_t **self_p, char *err, size_t errlen);

//  Closes and removes the temporary file; safe twice, nulls the pointer.
void mf_outfile_abort (mf_outfile_t **self_p);

#endif
