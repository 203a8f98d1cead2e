/*  mf_endpoint: see mf_endpoint.h. Addresses are parsed with inet_pton
    only (no resolver, no "127.1" shorthand): what is not a plain loopback
    address is treated as reachable from the network, so a doubt always
    ends in a warning, never in silence.
*/
#include "mf_endpoint.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#define HOST_MAX 64                     //  bytes of the longest host part we look at

//  Whether text is a port: 1 to 65535 in decimal, or "*" (an ephemeral
//  port), or "!" (ZeroMQ's ephemeral port with a given range).
static bool
s_is_port (const char *text)
{
    if (strcmp (text, "*") == 0 || strcmp (text, "!") == 0)
        return true;
    if (text [0] < '1' || text [0] > '9' || strlen (text) > 5)
        return false;
    long value = 0;
    for (const char *cursor = text; *cursor; cursor++) {
        if (*cursor < '0' || *cursor > '9')
            return false;
        value = value * 10 + (*cursor - '0');
    }
    return value <= 65535;
}

static bool
s_is_loopback_host (const char *host)
{
    if (strcmp (host, "localhost") == 0 || strcmp (host, "lo") == 0)
        return true;
    struct in_addr v4;
    if (inet_pton (AF_INET, host, &v4) == 1)
        return (ntohl (v4.s_addr) >> 24) == 127;
    struct in6_addr v6;
    if (inet_pton (AF_INET6, host, &v6) == 1) {
        if (IN6_IS_ADDR_LOOPBACK (&v6))
            return true;
        return IN6_IS_ADDR_V4MAPPED (&v6) && v6.s6_addr [12] == 127;
    }
    return false;
}

bool
mf_endpoint_is_loopback (const char *endpoint)
{
    if (!endpoint)
        return false;
    if (strncmp (endpoint, "ipc://", 6) == 0 || strncmp (endpoint, "inproc://", 9) == 0)
        return endpoint [strncmp (endpoint, "ipc://", 6) == 0? 6: 9] != 0;
    if (strncmp (endpoint, "tcp://", 6))
        return false;
    const char *address = endpoint + 6;
    //  ZeroMQ's "source;destination" form: both ends must stay on this machine.
    if (strchr (address, ';'))
        return false;
    const char *colon = strrchr (address, ':');
    if (!colon || !s_is_port (colon + 1))
        return false;
    size_t len = (size_t) (colon - address);
    if (len >= 2 && address [0] == '[' && address [len - 1] == ']') {
        address++;
        len -= 2;
    }
    if (len == 0 || len >= HOST_MAX)
        return false;
    char host [HOST_MAX];
    memcpy (host, address, len);
    host [len] = 0;
    //  An IPv6 address needs its brackets: "tcp://::1:5555" is ambiguous.
    if (strchr (host, ':') && address == endpoint + 6)
        return false;
    return s_is_loopback_host (host);
}
