#ifndef C_NFTABLES_H
#define C_NFTABLES_H

// libnftables, kept open: one context (and so one netlink socket) per network namespace,
// used from a thread that lives inside that namespace.
//
// Why not run `nft -f` per change: closing an nf_tables netlink socket waits for the kernel
// to finish the last transaction's clean-up (an RCU grace period, 10-40 ms here when set
// elements were deleted), and starting the process costs a few more milliseconds. A socket
// that stays open pays neither.
//
// Why a thread of its own: libnftables may reopen its socket (after an interrupted dump), and
// a socket always belongs to the namespace of the thread that opens it. This thread enters the
// namespace once and never leaves it, so every socket it opens is the namespace's.

typedef struct swiftlet_nft swiftlet_nft;

// Starts the worker thread in the network namespace at `netns_path` (NULL: the process's own)
// and opens a context there. Returns NULL with errno set if the namespace cannot be entered
// or the context cannot be made.
swiftlet_nft *swiftlet_nft_open(const char *netns_path);

// Runs an nft script (the `nft -f` language) as one transaction. Returns 0, or -1 with the
// error text nft printed in *error_out (malloc'ed; the caller frees it). Calls from several
// threads are serialized.
int swiftlet_nft_run(swiftlet_nft *handle, const char *script, char **error_out);

// Stops the thread and frees the context.
void swiftlet_nft_close(swiftlet_nft *handle);

#endif
