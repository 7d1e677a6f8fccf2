// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * daemon.c - run --daemon and --pid-file: one fork, a new session, / as the
 * working folder, stdin from /dev/null. stdout and stderr stay the caller's
 * until the daemon is ready, so that its start-up errors reach the caller;
 * a pipe tells the caller when that is, or that the daemon is gone.
 */
#define _GNU_SOURCE	/* asprintf, pipe2 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "cmds.h"
#include "daemon.h"
#include "log.h"

static int ready_fd = -1;		/* the daemon's end of the pipe to its caller */
static int pid_fd = -1;			/* the pid file, locked for this process's life */
static char pid_path[PATH_MAX];		/* its path, "" if none */

/* The command name of /proc/WHO ("tc_flowmon_user"); "" if there is none or it is a zombie. */
static void proc_comm(const char *who, char *buf, size_t len)
{
	char path[64], stat[512], *paren;
	FILE *f;

	buf[0] = '\0';
	/* "PID (COMM) STATE ...": an exited process not yet reaped runs nothing */
	snprintf(path, sizeof(path), "/proc/%s/stat", who);
	f = fopen(path, "r");
	if (!f)
		return;
	paren = fgets(stat, sizeof(stat), f) ? strrchr(stat, ')') : NULL;
	fclose(f);
	if (!paren || paren[1] != ' ' || paren[2] == 'Z')
		return;
	snprintf(path, sizeof(path), "/proc/%s/comm", who);
	f = fopen(path, "r");
	if (!f)
		return;
	if (!fgets(buf, (int)len, f))
		buf[0] = '\0';
	fclose(f);
}

bool daemon_runs_us(long pid)
{
	char who[32], comm[64], self[64];

	snprintf(who, sizeof(who), "%ld", pid);
	proc_comm(who, comm, sizeof(comm));
	proc_comm("self", self, sizeof(self));
	return comm[0] && !strcmp(comm, self);
}

/*
 * The pid the file names if that process runs this program, else 0: a
 * stale file (the daemon was killed) or a pid reused by another program
 * does not keep a daemon from starting.
 */
static long running_pid(const char *pid_file)
{
	char line[32] = "";
	char *end;
	long pid;
	FILE *f;

	f = fopen(pid_file, "r");
	if (!f)
		return 0;
	if (!fgets(line, sizeof(line), f))
		line[0] = '\0';
	fclose(f);
	pid = strtol(line, &end, 10);
	if (pid <= 0 || (*end && *end != '\n') || pid == getpid())
		return 0;
	return daemon_runs_us(pid) ? pid : 0;
}

/* A relative path as the user meant it: from where the daemon was started, not /. */
static int absolute(const char **path, const char *cwd)
{
	char *p;

	if (!*path || **path == '/' || !strcmp(*path, "-"))
		return 0;
	if (asprintf(&p, "%s/%s", cwd, *path) < 0)
		return -ENOMEM;
	*path = p;	/* options live as long as the process */
	return 0;
}

static int absolute_paths(struct flowmon_opts *o)
{
	char cwd[PATH_MAX], map[sizeof(o->map_path)];
	int i, err = 0;

	if (!getcwd(cwd, sizeof(cwd)))
		return -errno;
	err |= absolute(&o->dump_dir, cwd);
	err |= absolute(&o->log_file, cwd);
	err |= absolute(&o->out_file, cwd);
	err |= absolute(&o->obj_path, cwd);
	err |= absolute(&o->pid_file, cwd);
	for (i = 0; i < o->n_plugins; i++)
		err |= absolute(&o->plugins[i], cwd);
	if (err)
		return -ENOMEM;
	if (o->map_path[0] != '/') {
		if (snprintf(map, sizeof(map), "%s/%s", cwd, o->map_path) >= (int)sizeof(map))
			return -ENAMETOOLONG;
		memcpy(o->map_path, map, sizeof(map));
	}
	return 0;
}

/* The caller: 0 once the daemon is ready, else its exit status (it said why on stderr). */
static int wait_ready(int fd, pid_t pid)
{
	ssize_t n;
	int status;
	char c;

	do
		n = read(fd, &c, 1);
	while (n < 0 && errno == EINTR);
	close(fd);
	if (n == 1)
		return 0;
	if (waitpid(pid, &status, 0) < 0) {
		fprintf(stderr, "failed to start daemon: %s\n", strerror(errno));
		return 1;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		fprintf(stderr, "failed to start daemon: killed by signal %d\n", WTERMSIG(status));
	else
		fprintf(stderr, "failed to start daemon: it exited before it was ready\n");
	return 1;
}

/* Is someone holding path's lock (a daemon, running or starting)? */
static bool pid_file_held(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	bool held;

	if (fd < 0)
		return false;
	held = flock(fd, LOCK_SH | LOCK_NB) && errno == EWOULDBLOCK;
	close(fd);
	return held;
}

/*
 * Take the pid file: opened and locked before anything else, the lock held
 * for the run (a fork shares it), so two starts on one file cannot both
 * pass, and a file nobody holds is stale whatever it says. 0, or 1 after
 * one line.
 */
static int pid_file_take(const char *path)
{
	long pid;

	pid_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (pid_fd < 0) {
		fprintf(stderr, "failed to open pid file %s: %s\n", path, strerror(errno));
		return 1;
	}
	if (!flock(pid_fd, LOCK_EX | LOCK_NB)) {
		snprintf(pid_path, sizeof(pid_path), "%s", path);
		return 0;
	}
	pid = errno == EWOULDBLOCK ? running_pid(path) : 0;
	if (pid)
		fprintf(stderr, "failed to start daemon: pid file %s names running pid %ld\n",
			path, pid);
	else
		fprintf(stderr, "failed to lock pid file %s: %s\n", path, errno == EWOULDBLOCK ?
			"a daemon holds it while it starts" : strerror(errno));
	close(pid_fd);
	pid_fd = -1;
	return 1;
}

int daemon_start(struct flowmon_opts *o)
{
	int fds[2], err;
	long pid;

	if (o->pid_file && pid_file_take(o->pid_file))
		return 1;
	if (!o->daemon)
		return -1;
	err = absolute_paths(o);
	if (err) {
		fprintf(stderr, "failed to start daemon: %s\n", strerror(-err));
		return 1;
	}
	fflush(NULL);	/* nothing buffered is written twice */
	if (pipe2(fds, O_CLOEXEC) || (pid = fork()) < 0) {
		fprintf(stderr, "failed to start daemon: %s\n", strerror(errno));
		return 1;
	}
	if (pid > 0) {
		close(fds[1]);
		return wait_ready(fds[0], (pid_t)pid);
	}
	close(fds[0]);
	ready_fd = fds[1];
	/* no controlling terminal, no folder kept busy, nothing read from the caller */
	if (setsid() < 0 || chdir("/") || !freopen("/dev/null", "r", stdin)) {
		fprintf(stderr, "failed to detach daemon: %s\n", strerror(errno));
		daemon_exit();
		return 1;
	}
	return -1;
}

static int write_pid_file(const char *path)
{
	char line[32];
	int n, err = 0;

	/* into the file this process locked (pid_file_take), never a new one */
	n = snprintf(line, sizeof(line), "%d\n", (int)getpid());
	if (pid_fd < 0)
		err = -EBADF;
	else if (ftruncate(pid_fd, 0) || pwrite(pid_fd, line, (size_t)n, 0) != n)
		err = errno ? -errno : -EIO;
	if (err) {
		pr_err("failed to write pid file %s: %s\n", path, strerror(-err));
		return err;
	}
	return 0;
}

int daemon_ready(const struct flowmon_opts *o)
{
	int err, fd;

	if (o->pid_file) {
		err = write_pid_file(o->pid_file);
		if (err)
			return err;
	}
	if (ready_fd < 0)
		return 0;
	/* the caller's terminal or pipe is let go: messages go to the -l file only */
	fflush(NULL);
	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd >= 0) {
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		close(fd);
	}
	if (write(ready_fd, "", 1) != 1)
		pr_verbose("the caller of the daemon is gone\n");
	close(ready_fd);
	ready_fd = -1;
	return 0;
}

/*
 * The file we hold goes, written or not (a daemon that failed to start
 * leaves none), but not one put at its path since.
 */
void daemon_exit(void)
{
	struct stat ours, there;

	if (pid_fd < 0)
		return;
	if (!fstat(pid_fd, &ours) && !stat(pid_path, &there) && ours.st_dev == there.st_dev &&
	    ours.st_ino == there.st_ino)
		unlink(pid_path);
	close(pid_fd);
	pid_fd = -1;
	pid_path[0] = '\0';
}

/*
 * stop: SIGTERM, then wait until the daemon is gone: it writes its open
 * flows and removes its pid file first. One that is still there after
 * --timeout is killed; its open flows stay in the table.
 */
/* The pid of a daemon that holds the file but has not written it yet: wait for it. */
static long starting_pid(const struct flowmon_opts *o)
{
	unsigned int i;
	long pid = 0;

	for (i = 0; !pid && i < o->stop_timeout * 10 && pid_file_held(o->pid_file); i++) {
		usleep(100000);
		pid = running_pid(o->pid_file);
	}
	return pid;
}

int cmd_stop(const struct flowmon_opts *o)
{
	long pid = running_pid(o->pid_file);
	unsigned int i;

	if (!pid && pid_file_held(o->pid_file)) {
		pid = starting_pid(o);
		if (!pid) {
			pr_err("failed to stop daemon: pid file %s is held by a daemon that "
			       "did not get ready in %u s\n", o->pid_file, o->stop_timeout);
			return 1;
		}
	}
	if (!pid) {
		pr_info("no daemon running (pid file %s)\n", o->pid_file);
		if (unlink(o->pid_file) && errno != ENOENT)
			pr_verbose("failed to remove stale pid file %s: %s\n", o->pid_file,
				   strerror(errno));
		return 0;
	}
	/* ESRCH: it exited between the look and the signal, as asked */
	if (kill((pid_t)pid, SIGTERM) && errno != ESRCH) {
		pr_err("failed to stop daemon (pid %ld): %s\n", pid, strerror(errno));
		return 1;
	}
	for (i = 0; daemon_runs_us(pid); i++) {
		if (i == o->stop_timeout * 10) {
			kill((pid_t)pid, SIGKILL);
			unlink(o->pid_file);
			pr_err("failed to stop daemon (pid %ld): not gone after %u s, killed: its "
			       "open flows stay in the table\n", pid, o->stop_timeout);
			return 1;
		}
		usleep(100000);
	}
	pr_info("stopped daemon (pid %ld)\n", pid);
	return 0;
}
