#define _GNU_SOURCE
#include <errno.h>
#include <malloc.h>
#include <sched.h>
#include <unistd.h>
#include "CProcessTuning.h"

void swiftlet_release_free_memory(void) { malloc_trim(0); }

void swiftlet_use_one_malloc_arena(void) { mallopt(M_ARENA_MAX, 1); }

int swiftlet_pin_thread(int cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    long count = sysconf(_SC_NPROCESSORS_ONLN);
    for (long i = 0; i < count && i < CPU_SETSIZE; i++) {
        if (cpu < 0 || i == cpu) CPU_SET(i, &set);
    }
    return sched_setaffinity(0, sizeof(set), &set) == 0 ? 0 : -errno;
}
