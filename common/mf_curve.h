/*  mf_curve: CURVE keys for the link between a master and its remote
    workers. It reads the certificates mandelfarm-keygen writes (CZMQ's
    zcert format), checks them, and turns a ZeroMQ socket into a CURVE
    server or client.

    Certificates are read by a reader of our own instead of zconfig_load,
    which prints a file's bytes to stderr when it cannot parse them,
    "loads" a directory without complaint, and reads a file of any size
    whole. It follows zconfig's grammar (ZPL as zconfig_chunk_load reads
    it), so that any CZMQ tool reads a certificate we accept with the same
    keys (fuzz/fuzz_cert.c checks exactly that against libczmq), and what
    is ambiguous there (two curve sections, a key twice, a line too long)
    is refused here. Every key is checked as Z85 before libzmq sees it,
    so no setter can fail on it.

    A CURVE server authenticates nobody by itself: libzmq lets any client
    in when no ZAP handler answers, unless the socket has a ZAP domain and
    ZMQ_ZAP_ENFORCE_DOMAIN. mf_curve_server sets both (master/auth.h
    starts the handler); note that CZMQ's zsock_set_zap_enforce_domain is
    a silent no-op when CZMQ was built without the draft API, as Debian's
    is, so the option is set and read back with libzmq's own calls.
*/
#ifndef MF_CURVE_H
#define MF_CURVE_H

#include <stdbool.h>
#include <stddef.h>

#define MF_CURVE_KEY_TXT 40             //  characters of a 32-byte key in Z85
#define MF_CURVE_KEY_BIN 32             //  bytes of a key
#define MF_CURVE_FILE_MAX 8192          //  bytes: a certificate is about 500; a larger
                                        //  file is refused without being read
#define MF_CURVE_DOMAIN "mandelfarm"    //  ZAP domain of the remote link

typedef struct {
    char public_txt [MF_CURVE_KEY_TXT + 1];     //  public key, Z85
    char secret_txt [MF_CURVE_KEY_TXT + 1];     //  secret key, Z85, or "" if none
} mf_curve_keys_t;

//  Whether this libzmq was built with CURVE (libsodium or tweetnacl).
bool mf_curve_available (void);

//  Decodes 40 characters of Z85 into 32 bytes (bin may be NULL to only
//  check). Returns 0, or -1 when text is not exactly a Z85 key.
int mf_curve_z85_key (const char *text, unsigned char *bin);

//  Reads a certificate from size bytes of text (not NUL-terminated): the
//  "curve" section's public-key and, if present, secret-key; any line
//  zconfig would refuse spoils the whole text, as it does there. Returns
//  0, or -1 with the reason in err (and no key in keys). Pure: no file,
//  no socket.
int mf_curve_parse (const char *text, size_t size, mf_curve_keys_t *keys,
                    char *err, size_t errlen);

//  Loads the certificate at path: a regular file of at most
//  MF_CURVE_FILE_MAX bytes (its size is checked before anything is read,
//  and the read is bounded all the same). With secret, the file must hold
//  a secret key that matches its public key, and be private to its owner
//  (no permission bits for group or others, as ssh demands of a key).
//  Returns 0 (or 1 without secret: the file also held a secret key), or
//  -1 with the reason in err (naming the path).
int mf_curve_load (const char *path, bool secret, mf_curve_keys_t *keys,
                   char *err, size_t errlen);

//  Makes socket (a zsock_t or a libzmq socket, before it binds) a CURVE
//  server with keys, in ZAP domain MF_CURVE_DOMAIN with
//  ZMQ_ZAP_ENFORCE_DOMAIN, and reads every option back. Returns 0, or -1
//  with the reason in err.
int mf_curve_server (void *socket, const mf_curve_keys_t *keys, char *err, size_t errlen);

//  Makes socket (before it connects) a CURVE client with keys that
//  accepts only the server whose public key is server_txt. Returns 0, or
//  -1 with the reason in err.
int mf_curve_client (void *socket, const mf_curve_keys_t *keys, const char *server_txt,
                     char *err, size_t errlen);

//  Overwrites the secret key in memory (the compiler may not drop it).
void mf_curve_wipe (mf_curve_keys_t *keys);

#endif
