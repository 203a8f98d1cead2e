/*  mf_curve: see mf_curve.h. */
#include "mf_curve.h"

#include <czmq.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

//  Stable in libzmq 4.3, but zmq.h declares it only with the draft API.
#ifndef ZMQ_ZAP_ENFORCE_DOMAIN
#   define ZMQ_ZAP_ENFORCE_DOMAIN 93
#endif

#define ZPL_LINE_MAX 1024               //  bytes of a line zconfig reads whole

static const char s_z85 [] =
    "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";

bool
mf_curve_available (void)
{
    return zmq_has ("curve") != 0;
}

int
mf_curve_z85_key (const char *text, unsigned char *bin)
{
    if (!text || strlen (text) != MF_CURVE_KEY_TXT)
        return -1;
    for (size_t group = 0; group < MF_CURVE_KEY_TXT / 5; group++) {
        uint64_t value = 0;
        for (size_t index = 0; index < 5; index++) {
            const char *hit = strchr (s_z85, text [group * 5 + index]);
            if (!hit || !*hit)
                return -1;
            value = value * 85 + (uint64_t) (hit - s_z85);
        }
        //  Five characters can say more than four bytes hold.
        if (value > UINT32_MAX)
            return -1;
        if (bin)
            for (size_t index = 0; index < 4; index++)
                bin [group * 4 + index] = (unsigned char) (value >> (24 - 8 * index));
    }
    return 0;
}

static int
s_fail (char *err, size_t errlen, const char *reason)
{
    snprintf (err, errlen, "%s", reason);
    return -1;
}

//  ZPL as CZMQ's zconfig reads it (zconfig_chunk_load), since zauth reads
//  the allow directory with it: what we accept, it must read the same.

static bool
s_space (char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

static bool
s_namechar (char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
        || c == '$' || c == '-' || c == '_' || c == '@' || c == '.' || c == '&'
        || c == '+' || c == '/';
}

//  Only blanks, then nothing or a comment, from at to len.
static bool
s_end_of_line (const char *line, size_t at, size_t len)
{
    while (at < len && s_space (line [at]))
        at++;
    return at == len || line [at] == '#';
}

//  One line, trimmed: its level, and its name and value if it has a name
//  (name_len 0 for a blank or comment line). Returns 0, or -1 with why.
static int
s_zpl_line (const char *line, size_t len, int *level, const char **name, size_t *name_len,
            const char **value, size_t *value_len, const char **why)
{
    size_t at = 0;
    while (at < len && line [at] == ' ')
        at++;
    if (at % 4) {
        *why = "not a certificate (indentation is not 4 spaces a level)";
        return -1;
    }
    *level = (int) (at / 4);
    *name = line + at;
    while (at < len && s_namechar (line [at]))
        at++;
    *name_len = (size_t) (line + at - *name);
    *value = "";
    *value_len = 0;
    if (*name_len == 0) {
        if (!s_end_of_line (line, at, len)) {
            *why = "not a certificate (a line is not NAME = VALUE)";
            return -1;
        }
        return 0;
    }
    if ((*name) [0] == '/' || (*name) [*name_len - 1] == '/') {
        *why = "not a certificate (a name starts or ends with '/')";
        return -1;
    }
    while (at < len && s_space (line [at]))
        at++;
    if (at == len || line [at] != '=') {
        if (!s_end_of_line (line, at, len)) {
            *why = "not a certificate (a line is not NAME = VALUE)";
            return -1;
        }
        return 0;
    }
    at++;
    while (at < len && s_space (line [at]))
        at++;
    if (at < len && (line [at] == '"' || line [at] == '\'')) {
        const char *close = memchr (line + at + 1, line [at], len - at - 1);
        if (!close || !s_end_of_line (line, (size_t) (close - line) + 1, len)) {
            *why = "not a certificate (a quoted value is not closed, or junk follows it)";
            return -1;
        }
        *value = line + at + 1;
        *value_len = (size_t) (close - *value);
        return 0;
    }
    //  Unquoted: up to a comment, blanks before it trimmed. zconfig reads
    //  a value that starts with '#' oddly; we refuse to guess.
    if (at < len && line [at] == '#') {
        *why = "not a certificate (a value starts with '#'; quote it)";
        return -1;
    }
    const char *hash = memchr (line + at, '#', len - at);
    size_t end = hash? (size_t) (hash - line): len;
    while (end > at && s_space (line [end - 1]))
        end--;
    *value = line + at;
    *value_len = end - at;
    return 0;
}

//  Refuses a certificate: no key read so far survives.
static int
s_refuse (mf_curve_keys_t *keys, char *err, size_t errlen, const char *reason)
{
    mf_curve_wipe (keys);
    keys->public_txt [0] = 0;
    return s_fail (err, errlen, reason);
}

int
mf_curve_parse (const char *text, size_t size, mf_curve_keys_t *keys,
                char *err, size_t errlen)
{
    memset (keys, 0, sizeof *keys);
    if (size > MF_CURVE_FILE_MAX)
        return s_refuse (keys, err, errlen, "not a certificate (too large)");
    if (memchr (text, 0, size))
        return s_refuse (keys, err, errlen, "not a certificate (binary data)");
    bool in_curve = false, seen_curve = false, have_public = false, have_secret = false;
    int depth = -1;                 //  level of the last named line
    size_t at = 0;
    while (at < size) {
        const char *line = text + at;
        const char *newline = memchr (line, '\n', size - at);
        size_t len = newline? (size_t) (newline - line): size - at;
        at += len + (newline? 1: 0);
        //  zconfig cuts longer lines silently: ambiguous, so refused.
        if (len > ZPL_LINE_MAX)
            return s_refuse (keys, err, errlen, "not a certificate (a line is too long)");
        while (len > 0 && s_space (line [len - 1]))
            len--;
        int level;
        const char *name, *value, *why;
        size_t name_len, value_len;
        if (s_zpl_line (line, len, &level, &name, &name_len, &value, &value_len, &why))
            return s_refuse (keys, err, errlen, why);
        if (name_len == 0)
            continue;               //  blank or comment
        if (level > depth + 1)
            return s_refuse (keys, err, errlen, "not a certificate (indentation is not "
                             "4 spaces a level)");
        depth = level;
        if (level == 0) {
            in_curve = name_len == 5 && memcmp (name, "curve", 5) == 0;
            //  zconfig would read only the first; two are a doubt.
            if (in_curve && seen_curve)
                return s_refuse (keys, err, errlen, "not a certificate (two curve sections)");
            seen_curve |= in_curve;
            continue;
        }
        if (!in_curve || level != 1)
            continue;
        char *slot = NULL;
        bool *seen = NULL;
        if (name_len == 10 && memcmp (name, "public-key", 10) == 0) {
            slot = keys->public_txt;
            seen = &have_public;
        }
        else
        if (name_len == 10 && memcmp (name, "secret-key", 10) == 0) {
            slot = keys->secret_txt;
            seen = &have_secret;
        }
        if (!slot)
            continue;
        if (*seen)
            return s_refuse (keys, err, errlen, "not a certificate (a key is given twice)");
        char key [MF_CURVE_KEY_TXT + 1] = "";
        if (value_len == MF_CURVE_KEY_TXT)
            memcpy (key, value, MF_CURVE_KEY_TXT);
        bool valid = mf_curve_z85_key (key, NULL) == 0;
        if (valid)
            memcpy (slot, key, sizeof key);
        explicit_bzero (key, sizeof key);
        if (!valid)
            return s_refuse (keys, err, errlen,
                             "not a certificate (a key is not 40 characters of Z85)");
        *seen = true;
    }
    if (!have_public)
        return s_refuse (keys, err, errlen, "not a certificate (no public-key in a curve section)");
    return 0;
}

int
mf_curve_load (const char *path, bool secret, mf_curve_keys_t *keys,
               char *err, size_t errlen)
{
    memset (keys, 0, sizeof *keys);
    //  O_NONBLOCK: a FIFO given by mistake must not hang us in open().
    int fd = open (path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        snprintf (err, errlen, "cannot read '%s': %s", path, strerror (errno));
        return -1;
    }
    struct stat st;
    if (fstat (fd, &st) || !S_ISREG (st.st_mode)) {
        snprintf (err, errlen, "'%s' is not a file", path);
        close (fd);
        return -1;
    }
    if (st.st_size > MF_CURVE_FILE_MAX) {
        snprintf (err, errlen, "'%s' is not a certificate: %lld bytes, where a certificate "
                  "has at most %d", path, (long long) st.st_size, MF_CURVE_FILE_MAX);
        close (fd);
        return -1;
    }
    //  One byte more than a certificate may have, to see a file that grew.
    char *text = malloc (MF_CURVE_FILE_MAX + 1);
    size_t got = 0;
    ssize_t rc_read = 1;
    while (text && got <= MF_CURVE_FILE_MAX && rc_read > 0) {
        rc_read = read (fd, text + got, MF_CURVE_FILE_MAX + 1 - got);
        if (rc_read > 0)
            got += (size_t) rc_read;
    }
    int saved = errno;
    close (fd);
    if (!text || rc_read < 0) {
        snprintf (err, errlen, "cannot read '%s': %s", path,
                  text? strerror (saved): "out of memory");
        free (text);
        return -1;
    }
    char why [96];
    int rc = mf_curve_parse (text, got, keys, why, sizeof why);
    explicit_bzero (text, got);
    free (text);
    if (rc) {
        snprintf (err, errlen, "'%s' is %s; make one with mandelfarm-keygen", path, why);
        return -1;
    }
    bool had_secret = keys->secret_txt [0] != 0;
    if (!secret) {
        mf_curve_wipe (keys);
        return had_secret? 1: 0;
    }
    if (!had_secret) {
        snprintf (err, errlen, "'%s' holds no secret key; give the secret certificate "
                  "(the file ending in _secret that mandelfarm-keygen wrote)", path);
        return -1;
    }
    if (st.st_mode & 077) {
        mf_curve_wipe (keys);
        snprintf (err, errlen, "'%s' holds a secret key but other users may read or write it "
                  "(mode %04o); make it private with: chmod 600 '%s'",
                  path, (unsigned) (st.st_mode & 07777), path);
        return -1;
    }
    char derived [MF_CURVE_KEY_TXT + 1];
    if (zmq_curve_public (derived, keys->secret_txt) != 0
    ||  strcmp (derived, keys->public_txt)) {
        mf_curve_wipe (keys);
        snprintf (err, errlen, "'%s' is damaged: its secret key does not match its public key; "
                  "make a new pair with mandelfarm-keygen", path);
        return -1;
    }
    return 0;
}

static int
s_set (void *socket, int option, const void *value, size_t size, const char *name,
       char *err, size_t errlen)
{
    if (zmq_setsockopt (socket, option, value, size) == 0)
        return 0;
    snprintf (err, errlen, "cannot set %s: %s", name, zmq_strerror (zmq_errno ()));
    return -1;
}

static int
s_get_int (void *socket, int option)
{
    int value = -1;
    size_t size = sizeof value;
    return zmq_getsockopt (socket, option, &value, &size) == 0? value: -1;
}

int
mf_curve_server (void *socket, const mf_curve_keys_t *keys, char *err, size_t errlen)
{
    void *raw = zsock_resolve (socket);
    unsigned char public_bin [MF_CURVE_KEY_BIN], secret_bin [MF_CURVE_KEY_BIN];
    if (!mf_curve_available ())
        return s_fail (err, errlen, "this libzmq has no CURVE security");
    if (mf_curve_z85_key (keys->public_txt, public_bin)
    ||  mf_curve_z85_key (keys->secret_txt, secret_bin))
        return s_fail (err, errlen, "the server needs a valid key pair");
    int on = 1;
    int rc = s_set (raw, ZMQ_CURVE_SERVER, &on, sizeof on, "ZMQ_CURVE_SERVER", err, errlen)
          || s_set (raw, ZMQ_CURVE_PUBLICKEY, public_bin, sizeof public_bin,
                    "ZMQ_CURVE_PUBLICKEY", err, errlen)
          || s_set (raw, ZMQ_CURVE_SECRETKEY, secret_bin, sizeof secret_bin,
                    "ZMQ_CURVE_SECRETKEY", err, errlen)
          || s_set (raw, ZMQ_ZAP_DOMAIN, MF_CURVE_DOMAIN, strlen (MF_CURVE_DOMAIN),
                    "ZMQ_ZAP_DOMAIN", err, errlen)
          || s_set (raw, ZMQ_ZAP_ENFORCE_DOMAIN, &on, sizeof on,
                    "ZMQ_ZAP_ENFORCE_DOMAIN", err, errlen);
    memset (secret_bin, 0, sizeof secret_bin);
    if (rc)
        return -1;
    //  Read everything back: a setter that did nothing must not pass.
    char domain [64] = "";
    size_t size = sizeof domain - 1;
    if (zmq_getsockopt (raw, ZMQ_ZAP_DOMAIN, domain, &size) || strcmp (domain, MF_CURVE_DOMAIN))
        return s_fail (err, errlen, "the ZAP domain did not take effect");
    if (s_get_int (raw, ZMQ_MECHANISM) != ZMQ_CURVE || s_get_int (raw, ZMQ_CURVE_SERVER) != 1)
        return s_fail (err, errlen, "the socket did not become a CURVE server");
    if (s_get_int (raw, ZMQ_ZAP_ENFORCE_DOMAIN) != 1)
        return s_fail (err, errlen, "ZMQ_ZAP_ENFORCE_DOMAIN did not take effect "
                       "(libzmq older than 4.3?)");
    return 0;
}

int
mf_curve_client (void *socket, const mf_curve_keys_t *keys, const char *server_txt,
                 char *err, size_t errlen)
{
    void *raw = zsock_resolve (socket);
    unsigned char public_bin [MF_CURVE_KEY_BIN], secret_bin [MF_CURVE_KEY_BIN],
                  server_bin [MF_CURVE_KEY_BIN];
    if (!mf_curve_available ())
        return s_fail (err, errlen, "this libzmq has no CURVE security");
    if (mf_curve_z85_key (keys->public_txt, public_bin)
    ||  mf_curve_z85_key (keys->secret_txt, secret_bin)
    ||  mf_curve_z85_key (server_txt, server_bin))
        return s_fail (err, errlen, "the client needs a valid key pair and server key");
    int rc = s_set (raw, ZMQ_CURVE_SERVERKEY, server_bin, sizeof server_bin,
                    "ZMQ_CURVE_SERVERKEY", err, errlen)
          || s_set (raw, ZMQ_CURVE_PUBLICKEY, public_bin, sizeof public_bin,
                    "ZMQ_CURVE_PUBLICKEY", err, errlen)
          || s_set (raw, ZMQ_CURVE_SECRETKEY, secret_bin, sizeof secret_bin,
                    "ZMQ_CURVE_SECRETKEY", err, errlen);
    memset (secret_bin, 0, sizeof secret_bin);
    if (rc)
        return -1;
    if (s_get_int (raw, ZMQ_MECHANISM) != ZMQ_CURVE || s_get_int (raw, ZMQ_CURVE_SERVER) != 0)
        return s_fail (err, errlen, "the socket did not become a CURVE client");
    return 0;
}

void
mf_curve_wipe (mf_curve_keys_t *keys)
{
    explicit_bzero (keys->secret_txt, sizeof keys->secret_txt);
}
