/*
 * spawn(file, argv, env, cwd, stdin, stdout, stderr) -> pid, or minus errno
 *
 * posix_spawn: glibc starts the child with clone(CLONE_VM | CLONE_VFORK), so the parent's memory map is
 * neither copied nor torn down again at exec. libuv forks, and for a Node process that costs 1.3-1.5 ms per
 * program (0.15 ms this way): the difference is most of procinit's start-up time with ten programs.
 * The child gets its own session (setsid, like child_process's `detached`), every signal at its default
 * and none blocked, the three fds as 0, 1, 2, and cwd as its directory. It is not libuv's child: procinit's
 * reaper collects its exit status (src/supervisor/direct-spawn.ts). file must be a path (no PATH search).
 *
 * spawn(..., joinFds): with an 8th argument, an array of open `cgroup.procs` files (src/health/limits), the
 * child writes "0" (itself) into each before it execs, so the program is born inside its cgroups: not one
 * page it allocates, and no child it forks, escapes the limit. glibc's posix_spawn has no hook for that,
 * so this path is posix_spawn's own recipe by hand (clone with CLONE_VM | CLONE_VFORK on a stack of its
 * own): every signal blocked in the parent around the clone (no handler of Node's may run in the child),
 * then in the child: every handler to its default, setsid,
 * join, dup2 the three fds, chdir, unblock, execve. The child reports a failed step through memory it
 * shares with the parent until it execs or exits. Returns the pid, minus errno when the exec failed, or
 * minus (JOIN_FAILED + errno) when joining a cgroup failed (the child never ran the program).
 *
 * spawn(..., joinFds, umask): a 9th argument (0-0o777) is the program's umask (supervisord's umask=), set in
 * the child before it execs, on the same clone path. procinit's own umask is never touched: it is every
 * thread's, so setting it around a spawn gave a file libuv's threadpool created meanwhile the program's.
 *
 * Without joinFds, when the exec is known to work, none of those waits for the exec (spawn_async below:
 * clone(CLONE_VM) without CLONE_VFORK): spawn returns the pid as soon as the child exists, and a failure
 * that still comes is told by spawnFailure(pid) after the child's exit 127. PROCINIT_SPAWN_WAIT=1 in
 * procinit's environment keeps every spawn waiting (to compare the two).
 */
#define JOIN_FAILED 100000
#define _GNU_SOURCE
#include <node_api.h>
#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <stddef.h>
#include <stdio.h>
#include "addon.h"

/* A JS array of strings as a NULL-terminated C array; NULL on failure (an exception is then pending). */
static char **string_array(napi_env env, napi_value arr) {
  uint32_t n;
  if (napi_get_array_length(env, arr, &n) != napi_ok) return NULL;
  char **out = calloc(n + 1, sizeof *out);
  if (!out) return NULL;
  for (uint32_t i = 0; i < n; i++) {
    napi_value v;
    size_t len;
    if (napi_get_element(env, arr, i, &v) != napi_ok || napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok ||
        !(out[i] = malloc(len + 1)) || napi_get_value_string_utf8(env, v, out[i], len + 1, &len) != napi_ok) {
      free_strings(out);
      return NULL;
    }
  }
  return out;
}

void free_strings(char **arr) {
  if (!arr) return;
  for (char **p = arr; *p; p++) free(*p);
  free(arr);
}

static char *string_arg(napi_env env, napi_value v) {
  size_t len;
  if (napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok) return NULL;
  char *s = malloc(len + 1);
  if (s && napi_get_value_string_utf8(env, v, s, len + 1, &len) != napi_ok) {
    free(s);
    return NULL;
  }
  return s;
}

/* What the vfork child tells the parent: which step failed and its errno (0: it exec'd). */
struct child_report {
  volatile int step; /* 1 join, 2 setsid/dup2/chdir/exec */
  volatile int err;
};

/* Everything the child needs, in memory it shares with the parent until it execs or exits. */
struct child_args {
  const char *file;
  char **args;
  char **envp;
  const char *cwd;
  const int32_t *fds;
  const int *join;
  uint32_t njoin;
  int mask; /* the program's umask, or -1: set in the child, never the whole of procinit (every thread's) */
  sigset_t none;
  volatile int step; /* what the child tells the parent: 1 join, 2 setsid/dup2/chdir/exec failed */
  volatile int err;  /* and its errno (0: it exec'd) */
};

/* Runs in the child, on its own stack, sharing the parent's memory: only system calls, never returns. */
static int child_exec(void *p) {
  struct child_args *a = p;
  struct sigaction dfl;
  memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; sig++) sigaction(sig, &dfl, NULL); /* EINVAL for KILL/STOP and glibc's own: fine */
  for (uint32_t i = 0; i < a->njoin; i++) {
    if (write(a->join[i], "0", 1) != 1) {
      a->step = 1;
      a->err = errno ? errno : EIO;
      _exit(127);
    }
  }
  a->step = 2;
  if (setsid() < 0) goto fail;
  for (int i = 0; i < 3; i++) {
    if (a->fds[i] == i) {
      int fl = fcntl(i, F_GETFD);
      if (fl < 0 || fcntl(i, F_SETFD, fl & ~FD_CLOEXEC) < 0) goto fail;
    } else if (dup2(a->fds[i], i) < 0) {
      goto fail;
    }
  }
  if (chdir(a->cwd) < 0) goto fail;
  if (a->mask >= 0) umask((mode_t)a->mask); /* no CLONE_FS: the child's own, procinit's stays */
  sigprocmask(SIG_SETMASK, &a->none, NULL);
  execve(a->file, a->args, a->envp);
fail:
  a->err = errno ? errno : EIO;
  _exit(127);
}

/* clone(CLONE_VM | CLONE_VFORK) + join the cgroups + exec: the pid, or minus errno (JOIN_FAILED + errno for the join). */
static int spawn_joined(const char *file, char **args, char **envp, const char *cwd, const int32_t fds[3], const int *join, uint32_t njoin, int mask) {
  static const size_t stack_size = 64 * 1024;
  char *stack = malloc(stack_size);
  if (!stack) return -ENOMEM;
  struct child_args a = {file, args, envp, cwd, fds, join, njoin, mask, {{0}}, 0, 0};
  sigset_t all, old;
  sigfillset(&all);
  sigemptyset(&a.none);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  pid_t pid = clone(child_exec, stack + stack_size, CLONE_VM | CLONE_VFORK | SIGCHLD, &a);
  int clone_err = errno;
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  free(stack);
  if (pid < 0) return -clone_err;
  if (a.err != 0) {
    /* the child has exited already (CLONE_VFORK waited for that): reap it here, it is nobody else's */
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {
    }
    return a.step == 1 ? -(JOIN_FAILED + a.err) : -a.err;
  }
  return pid;
}

/*
 * Spawning without waiting for the exec. A vfork child borrows its parent's thread until it has exec'd:
 * procinit's only JS thread waited each time until the kernel had scheduled the child and the exec was
 * done (0.1-0.35 ms on a quiet machine, 1.5-3.6 ms at load 3-8, times ten programs at a start). Here the
 * child is cloned with CLONE_VM but without CLONE_VFORK, so it execs on the other core while JS goes on
 * (the next program). Sharing memory with a running parent is safe only because the child touches
 * nothing of the parent's: it runs on a stack of its own and makes raw system calls only (glibc's
 * wrappers write errno, which lives in the parent thread's TLS, and a child without CLONE_SETTLS shares
 * that). What it reads (the strings, fds, its stack) stays allocated until the kernel has cleared `alive`
 * (CLONE_CHILD_CLEARTID: done when the child's memory is released, at its exec or its exit).
 *
 * An exec failure would arrive after the pid was handed out, where the vfork path returns minus errno
 * synchronously (and the caller falls back to the shell or child_process, whose messages are the
 * reference). So this path is taken only when the exec is known to work (exec_looks_fine: the file is a
 * native ELF, or a #! script whose interpreter is one, executable, the directory searchable, argv and env
 * well under the kernel's limits); anything else takes the vfork path as before. A failure that still
 * happens (the file removed in between) is kept here and told by spawnFailure(pid) once the reaper has
 * collected the child's exit 127.
 */
#if defined(__x86_64__) /* the only architecture this was run on; others keep the vfork path */
#define ASYNC_SPAWN 1
#include <elf.h>
#include <sys/syscall.h>

static inline long raw_syscall(long n, long a, long b, long c, long d) {
  long ret;
  register long r10 __asm__("r10") = d;
  __asm__ volatile("syscall" : "=a"(ret) : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10) : "rcx", "r11", "memory");
  return ret;
}

/* The kernel's struct sigaction (rt_sigaction), not glibc's. */
struct kernel_sigaction {
  void *handler;
  unsigned long flags;
  void *restorer;
  unsigned long mask;
};

#define ASYNC_STACK (16 * 1024)

struct async_req {
  struct async_req *next;
  volatile int alive; /* nonzero until the child has exec'd or exited (CLONE_CHILD_CLEARTID zeroes it) */
  pid_t pid;
  char *file, *cwd;
  char **args, **envp;
  int32_t fds[3];
  int mask;
  volatile int err; /* the child's errno when a step failed (it then exits 127) */
  struct kernel_sigaction dfl;
  unsigned long none;
  char stack[ASYNC_STACK] __attribute__((aligned(16)));
};

static struct async_req *pending; /* only the JS thread touches the list */

/* Runs in the child on r->stack, sharing procinit's memory: raw system calls only, never returns. */
__attribute__((optimize("no-stack-protector"))) static int async_child(void *p) {
  struct async_req *r = p;
  long e = raw_syscall(SYS_setsid, 0, 0, 0, 0); /* first: the group exists as soon as possible for a stop */
  if (e < 0) goto fail;
  for (long sig = 1; sig <= 64; sig++) {
    if (sig != SIGKILL && sig != SIGSTOP) raw_syscall(SYS_rt_sigaction, sig, (long)&r->dfl, 0, sizeof r->none);
  }
  for (long i = 0; i < 3; i++) {
    if (r->fds[i] == i) {
      e = raw_syscall(SYS_fcntl, i, F_GETFD, 0, 0);
      if (e < 0 || (e = raw_syscall(SYS_fcntl, i, F_SETFD, e & ~FD_CLOEXEC, 0)) < 0) goto fail;
    } else if ((e = raw_syscall(SYS_dup3, r->fds[i], i, 0, 0)) < 0) {
      goto fail;
    }
  }
  if ((e = raw_syscall(SYS_chdir, (long)r->cwd, 0, 0, 0)) < 0) goto fail;
  if (r->mask >= 0) raw_syscall(SYS_umask, r->mask, 0, 0, 0);
  raw_syscall(SYS_rt_sigprocmask, SIG_SETMASK, (long)&r->none, 0, sizeof r->none);
  e = raw_syscall(SYS_execve, (long)r->file, (long)r->args, (long)r->envp, 0);
fail:
  r->err = e < 0 ? (int)-e : EIO;
  for (;;) raw_syscall(SYS_exit, 127, 0, 0, 0);
  return 0;
}

static void async_free(struct async_req *r) {
  free(r->file);
  free(r->cwd);
  free_strings(r->args);
  free_strings(r->envp);
  free(r);
}

/* Drop a request left for pid: its child was reaped long ago, since the kernel gave its pid to a new one. */
static void async_forget(pid_t pid) {
  for (struct async_req **pp = &pending; *pp; pp = &(*pp)->next) {
    if ((*pp)->pid != pid) continue;
    struct async_req *r = *pp;
    *pp = r->next;
    async_free(r);
    return;
  }
}

/* Free every request whose child has exec'd (or died without a failure to tell). */
static void async_sweep(void) {
  for (struct async_req **pp = &pending; *pp;) {
    struct async_req *r = *pp;
    if (__atomic_load_n(&r->alive, __ATOMIC_ACQUIRE) == 0 && r->err == 0) {
      *pp = r->next;
      async_free(r);
    } else {
      pp = &r->next;
    }
  }
}

/* A native ELF executable whose program interpreter (ld.so) exists: 1, else 0. */
static int elf_runs(int fd, const unsigned char *buf, ssize_t n) {
  if (n < (ssize_t)sizeof(Elf64_Ehdr) || buf[EI_CLASS] != ELFCLASS64 || buf[EI_DATA] != ELFDATA2LSB) return 0;
  Elf64_Ehdr eh;
  memcpy(&eh, buf, sizeof eh);
  if (eh.e_machine != EM_X86_64) return 0;
  if ((eh.e_type != ET_EXEC && eh.e_type != ET_DYN) || eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum > 64) return 0;
  Elf64_Phdr phs[64];
  size_t size = eh.e_phnum * sizeof phs[0];
  if (pread(fd, phs, size, (off_t)eh.e_phoff) != (ssize_t)size) return 0;
  for (unsigned i = 0; i < eh.e_phnum; i++) {
    const Elf64_Phdr *ph = &phs[i];
    if (ph->p_type != PT_INTERP) continue;
    char interp[256];
    if (ph->p_filesz < 2 || ph->p_filesz > sizeof interp || pread(fd, interp, ph->p_filesz, (off_t)ph->p_offset) != (ssize_t)ph->p_filesz) return 0;
    if (interp[ph->p_filesz - 1] != '\0' || interp[0] != '/') return 0;
    return access(interp, X_OK) == 0;
  }
  return 1; /* static */
}

/* path is executable by us: a native ELF (depth 0), or a #! script whose interpreter is one. */
static int runs(const char *path, int depth) {
  if (access(path, X_OK) != 0) return 0;
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) return 0;
  unsigned char buf[256];
  struct stat st;
  ssize_t n = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) ? pread(fd, buf, sizeof buf, 0) : -1;
  int ok = 0;
  if (n >= 4 && memcmp(buf, ELFMAG, SELFMAG) == 0) {
    ok = elf_runs(fd, buf, n);
  } else if (n >= 3 && depth == 0 && buf[0] == '#' && buf[1] == '!') {
    /* the kernel's reading (binfmt_script): blanks, the interpreter up to a blank or the end of the line */
    ssize_t i = 2;
    while (i < n && (buf[i] == ' ' || buf[i] == '\t')) i++;
    ssize_t start = i;
    while (i < n && buf[i] != ' ' && buf[i] != '\t' && buf[i] != '\n' && buf[i] != '\0') i++;
    if (i < n && i > start && buf[start] == '/') { /* the whole name within the buffer, absolute */
      char interp[256];
      memcpy(interp, buf + start, (size_t)(i - start));
      interp[i - start] = '\0';
      ok = runs(interp, 1);
    }
  }
  close(fd);
  return ok;
}

/* Room the kernel gives argv + env (MAX_ARG_STRLEN per string; the total is checked by exec against a
 * quarter of the stack limit, at least 128 kB): stay well inside both. */
static int args_fit(char **args, char **envp) {
  size_t total = 0;
  char **lists[2] = {args, envp};
  for (int l = 0; l < 2; l++) {
    for (char **p = lists[l]; *p; p++) {
      size_t len = strlen(*p) + 1;
      if (len > 32 * 4096) return 0;
      total += len + sizeof(char *);
    }
  }
  return total < 100 * 1024;
}

static int exec_looks_fine(const char *file, const char *cwd, char **args, char **envp) {
  struct stat st;
  if (stat(cwd, &st) != 0 || !S_ISDIR(st.st_mode) || access(cwd, X_OK) != 0) return 0;
  if (!args_fit(args, envp)) return 0;
  /* a relative file is found from cwd by the exec (after the child's chdir) */
  if (file[0] != '/') {
    char path[4096];
    if (snprintf(path, sizeof path, "%s/%s", cwd, file) >= (int)sizeof path) return 0;
    return runs(path, 0);
  }
  return runs(file, 0);
}

/* Clone the child without waiting for its exec: its pid, or minus errno when clone failed. Takes the strings
 * (freed here on failure, else once the child has exec'd). */
static int spawn_async(char *file, char **args, char **envp, char *cwd, const int32_t fds[3], int mask) {
  async_sweep();
  struct async_req *r = malloc(sizeof *r);
  if (!r) return -ENOMEM;
  memset(r, 0, offsetof(struct async_req, stack));
  r->alive = 1;
  r->file = file;
  r->cwd = cwd;
  r->args = args;
  r->envp = envp;
  memcpy(r->fds, fds, sizeof r->fds);
  r->mask = mask;
  r->dfl.handler = SIG_DFL;
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old); /* no handler of Node's may run in the child */
  pid_t pid = clone(async_child, r->stack + ASYNC_STACK, CLONE_VM | CLONE_CHILD_CLEARTID | SIGCHLD, r, NULL, NULL, &r->alive);
  int clone_err = errno;
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  if (pid < 0) {
    async_free(r);
    return -clone_err;
  }
  async_forget(pid);
  r->pid = pid;
  r->next = pending;
  pending = r;
  return pid;
}

/* spawnFailure(pid): 0, or minus the errno of a spawn that failed after spawn() returned its pid (then the
 * child exited 127 without running the program). Asked once the reaper has collected the child. */
napi_value spawn_failure(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t pid = 0;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 1 || napi_get_value_int32(env, argv[0], &pid) != napi_ok) pid = 0;
  int err = 0;
  for (struct async_req **pp = &pending; *pp; pp = &(*pp)->next) {
    struct async_req *r = *pp;
    if (r->pid != pid || __atomic_load_n(&r->alive, __ATOMIC_ACQUIRE) != 0) continue;
    err = r->err;
    *pp = r->next;
    async_free(r);
    break;
  }
  async_sweep();
  napi_value result;
  napi_create_int32(env, -err, &result);
  return result;
}
#else
napi_value spawn_failure(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value result;
  napi_create_int32(env, 0, &result);
  return result;
}
#endif

/* An optional JS array of fds: how many; -1 when it is not an array of non-negative int32s. */
static int fd_list(napi_env env, napi_value arr, int **out) {
  uint32_t n;
  if (napi_get_array_length(env, arr, &n) != napi_ok || n > 16) return -1;
  *out = calloc(n + 1, sizeof **out);
  if (!*out) return -1;
  for (uint32_t i = 0; i < n; i++) {
    napi_value v;
    int32_t fd;
    if (napi_get_element(env, arr, i, &v) != napi_ok || napi_get_value_int32(env, v, &fd) != napi_ok || fd < 0) return -1;
    (*out)[i] = fd;
  }
  return (int)n;
}

napi_value spawn_direct(napi_env env, napi_callback_info info) {
  size_t argc = 9;
  napi_value argv[9];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 7) {
    napi_throw_type_error(env, NULL, "spawn(file, argv, env, cwd, stdin, stdout, stderr)");
    return NULL;
  }
  int32_t fds[3];
  for (int i = 0; i < 3; i++) {
    if (napi_get_value_int32(env, argv[4 + i], &fds[i]) != napi_ok || fds[i] < 0) {
      napi_throw_type_error(env, NULL, "spawn: stdin, stdout and stderr must be file descriptors");
      return NULL;
    }
  }
  int *join = NULL;
  int njoin = 0;
  if (argc >= 8) {
    napi_valuetype t;
    napi_typeof(env, argv[7], &t);
    if (t != napi_undefined && t != napi_null && (njoin = fd_list(env, argv[7], &join)) < 0) {
      free(join);
      napi_throw_type_error(env, NULL, "spawn: joinFds must be an array of at most 16 file descriptors");
      return NULL;
    }
  }
  int32_t mask = -1;
  if (argc >= 9) {
    napi_valuetype t;
    napi_typeof(env, argv[8], &t);
    if (t != napi_undefined && t != napi_null && (napi_get_value_int32(env, argv[8], &mask) != napi_ok || mask < 0 || mask > 0777)) {
      free(join);
      napi_throw_type_error(env, NULL, "spawn: umask must be an integer from 0 to 0o777");
      return NULL;
    }
  }
  char *file = string_arg(env, argv[0]);
  char *cwd = string_arg(env, argv[3]);
  char **args = string_array(env, argv[1]);
  char **envp = string_array(env, argv[2]);
  int err = 0, async = 0;
  pid_t pid = -1;
  if (!file || !cwd || !args || !envp) {
    err = ENOMEM;
#ifdef ASYNC_SPAWN
  } else if (njoin == 0 && getenv("PROCINIT_SPAWN_WAIT") == NULL && exec_looks_fine(file, cwd, args, envp)) {
    int r = spawn_async(file, args, envp, cwd, fds, mask);
    async = 1;
    file = cwd = NULL; /* the request owns them now */
    args = envp = NULL;
    if (r < 0) err = -r;
    else pid = r;
#endif
  } else if (njoin > 0 || mask >= 0) {
    /* posix_spawn has no umask action: a umask takes the clone path too */
    int r = spawn_joined(file, args, envp, cwd, fds, join, (uint32_t)njoin, mask);
    if (r < 0) err = -r;
    else pid = r;
  } else {
    posix_spawnattr_t attr;
    posix_spawn_file_actions_t actions;
    sigset_t all, none;
    sigfillset(&all);
    sigemptyset(&none);
    posix_spawnattr_init(&attr);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
    posix_spawnattr_setsigdefault(&attr, &all);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawn_file_actions_init(&actions);
    for (int i = 0; i < 3; i++) posix_spawn_file_actions_adddup2(&actions, fds[i], i);
    posix_spawn_file_actions_addchdir_np(&actions, cwd);
    err = posix_spawn(&pid, file, &actions, &attr, args, envp);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
  }
  free(join);
  free(file);
  free(cwd);
  free_strings(args);
  free_strings(envp);
#ifdef ASYNC_SPAWN
  if (!err && !async) async_forget(pid); /* a failure left by an earlier child with this pid is not this one's */
#endif
  napi_value result;
  napi_create_int32(env, err ? -err : pid, &result);
  return result;
}
