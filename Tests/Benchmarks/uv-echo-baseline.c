/*
 * The C baseline for the runtime's UDP echo benchmark: the same exchange as gossip-bench's "runtime" suite,
 * written against libuv directly, with nothing in between.
 *
 * One loop, two UDP sockets on 127.0.0.1 with OS-chosen ports. The echo socket sends every datagram back
 * to its source; the client keeps WINDOW datagrams of PAYLOAD bytes in flight and sends a new one for every
 * echo, until ROUND_TRIPS echoes have come back. Two figures, each the median of REPEATS runs, printed as
 * rows of gossip-bench's table: echoed datagrams per second of wall-clock time, and per second of the loop
 * thread's CPU time (steadier on a shared machine, where wall-clock time includes waiting for a core).
 *
 * Build and run (Tests/Benchmarks/run.sh does this):
 *   cc -O2 -o uv-echo-baseline uv-echo-baseline.c $(pkg-config --cflags --libs libuv) && ./uv-echo-baseline
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <uv.h>

enum { PAYLOAD = 64, WINDOW = 16, ROUND_TRIPS = 50000, REPEATS = 5, BUFFER = 65536 };

typedef struct {
    uv_udp_t echo;
    uv_udp_t client;
    uv_timer_t watchdog;
    struct sockaddr_storage echo_address;
    char echo_buffer[BUFFER];
    char client_buffer[BUFFER];
    char payload[PAYLOAD];
    long sent;
    long received;
    long received_at_last_check;
    uint64_t started_ns;
    uint64_t finished_ns;
    uint64_t started_cpu_ns;
    uint64_t finished_cpu_ns;
    int failed;
} bench_t;

/* Queued sends own a copy of their bytes until the callback, as in the runtime. */
typedef struct {
    uv_udp_send_t request;
    char bytes[];
} queued_send_t;

/* CPU time of the calling thread, in nanoseconds. */
static uint64_t thread_cpu_ns(void) {
    struct timespec now;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
    return (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
}

static void send_done(uv_udp_send_t *request, int status) {
    (void)status;
    free(request);
}

/* Tries the synchronous send first and queues a copy when the kernel would block: what the runtime does. */
static void send_datagram(uv_udp_t *socket, const char *bytes, size_t length, const struct sockaddr *to) {
    uv_buf_t buffer = uv_buf_init((char *)bytes, (unsigned)length);
    int status = uv_udp_try_send(socket, &buffer, 1, to);
    if (status >= 0) return;
    if (status != UV_EAGAIN) {
        fprintf(stderr, "uv-echo-baseline: send failed: %s\n", uv_strerror(status));
        return;
    }
    queued_send_t *queued = malloc(sizeof(queued_send_t) + length);
    if (queued == NULL) abort();
    memcpy(queued->bytes, bytes, length);
    buffer = uv_buf_init(queued->bytes, (unsigned)length);
    if (uv_udp_send(&queued->request, socket, &buffer, 1, to, send_done) != 0) free(queued);
}

static void allocate_echo(uv_handle_t *handle, size_t suggested, uv_buf_t *buffer) {
    (void)suggested;
    bench_t *bench = handle->data;
    *buffer = uv_buf_init(bench->echo_buffer, BUFFER);
}

static void allocate_client(uv_handle_t *handle, size_t suggested, uv_buf_t *buffer) {
    (void)suggested;
    bench_t *bench = handle->data;
    *buffer = uv_buf_init(bench->client_buffer, BUFFER);
}

static void echo_received(uv_udp_t *socket, ssize_t count, const uv_buf_t *buffer, const struct sockaddr *from, unsigned flags) {
    if (count < 0 || from == NULL || (flags & UV_UDP_PARTIAL)) return;
    send_datagram(socket, buffer->base, (size_t)count, from);
}

static void stop(bench_t *bench) {
    uv_udp_recv_stop(&bench->echo);
    uv_udp_recv_stop(&bench->client);
    uv_timer_stop(&bench->watchdog);
}

static void client_received(uv_udp_t *socket, ssize_t count, const uv_buf_t *buffer, const struct sockaddr *from, unsigned flags) {
    (void)buffer;
    (void)flags;
    if (count < 0 || from == NULL) return;
    bench_t *bench = socket->data;
    bench->received += 1;
    if (bench->received >= ROUND_TRIPS) {
        bench->finished_ns = uv_hrtime();
        bench->finished_cpu_ns = thread_cpu_ns();
        stop(bench);
    } else if (bench->sent < ROUND_TRIPS) {
        send_datagram(&bench->client, bench->payload, PAYLOAD, (const struct sockaddr *)&bench->echo_address);
        bench->sent += 1;
    }
}

/* A lost datagram would stall the window forever: give up after a second without progress. */
static void watchdog_fired(uv_timer_t *timer) {
    bench_t *bench = timer->data;
    if (bench->received == bench->received_at_last_check) {
        bench->failed = 1;
        stop(bench);
    }
    bench->received_at_last_check = bench->received;
}

static int bind_loopback(uv_udp_t *socket, struct sockaddr_storage *bound) {
    struct sockaddr_in address;
    uv_ip4_addr("127.0.0.1", 0, &address);
    if (uv_udp_bind(socket, (const struct sockaddr *)&address, 0) != 0) return -1;
    int length = sizeof(*bound);
    return uv_udp_getsockname(socket, (struct sockaddr *)bound, &length);
}

typedef struct {
    double wall;
    double cpu;
} rates_t;

static rates_t run_once(void) {
    uv_loop_t loop;
    uv_loop_init(&loop);
    bench_t *bench = calloc(1, sizeof(bench_t));
    if (bench == NULL) abort();
    memset(bench->payload, 'x', PAYLOAD);
    struct sockaddr_storage client_address;
    uv_udp_init(&loop, &bench->echo);
    uv_udp_init(&loop, &bench->client);
    uv_timer_init(&loop, &bench->watchdog);
    bench->echo.data = bench->client.data = bench->watchdog.data = bench;
    if (bind_loopback(&bench->echo, &bench->echo_address) != 0 || bind_loopback(&bench->client, &client_address) != 0) {
        fprintf(stderr, "uv-echo-baseline: cannot bind 127.0.0.1\n");
        exit(1);
    }
    uv_udp_recv_start(&bench->echo, allocate_echo, echo_received);
    uv_udp_recv_start(&bench->client, allocate_client, client_received);
    uv_timer_start(&bench->watchdog, watchdog_fired, 1000, 1000);
    bench->started_ns = uv_hrtime();
    bench->started_cpu_ns = thread_cpu_ns();
    for (int i = 0; i < WINDOW; i++) {
        send_datagram(&bench->client, bench->payload, PAYLOAD, (const struct sockaddr *)&bench->echo_address);
        bench->sent += 1;
    }
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_close((uv_handle_t *)&bench->echo, NULL);
    uv_close((uv_handle_t *)&bench->client, NULL);
    uv_close((uv_handle_t *)&bench->watchdog, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    rates_t rates = {0, 0};
    if (!bench->failed) {
        rates.wall = ROUND_TRIPS / ((double)(bench->finished_ns - bench->started_ns) / 1e9);
        rates.cpu = ROUND_TRIPS / ((double)(bench->finished_cpu_ns - bench->started_cpu_ns) / 1e9);
    }
    free(bench);
    return rates;
}

static int compare(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(void) {
    double wall[REPEATS], cpu[REPEATS];
    run_once(); /* warm-up */
    for (int i = 0; i < REPEATS; i++) {
        rates_t rates = run_once();
        wall[i] = rates.wall;
        cpu[i] = rates.cpu;
    }
    qsort(wall, REPEATS, sizeof(double), compare);
    qsort(cpu, REPEATS, sizeof(double), compare);
    printf("| runtime | udp echo, C libuv baseline | %.0f datagrams/s | %d-byte payloads, %d in flight, median of %d x %d round trips |\n",
           wall[REPEATS / 2], PAYLOAD, WINDOW, REPEATS, ROUND_TRIPS);
    printf("| runtime | udp echo, C libuv baseline, per loop-thread CPU second | %.0f datagrams/s | same runs, loop thread CPU time |\n",
           cpu[REPEATS / 2]);
    return wall[REPEATS / 2] > 0 ? 0 : 1;
}
