#ifndef C_PROCESS_TUNING_H
#define C_PROCESS_TUNING_H

// glibc calls that Swift's Glibc module does not export, for tuning a process's memory and CPUs.

// Returns free heap memory to the system (glibc's malloc_trim), after a large transient load.
void swiftlet_release_free_memory(void);

// Limits glibc's malloc to its one main arena. Only effective before other threads exist.
void swiftlet_use_one_malloc_arena(void);

// Keeps the calling thread on one CPU (`cpu` >= 0) or lets it run on all of them (-1).
// Benchmarks pin their client and server so that each keeps a core. Returns 0 or -errno.
int swiftlet_pin_thread(int cpu);

#endif
