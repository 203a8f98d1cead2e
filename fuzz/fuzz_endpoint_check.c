/*  Fuzzes mf_endpoint_check, the one parser of the master's --listen and
    the worker's --connect. The input is the endpoint (up to its first
    NUL). For both uses the answer must be the same twice; a refusal is
    one line that quotes the endpoint (its control bytes as '?': a
    newline in it once broke the line) and fits the error buffer, even a
    tiny one; an endpoint accepted is one of the promised forms:

    - ipc://PATH with a path of 1 to 107 bytes ("*" only when binding);
    - tcp://...:PORT whose port is a plain decimal number from 1 to 65535,
      or, only when binding, "*" or "!"; with a source address (';') only
      when connecting; a host "*" only when binding;

    and no tcp:// endpoint accepted holds a space or a control byte (an
    ipc:// path may hold what a file name may). An endpoint
    that can be connected to, without a source address, can be bound.
*/
#include "fuzz.h"
#include "mf_endpoint.h"

#include <stdbool.h>
#include <string.h>

#define TEXT_MAX 512                    //  bytes of endpoint looked at
#define ERR_MAX 512                     //  bytes of the error buffer
#define IPC_PATH_MAX 107                //  bytes of an ipc path, as promised

//  Whether text is a port number from 1 to 65535, in plain decimal.
static bool
s_port_number (const char *text)
{
    size_t len = strlen (text);
    if (len == 0 || len > 5 || text [0] < '1' || text [0] > '9')
        return false;
    long value = 0;
    for (size_t index = 0; index < len; index++) {
        if (text [index] < '0' || text [index] > '9')
            return false;
        value = value * 10 + (text [index] - '0');
    }
    return value <= 65535;
}

//  Checks an accepted endpoint against the forms it may have.
static void
s_check_accepted (const char *text, bool for_bind)
{
    if (strncmp (text, "ipc://", 6) == 0) {
        size_t len = strlen (text + 6);
        FUZZ_CHECK (len >= 1 && len <= IPC_PATH_MAX);
        FUZZ_CHECK (for_bind || strcmp (text + 6, "*") != 0);
        return;
    }
    FUZZ_CHECK (strncmp (text, "tcp://", 6) == 0);
    for (const char *cursor = text; *cursor; cursor++)
        FUZZ_CHECK ((unsigned char) *cursor > ' ' && *cursor != 0x7f);
    const char *semicolon = strchr (text + 6, ';');
    FUZZ_CHECK (!(semicolon && for_bind));
    const char *address = semicolon? semicolon + 1: text + 6;
    const char *colon = strrchr (address, ':');
    FUZZ_CHECK (colon && colon > address);
    const char *port = colon + 1;
    FUZZ_CHECK (s_port_number (port)
                || (for_bind && (strcmp (port, "*") == 0 || strcmp (port, "!") == 0)));
    //  The host "*" (every interface) is for binding.
    FUZZ_CHECK (for_bind || !(colon - address == 1 && address [0] == '*'));
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    char text [TEXT_MAX + 1];
    size_t len = size < TEXT_MAX? size: TEXT_MAX;
    memcpy (text, data, len);
    text [len] = 0;
    bool accepted [2];
    for (int for_bind = 0; for_bind < 2; for_bind++) {
        char err [ERR_MAX], again [ERR_MAX];
        memset (err, 0x55, sizeof err);
        int rc = mf_endpoint_check (text, for_bind, err, sizeof err);
        FUZZ_CHECK (rc == 0 || rc == -1);
        FUZZ_CHECK (mf_endpoint_check (text, for_bind, again, sizeof again) == rc);
        accepted [for_bind] = rc == 0;
        if (rc == 0) {
            s_check_accepted (text, for_bind);
            continue;
        }
        //  One line, the endpoint quoted first, the same every time.
        FUZZ_CHECK (memchr (err, 0, sizeof err));
        FUZZ_CHECK (strcmp (err, again) == 0);
        FUZZ_CHECK (err [0] == '\'' && strlen (err) > 2);
        for (const char *cursor = err; *cursor; cursor++)
            FUZZ_CHECK ((unsigned char) *cursor >= ' ' && *cursor != 0x7f);
        //  A small buffer is filled, never overrun, and ends in a NUL.
        char tiny [8];
        memset (tiny, 0x55, sizeof tiny);
        FUZZ_CHECK (mf_endpoint_check (text, for_bind, tiny, sizeof tiny) == -1);
        FUZZ_CHECK (memchr (tiny, 0, sizeof tiny));
        FUZZ_CHECK (strncmp (tiny, err, strlen (tiny)) == 0);
    }
    if (accepted [0] && !strchr (text, ';'))
        FUZZ_CHECK (accepted [1]);
    return 0;
}
