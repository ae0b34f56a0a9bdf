/* reconnect_client: a TCP client that reconnects within milliseconds when the path of its
 * connection goes away (splitsecond path library, include/splitsecond/path.h).
 *
 *   reconnect_client HOST PORT [RECONNECTS]
 *
 * It connects, asks the library to watch the socket, and waits. When the socket's source
 * address disappears (a VPN's tunnel address, a Wi-Fi address) the callback fires; the client
 * closes the dead socket and connects again at once, over whatever path the kernel now picks.
 * A failed attempt waits for the backoff's next delay. The end of the connection (EOF or an
 * error) is handled the same way. It prints one JSON line per event, stamped with
 * CLOCK_MONOTONIC, and exits after RECONNECTS reconnections (default: never) or on SIGTERM. */
#define _GNU_SOURCE
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <splitsecond/path.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct client {
  const char *host, *port;
  int fd;
  int lost; /* set by the callback: reconnect now */
  ss_path_watcher* watcher;
  ss_backoff backoff;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig) {
  (void)sig;
  stop = 1;
}

static long long now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void local_text(int fd, char* out, size_t size) {
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;
  char host[NI_MAXHOST] = "?", serv[NI_MAXSERV] = "?";
  if (getsockname(fd, (struct sockaddr*)&ss, &len) == 0)
    getnameinfo((struct sockaddr*)&ss, len, host, sizeof host, serv, sizeof serv,
                NI_NUMERICHOST | NI_NUMERICSERV);
  snprintf(out, size, "%s:%s", host, serv);
}

/* One attempt: the connected socket, or -1 with errno. */
static int connect_once(const char* host, const char* port) {
  struct addrinfo hints = {0}, *res = NULL;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  int rc = getaddrinfo(host, port, &hints, &res);
  if (rc != 0) {
    errno = EHOSTUNREACH;
    return -1;
  }
  int fd = -1;
  for (struct addrinfo* ai = res; ai && fd < 0; ai = ai->ai_next) {
    fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
      int err = errno;
      close(fd);
      fd = -1;
      errno = err;
    }
  }
  freeaddrinfo(res);
  return fd;
}

static void on_path_change(const ss_path_event* e, void* user) {
  struct client* c = user;
  if (e->kind == SS_PATH_SOURCE_LOST && e->fd == c->fd) {
    printf(
        "{\"event\":\"source_lost\",\"address\":\"%s\",\"ifname\":\"%s\",\"detected_ns\":%lld,"
        "\"t_ns\":%lld}\n",
        e->address, e->ifname, (long long)e->detected_ns, now_ns());
    c->lost = 1;
  } else if (e->kind == SS_PATH_EVENTS_LOST) {
    c->lost = 1; /* changes were dropped: do not trust the old path */
  }
}

/* Connects until it works (or a signal), waiting the backoff's delay between failures. */
static int connect_with_backoff(struct client* c) {
  ss_backoff_reset(&c->backoff);
  while (!stop) {
    int fd = connect_once(c->host, c->port);
    if (fd >= 0) return fd;
    unsigned delay = ss_backoff_next_ms(&c->backoff);
    printf("{\"event\":\"connect_failed\",\"error\":\"%s\",\"retry_in_ms\":%u,\"t_ns\":%lld}\n",
           strerror(errno), delay, now_ns());
    /* The watcher keeps running meanwhile: a new address may make the next attempt work. */
    long long until = now_ns() + (long long)delay * 1000000LL;
    while (!stop && now_ns() < until) {
      int left = (int)((until - now_ns()) / 1000000LL) + 1;
      if (ss_path_watcher_wait(c->watcher, left) > 0) break; /* something changed: try now */
    }
  }
  return -1;
}

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s HOST PORT [RECONNECTS]\n", argv[0]);
    return 2;
  }
  struct client c;
  memset(&c, 0, sizeof c);
  c.host = argv[1];
  c.port = argv[2];
  c.fd = -1;
  long reconnects_left = argc > 3 ? strtol(argv[3], NULL, 10) : -1;
  setvbuf(stdout, NULL, _IOLBF, 0);
  signal(SIGTERM, on_signal);
  signal(SIGINT, on_signal);
  signal(SIGPIPE, SIG_IGN);

  c.watcher = ss_path_watcher_new(NULL, on_path_change, &c);
  if (!c.watcher) {
    fprintf(stderr, "reconnect_client: cannot watch the network: %s\n", strerror(errno));
    return 3;
  }
  ss_backoff_init(&c.backoff, NULL); /* gRPC's numbers, full jitter */

  c.fd = connect_with_backoff(&c);
  char local[128];
  if (c.fd >= 0) {
    local_text(c.fd, local, sizeof local);
    printf("{\"event\":\"connected\",\"local\":\"%s\",\"t_ns\":%lld}\n", local, now_ns());
    ss_path_watch_socket(c.watcher, c.fd);
  }
  while (!stop && c.fd >= 0) {
    struct pollfd p[2] = {{c.fd, POLLIN, 0}, {ss_path_watcher_fd(c.watcher), POLLIN, 0}};
    if (poll(p, 2, ss_path_watcher_timeout_ms(c.watcher)) < 0 && errno != EINTR) break;
    ss_path_watcher_process(c.watcher);
    if (p[0].revents) {
      char buf[4096];
      ssize_t n = recv(c.fd, buf, sizeof buf, MSG_DONTWAIT);
      if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
        printf("{\"event\":\"connection_ended\",\"error\":\"%s\",\"t_ns\":%lld}\n",
               n == 0 ? "EOF" : strerror(errno), now_ns());
        c.lost = 1;
      }
    }
    if (!c.lost) continue;
    c.lost = 0;
    ss_path_unwatch_socket(c.watcher, c.fd);
    close(c.fd);
    c.fd = connect_with_backoff(&c);
    if (c.fd < 0) break;
    local_text(c.fd, local, sizeof local);
    printf("{\"event\":\"reconnected\",\"local\":\"%s\",\"t_ns\":%lld}\n", local, now_ns());
    ss_path_watch_socket(c.watcher, c.fd);
    if (reconnects_left > 0 && --reconnects_left == 0) break;
  }
  if (c.fd >= 0) close(c.fd);
  ss_path_watcher_free(c.watcher);
  return 0;
}
