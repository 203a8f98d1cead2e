/*  mf_iface: which network interface carries the discovery beacons
    (mf_beacon.h). CZMQ's zbeacon broadcasts and listens on one IPv4
    interface that can broadcast: the one ZSYS_INTERFACE names, else the
    first that CZMQ's ziflist lists (up, broadcast-capable, not loopback).
    Where there is none, zbeacon only logs an error of its own and stays
    deaf; these functions find out first, so that the master and the
    worker can say it in one line of their own, and so that a master
    bound to one address announces from the interface that holds it.
*/
#ifndef MF_IFACE_H
#define MF_IFACE_H

#include <stddef.h>

#define MF_IFACE_NAME_MAX 64            //  bytes of an interface name, NUL included
#define MF_IFACE_ADDR_MAX 16            //  bytes of a dotted IPv4 address, NUL included

typedef struct {
    char name [MF_IFACE_NAME_MAX];      //  e.g. "eth0"; "*" for every interface
    char address [MF_IFACE_ADDR_MAX];   //  its IPv4 address; "0.0.0.0" for "*"
} mf_iface_t;

//  Finds the interface for want: an interface name or the IPv4 address
//  of one, or, for NULL, CZMQ's choice (the one ZSYS_INTERFACE names,
//  "*" being every interface, else the first that can broadcast). Returns 0 with iface filled, or -1 with one line in
//  err that says what is there (the interfaces and their addresses).
//  Beacons then go out on it once mf_iface_use has told CZMQ.
int mf_iface_find (const char *want, mf_iface_t *iface, char *err, size_t errlen);

//  Makes CZMQ's zbeacon work on iface (zsys_set_interface): call before
//  the zbeacon is configured; it holds for the whole process.
void mf_iface_use (const mf_iface_t *iface);

#endif
