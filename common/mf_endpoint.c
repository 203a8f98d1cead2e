/*  mf_endpoint: see mf_endpoint.h. Addresses are parsed with inet_pton
    only (no resolver, no "127.1" shorthand): what is not a plain loopback
    address is treated as reachable from the network, so a doubt always
    ends in a warning, never in silence.
*/
#include "mf_endpoint.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#define HOST_MAX 64                     //  bytes of the longest host part we look at
#define NAME_MAX_LEN 253                //  bytes of the longest DNS name
#define IPC_PATH_MAX 107                //  bytes of an ipc path: sun_path less its NUL
#define QUOTE_MAX 100                   //  bytes of a refused endpoint quoted back
#define CONNECT_EXAMPLE "e.g. tcp://192.0.2.10:5555"

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

//  Refusal in err, "WHY; use ..." (mf_endpoint_check puts the endpoint
//  in front). Returns -1.
static int
s_refuse (char *err, size_t errlen, const char *why, bool for_bind)
{
    snprintf (err, errlen, "%s; use %s", why,
              for_bind? "tcp://ADDRESS:PORT (e.g. tcp://*:5555) or ipc://PATH"
                      : "tcp://HOST:PORT (" CONNECT_EXAMPLE ") or ipc://PATH");
    return -1;
}

//  Whether text is a port number from min to 65535, in plain decimal.
static bool
s_port_number (const char *text, long min)
{
    if (!*text || strlen (text) > 5 || (text [0] == '0' && text [1]))
        return false;
    long value = 0;
    for (const char *cursor = text; *cursor; cursor++) {
        if (*cursor < '0' || *cursor > '9')
            return false;
        value = value * 10 + (*cursor - '0');
    }
    return value >= min && value <= 65535;
}

//  Whether the host part of len bytes is a DNS name, an IPv4 address or
//  an interface name: letters, digits, '-', '.', '_'.
static bool
s_host_name (const char *host, size_t len)
{
    if (len == 0 || len > NAME_MAX_LEN || host [0] == '-' || host [0] == '.')
        return false;
    for (size_t index = 0; index < len; index++) {
        char c = host [index];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
              || c == '-' || c == '.' || c == '_'))
            return false;
    }
    return true;
}

//  Checks HOST:PORT. A wildcard host and port only when binding. A
//  connection's source (source true, for_bind true) may leave out its
//  port, or give 0 for "any", as libzmq reads it; a bound port is never
//  0 (we spell "any" as *).
static int
s_check_tcp_address (const char *address, size_t len, bool for_bind, bool source,
                     char *err, size_t errlen)
{
    char text [NAME_MAX_LEN + 16];
    if (len == 0)
        return s_refuse (err, errlen, "has no host", for_bind);
    if (len >= sizeof text)
        return s_refuse (err, errlen, "has too long a host", for_bind);
    memcpy (text, address, len);
    text [len] = 0;
    //  The port follows the last ':' after any bracketed IPv6 address.
    char *close = text [0] == '['? strchr (text, ']'): NULL;
    if (text [0] == '[' && !close)
        return s_refuse (err, errlen, "has no ']' after its IPv6 address", for_bind);
    char *colon = strrchr (close? close: text, ':');
    if (close && close [1] != 0 && close [1] != ':')
        return s_refuse (err, errlen, "has something else than :PORT after its ']'", for_bind);
    const char *port = colon? colon + 1: NULL;
    if (colon)
        *colon = 0;
    const char *host = text;
    size_t host_len = strlen (host);
    if (!port && !source)
        return s_refuse (err, errlen, "has no port", for_bind);
    if (port && for_bind && !source && strcmp (port, "0") == 0) {
        //  libzmq reads 0 as "any port"; we spell that * everywhere.
        snprintf (err, errlen, "has port 0; for a port the system picks, write * (e.g. "
                  "tcp://127.0.0.1:*), otherwise use a whole number from 1 to 65535");
        return -1;
    }
    if (port && !(s_port_number (port, 1)
                  || (for_bind && (strcmp (port, "*") == 0 || strcmp (port, "!") == 0
                                   || (source && strcmp (port, "0") == 0))))) {
        snprintf (err, errlen, "has no valid port; use a whole number from 1 to 65535%s",
                  for_bind? ", or * for any free one": "");
        return -1;
    }
    if (host_len == 0)
        return s_refuse (err, errlen, "has no host", for_bind);
    if (strcmp (host, "*") == 0) {
        if (for_bind)
            return 0;
        snprintf (err, errlen, "has the host '*', which means every interface when "
                  "binding; connect to the master's host name or address, " CONNECT_EXAMPLE);
        return -1;
    }
    if (host [0] == '[') {
        char v6 [HOST_MAX];
        struct in6_addr addr;
        size_t v6_len = host_len - 2;
        if (host [host_len - 1] != ']' || v6_len == 0 || v6_len >= sizeof v6)
            return s_refuse (err, errlen, "has a malformed IPv6 address", for_bind);
        memcpy (v6, host + 1, v6_len);
        v6 [v6_len] = 0;
        if (inet_pton (AF_INET6, v6, &addr) != 1)
            return s_refuse (err, errlen, "has a malformed IPv6 address", for_bind);
        return 0;
    }
    if (strchr (host, ':')) {
        snprintf (err, errlen, "has an IPv6 address without brackets; write it as in "
                  "tcp://[::1]:5555");
        return -1;
    }
    if (!s_host_name (host, host_len))
        return s_refuse (err, errlen, "has a host that is not a name or an address", for_bind);
    return 0;
}

//  mf_endpoint_check without the endpoint in front of the reason.
static int
s_check (const char *endpoint, bool for_bind, char *err, size_t errlen)
{
    if (!*endpoint)
        return s_refuse (err, errlen, "is empty", for_bind);
    if (strncmp (endpoint, "tcp://", 6) == 0) {
        const char *address = endpoint + 6;
        const char *semicolon = strchr (address, ';');
        if (semicolon && for_bind)
            return s_refuse (err, errlen, "has a source address (';'), which is for connecting",
                             for_bind);
        if (semicolon) {
            //  SOURCE;HOST:PORT: the source is what we would bind.
            if (s_check_tcp_address (address, (size_t) (semicolon - address), true, true,
                                     err, errlen))
                return -1;
            address = semicolon + 1;
        }
        return s_check_tcp_address (address, strlen (address), for_bind, false, err, errlen);
    }
    if (strncmp (endpoint, "ipc://", 6) == 0) {
        const char *path = endpoint + 6;
        size_t len = strlen (path);
        if (len == 0 || (path [0] == '@' && len == 1))
            return s_refuse (err, errlen, "has no path", for_bind);
        if (len > IPC_PATH_MAX) {
            snprintf (err, errlen, "has a path longer than %d bytes; use a shorter one",
                      IPC_PATH_MAX);
            return -1;
        }
        if (strcmp (path, "*") == 0 && !for_bind)
            return s_refuse (err, errlen, "has the path '*', which picks one when binding",
                             for_bind);
        return 0;
    }
    if (strncmp (endpoint, "inproc://", 9) == 0)
        return s_refuse (err, errlen, "is inproc://, which reaches only its own process",
                         for_bind);
    if (strstr (endpoint, "://"))
        return s_refuse (err, errlen, "has an unknown transport", for_bind);
    return s_refuse (err, errlen, "is not an endpoint", for_bind);
}

int
mf_endpoint_check (const char *endpoint, bool for_bind, char *err, size_t errlen)
{
    if (!endpoint)
        endpoint = "";
    char why [256];
    if (s_check (endpoint, for_bind, why, sizeof why) == 0)
        return 0;
    //  Long enough to recognise, short enough to keep the line readable;
    //  a control byte (a newline from a script) would break the line.
    char quoted [QUOTE_MAX + 1];
    size_t len = 0;
    for (; endpoint [len] && len < QUOTE_MAX; len++) {
        unsigned char c = (unsigned char) endpoint [len];
        quoted [len] = c < ' ' || c == 0x7f? '?': (char) c;
    }
    quoted [len] = 0;
    snprintf (err, errlen, "'%s%s' %s", quoted, endpoint [len]? "...": "", why);
    return -1;
}
