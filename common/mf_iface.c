/*  mf_iface: see mf_iface.h. */
#include "mf_iface.h"

#include <czmq.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LIST_MAX 256                    //  bytes of the "there are: ..." part of an error

//  The interface CZMQ was told to use: zsys_set_interface, else the
//  environment's ZSYS_INTERFACE (read by zsys_init, which may not have
//  run yet), else "" for the first one.
static const char *
s_configured (void)
{
    const char *name = zsys_interface ();
    if (!name || !*name)
        name = getenv ("ZSYS_INTERFACE");
    return name? name: "";
}

static void
s_fill (mf_iface_t *iface, const char *name, const char *address)
{
    snprintf (iface->name, sizeof iface->name, "%s", name);
    snprintf (iface->address, sizeof iface->address, "%s", address);
}

int
mf_iface_find (const char *want, mf_iface_t *iface, char *err, size_t errlen)
{
    const char *configured = s_configured ();
    const char *looking_for = want? want: configured;
    if (strcmp (looking_for, "*") == 0) {
        //  zbeacon's own wildcard: every interface, 255.255.255.255.
        s_fill (iface, "*", "0.0.0.0");
        return 0;
    }
    ziflist_t *list = ziflist_new ();
    if (!list) {
        snprintf (err, errlen, "cannot list the network interfaces");
        return -1;
    }
    char there [LIST_MAX] = "";
    size_t used = 0;
    bool found = false;
    for (const char *name = ziflist_first (list); name; name = ziflist_next (list)) {
        const char *address = ziflist_address (list);
        if (!found && (!*looking_for || strcmp (looking_for, name) == 0
                       || strcmp (looking_for, address) == 0)) {
            s_fill (iface, name, address);
            found = true;
        }
        int wrote = snprintf (there + used, sizeof there - used, "%s%s %s",
                              used? ", ": "", name, address);
        if (wrote > 0 && (size_t) wrote < sizeof there - used)
            used += (size_t) wrote;
    }
    ziflist_destroy (&list);
    if (found)
        return 0;
    const char *listed = used? there: "none (only loopback, or no interface up)";
    if (!*looking_for)
        snprintf (err, errlen, "no network interface here can broadcast (beacons are UDP "
                  "broadcasts on an IPv4 LAN); interfaces that can: %s", listed);
    else
    if (want)
        snprintf (err, errlen, "'%s' is not the name or IPv4 address of an interface that "
                  "can broadcast; interfaces that can: %s", want, listed);
    else
        snprintf (err, errlen, "ZSYS_INTERFACE='%s' is not an interface that can broadcast; "
                  "interfaces that can: %s", configured, listed);
    return -1;
}

void
mf_iface_use (const mf_iface_t *iface)
{
    zsys_set_interface (iface->name);
}
