#ifndef C_LINUX_NAMESPACES_H
#define C_LINUX_NAMESPACES_H

// Linux namespace calls that Glibc's Swift module does not export (they need _GNU_SOURCE).
int swiftlet_setns_net(int fd);
int swiftlet_unshare_mount_uts(void);

#endif
