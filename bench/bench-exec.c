/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Side-by-side timing of programs, alternating between them in one run.
 *
 *   bench-exec helper N BRIDGE NAME=PATH NAME=PATH...
 *	each bridge helper N times, as QEMU drives it (socketpair, fork/exec
 *	"--use-vnet --fd=N --br=BRIDGE", recvmsg, then waitpid: QEMU waits for
 *	the helper to exit); time from fork to exit, the fd held until then;
 *	the tap is closed after, so the bridge keeps its size. "PATH ARG..."
 *	puts ARGs first (tapgate run's "--queues=4"); every fd of the reply
 *	is received and held likewise.
 *   bench-exec burst N K BRIDGE NAME=PATH NAME=PATH...
 *	N rounds of K calls of each helper at once (all forked, then all
 *	reaped); prints taps per second (the median round) instead of ms.
 *   bench-exec cmd N STDIN NAME='COMMAND'...
 *	each COMMAND (a program and its arguments, split at spaces, run
 *	directly as libvirt runs its hooks: no shell) N times with STDIN;
 *	time from fork to exit.
 *
 * Prints one line per program: NAME median_ms p99_ms max_rss_kib failures
 * (for burst: NAME median_taps_per_s lowest_round max_rss_kib failures).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <glib.h>

typedef struct {
	char *name;
	char *what;
	GArray *ms;	/* double */
	long maxrss;
	int failures;
} Prog;

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

#define MAX_FDS 256

/* Every fd of the reply into @fds; how many (0 on failure). */
static int recv_fds(int sock, int *fds)
{
	char buf[1], ctl[CMSG_SPACE(sizeof(int) * MAX_FDS)];
	struct iovec iov = { buf, 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
			      .msg_controllen = sizeof(ctl) };
	struct cmsghdr *c;

	if (recvmsg(sock, &msg, 0) != 1 || !(c = CMSG_FIRSTHDR(&msg)) ||
	    c->cmsg_type != SCM_RIGHTS)
		return 0;
	memcpy(fds, CMSG_DATA(c), c->cmsg_len - CMSG_LEN(0));
	return (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
}

static void close_fds(int *fds, int n)
{
	for (int i = 0; i < n; i++)
		close(fds[i]);
}

/* Fork and exec a helper as QEMU does; the socket to read the fd from. */
static pid_t start_helper(const Prog *p, const char *bridge, int *sock)
{
	char fdarg[32], brarg[64];
	int sv[2];
	pid_t pid;

	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	snprintf(fdarg, sizeof(fdarg), "--fd=%d", sv[1]);
	snprintf(brarg, sizeof(brarg), "--br=%s", bridge);
	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);
		g_auto(GStrv) words = g_strsplit(p->what, " ", -1);
		g_autoptr(GPtrArray) args = g_ptr_array_new();

		for (char **w = words; *w; w++)
			g_ptr_array_add(args, *w);
		g_ptr_array_add(args, "--use-vnet");
		g_ptr_array_add(args, fdarg);
		g_ptr_array_add(args, brarg);
		g_ptr_array_add(args, NULL);
		close(sv[0]);
		dup2(null, 2);
		execv(words[0], (char **)args->pdata);
		_exit(127);
	}
	close(sv[1]);
	*sock = sv[0];
	return pid;
}

/* Receive the fds, reap the helper; FALSE on any failure. */
static gboolean finish_helper(Prog *p, pid_t pid, int sock, int *fds, int *n)
{
	struct rusage ru;
	int status;

	*n = recv_fds(sock, fds);
	close(sock);
	wait4(pid, &status, 0, &ru);
	p->maxrss = MAX(p->maxrss, ru.ru_maxrss);
	return *n > 0 && WIFEXITED(status) && !WEXITSTATUS(status);
}

static void run_helper(Prog *p, const char *bridge)
{
	double t0 = now_ms(), t1;
	int sock, fds[MAX_FDS], n;
	pid_t pid = start_helper(p, bridge, &sock);
	gboolean ok = finish_helper(p, pid, sock, fds, &n);

	t1 = now_ms();
	if (ok)
		g_array_append_val(p->ms, (double){ t1 - t0 });
	else
		p->failures++;
	close_fds(fds, n);
}

/* K calls at once; one sample of taps per second. */
static void run_burst(Prog *p, int k, const char *bridge)
{
	g_autofree pid_t *pids = g_new(pid_t, k);
	g_autofree int *socks = g_new(int, k), *fds = g_new(int, k * MAX_FDS), *n = g_new(int, k);
	double t0 = now_ms(), t1;
	int failed = 0;

	for (int i = 0; i < k; i++)
		pids[i] = start_helper(p, bridge, &socks[i]);
	for (int i = 0; i < k; i++)
		failed += !finish_helper(p, pids[i], socks[i], fds + i * MAX_FDS, &n[i]);
	t1 = now_ms();
	for (int i = 0; i < k; i++)
		close_fds(fds + i * MAX_FDS, n[i]);
	if (failed)
		p->failures += failed;
	else
		g_array_append_val(p->ms, (double){ k * 1000.0 / (t1 - t0) });
}

static void run_cmd(Prog *p, const char *input)
{
	struct rusage ru;
	int status;
	double t0, t1;
	pid_t pid;

	t0 = now_ms();
	pid = fork();
	if (pid == 0) {
		int in = open(input, O_RDONLY), null = open("/dev/null", O_WRONLY);

		dup2(in, 0);
		dup2(null, 1);
		dup2(null, 2);
		g_auto(GStrv) args = g_strsplit(p->what, " ", -1);

		execvp(args[0], args);
		_exit(127);
	}
	wait4(pid, &status, 0, &ru);
	t1 = now_ms();
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		p->failures++;
	else
		g_array_append_val(p->ms, (double){ t1 - t0 });
	p->maxrss = MAX(p->maxrss, ru.ru_maxrss);
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	GPtrArray *progs = g_ptr_array_new();
	gboolean burst = argc > 1 && !strcmp(argv[1], "burst");
	int n, k = 0, first = 4;

	if (argc < 5 || (strcmp(argv[1], "helper") && strcmp(argv[1], "cmd") && !burst)) {
		fprintf(stderr, "usage: bench-exec helper|cmd N BRIDGE|STDIN NAME=WHAT...\n"
				"       bench-exec burst N K BRIDGE NAME=WHAT...\n");
		return 2;
	}
	n = atoi(argv[2]);
	if (burst) {
		k = atoi(argv[3]);
		first = 5;
	}
	for (int i = first; i < argc; i++) {
		Prog *p = g_new0(Prog, 1);
		char *eq = strchr(argv[i], '=');

		if (!eq)
			return 2;
		p->name = g_strndup(argv[i], (gsize)(eq - argv[i]));
		p->what = g_strdup(eq + 1);
		p->ms = g_array_new(FALSE, FALSE, sizeof(double));
		g_ptr_array_add(progs, p);
	}
	/* Alternate, so load and caches hit every program alike. */
	for (int it = 0; it < n; it++)
		for (guint i = 0; i < progs->len; i++) {
			Prog *p = g_ptr_array_index(progs, (i + (guint)it) % progs->len);

			if (burst)
				run_burst(p, k, argv[4]);
			else if (!strcmp(argv[1], "helper"))
				run_helper(p, argv[3]);
			else
				run_cmd(p, argv[3]);
		}
	for (guint i = 0; i < progs->len; i++) {
		Prog *p = g_ptr_array_index(progs, i);
		double med = 0, p99 = 0;

		if (p->ms->len) {
			g_array_sort(p->ms, cmp);
			med = g_array_index(p->ms, double, p->ms->len / 2);
			p99 = burst ? g_array_index(p->ms, double, 0)
				    : g_array_index(p->ms, double,
						    MIN(p->ms->len - 1, p->ms->len * 99 / 100));
		}
		printf("%s %.3f %.3f %ld %d\n", p->name, med, p99, p->maxrss, p->failures);
	}
	return 0;
}
