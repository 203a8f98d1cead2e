/*  mf_outdir: an output directory that appears under its final name only
    when complete, as mf_outfile does for a file. It is made under a short
    temporary name (".mandelfarm-XXXXXX") in the directory that will hold
    it, filled there, and renamed to its final name on commit, so a crash,
    a Ctrl-C or a failure never leaves a directory that looks whole but
    is not.

    A user's directory is never deleted, replaced or written into. The
    final name must not exist, or be an empty directory, which rename(2)
    replaces (with nothing in it, nothing is lost); a file, a symbolic
    link or a directory with anything in it is refused. An abort removes
    the temporary directory and what is in it: it is the outdir's own.
    Before the rename, one syncfs(2) puts every file written in it on
    disk: one call for a directory of thousands of files, where an fsync
    of each would cost more than writing them.
*/
#ifndef MF_OUTDIR_H
#define MF_OUTDIR_H

#include <stddef.h>

typedef struct _mf_outdir_t mf_outdir_t;

//  Checks, without leaving anything behind, that path can become an
//  output directory: it does not exist or is an empty directory, and the
//  directory that holds it exists and is writable. Returns 0, or -1 with
//  the reason in err.
int mf_outdir_check (const char *path, char *err, size_t errlen);

//  The directory path will be once committed, made absolute: trailing
//  slashes dropped, its parent resolved, the last name kept as it is
//  (not followed). Returns 0, or -1 with the reason in err.
int mf_outdir_resolve (const char *path, char *resolved, size_t size, char *err,
                       size_t errlen);

//  Makes a temporary directory beside the one path names, after the same
//  checks as mf_outdir_check. Returns NULL with the reason in err.
mf_outdir_t *mf_outdir_open (const char *path, char *err, size_t errlen);

//  The temporary directory to fill (owned by the outdir).
const char *mf_outdir_path (const mf_outdir_t *self);

//  Writes size bytes of data as the new file name (relative, in a
//  directory that exists) in the temporary directory. Returns 0, or -1
//  with the reason in err.
int mf_outdir_write (mf_outdir_t *self, const char *name, const void *data, size_t size,
                     char *err, size_t errlen);

//  Copies source, a regular file or a directory of them (and of
//  directories, copied whole; symbolic links followed), to name (relative,
//  new) in the temporary directory. Returns 0, or -1 with the reason in err.
int mf_outdir_copy (mf_outdir_t *self, const char *name, const char *source,
                    char *err, size_t errlen);

//  Puts what was written on disk and renames the temporary directory to
//  its final name; destroys the outdir. Returns 0, or -1 with the reason
//  in err (the temporary directory is removed; the final name, if it was
//  an empty directory, stays as it was).
int mf_outdir_commit (mf_outdir_t **self_p, char *err, size_t errlen);

//  Removes the temporary directory and everything in it; safe twice,
//  nulls the pointer.
void mf_outdir_abort (mf_outdir_t **self_p);

#endif
