/*  mf_endpoint: what a ZeroMQ endpoint string is and reaches, as pure
    functions of the string. A program checks an endpoint it is given
    before it starts (the master its --listen, the worker its --connect:
    one parser for both), so that a malformed one is a usage error, not a
    socket that retries forever or binds another port than asked (libzmq
    takes port 99999 modulo 65536, and -1 as 65535); and the master warns
    when --listen without keys would accept workers from other machines.
*/
#ifndef MF_ENDPOINT_H
#define MF_ENDPOINT_H

#include <stdbool.h>
#include <stddef.h>

//  Checks that another process can connect to endpoint (for_bind false),
//  or that a program can bind it for others (for_bind true):
//
//    tcp://HOST:PORT   HOST a name, an IPv4 address or a bracketed IPv6
//                      one; PORT from 1 to 65535, in plain decimal.
//                      Binding also takes HOST "*" (every interface) or
//                      an interface name, and PORT "*" or "!" (a free one
//                      CZMQ picks: the first from 49152 up, or a random
//                      one); port 0 is refused, pointing to "*".
//                      Connecting also takes ZeroMQ's SOURCE;HOST:PORT,
//                      SOURCE being what binding takes, the port optional.
//    ipc://PATH        a path, or @NAME (abstract), up to 107 bytes;
//                      binding also takes "*".
//
//  inproc:// is refused: it reaches only threads of one process.
//
//  Returns 0, or -1 with one line in err: the endpoint, what is wrong
//  with it and what is allowed (the caller puts the flag in front).
int mf_endpoint_check (const char *endpoint, bool for_bind, char *err, size_t errlen);

//  Whether endpoint can only be reached from this machine: ipc:// and
//  inproc://, or tcp:// on a loopback address (127.0.0.0/8, ::1,
//  ::ffff:127.x.y.z, "localhost", the "lo" interface) with a port.
//  Anything else, and anything this function does not recognise, is not
//  loopback-only: tcp://*:5555 and tcp://0.0.0.0:5555 listen on every
//  interface. NULL is not loopback-only.
bool mf_endpoint_is_loopback (const char *endpoint);

#endif
