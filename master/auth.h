/*  mf_auth: who may join the master's remote link. It runs our own ZAP
    handler (RFC 27) for the process, with a CURVE policy: a worker is let
    in only if its public certificate is in the allow directory
    (certificates may be added or removed there at any time; a change is
    seen on the next connection, a connected worker stays connected).

    The handler reads the directory with mf_curve_load, so it reads only
    regular files of certificate size (MF_CURVE_FILE_MAX), and reads them
    again only when the directory changed (a name, size, inode or time of
    a file in it). CZMQ's zauth, used before, read every file whole on
    every change: a 300 MB file dropped there cost the master 600 MB.

    It fails closed. mf_auth_new returns only once the handler runs and
    has answered two probe requests as it must: "400" for a key that is
    not allowed, and "200" for one that is (when the directory holds one).
    mf_auth_server makes a socket a CURVE server that needs an answer from
    that handler (ZAP domain plus ZMQ_ZAP_ENFORCE_DOMAIN), so without a
    running mf_auth there is no secure socket at all. A directory that
    cannot be read at a connection lets nobody in.

    The local ipc:// link of forked workers keeps the NULL mechanism: a
    socket without a ZAP domain never asks the handler.
*/
#ifndef MF_AUTH_H
#define MF_AUTH_H

#include "mf_curve.h"

#include <stddef.h>
#include <stdint.h>

#define MF_AUTH_PROBE_MS 2000           //  msecs the handler has to answer a probe

typedef struct _mf_auth_t mf_auth_t;

//  Checks an allow directory before anything starts: it must exist and
//  be readable. Logs a warning for each file in it that is not a public
//  certificate (or holds a secret key). Returns the number of public
//  certificates in it, or -1 with the reason in err.
int mf_auth_check_dir (const char *dir, char *err, size_t errlen);

//  Starts the authenticator for the master's key pair and allow_dir, and
//  probes it (see above). Call after forking. Returns NULL with the
//  reason in err if anything of that fails; the master must then not
//  listen.
mf_auth_t *mf_auth_new (const mf_curve_keys_t *keys, const char *allow_dir,
                        char *err, size_t errlen);

//  Makes socket (a zsock_t or libzmq socket, before it binds) a CURVE
//  server with the master's keys that admits only allowed workers.
//  Returns 0, or -1 with the reason in err.
int mf_auth_server (mf_auth_t *self, void *socket, char *err, size_t errlen);

//  Logs and counts a connection the guarded socket refused: event is
//  the ZMQ_EVENT_HANDSHAKE_FAILED_* its monitor reported, detail that
//  event's value (the ZMTP protocol error). The socket's owner calls it
//  (the engine, which holds the socket's one monitor); any thread may.
void mf_auth_handshake_failed (mf_auth_t *self, int event, uint32_t detail);

//  Connections refused so far (a stranger's key, no CURVE, a failed
//  handshake), as mf_auth_handshake_failed was told; each is logged, the
//  first ones one by one.
unsigned long mf_auth_refused (mf_auth_t *self);

//  Stops the authenticator (after the sockets it guards are closed) and
//  wipes the secret key; safe twice, nulls the pointer.
void mf_auth_destroy (mf_auth_t **self_p);

#endif
