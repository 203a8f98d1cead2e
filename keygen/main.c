/*  mandelfarm-keygen: makes a CURVE key pair for a mandelfarm farm.

    Writes the public certificate at PATH and the secret one at
    PATH_secret, in CZMQ's zcert format (zcert_save). The secret file is
    created private (mode 0600) and never replaces an existing file unless
    --force is given. Both files are written under temporary names, read
    back and checked, then put in place, so an interrupted run leaves no
    half-written key: without --force they are linked in, which fails if
    a file appeared meanwhile; with --force they are renamed over.
*/
#include "mf_cli.h"
#include "mf_curve.h"
#include "mf_log.h"
#include "mf_version.h"

#include <czmq.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PROGRAM "mandelfarm-keygen"
#define SECRET_SUFFIX "_secret"         //  what zcert_save appends for the secret file

static void
s_usage (FILE *out)
{
    fprintf (out,
        "Usage: mandelfarm-keygen [--force] [--name NAME] PATH\n"
        "Makes a CURVE key pair for a mandelfarm farm: the public certificate at PATH\n"
        "and the secret certificate at PATH_secret (mode 0600).\n"
        "\n"
        "  -f, --force        replace existing files (the old key stops working)\n"
        "      --name NAME    name recorded in the certificate (default: host name)\n"
        "  -h, --help         this help\n"
        "  -V, --version      print the version\n"
        "\n"
        "On the master: mandelfarm-master --listen tcp://*:5555 --cert PATH_secret --allow DIR\n"
        "On a worker:   mandelfarm-worker --connect tcp://MASTER:5555 --cert PATH_secret\n"
        "                                 --master-key MASTER_PUBLIC_CERT\n"
        "Copy each worker's public certificate into the master's DIR and the master's\n"
        "public certificate to the workers. A secret certificate never leaves its machine.\n"
        "\n"
        "Exit status: 0 on success, 2 on a usage error or a file that cannot be written,\n"
        "1 on any other failure.\n");
}

static bool
s_exists (const char *path)
{
    struct stat st;
    return lstat (path, &st) == 0;
}

//  Flushes a written file to disk, so that a crash right after we report
//  success cannot leave an empty key behind.
static int
s_sync (const char *path)
{
    int fd = open (path, O_RDONLY | O_CLOEXEC);
    int rc = fd >= 0? fsync (fd): -1;
    if (fd >= 0)
        close (fd);
    return rc;
}

//  Puts from in place as to: with force, over whatever is there; without,
//  only if to does not exist (link(2) fails atomically if it does).
static int
s_install (const char *from, const char *to, bool force)
{
    if (force)
        return rename (from, to);
    if (link (from, to) == 0)
        return unlink (from), 0;
    if (errno == EEXIST)
        return -1;
    //  A file system without hard links: check, then rename (not atomic).
    if (errno == EPERM || errno == EOPNOTSUPP || errno == ENOSYS) {
        if (s_exists (to)) {
            errno = EEXIST;
            return -1;
        }
        return rename (from, to);
    }
    return -1;
}

int
main (int argc, char *argv [])
{
    mf_log_init (PROGRAM);
    static const struct option longopts [] = {
        { "force", no_argument, NULL, 'f' },
        { "name", required_argument, NULL, 'n' },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'V' },
        { NULL, 0, NULL, 0 }
    };
    bool force = false;
    const char *name = NULL;
    char err [512];
    int opt;
    opterr = 0;
    while ((opt = getopt_long (argc, argv, ":fhV", longopts, NULL)) != -1) {
        switch (opt) {
            case 'f': force = true; break;
            case 'n': name = optarg; break;
            case 'h': s_usage (stdout); return 0;
            case 'V': return mf_cli_version (PROGRAM);
            default:
                mf_cli_getopt_error (opt, argv, err, sizeof err);
                return mf_cli_usage_error (PROGRAM, "%s", err);
        }
    }
    if (optind == argc)
        return mf_cli_usage_error (PROGRAM, "PATH is required; e.g. mandelfarm-keygen "
                                   "keys/master.cert (see --help)");
    if (optind + 1 < argc)
        return mf_cli_usage_error (PROGRAM, "unexpected argument '%s'; give exactly one PATH",
                                   argv [optind + 1]);
    const char *path = argv [optind];
    size_t len = strlen (path);
    if (len == 0 || path [len - 1] == '/')
        return mf_cli_usage_error (PROGRAM, "PATH '%s' is not a file name; e.g. "
                                   "keys/worker-1.cert", path);
    if (len >= strlen (SECRET_SUFFIX) && strcmp (path + len - strlen (SECRET_SUFFIX),
                                                 SECRET_SUFFIX) == 0)
        return mf_cli_usage_error (PROGRAM, "PATH '%s' ends in _secret; give the public "
                                   "name; the secret file is PATH_secret", path);
    if (len + 32 >= PATH_MAX)
        return mf_cli_usage_error (PROGRAM, "PATH '%.64s...' is too long; use a shorter path",
                                   path);
    if (name && (strlen (name) == 0 || strlen (name) > 255 || strpbrk (name, "\"\n\r"))) {
        mf_cli_refuse (err, sizeof err, "--name", name,
                       "use 1 to 255 characters without quotes or line breaks");
        return mf_cli_usage_error (PROGRAM, "%s", err);
    }

    char secret [PATH_MAX + 16], dir_copy [PATH_MAX];
    snprintf (secret, sizeof secret, "%s%s", path, SECRET_SUFFIX);
    snprintf (dir_copy, sizeof dir_copy, "%s", path);
    const char *dir = dirname (dir_copy);
    struct stat st;
    if (stat (dir, &st) || !S_ISDIR (st.st_mode))
        return mf_cli_usage_error (PROGRAM, "the directory '%s' does not exist; create it "
                                   "first, or give another PATH", dir);
    if (access (dir, W_OK | X_OK))
        return mf_cli_usage_error (PROGRAM, "the directory '%s' is not writable; give a "
                                   "PATH in a directory you may write", dir);
    if (!force && (s_exists (path) || s_exists (secret)))
        return mf_cli_usage_error (PROGRAM, "'%s' already exists; use --force to replace the "
                                   "key pair (the old key stops working), or give another "
                                   "PATH", s_exists (path)? path: secret);
    if (!mf_curve_available ()) {
        fprintf (stderr, "mandelfarm-keygen: this libzmq was built without CURVE security; "
                 "install Debian's libzmq5 (built with libsodium)\n");
        return 1;
    }

    //  Nothing we create is readable by others; the public file is opened
    //  up explicitly below.
    umask (077);
    char host [256] = "";
    if (!name && gethostname (host, sizeof host - 1) == 0)
        name = host;
    char tmp [PATH_MAX + 32], tmp_secret [PATH_MAX + 64];
    snprintf (tmp, sizeof tmp, "%s.tmp-%d", path, (int) getpid ());
    snprintf (tmp_secret, sizeof tmp_secret, "%s%s", tmp, SECRET_SUFFIX);
    zcert_t *cert = zcert_new ();
    int rc = 1;
    const char *failed = "cannot make a key pair";
    err [0] = 0;
    if (cert) {
        if (name && *name)
            zcert_set_meta (cert, "name", "%s", name);
        zcert_set_meta (cert, "created-by", "mandelfarm-keygen %s", MF_VERSION);
        failed = "cannot write the key pair";
        mf_curve_keys_t check, check_public;
        if (zcert_save (cert, tmp) == 0
        &&  chmod (tmp_secret, 0600) == 0 && chmod (tmp, 0644) == 0
        &&  s_sync (tmp) == 0 && s_sync (tmp_secret) == 0) {
            //  Read back what we wrote, with the same reader the farm uses.
            failed = "wrote a key pair that does not read back";
            snprintf (err, sizeof err, "; the public keys differ");
            if (mf_curve_load (tmp_secret, true, &check, err, sizeof err) == 0
            &&  mf_curve_load (tmp, false, &check_public, err, sizeof err) == 0
            &&  strcmp (check.public_txt, zcert_public_txt (cert)) == 0
            &&  strcmp (check_public.public_txt, zcert_public_txt (cert)) == 0)
                rc = 0;
            mf_curve_wipe (&check);
        }
    }
    if (rc == 0) {
        //  The secret first: a public file alone would be a key nobody holds.
        if (s_install (tmp_secret, secret, force)) {
            rc = errno == EEXIST? 2: 1;
            fprintf (stderr, "mandelfarm-keygen: cannot create '%s': %s%s\n", secret,
                     strerror (errno), errno == EEXIST? "; use --force to replace it": "");
        }
        else
        if (s_install (tmp, path, force)) {
            rc = errno == EEXIST? 2: 1;
            fprintf (stderr, "mandelfarm-keygen: cannot create '%s': %s%s\n", path,
                     strerror (errno), errno == EEXIST? "; use --force to replace it": "");
            if (!force)
                unlink (secret);        //  ours: we just linked it
        }
        else {
            char dir_path [PATH_MAX];
            snprintf (dir_path, sizeof dir_path, "%s", dir);
            s_sync (dir_path);
        }
    }
    else
        fprintf (stderr, "mandelfarm-keygen: %s at '%s'%s%s\n", failed, path,
                 err [0] && err [0] != ';'? ": ": "", err);
    unlink (tmp);
    unlink (tmp_secret);
    if (rc == 0)
        printf ("mandelfarm-keygen: wrote %s (public: copy it to the other side) and %s "
                "(secret: keep it on this machine)\npublic key: %s\n",
                path, secret, zcert_public_txt (cert));
    zcert_destroy (&cert);
    zsys_shutdown ();
    return rc;
}
