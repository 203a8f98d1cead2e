/*  mf_outfile: see mf_outfile.h. */
#include "mf_outfile.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

//  The process's umask, read once before main: reading it means setting
//  it, and doing that later could race with another thread creating a
//  file (the viewer saves on its own thread).
static mode_t s_umask = 022;

__attribute__ ((constructor)) static void
s_read_umask (void)
{
    s_umask = umask (0);
    umask (s_umask);
}

struct _mf_outfile_t {
    char *path;                         //  final name
    char *temp;                         //  temporary name, same directory
    FILE *stream;                       //  open on temp
};

//  Splits path into directory and base name; returns 0 or -1.
static int
s_split (const char *path, char *dir, size_t dirlen, const char **base)
{
    const char *slash = strrchr (path, '/');
    if (!slash) {
        snprintf (dir, dirlen, ".");
        *base = path;
    }
    else {
        size_t len = (size_t) (slash - path);
        if (len + 1 > dirlen)
            return -1;
        if (len == 0)
            snprintf (dir, dirlen, "/");
        else {
            memcpy (dir, path, len);
            dir [len] = 0;
        }
        *base = slash + 1;
    }
    return **base? 0: -1;
}

static mf_outfile_t *
s_open_temp (const char *path, char *err, size_t errlen)
{
    char dir [4096];
    const char *base;
    if (s_split (path, dir, sizeof dir, &base)) {
        snprintf (err, errlen, "'%s' is not a file name", path);
        return NULL;
    }
    struct stat st;
    if (stat (path, &st) == 0 && S_ISDIR (st.st_mode)) {
        snprintf (err, errlen, "'%s' is a directory", path);
        return NULL;
    }
    mf_outfile_t *self = calloc (1, sizeof *self);
    size_t templen = strlen (dir) + strlen (base) + 16;
    if (self) {
        self->path = strdup (path);
        self->temp = malloc (templen);
    }
    if (!self || !self->path || !self->temp) {
        snprintf (err, errlen, "out of memory");
        mf_outfile_abort (&self);
        return NULL;
    }
    snprintf (self->temp, templen, "%s/.%s.tmp-XXXXXX", dir, base);
    int fd = mkstemp (self->temp);
    if (fd < 0) {
        snprintf (err, errlen, "cannot write in '%s': %s", dir, strerror (errno));
        free (self->temp);
        self->temp = NULL;
        mf_outfile_abort (&self);
        return NULL;
    }
    //  mkstemp makes 0600; give the image the mode a new file would get.
    if (fchmod (fd, 0666 & ~s_umask)) {
        //  Not fatal: the file is still ours and readable by us.
    }
    self->stream = fdopen (fd, "wb");
    if (!self->stream) {
        close (fd);
        snprintf (err, errlen, "cannot open '%s': %s", self->temp, strerror (errno));
        mf_outfile_abort (&self);
        return NULL;
    }
    return self;
}

int
mf_outfile_check (const char *path, char *err, size_t errlen)
{
    mf_outfile_t *probe = s_open_temp (path, err, errlen);
    if (!probe)
        return -1;
    mf_outfile_abort (&probe);
    return 0;
}

mf_outfile_t *
mf_outfile_open (const char *path, char *err, size_t errlen)
{
    return s_open_temp (path, err, errlen);
}

FILE *
mf_outfile_stream (mf_outfile_t *self)
{
    return self->stream;
}

int
mf_outfile_commit (mf_outfile_t **self_p, char *err, size_t errlen)
{
    assert (self_p && *self_p);
    mf_outfile_t *self = *self_p;
    int failed = fflush (self->stream) != 0 || ferror (self->stream);
    if (!failed && fsync (fileno (self->stream)) != 0 && errno != EINVAL)
        failed = 1;
    int saved = errno;
    if (fclose (self->stream) != 0)
        failed = 1;
    self->stream = NULL;
    if (failed) {
        snprintf (err, errlen, "cannot write '%s': %s", self->path, strerror (saved));
        mf_outfile_abort (self_p);
        return -1;
    }
    if (rename (self->temp, self->path) != 0) {
        snprintf (err, errlen, "cannot rename to '%s': %s", self->path, strerror (errno));
        mf_outfile_abort (self_p);
        return -1;
    }
    free (self->temp);
    self->temp = NULL;
    mf_outfile_abort (self_p);      //  frees what is left; nothing to remove
    return 0;
}

void
mf_outfile_abort (mf_outfile_t **self_p)
{
    assert (self_p);
    mf_outfile_t *self = *self_p;
    if (self) {
        if (self->stream)
            fclose (self->stream);
        if (self->temp)
            unlink (self->temp);
        free (self->temp);
        free (self->path);
        free (self);
        *self_p = NULL;
    }
}
