/*  Fuzzes mf_endpoint_is_loopback, which decides whether the master
    warns about a --listen open to the network. The input is the endpoint
    (up to its first NUL). A "yes" must be one of the forms it promises:
    ipc:// or inproc://, or tcp:// on a host that inet_pton reads as a
    loopback address (or "localhost", or "lo") followed by a port; so a
    wildcard or a LAN address can never pass as loopback.
*/
#include "fuzz.h"
#include "mf_endpoint.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#define TEXT_MAX 512                    //  bytes of endpoint looked at

static bool
s_loopback_host (const char *host)
{
    if (strcmp (host, "localhost") == 0 || strcmp (host, "lo") == 0)
        return true;
    struct in_addr v4;
    struct in6_addr v6;
    if (inet_pton (AF_INET, host, &v4) == 1)
        return (ntohl (v4.s_addr) & 0xff000000u) == 0x7f000000u;
    if (inet_pton (AF_INET6, host, &v6) == 1)
        return IN6_IS_ADDR_LOOPBACK (&v6)
            || (IN6_IS_ADDR_V4MAPPED (&v6) && v6.s6_addr [12] == 127);
    return false;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    char text [TEXT_MAX + 1];
    size_t len = size < TEXT_MAX? size: TEXT_MAX;
    memcpy (text, data, len);
    text [len] = 0;
    bool loopback = mf_endpoint_is_loopback (text);
    FUZZ_CHECK (loopback == mf_endpoint_is_loopback (text));
    if (!loopback)
        return 0;
    if (strncmp (text, "ipc://", 6) == 0 || strncmp (text, "inproc://", 9) == 0)
        return 0;
    FUZZ_CHECK (strncmp (text, "tcp://", 6) == 0);
    FUZZ_CHECK (!strchr (text, ';'));
    //  Host and port, as the function must have split them.
    const char *colon = strrchr (text + 6, ':');
    FUZZ_CHECK (colon && colon [1] != 0);
    char host [TEXT_MAX + 1];
    size_t host_len = (size_t) (colon - (text + 6));
    memcpy (host, text + 6, host_len);
    host [host_len] = 0;
    if (host_len >= 2 && host [0] == '[' && host [host_len - 1] == ']') {
        memmove (host, host + 1, host_len - 2);
        host [host_len - 2] = 0;
    }
    FUZZ_CHECK (s_loopback_host (host));
    return 0;
}
