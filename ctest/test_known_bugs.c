/* Tests of library bugs that are reported and not fixed yet. They run only with
 * ZKTEST_KNOWN_BUGS=1 (the suite must stay green meanwhile); once a fix lands, move the
 * test to its topic's file. Each says what it proves and what happens today.
 *
 * None open now. */
#include "zktest.h"

ZKT_SUITE(known_bugs) = {
    ZKT_END,
};
