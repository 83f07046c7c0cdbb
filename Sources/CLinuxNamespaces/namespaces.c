#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "CLinuxNamespaces.h"

int swiftlet_setns_net(int fd) { return setns(fd, CLONE_NEWNET); }
int swiftlet_unshare_mount_uts(void) { return unshare(CLONE_NEWNS | CLONE_NEWUTS); }

int swiftlet_socket_in_netns(const char *netns_path, int type) {
    int self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    if (self < 0) return -errno;
    int target = open(netns_path, O_RDONLY | O_CLOEXEC);
    if (target < 0) { int e = errno; close(self); return -e; }
    if (setns(target, CLONE_NEWNET) != 0) { int e = errno; close(self); close(target); return -e; }
    int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);
    int socket_errno = errno;
    // A thread left in the wrong namespace would break whatever runs on it next.
    if (setns(self, CLONE_NEWNET) != 0) abort();
    close(self);
    close(target);
    return fd < 0 ? -socket_errno : fd;
}

int swiftlet_tcp_listener_in_netns(const char *netns_path, uint32_t address, uint16_t port) {
    int fd = swiftlet_socket_in_netns(netns_path, SOCK_STREAM | SOCK_NONBLOCK);
    if (fd < 0) return fd;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in sin;
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = address;
    sin.sin_port = htons(port);
    if (bind(fd, (struct sockaddr *)&sin, sizeof sin) != 0 || listen(fd, 1024) != 0) {
        int e = errno;
        close(fd);
        return -e;
    }
    return fd;
}

void swiftlet_release_free_memory(void) { malloc_trim(0); }

int swiftlet_pin_thread(int cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    long count = sysconf(_SC_NPROCESSORS_ONLN);
    for (long i = 0; i < count && i < CPU_SETSIZE; i++) {
        if (cpu < 0 || i == cpu) CPU_SET(i, &set);
    }
    return sched_setaffinity(0, sizeof(set), &set) == 0 ? 0 : -errno;
}

// A Swiftlet process allocates from glibc's one main arena, unless it is the control plane
// (`server`, `up`) or the user chose an arena count (MALLOC_ARENA_MAX, or
// glibc.malloc.arena_max in GLIBC_TUNABLES). With the default of an arena per thread (up to
// 8 per core), each arena kept its own share of the memory a node's first proxy sync freed:
// a process running the proxy for 10,000 Services settled at 52-60 MiB, against 48 MiB with
// one arena. The API server is the other way round: under a burst of writes its threads
// queued on the one arena's lock (~7 % of CPU samples), and with arenas its endpoint
// benchmark's burst ran ~9 % faster, its RSS within the runs' spread (docs/benchmarks.md).
// It runs before main, as the setting must precede the threads; glibc passes constructors
// main's arguments.
__attribute__((constructor)) static void swiftlet_choose_malloc_arenas(int argc, char **argv, char **envp) {
    (void)envp;
    const char *tunables = getenv("GLIBC_TUNABLES");
    if (getenv("MALLOC_ARENA_MAX") != NULL || (tunables != NULL && strstr(tunables, "arena_max") != NULL)) return;
    if (argc > 1 && argv != NULL && argv[1] != NULL && (strcmp(argv[1], "server") == 0 || strcmp(argv[1], "up") == 0)) return;
    mallopt(M_ARENA_MAX, 1);
}
