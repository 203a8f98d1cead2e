/*  mf_endpoint: what a ZeroMQ endpoint string reaches. The master warns
    when --listen without keys would accept workers from other machines;
    this module decides that, as a pure function of the string.
*/
#ifndef MF_ENDPOINT_H
#define MF_ENDPOINT_H

#include <stdbool.h>

//  Whether endpoint can only be reached from this machine: ipc:// and
//  inproc://, or tcp:// on a loopback address (127.0.0.0/8, ::1,
//  ::ffff:127.x.y.z, "localhost", the "lo" interface) with a port.
//  Anything else, and anything this function does not recognise, is not
//  loopback-only: tcp://*:5555 and tcp://0.0.0.0:5555 listen on every
//  interface. NULL is not loopback-only.
bool mf_endpoint_is_loopback (const char *endpoint);

#endif
