#define _GNU_SOURCE
#include <sched.h>
#include "CLinuxNamespaces.h"

int swiftlet_setns_net(int fd) { return setns(fd, CLONE_NEWNET); }
int swiftlet_unshare_mount_uts(void) { return unshare(CLONE_NEWNS | CLONE_NEWUTS); }
