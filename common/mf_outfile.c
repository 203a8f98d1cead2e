/*  mf_outfile: see mf_outfile.h. */
#include "mf_outfile.h"

#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TEMP_NAME "/.mandelfarm-XXXXXX" //  beside the final file; mkstemp fills the Xs

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
    char *path;                         //  final name as the caller gave it, for messages
    char *target;                       //  the file renamed over: links followed
    char *temp;                         //  temporary name, in target's directory
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

const char *
mf_outfile_kind (mode_t mode)
{
    return S_ISREG (mode)? NULL
         : S_ISDIR (mode)? "a directory"
         : S_ISFIFO (mode)? "a FIFO"
         : S_ISCHR (mode)? "a character device"
         : S_ISBLK (mode)? "a block device"
         : S_ISSOCK (mode)? "a socket"
         : S_ISLNK (mode)? "a symbolic link"
         :                 "not a regular file";
}

int
mf_outfile_resolve (const char *path, char *resolved, size_t size, char *err, size_t errlen)
{
    char current [PATH_MAX], target [PATH_MAX], dir [PATH_MAX], real [PATH_MAX];
    if (snprintf (current, sizeof current, "%s", path) >= (int) sizeof current) {
        snprintf (err, errlen, "'%s' is too long a path", path);
        return -1;
    }
    for (int depth = 0; ; depth++) {
        struct stat st;
        if (lstat (current, &st) || !S_ISLNK (st.st_mode))
            break;
        ssize_t len = depth < MF_OUTFILE_LINKS? readlink (current, target, sizeof target - 1): -1;
        if (len <= 0 || len >= (ssize_t) sizeof target - 1) {
            snprintf (err, errlen, "'%s' is a symbolic link that cannot be followed%s", path,
                      depth < MF_OUTFILE_LINKS? "": " (too many links in a row)");
            return -1;
        }
        target [len] = 0;
        //  A relative link is relative to the directory it is in.
        const char *base;
        if (target [0] != '/' && s_split (current, dir, sizeof dir, &base) == 0) {
            if (snprintf (current, sizeof current, "%s/%s", dir, target) >= (int) sizeof current) {
                snprintf (err, errlen, "'%s' is too long a path", path);
                return -1;
            }
        }
        else
            memcpy (current, target, (size_t) len + 1);
    }
    const char *base;
    if (s_split (current, dir, sizeof dir, &base)) {
        snprintf (err, errlen, "'%s' is not a file name", path);
        return -1;
    }
    if (!realpath (dir, real)) {
        snprintf (err, errlen, "cannot write in '%s': %s", dir, strerror (errno));
        return -1;
    }
    if (snprintf (resolved, size, "%s/%s", strcmp (real, "/")? real: "", base) >= (int) size) {
        snprintf (err, errlen, "'%s' is too long a path", path);
        return -1;
    }
    return 0;
}

static mf_outfile_t *
s_open_temp (const char *path, char *err, size_t errlen)
{
    char target [PATH_MAX];
    if (mf_outfile_resolve (path, target, sizeof target, err, errlen))
        return NULL;
    struct stat st, link;
    if (stat (target, &st) == 0 && !S_ISREG (st.st_mode)) {
        if (lstat (path, &link) == 0 && S_ISLNK (link.st_mode))
            snprintf (err, errlen, "'%s' leads to '%s', which is %s, not a regular file",
                      path, target, mf_outfile_kind (st.st_mode));
        else
            snprintf (err, errlen, "'%s' is %s, not a regular file", path,
                      mf_outfile_kind (st.st_mode));
        return NULL;
    }
    mf_outfile_t *self = calloc (1, sizeof *self);
    size_t templen = strlen (target) + sizeof TEMP_NAME;
    if (self) {
        self->path = strdup (path);
        self->target = strdup (target);
        self->temp = malloc (templen);
    }
    if (!self || !self->path || !self->target || !self->temp) {
        snprintf (err, errlen, "out of memory");
        mf_outfile_abort (&self);
        return NULL;
    }
    //  The directory of target, which is absolute: it has a '/'.
    size_t dirlen = (size_t) (strrchr (target, '/') - target);
    memcpy (self->temp, target, dirlen);
    memcpy (self->temp + dirlen, TEMP_NAME, sizeof TEMP_NAME);
    int fd = mkstemp (self->temp);
    if (fd < 0) {
        snprintf (err, errlen, "cannot write in '%.*s': %s", dirlen? (int) dirlen: 1,
                  dirlen? target: "/", strerror (errno));
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
    if (rename (self->temp, self->target) != 0) {
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
        free (self->target);
        free (self->path);
        free (self);
        *self_p = NULL;
    }
}
