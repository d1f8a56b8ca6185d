/* The log functions of zookeeper.h and zookeeper_log.h that are C by nature: log_message
 * is variadic (stable Rust cannot define one), and the log stream is a FILE*. The line
 * format is the official client's: "time:pid(0xthread):LEVEL@function@line: message".
 * The level check is the caller's, as in the official client (its LOG_* macros read the
 * exported `logLevel`); the library's own messages come through zoo__log_line. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

typedef void (*log_callback_fn)(const char *message);

static FILE *log_stream; /* NULL: stderr */

FILE *zoo_get_log_stream(void) { return log_stream ? log_stream : stderr; }

void zoo_set_log_stream(FILE *stream) { log_stream = stream; }

/* Formats one line into buf: the prefix, then the message from fmt and ap. */
static void format_line(char *buf, size_t size, int level, int line, const char *func,
                        const char *fmt, va_list ap) {
    static const char *names[] = {"ZOO_INVALID", "ZOO_ERROR", "ZOO_WARN", "ZOO_INFO",
                                  "ZOO_DEBUG"};
    struct timeval tv;
    struct tm lt;
    char when[64];
    gettimeofday(&tv, NULL);
    time_t now = tv.tv_sec;
    localtime_r(&now, &lt);
    size_t n = strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &lt);
    snprintf(when + n, sizeof when - n, ",%03d", (int)(tv.tv_usec / 1000));
    /* A level out of range is named, not used as an index. */
    const char *name = level >= 1 && level <= 4 ? names[level] : names[0];
    int ofs = snprintf(buf, size, "%s:%ld(0x%lx):%s@%s@%d: ", when, (long)getpid(),
                       (unsigned long)pthread_self(), name, func ? func : "", line);
    if (ofs < 0 || (size_t)ofs >= size) return;
    vsnprintf(buf + ofs, size - (size_t)ofs, fmt ? fmt : "", ap);
}

static void emit(log_callback_fn callback, const char *buf) {
    if (callback) {
        callback(buf);
    } else {
        FILE *f = zoo_get_log_stream();
        fprintf(f, "%s\n", buf);
        fflush(f);
    }
}

void log_message(log_callback_fn callback, int level, int line, const char *func,
                 const char *format, ...) {
    char buf[4096];
    va_list ap;
    va_start(ap, format);
    format_line(buf, sizeof buf, level, line, func, format, ap);
    va_end(ap);
    emit(callback, buf);
}

/* The library's own messages (already formatted). */
static void line_v(log_callback_fn callback, int level, const char *func, const char *fmt,
                   ...) {
    char buf[4096];
    va_list ap;
    va_start(ap, fmt);
    format_line(buf, sizeof buf, level, 0, func, fmt, ap);
    va_end(ap);
    emit(callback, buf);
}

void zoo__log_line(log_callback_fn callback, int level, const char *func, const char *msg) {
    line_v(callback, level, func, "%s", msg);
}
