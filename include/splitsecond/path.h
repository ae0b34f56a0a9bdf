/* splitsecond path library: learn within milliseconds that a connection's path is gone, and
 * retry with bounded, jittered backoff. C API (C99), usable from C, C++ and through any FFI.
 *
 *   ss_path_watcher *w = ss_path_watcher_new(NULL, on_change, ctx);
 *   ss_path_watch_socket(w, sock);            // tell me when its source address goes away
 *   poll {sock, ss_path_watcher_fd(w)} with ss_path_watcher_timeout_ms(w);
 *   ss_path_watcher_process(w);               // calls on_change for what is due
 *
 * The watcher reads rtnetlink (address, link and route changes) in the caller's network
 * namespace; it never blocks and starts no thread. See docs/library.md. */
#ifndef SPLITSECOND_PATH_H
#define SPLITSECOND_PATH_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Only these functions are exported from the shared library. */
#if defined(SS_PATH_BUILDING) && defined(__GNUC__)
#define SS_PATH_API __attribute__((visibility("default")))
#else
#define SS_PATH_API
#endif

#define SS_PATH_VERSION_MAJOR 0
#define SS_PATH_VERSION_MINOR 1

/* ---- path changes ---- */

typedef enum ss_path_kind {
  SS_PATH_SOURCE_LOST = 1,           /* a watched socket's local address went away */
  SS_PATH_ADDRESS_REMOVED = 2,       /* an address was removed (or went with its link) */
  SS_PATH_ADDRESS_ADDED = 3,         /* an address was added */
  SS_PATH_DEFAULT_ROUTE_CHANGED = 4, /* a route to 0/0, 0/1 or 128/1 (::/0, ::/1, 8000::/1),
                                        in any table, was added or removed */
  SS_PATH_TUNNEL_CHANGED = 5,        /* a tunnel interface (tun, wireguard, ppp, ip tunnels)
                                        appeared, went away, went up or down */
  SS_PATH_EVENTS_LOST = 6            /* the kernel dropped notifications (receive buffer
                                        overrun): check your connections */
} ss_path_kind;

typedef struct ss_path_event {
  ss_path_kind kind;
  int family;          /* AF_INET or AF_INET6; 0 for a link */
  char address[46];    /* the address, or the route's destination, as text; "" if none */
  int prefix_len;      /* of the address or the route */
  int ifindex;         /* the interface; 0 if unknown */
  char ifname[16];     /* its name; "" if unknown */
  int present;         /* 1: added / up; 0: removed / down / gone */
  int fd;              /* SS_PATH_SOURCE_LOST: the watched socket; -1 otherwise */
  int64_t detected_ns; /* CLOCK_MONOTONIC when the library read the change */
} ss_path_event;

typedef void (*ss_path_callback)(const ss_path_event* event, void* user);

typedef struct ss_path_options {
  /* 0 (default): every change is delivered as soon as it is read. Otherwise changes are held
   * until none has arrived for debounce_ms (a burst is delivered once, duplicates merged), but
   * never longer than max_delay_ms after the first of the burst. */
  uint32_t debounce_ms;
  uint32_t max_delay_ms; /* 0: four times debounce_ms */
  /* 1 (default): SS_PATH_SOURCE_LOST is delivered at once even when debouncing. */
  int source_lost_immediate;
} ss_path_options;

typedef struct ss_path_watcher ss_path_watcher;

SS_PATH_API void ss_path_options_init(ss_path_options* options);
/* NULL options: the defaults. Returns NULL with errno set on failure. */
SS_PATH_API ss_path_watcher* ss_path_watcher_new(const ss_path_options* options,
                                                 ss_path_callback callback, void* user);
SS_PATH_API void ss_path_watcher_free(ss_path_watcher* watcher);
/* The descriptor to poll for reading. */
SS_PATH_API int ss_path_watcher_fd(const ss_path_watcher* watcher);
/* Milliseconds until held changes are due (poll's timeout), -1 when none are held. */
SS_PATH_API int ss_path_watcher_timeout_ms(const ss_path_watcher* watcher);
/* Reads what the kernel sent and calls the callback for every change that is due. Never
 * blocks. Returns the number of callbacks made, or -errno. */
SS_PATH_API int ss_path_watcher_process(ss_path_watcher* watcher);
/* Convenience: poll the watcher's fd up to timeout_ms (-1: forever), then process. */
SS_PATH_API int ss_path_watcher_wait(ss_path_watcher* watcher, int timeout_ms);
/* Watch a connected socket: SS_PATH_SOURCE_LOST when its local address goes away. Returns 0
 * or -errno (getsockname's). A socket is watched until unwatched or reported lost once. */
SS_PATH_API int ss_path_watch_socket(ss_path_watcher* watcher, int fd);
SS_PATH_API int ss_path_unwatch_socket(ss_path_watcher* watcher, int fd);

/* ---- backoff ---- */

typedef enum ss_jitter {
  SS_JITTER_NONE = 0,         /* min(max, initial * multiplier^n) */
  SS_JITTER_FULL = 1,         /* uniform(0, min(max, initial * multiplier^n)) */
  SS_JITTER_DECORRELATED = 2, /* min(max, uniform(initial, 3 * previous)) */
  SS_JITTER_PROPORTIONAL = 3  /* gRPC's: min(max, initial * multiplier^n) * (1 +- fraction) */
} ss_jitter;

typedef struct ss_backoff_options {
  uint32_t initial_ms;    /* default 1000 (gRPC: INITIAL_BACKOFF 1 s) */
  double multiplier;      /* default 1.6 (gRPC: MULTIPLIER 1.6) */
  uint32_t max_ms;        /* default 120000 (gRPC: MAX_BACKOFF 120 s) */
  ss_jitter jitter;       /* default SS_JITTER_FULL (gRPC: PROPORTIONAL with 0.2) */
  double jitter_fraction; /* SS_JITTER_PROPORTIONAL only; default 0.2 (gRPC: JITTER 0.2) */
  uint64_t seed;          /* 0: seeded from getrandom(); anything else: a reproducible run */
} ss_backoff_options;

typedef struct ss_backoff {
  ss_backoff_options options;
  double current_ms; /* the un-jittered delay of the next attempt */
  double previous_ms;
  uint64_t rng;
  uint32_t attempts;
} ss_backoff;

SS_PATH_API void ss_backoff_options_init(ss_backoff_options* options);
/* NULL options: the defaults. */
SS_PATH_API void ss_backoff_init(ss_backoff* backoff, const ss_backoff_options* options);
/* The delay before the next attempt, in milliseconds. */
SS_PATH_API uint32_t ss_backoff_next_ms(ss_backoff* backoff);
/* After a success: the next failure starts again from initial_ms. */
SS_PATH_API void ss_backoff_reset(ss_backoff* backoff);

#ifdef __cplusplus
}
#endif

#endif /* SPLITSECOND_PATH_H */
