    .globl _start
_start:
    push $0x14002            # { SIGINT, SIGTERM, SIGCHLD }
    mov $14, %eax            # rt_sigprocmask(SIG_BLOCK, &set, NULL, 8)
    xor %edi, %edi
    mov %rsp, %rsi
    xor %edx, %edx
    mov $8, %r10d
    syscall
wait:
    mov $128, %eax           # rt_sigtimedwait(&set, NULL, NULL, 8)
    mov %rsp, %rdi
    xor %esi, %esi
    xor %edx, %edx
    mov $8, %r10d
    syscall
    test %eax, %eax
    js wait
    cmp $17, %eax
    jne done
reap:
    mov $61, %eax            # wait4(-1, NULL, WNOHANG, NULL)
    mov $-1, %edi
    xor %esi, %esi
    mov $1, %edx
    xor %r10d, %r10d
    syscall
    test %eax, %eax
    jg reap
    jmp wait
done:
    mov $231, %eax           # exit_group(0)
    xor %edi, %edi
    syscall
