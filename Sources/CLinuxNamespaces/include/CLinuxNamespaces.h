#ifndef C_LINUX_NAMESPACES_H
#define C_LINUX_NAMESPACES_H

#include <stdint.h>

// Linux namespace calls that Glibc's Swift module does not export (they need _GNU_SOURCE).
int swiftlet_setns_net(int fd);
int swiftlet_unshare_mount_uts(void);

// A socket of `type` (SOCK_STREAM, SOCK_DGRAM) that belongs to the network namespace at
// `netns_path`; the calling thread enters the namespace only while it creates the socket.
// Returns the descriptor, or -errno.
int swiftlet_socket_in_netns(const char *netns_path, int type);

// A listening TCP socket that belongs to the network namespace at `netns_path` (for example
// /run/netns/NAME), bound to `address` (network byte order) and `port`. The calling thread
// enters the namespace only while it creates the socket. Returns the descriptor, or -errno.
int swiftlet_tcp_listener_in_netns(const char *netns_path, uint32_t address, uint16_t port);

#endif
