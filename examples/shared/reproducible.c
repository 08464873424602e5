/* Preloaded (LD_PRELOAD) by build.sh into the program that pre-initializes the component
 * (componentize-py for examples/inputs_python, Wizer for examples/inputs_js), to make the
 * output byte-reproducible. Not part of the component.
 *
 * Both tools run the app's top level in wasmtime with WASI at build time and write the
 * guest's memory into the component. Host inputs reach that memory:
 *
 * - random bytes: the engine's seeds (CPython's hash seed, which the host's PYTHONHASHSEED
 *   does not reach; SpiderMonkey's), the state of Python's `random`, the runtimes' seeds;
 * - the clocks;
 * - file metadata and directory order: componentize-py extracts the standard library and
 *   writes the bindings into fresh temporary directories, and the guest keeps their mtimes
 *   and inode numbers (importlib's caches, .pyc headers, stale stat buffers) and allocates
 *   names in the order a directory lists them (which on ext4 depends on the file system).
 *
 * So the process gets: the same pseudo-random bytes for every request; a wall clock
 * stopped at SOURCE_DATE_EPOCH and monotonic clocks that advance a microsecond per reading
 * of each thread; for every file, times of SOURCE_DATE_EPOCH and inode numbers given in the
 * order the files are first seen; and directory entries in name order. wasmtime reads file
 * metadata and directories with raw system calls (rustix), not through libc, so those
 * (and getrandom) are caught with a seccomp filter that turns them into SIGSYS, and the
 * handler makes the call and fixes its result. The seccomp filter stays on the process
 * and on every program it starts, whose dynamic loader does not survive it: preload this
 * only into a process that starts none. LD_PRELOAD and SOURCE_DATE_EPOCH are taken out of
 * the environment (Wizer passes its environment to the guest). The component reads the
 * clocks and random numbers again when it runs: nothing it reads at run time is affected.
 * x86-64 Linux only.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

static time_t epoch;

/* ---- random bytes: every request gets the same bytes (splitmix64 of the offset) ----
 * (glibc's getrandom, and the system call, which the getrandom crate makes itself) */

static void fill(unsigned char *p, size_t len) {
  for (size_t i = 0; i < len; i++) {
    unsigned long long z = (i / 8 + 1) * 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    p[i] = (unsigned char)(z >> (8 * (i % 8)));
  }
}
ssize_t getrandom(void *buf, size_t len, unsigned int flags) {
  (void)flags;
  fill(buf, len);
  return (ssize_t)len;
}
int getentropy(void *buf, size_t len) {
  fill(buf, len);
  return 0;
}

/* ---- clocks ---- */

static __thread unsigned long long ticks;
int clock_gettime(clockid_t clock, struct timespec *ts) {
  static int (*real)(clockid_t, struct timespec *);
  if (clock == CLOCK_REALTIME || clock == CLOCK_REALTIME_COARSE) {
    ts->tv_sec = epoch;
    ts->tv_nsec = 0;
    return 0;
  }
  if (clock == CLOCK_MONOTONIC || clock == CLOCK_MONOTONIC_COARSE ||
      clock == CLOCK_MONOTONIC_RAW || clock == CLOCK_BOOTTIME) {
    ticks += 1000;
    ts->tv_sec = 1000 + (time_t)(ticks / 1000000000);
    ts->tv_nsec = (long)(ticks % 1000000000);
    return 0;
  }
  if (!real) real = (int (*)(clockid_t, struct timespec *))dlsym(RTLD_NEXT, "clock_gettime");
  return real(clock, ts);
}

/* ---- file metadata, in the SIGSYS handler ---- */

/* Inode numbers in first-seen order: an open-addressing table, no allocation. */
#define INODES (1 << 16)
static struct { unsigned long long dev, ino, number; } inodes[INODES];
static unsigned long long next_inode = 2;
static volatile int inode_lock;

static unsigned long long renumber(unsigned long long dev, unsigned long long ino) {
  while (__sync_lock_test_and_set(&inode_lock, 1)) {
  }
  size_t i = (size_t)((ino * 0x9E3779B97F4A7C15ull) ^ dev) & (INODES - 1);
  while (inodes[i].number && !(inodes[i].dev == dev && inodes[i].ino == ino))
    i = (i + 1) & (INODES - 1);
  if (!inodes[i].number) {
    inodes[i].dev = dev;
    inodes[i].ino = ino;
    inodes[i].number = next_inode++;
  }
  unsigned long long number = inodes[i].number;
  __sync_lock_release(&inode_lock);
  return number;
}

static void fix_stat(struct stat *st) {
  st->st_atim.tv_sec = st->st_mtim.tv_sec = st->st_ctim.tv_sec = epoch;
  st->st_atim.tv_nsec = st->st_mtim.tv_nsec = st->st_ctim.tv_nsec = 0;
  st->st_ino = renumber(st->st_dev, st->st_ino);
  st->st_dev = 1;
}
static void fix_statx(struct statx *st) {
  st->stx_atime.tv_sec = st->stx_mtime.tv_sec = st->stx_ctime.tv_sec = epoch;
  st->stx_btime.tv_sec = epoch;
  st->stx_atime.tv_nsec = st->stx_mtime.tv_nsec = st->stx_ctime.tv_nsec = 0;
  st->stx_btime.tv_nsec = 0;
  st->stx_ino = renumber(((unsigned long long)st->stx_dev_major << 32) | st->stx_dev_minor,
                         st->stx_ino);
  st->stx_dev_major = 0;
  st->stx_dev_minor = 1;
}

/* The handler's own system calls carry this in their sixth argument, which none of the
 * trapped calls uses, and the filter lets them through. */
#define PASS 0x5eed5eed5eed5eedL

static long raw(long nr, long a, long b, long c, long d, long e) {
  long result;
  register long r10 __asm__("r10") = d;
  register long r8 __asm__("r8") = e;
  register long r9 __asm__("r9") = PASS;
  __asm__ volatile("syscall"
                   : "=a"(result)
                   : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                   : "rcx", "r11", "memory");
  return result;
}

/* Directory listings in name order: the first getdents64 of a listing reads it all. */
struct linux_dirent64 {
  unsigned long long d_ino;
  long long d_off;
  unsigned short d_reclen;
  unsigned char d_type;
  char d_name[];
};
#define LISTINGS 64
static struct listing {
  int fd, used;
  unsigned long long dev, ino;
  char *data;
  size_t *offsets, count, next;
} listings[LISTINGS];
static volatile int listing_lock;

static int by_name(const void *a, const void *b, void *data) {
  const struct linux_dirent64 *x = (const void *)((char *)data + *(const size_t *)a);
  const struct linux_dirent64 *y = (const void *)((char *)data + *(const size_t *)b);
  return strcmp(x->d_name, y->d_name);
}

static void drop(struct listing *l) {
  free(l->data);
  free(l->offsets);
  memset(l, 0, sizeof *l);
}

static long sorted_getdents(int fd, char *buf, size_t count) {
  struct stat st;
  long r = raw(SYS_fstat, fd, (long)&st, 0, 0, 0);
  if (r < 0) return r;
  struct listing *l = NULL, *free_slot = NULL;
  for (int i = 0; i < LISTINGS; i++) {
    if (listings[i].used && listings[i].fd == fd) l = &listings[i];
    if (!listings[i].used && !free_slot) free_slot = &listings[i];
  }
  /* A listing whose directory is not the one open on fd, or whose fd was reopened (a
   * fresh open starts at offset 0; a listing read in full has moved past it), is stale. */
  if (l && (l->dev != st.st_dev || l->ino != st.st_ino ||
            raw(SYS_lseek, fd, 0, SEEK_CUR, 0, 0) == 0))
    drop(l), free_slot = l, l = NULL;
  if (!l) {
    if (!free_slot) return raw(SYS_getdents64, fd, (long)buf, (long)count, 0, 0);
    l = free_slot;
    size_t size = 0, capacity = 1 << 16;
    char *data = malloc(capacity);
    for (;;) {
      if (capacity - size < (1 << 15)) data = realloc(data, capacity *= 2);
      long n = raw(SYS_getdents64, fd, (long)(data + size), (long)(capacity - size), 0, 0);
      if (n < 0) {
        free(data);
        return n;
      }
      if (n == 0) break;
      size += (size_t)n;
    }
    size_t entries = 0;
    for (size_t at = 0; at < size; at += ((struct linux_dirent64 *)(data + at))->d_reclen)
      entries++;
    l->offsets = malloc((entries + 1) * sizeof *l->offsets);
    entries = 0;
    for (size_t at = 0; at < size; at += ((struct linux_dirent64 *)(data + at))->d_reclen)
      l->offsets[entries++] = at;
    qsort_r(l->offsets, entries, sizeof *l->offsets, by_name, data);
    l->used = 1;
    l->fd = fd;
    l->dev = st.st_dev;
    l->ino = st.st_ino;
    l->data = data;
    l->count = entries;
    l->next = 0;
  }
  size_t written = 0;
  while (l->next < l->count) {
    struct linux_dirent64 *entry = (void *)(l->data + l->offsets[l->next]);
    if (written + entry->d_reclen > count) break;
    memcpy(buf + written, entry, entry->d_reclen);
    struct linux_dirent64 *copy = (void *)(buf + written);
    copy->d_ino = renumber(st.st_dev, entry->d_ino);
    copy->d_off = (long long)(l->next + 1);
    written += entry->d_reclen;
    l->next++;
  }
  if (written == 0 && l->next < l->count) return -EINVAL;
  if (written == 0) drop(l);
  return (long)written;
}

static void on_sigsys(int signal, siginfo_t *info, void *context) {
  (void)signal;
  int saved = errno;
  greg_t *regs = ((ucontext_t *)context)->uc_mcontext.gregs;
  long nr = info->si_syscall;
  long a = regs[REG_RDI], b = regs[REG_RSI], c = regs[REG_RDX], d = regs[REG_R10],
       e = regs[REG_R8];
  long result;
  if (nr == SYS_getrandom) {
    fill((unsigned char *)a, (size_t)b);
    result = b;
  } else if (nr == SYS_getdents64) {
    while (__sync_lock_test_and_set(&listing_lock, 1)) {
    }
    result = sorted_getdents((int)a, (char *)b, (size_t)c);
    __sync_lock_release(&listing_lock);
  } else {
    result = raw(nr, a, b, c, d, e);
    if (result == 0) {
      if (nr == SYS_statx) fix_statx((struct statx *)e);
      else if (nr == SYS_newfstatat) fix_stat((struct stat *)c);
      else if (nr == SYS_fstat || nr == SYS_stat || nr == SYS_lstat) fix_stat((struct stat *)b);
    }
  }
  regs[REG_RAX] = result;
  errno = saved;
}

__attribute__((constructor)) static void install(void) {
  const char *value = getenv("SOURCE_DATE_EPOCH");
  epoch = value ? (time_t)strtoll(value, NULL, 10) : 0;
  unsetenv("SOURCE_DATE_EPOCH");
  unsetenv("LD_PRELOAD");

  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_sigaction = on_sigsys;
  action.sa_flags = SA_SIGINFO | SA_NODEFER;
  sigaction(SIGSYS, &action, NULL);

  struct sock_filter filter[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getrandom, 7, 0),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_statx, 6, 0),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_newfstatat, 5, 0),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_fstat, 4, 0),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_stat, 3, 0),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_lstat, 2, 0),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getdents64, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
      /* A trapped call: let the handler's own through (sixth argument PASS). */
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[5])),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned int)PASS, 0, 3),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[5]) + 4),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned int)(PASS >> 32), 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP),
  };
  struct sock_fprog program = {sizeof filter / sizeof filter[0], filter};
  prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
  prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program);
}
