/*  mf_outfile: an output file that appears under its final name only when
    complete. It is written under a temporary name in the directory of the
    final file and renamed over it on commit, so a crash or a Ctrl-C never
    leaves a half-written file, and an old file of that name stays intact
    until the new one is whole. The temporary name is short and fixed
    (".mandelfarm-XXXXXX"), so that every name the system allows works as
    a final name, even one of 255 bytes.

    Only a regular file is ever replaced. A final name that is a FIFO, a
    device, a socket or a directory is refused: renaming over it would
    destroy the node, and writing through it would not be atomic. A
    symbolic link is followed, as git follows one to its lock files: the
    temporary file goes beside the file the link points to, which gets the
    new content, and the link stays a link. A dangling link makes the
    file it points to.
*/
#ifndef MF_OUTFILE_H
#define MF_OUTFILE_H

#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#define MF_OUTFILE_LINKS 16             //  symbolic links followed at most, one after another

typedef struct _mf_outfile_t mf_outfile_t;

//  The file a commit to path would replace: symbolic links followed, the
//  directory made absolute (the file itself need not exist). Returns 0
//  with it in resolved, or -1 with the reason in err (a directory that
//  does not exist, a loop of links, a name that is not a file name).
int mf_outfile_resolve (const char *path, char *resolved, size_t size, char *err, size_t errlen);

//  What kind of node a mode (st_mode) is, for messages ("a FIFO", "a directory", ...),
//  or NULL for a regular file.
const char *mf_outfile_kind (mode_t mode);

//  Checks, without leaving anything behind, that path can be written:
//  its directory exists and is writable, and path is not there yet or is
//  a regular file. Returns 0, or -1 with the reason in err.
int mf_outfile_check (const char *path, char *err, size_t errlen);

//  Opens a temporary file beside the file path resolves to. Returns NULL
//  with the reason in err.
mf_outfile_t *mf_outfile_open (const char *path, char *err, size_t errlen);

//  The stream to write to (owned by the outfile).
FILE *mf_outfile_stream (mf_outfile_t *self);

//  Flushes, syncs and closes the file and renames it to its final name;
//  destroys the outfile. Returns 0, or -1 (the temporary file is removed).
int mf_outfile_commit (mf_outfile_t **self_p, char *err, size_t errlen);

//  Closes and removes the temporary file; safe twice, nulls the pointer.
void mf_outfile_abort (mf_outfile_t **self_p);

#endif
