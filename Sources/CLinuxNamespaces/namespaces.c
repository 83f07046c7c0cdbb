#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
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
