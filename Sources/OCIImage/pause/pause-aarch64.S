    .globl _start
_start:
    mov x9, #0x4002          // { SIGINT, SIGTERM, SIGCHLD }
    movk x9, #0x1, lsl #16
    str x9, [sp, #-16]!
    mov x0, #0               // rt_sigprocmask(SIG_BLOCK, &set, NULL, 8)
    mov x1, sp
    mov x2, #0
    mov x3, #8
    mov x8, #135
    svc #0
wait:
    mov x0, sp               // rt_sigtimedwait(&set, NULL, NULL, 8)
    mov x1, #0
    mov x2, #0
    mov x3, #8
    mov x8, #137
    svc #0
    tbnz w0, #31, wait
    cmp w0, #17
    b.ne done
reap:
    mov x0, #-1              // wait4(-1, NULL, WNOHANG, NULL)
    mov x1, #0
    mov x2, #1
    mov x3, #0
    mov x8, #260
    svc #0
    cmp w0, #0
    b.gt reap
    b wait
done:
    mov x0, #0               // exit_group(0)
    mov x8, #94
    svc #0
