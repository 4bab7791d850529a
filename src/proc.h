/* proc: run a command and capture what it prints (for credential_process).
 *
 * The command runs as `/bin/sh -c command` in a session (and process group)
 * of its own, with stdin from /dev/null, stdout and stderr on two pipes, the
 * caller's environment unchanged, default signal dispositions and an empty
 * signal mask, and no file descriptor of the caller's other than 0, 1 and 2.
 * Both pipes are read together (poll), so a command that fills one of them
 * never blocks on it.
 *
 * The child is always reaped (waitpid on its pid, never on -1), on every path.
 * SIGCHLD is blocked in the calling thread while the command runs, so that a
 * SIGCHLD handler of the caller's (nginx has one that calls waitpid(-1, ...))
 * does not run then and cannot take the exit status; a SIGCHLD that arrived
 * meanwhile is delivered when the mask is restored, as usual.  If a handler
 * in another thread reaps the child anyway, or SIGCHLD is ignored, the exit
 * status is lost and proc_run fails ("ProcessError").
 *
 * Linux and other POSIX systems; the child closes the caller's descriptors
 * with close_range(2) where the kernel has it, one by one up to the
 * RLIMIT_NOFILE limit where it does not. */
#ifndef OMICS_PROC_H
#define OMICS_PROC_H

#include <stddef.h>

#include "buf.h"
#include "omics.h"

/* Internal: never exported, whatever the compiler's default visibility. */
#pragma GCC visibility push(hidden)

/* Run command.  out and errout are reset, then receive the command's stdout
 * and stderr; each may hold at most max_output bytes: when the command writes
 * more to either, its process group is killed and proc_run fails.  After
 * timeout_seconds (<= 0: no limit) from the start, the whole process group is
 * killed (SIGKILL) and proc_run fails.  The time counts until both pipes are
 * closed and the shell has exited: a background child that keeps stdout open
 * keeps the command running.
 *
 * Returns 0 when the command ran to its end, with *exit_status its exit code,
 * or 128 + the signal's number when a signal ended it (a command not found
 * is the shell's exit code 127).  Returns -1 with err otherwise, kind
 * OMICS_ECREDENTIALS, code "ProcessTimeout" (the timeout) or "ProcessError"
 * (cannot start it, output too large, the exit status lost), or OMICS_EMEMORY;
 * out and errout then hold what had been read.  OMICS_EUSAGE for a NULL
 * argument or out == errout. */
int proc_run(const char *command, double timeout_seconds, size_t max_output, buf *out,
             buf *errout, int *exit_status, omics_error *err);

#pragma GCC visibility pop

#endif
