/*  mf_endpoint_check: which endpoints a program can connect to or bind,
    and the one-line refusal of the others, which quotes the endpoint and
    says what is allowed. (mf_endpoint_is_loopback is tested with the
    master's warning in test_security.)
*/
#include "helpers.h"
#include "mf_endpoint.h"

#include <check.h>
#include <stdio.h>
#include <string.h>

typedef struct {
    const char *endpoint;
    const char *connect;                //  NULL: accepted for connecting; else in the refusal
    const char *bind;                   //  NULL: accepted for binding; else in the refusal
} s_case_t;

static const s_case_t s_cases [] = {
    //  Both ways.
    { "tcp://192.0.2.10:5555", NULL, NULL },
    { "tcp://127.0.0.1:1", NULL, NULL },
    { "tcp://master-host.example:65535", NULL, NULL },
    { "tcp://localhost:5555", NULL, NULL },
    { "tcp://[::1]:5555", NULL, NULL },
    { "tcp://[fe80::1]:80", NULL, NULL },
    { "ipc:///tmp/farm.sock", NULL, NULL },
    { "ipc://@mandelfarm-1-00000000", NULL, NULL },
    //  Binding only: every interface, a port the system picks.
    { "tcp://*:5555", "'*', which means every interface when binding", NULL },
    { "tcp://127.0.0.1:*", "use a whole number from 1 to 65535", NULL },
    { "tcp://127.0.0.1:!", "use a whole number from 1 to 65535", NULL },
    { "ipc://*", "'*', which picks one when binding", NULL },
    //  Connecting only: ZeroMQ's source address.
    { "tcp://127.0.0.1;198.51.100.1:5555", NULL, "source address" },
    { "tcp://*:0;198.51.100.1:5555", NULL, "source address" },
    //  Neither.
    { "tcp://", "has no host", "has no host" },
    { "tcp://:5555", "has no host", "has no host" },
    { "tcp://127.0.0.1", "has no port", "has no port" },
    { "tcp://127.0.0.1:", "from 1 to 65535", "from 1 to 65535" },
    { "tcp://127.0.0.1:-1", "from 1 to 65535", "from 1 to 65535" },
    { "tcp://127.0.0.1:65536", "from 1 to 65535", "from 1 to 65535" },
    { "tcp://127.0.0.1:99999", "from 1 to 65535", "from 1 to 65535" },
    { "tcp://127.0.0.1:05555", "from 1 to 65535", "from 1 to 65535" },
    { "tcp://127.0.0.1:5555x", "from 1 to 65535", "from 1 to 65535" },
    { "tcp://::1:5555", "IPv6 address without brackets", "IPv6 address without brackets" },
    { "tcp://[::1:5555", "no ']'", "no ']'" },
    { "tcp://[::1]5555", "after its ']'", "after its ']'" },
    { "tcp://[nonsense]:5555", "malformed IPv6 address", "malformed IPv6 address" },
    { "tcp://[]:5555", "malformed IPv6 address", "malformed IPv6 address" },
    { "tcp://host name:5555", "not a name or an address", "not a name or an address" },
    { "tcp://-host:5555", "not a name or an address", "not a name or an address" },
    { "tcp://127.0.0.1;:5555", "has no host", "source address" },
    { "ipc://", "has no path", "has no path" },
    { "ipc://@", "has no path", "has no path" },
    { "inproc://farm", "reaches only its own process", "reaches only its own process" },
    { "inproc://", "reaches only its own process", "reaches only its own process" },
    { "tcp://*:0", "use a whole number from 1 to 65535", "write * (e.g. tcp://127.0.0.1:*)" },
    { "tcp://127.0.0.1:0", "from 1 to 65535", "write *" },
    { "udp://127.0.0.1:5555", "unknown transport", "unknown transport" },
    { "pgm://eth0;239.192.1.1:5555", "unknown transport", "unknown transport" },
    { "127.0.0.1:5555", "is not an endpoint", "is not an endpoint" },
    { "", "is empty", "is empty" },
};

#define CASE_COUNT (sizeof s_cases / sizeof s_cases [0])

START_TEST (endpoints_connect_and_bind)
{
    const s_case_t *c = &s_cases [_i];
    for (int bind = 0; bind < 2; bind++) {
        char err [512] = "";
        const char *why = bind? c->bind: c->connect;
        int rc = mf_endpoint_check (c->endpoint, bind, err, sizeof err);
        ck_assert_msg (rc == (why? -1: 0), "%s, %s: %d (%s)", c->endpoint,
                       bind? "bind": "connect", rc, err);
        if (!why)
            continue;
        //  The refusal: one line, the endpoint quoted, what is wrong.
        char quoted [300];
        snprintf (quoted, sizeof quoted, "'%s' ", c->endpoint);
        ck_assert_msg (strncmp (err, quoted, strlen (quoted)) == 0, "%s: %s", c->endpoint, err);
        ck_assert_msg (!strchr (err, '\n'), "%s: not one line: %s", c->endpoint, err);
        ck_assert_msg (strstr (err, why), "%s, %s: '%s' lacks '%s'", c->endpoint,
                       bind? "bind": "connect", err, why);
    }
}
END_TEST

START_TEST (refusals_say_what_is_allowed)
{
    char err [512];
    ck_assert_int_eq (mf_endpoint_check ("tcp://", false, err, sizeof err), -1);
    ck_assert_str_eq (err, "'tcp://' has no host; use tcp://HOST:PORT (e.g. tcp://192.0.2.10:5555) "
                           "or ipc://PATH");
    ck_assert_int_eq (mf_endpoint_check ("tcp://", true, err, sizeof err), -1);
    ck_assert_str_eq (err, "'tcp://' has no host; use tcp://ADDRESS:PORT (e.g. tcp://*:5555) "
                           "or ipc://PATH");
    ck_assert_int_eq (mf_endpoint_check (NULL, false, err, sizeof err), -1);
    ck_assert_str_eq (err, "'' is empty; use tcp://HOST:PORT (e.g. tcp://192.0.2.10:5555) "
                           "or ipc://PATH");
    //  A long endpoint is cut, and the line stays whole.
    char endpoint [400] = "tcp://";
    memset (endpoint + 6, 'a', 300);
    strcpy (endpoint + 306, ":1:2");
    ck_assert_int_eq (mf_endpoint_check (endpoint, false, err, sizeof err), -1);
    ck_assert_ptr_nonnull (strstr (err, "...' "));
    ck_assert_uint_lt (strlen (err), 300);
    //  An ipc path longer than sun_path holds.
    char ipc [200] = "ipc:///";
    memset (ipc + 7, 'p', 107);
    ck_assert_int_eq (mf_endpoint_check (ipc, false, err, sizeof err), -1);
    ck_assert_ptr_nonnull (strstr (err, "longer than 107 bytes"));
    ipc [6 + 107] = 0;
    ck_assert_int_eq (mf_endpoint_check (ipc, false, err, sizeof err), 0);
}
END_TEST

int
main (void)
{
    Suite *suite = suite_create ("endpoint");
    TCase *tc = tcase_create ("core");
    tcase_add_loop_test (tc, endpoints_connect_and_bind, 0, CASE_COUNT);
    tcase_add_test (tc, refusals_say_what_is_allowed);
    suite_add_tcase (suite, tc);
    return th_run_suite (suite);
}
