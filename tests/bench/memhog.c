/* memhog.c - a stand-in monitor for tests/bench/stopwatch_test.sh: maps
   "guest RAM" (an anonymous region of RAM bytes) and touches GUEST bytes
   of it, allocates and touches OWN bytes of its own, prints "ready", and
   waits for the end of its standard input before it exits. So the test
   knows what stopwatch --mem must find on each side.

     memhog RAM GUEST OWN */
#define _DEFAULT_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    size_t ram, guest, own;
    char *g, *o, b[256];

    if (argc != 4)
        return 2;
    ram = strtoull(argv[1], NULL, 0);
    guest = strtoull(argv[2], NULL, 0);
    own = strtoull(argv[3], NULL, 0);
    if (guest > ram)
        return 2;
    /* As bbvm maps it (vm/main.c): MAP_NORESERVE also keeps the kernel
       from merging it with the next anonymous mapping into one region. */
    g = mmap(NULL, ram, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    o = mmap(NULL, own, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (g == MAP_FAILED || o == MAP_FAILED)
        return 1;
    memset(g, 1, guest);
    memset(o, 1, own);
    printf("ready\n");
    fflush(stdout);
    while (read(0, b, sizeof b) > 0)
        ;
    return g[0] + o[0] == 2 ? 0 : 1;
}
