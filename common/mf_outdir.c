/*  mf_outdir: see mf_outdir.h. The temporary name is made with mkdir(2)
    and mode 0777, not mkdtemp (0700), so that the kernel applies the
    umask and the committed directory gets the mode any new directory
    would; its random letters come from getrandom(2).
*/
#include "mf_outdir.h"
#include "mf_outfile.h"

#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define TEMP_PREFIX ".mandelfarm-"      //  then TEMP_LETTERS random letters
#define TEMP_LETTERS 6
#define TEMP_TRIES 100                  //  names tried before giving up
#define COPY_BUFFER 65536               //  bytes copied per read
#define COPY_DEPTH 16                   //  directories nested at most in a copy
#define REMOVE_FDS 16                   //  descriptors nftw may hold while removing

struct _mf_outdir_t {
    char *path;                         //  final name as the caller gave it, for messages
    char *target;                       //  absolute final name
    char *temp;                         //  the temporary directory, beside target
};

int
mf_outdir_resolve (const char *path, char *resolved, size_t size, char *err, size_t errlen)
{
    char copy [PATH_MAX], real [PATH_MAX];
    size_t len = strlen (path);
    if (len == 0 || len >= sizeof copy) {
        snprintf (err, errlen, "'%s' is not a directory name", path);
        return -1;
    }
    memcpy (copy, path, len + 1);
    while (len > 1 && copy [len - 1] == '/')
        copy [--len] = 0;
    char *slash = strrchr (copy, '/');
    const char *base = slash? slash + 1: copy;
    const char *parent = slash? (slash == copy? "/": copy): ".";
    if (slash && slash != copy)
        *slash = 0;
    if (!*base || strcmp (base, ".") == 0 || strcmp (base, "..") == 0) {
        snprintf (err, errlen, "'%s' is not a directory name that can be made; give a new "
                  "name, such as poster/", path);
        return -1;
    }
    if (!realpath (parent, real)) {
        snprintf (err, errlen, "cannot write in '%s': %s", parent, strerror (errno));
        return -1;
    }
    if (snprintf (resolved, size, "%s/%s", strcmp (real, "/")? real: "", base) >= (int) size) {
        snprintf (err, errlen, "'%s' is too long a path", path);
        return -1;
    }
    return 0;
}

//  Whether the directory at path has nothing in it: 1, 0, or -1 with errno.
static int
s_is_empty (const char *path)
{
    DIR *dir = opendir (path);
    if (!dir)
        return -1;
    int empty = 1;
    struct dirent *entry;
    while (empty && (entry = readdir (dir)))
        if (strcmp (entry->d_name, ".") && strcmp (entry->d_name, ".."))
            empty = 0;
    closedir (dir);
    return empty;
}

//  Checks what is at the final name now (resolved target). Returns 0 or -1.
static int
s_check_target (const char *path, const char *target, char *err, size_t errlen)
{
    struct stat st;
    if (lstat (target, &st)) {
        if (errno == ENOENT)
            return 0;
        snprintf (err, errlen, "cannot reach '%s': %s", path, strerror (errno));
        return -1;
    }
    if (S_ISLNK (st.st_mode)) {
        snprintf (err, errlen, "'%s' is a symbolic link; give the path of a new or empty "
                  "directory itself", path);
        return -1;
    }
    if (!S_ISDIR (st.st_mode)) {
        snprintf (err, errlen, "'%s' is %s, not a directory; give the path of a new or empty "
                  "directory", path, mf_outfile_kind (st.st_mode));
        return -1;
    }
    int empty = s_is_empty (target);
    if (empty < 0) {
        snprintf (err, errlen, "cannot read the directory '%s': %s", path, strerror (errno));
        return -1;
    }
    if (!empty) {
        snprintf (err, errlen, "the directory '%s' is not empty; give a new or empty "
                  "directory (nothing in one is ever replaced or deleted)", path);
        return -1;
    }
    return 0;
}

//  Makes a fresh directory named TEMP_PREFIX + random letters in dir
//  into temp (size bytes). Returns 0, or -1 with errno.
static int
s_make_temp (const char *dir, char *temp, size_t size)
{
    static const char letters [] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    for (int attempt = 0; attempt < TEMP_TRIES; attempt++) {
        unsigned char random [TEMP_LETTERS];
        if (getrandom (random, sizeof random, 0) != (ssize_t) sizeof random) {
            //  No entropy to be had: the clock and the attempt still vary.
            unsigned long seed = (unsigned long) time (NULL)
                               ^ (unsigned long) getpid () * 2654435761u;
            for (int k = 0; k < TEMP_LETTERS; k++)
                random [k] = (unsigned char) ((seed >> (k * 5)) + (unsigned long) attempt * 7u);
        }
        char name [TEMP_LETTERS + 1];
        for (int k = 0; k < TEMP_LETTERS; k++)
            name [k] = letters [random [k] % (sizeof letters - 1)];
        name [TEMP_LETTERS] = 0;
        if (snprintf (temp, size, "%s/" TEMP_PREFIX "%s", strcmp (dir, "/")? dir: "", name)
            >= (int) size) {
            errno = ENAMETOOLONG;
            return -1;
        }
        if (mkdir (temp, 0777) == 0)
            return 0;
        if (errno != EEXIST)
            return -1;
    }
    errno = EEXIST;
    return -1;
}

//  Splits an absolute path at its last slash into the directory (dir,
//  PATH_MAX bytes). The root's own directory is "/".
static void
s_dirname (const char *path, char *dir)
{
    const char *slash = strrchr (path, '/');
    size_t len = slash && slash != path? (size_t) (slash - path): 1;
    memcpy (dir, path, len);
    dir [len] = 0;
}

mf_outdir_t *
mf_outdir_open (const char *path, char *err, size_t errlen)
{
    char target [PATH_MAX], dir [PATH_MAX], temp [PATH_MAX];
    if (mf_outdir_resolve (path, target, sizeof target, err, errlen)
    ||  s_check_target (path, target, err, errlen))
        return NULL;
    s_dirname (target, dir);
    if (s_make_temp (dir, temp, sizeof temp)) {
        snprintf (err, errlen, "cannot write in '%s': %s", dir, strerror (errno));
        return NULL;
    }
    mf_outdir_t *self = calloc (1, sizeof *self);
    if (self) {
        self->path = strdup (path);
        self->target = strdup (target);
        self->temp = strdup (temp);
    }
    if (!self || !self->path || !self->target || !self->temp) {
        rmdir (temp);
        if (self) {
            free (self->temp);
            self->temp = NULL;
        }
        mf_outdir_abort (&self);
        snprintf (err, errlen, "out of memory");
        return NULL;
    }
    return self;
}

int
mf_outdir_check (const char *path, char *err, size_t errlen)
{
    mf_outdir_t *probe = mf_outdir_open (path, err, errlen);
    if (!probe)
        return -1;
    mf_outdir_abort (&probe);
    return 0;
}

const char *
mf_outdir_path (const mf_outdir_t *self)
{
    return self->temp;
}

//  The path of name in the temporary directory, into out (PATH_MAX
//  bytes). Returns 0, or -1 with the reason in err.
static int
s_inside (mf_outdir_t *self, const char *name, char *out, char *err, size_t errlen)
{
    assert (name [0] && name [0] != '/' && !strstr (name, ".."));
    if (snprintf (out, PATH_MAX, "%s/%s", self->temp, name) >= PATH_MAX) {
        snprintf (err, errlen, "'%s/%s' is too long a path", self->path, name);
        return -1;
    }
    return 0;
}

//  Writes all of size bytes to fd. Returns 0, or -1 with errno.
static int
s_write_all (int fd, const void *data, size_t size)
{
    const char *at = data;
    while (size) {
        ssize_t done = write (fd, at, size);
        if (done < 0 && errno == EINTR)
            continue;
        if (done <= 0)
            return -1;
        at += done;
        size -= (size_t) done;
    }
    return 0;
}

int
mf_outdir_write (mf_outdir_t *self, const char *name, const void *data, size_t size,
                 char *err, size_t errlen)
{
    assert (self && name);
    char path [PATH_MAX];
    if (s_inside (self, name, path, err, errlen))
        return -1;
    int fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    int rc = fd < 0 || s_write_all (fd, data, size)? -1: 0;
    int saved = errno;
    if (fd >= 0 && close (fd) && rc == 0) {
        rc = -1;
        saved = errno;
    }
    if (rc)
        snprintf (err, errlen, "cannot write '%s/%s': %s", self->path, name, strerror (saved));
    return rc;
}

//  Copies the regular file source to the new file path. Returns 0, or -1
//  with errno.
static int
s_copy_file (const char *source, const char *path)
{
    int in = open (source, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return -1;
    int out = open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (out < 0) {
        int saved = errno;
        close (in);
        errno = saved;
        return -1;
    }
    char *buffer = malloc (COPY_BUFFER);
    int rc = buffer? 0: -1;
    while (rc == 0) {
        ssize_t got = read (in, buffer, COPY_BUFFER);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0) {
            rc = got < 0? -1: 0;
            break;
        }
        rc = s_write_all (out, buffer, (size_t) got);
    }
    int saved = errno;
    free (buffer);
    close (in);
    if (close (out) && rc == 0) {
        rc = -1;
        saved = errno;
    }
    errno = saved;
    return rc;
}

//  Copies source (file or directory) to path, directories at most depth
//  deep. Returns 0, or -1 with the failing path in *where and errno set.
static int
s_copy (const char *source, const char *path, int depth, char *where, size_t size)
{
    struct stat st;
    snprintf (where, size, "%s", source);
    if (stat (source, &st))
        return -1;
    if (S_ISREG (st.st_mode)) {
        if (s_copy_file (source, path) == 0)
            return 0;
        snprintf (where, size, "%s", path);
        return -1;
    }
    if (!S_ISDIR (st.st_mode) || depth <= 0) {
        errno = S_ISDIR (st.st_mode)? ELOOP: EINVAL;
        return -1;
    }
    if (mkdir (path, 0777)) {
        snprintf (where, size, "%s", path);
        return -1;
    }
    DIR *dir = opendir (source);
    if (!dir)
        return -1;
    int rc = 0;
    struct dirent *entry;
    while (rc == 0 && (entry = readdir (dir))) {
        if (strcmp (entry->d_name, ".") == 0 || strcmp (entry->d_name, "..") == 0)
            continue;
        char from [PATH_MAX], to [PATH_MAX];
        if (snprintf (from, sizeof from, "%s/%s", source, entry->d_name) >= (int) sizeof from
        ||  snprintf (to, sizeof to, "%s/%s", path, entry->d_name) >= (int) sizeof to) {
            errno = ENAMETOOLONG;
            rc = -1;
        }
        else
            rc = s_copy (from, to, depth - 1, where, size);
    }
    int saved = errno;
    closedir (dir);
    errno = saved;
    return rc;
}

int
mf_outdir_copy (mf_outdir_t *self, const char *name, const char *source,
                char *err, size_t errlen)
{
    assert (self && name && source);
    char path [PATH_MAX], where [PATH_MAX];
    if (s_inside (self, name, path, err, errlen))
        return -1;
    if (s_copy (source, path, COPY_DEPTH, where, sizeof where)) {
        snprintf (err, errlen, "cannot copy '%s' into '%s': %s: %s", source, self->path,
                  where, errno == EINVAL? "not a regular file or directory": strerror (errno));
        return -1;
    }
    return 0;
}

int
mf_outdir_commit (mf_outdir_t **self_p, char *err, size_t errlen)
{
    assert (self_p && *self_p);
    mf_outdir_t *self = *self_p;
    int fd = open (self->temp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || syncfs (fd)) {
        snprintf (err, errlen, "cannot write '%s': %s", self->path, strerror (errno));
        if (fd >= 0)
            close (fd);
        mf_outdir_abort (self_p);
        return -1;
    }
    close (fd);
    //  The final name may have changed since the start: rename(2) replaces
    //  only an empty directory, and a file only if it is not one; say so
    //  in our words, and refuse a link, which it would replace.
    char why [PATH_MAX + 256];
    if (s_check_target (self->path, self->target, why, sizeof why)) {
        snprintf (err, errlen, "cannot rename to '%s': %s", self->path, why);
        mf_outdir_abort (self_p);
        return -1;
    }
    if (rename (self->temp, self->target)) {
        snprintf (err, errlen, "cannot rename to '%s': %s", self->path, strerror (errno));
        mf_outdir_abort (self_p);
        return -1;
    }
    //  The rename itself on disk: the directory that holds it, synced.
    char dir [PATH_MAX];
    s_dirname (self->target, dir);
    fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        if (fsync (fd)) {
            //  Not fatal: the directory is complete and named.
        }
        close (fd);
    }
    free (self->temp);
    self->temp = NULL;
    mf_outdir_abort (self_p);           //  frees what is left; nothing to remove
    return 0;
}

static int
s_remove_one (const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    remove (path);
    return 0;                           //  go on: remove all that can be
}

void
mf_outdir_abort (mf_outdir_t **self_p)
{
    assert (self_p);
    mf_outdir_t *self = *self_p;
    if (self) {
        //  Depth first, links not followed: only what is inside goes.
        if (self->temp)
            nftw (self->temp, s_remove_one, REMOVE_FDS, FTW_DEPTH | FTW_PHYS);
        free (self->temp);
        free (self->target);
        free (self->path);
        free (self);
        *self_p = NULL;
    }
}
