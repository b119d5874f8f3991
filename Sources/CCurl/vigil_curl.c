// vigil_curl.c: opens libcurl.so.4 with dlopen and forwards Vigil's calls to it. libcurl's setopt and getinfo
// are variadic; Swift cannot call a variadic C function through a pointer, so each argument type has its own
// fixed-signature wrapper here.

#include "vigil_curl.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

struct curl_msg {
    int msg;
    void *easy_handle;
    union {
        void *whatever;
        int result;
    } data;
};

/// The first fields of curl_version_info_data, unchanged since CURLVERSION_FIRST.
struct version_info {
    int age;
    const char *version;
    unsigned int version_num;
    const char *host;
    int features;
    const char *ssl_version;
};

struct tls_session_info {
    int backend;
    void *internals;
};

static struct {
    const char *(*ssl_get_version)(const void *);
    struct version_info *(*version_info)(int);
    int (*global_init)(long);
    char *(*version)(void);
    void *(*easy_init)(void);
    void (*easy_cleanup)(void *);
    int (*easy_setopt)(void *, int, ...);
    int (*easy_getinfo)(void *, int, ...);
    int (*easy_perform)(void *);
    const char *(*easy_strerror)(int);
    void *(*multi_init)(void);
    int (*multi_setopt)(void *, int, ...);
    int (*multi_add_handle)(void *, void *);
    int (*multi_remove_handle)(void *, void *);
    struct curl_msg *(*multi_info_read)(void *, int *);
    int (*multi_socket_action)(void *, int, int, int *);
    struct vigil_curl_slist *(*slist_append)(struct vigil_curl_slist *, const char *);
    void (*slist_free_all)(struct vigil_curl_slist *);
} curl;

#define RESOLVE(field, symbol)                                                                   \
    do {                                                                                         \
        *(void **)(&curl.field) = dlsym(library, symbol);                                        \
        if (curl.field == NULL) {                                                                \
            snprintf(error, size, "libcurl.so.4 has no %s (this libcurl is older than Vigil needs)", symbol); \
            return -1;                                                                           \
        }                                                                                        \
    } while (0)

int vigil_curl_load(char *error, size_t size) {
    static int loaded = 0;
    if (loaded) return 0;
    void *library = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
    if (library == NULL) {
        const char *reason = dlerror();
        snprintf(error, size, "cannot load libcurl.so.4 (%s); install the package that provides it "
                 "(Debian/Ubuntu: libcurl4, Fedora/RHEL: libcurl)", reason ? reason : "not found");
        return -1;
    }
    RESOLVE(global_init, "curl_global_init");
    RESOLVE(version, "curl_version");
    RESOLVE(version_info, "curl_version_info");
    RESOLVE(easy_init, "curl_easy_init");
    RESOLVE(easy_cleanup, "curl_easy_cleanup");
    RESOLVE(easy_setopt, "curl_easy_setopt");
    RESOLVE(easy_getinfo, "curl_easy_getinfo");
    RESOLVE(easy_perform, "curl_easy_perform");
    RESOLVE(easy_strerror, "curl_easy_strerror");
    RESOLVE(multi_init, "curl_multi_init");
    RESOLVE(multi_setopt, "curl_multi_setopt");
    RESOLVE(multi_add_handle, "curl_multi_add_handle");
    RESOLVE(multi_remove_handle, "curl_multi_remove_handle");
    RESOLVE(multi_info_read, "curl_multi_info_read");
    RESOLVE(multi_socket_action, "curl_multi_socket_action");
    RESOLVE(slist_append, "curl_slist_append");
    RESOLVE(slist_free_all, "curl_slist_free_all");
    // Optional: libssl (a dependency of libcurl.so.4, found through its handle) names the TLS protocol.
    *(void **)(&curl.ssl_get_version) = dlsym(library, "SSL_get_version");
    // CURL_GLOBAL_ALL (3): once, before any thread uses libcurl.
    if (curl.global_init(3) != 0) {
        snprintf(error, size, "curl_global_init failed");
        return -1;
    }
    loaded = 1;
    return 0;
}

const char *vigil_curl_version(void) { return curl.version(); }
int vigil_curl_features(void) { return curl.version_info(0)->features; }
const char *vigil_curl_ssl_version(void) { return curl.version_info(0)->ssl_version; }

vigil_curl_easy *vigil_curl_easy_init(void) { return curl.easy_init(); }
void vigil_curl_easy_cleanup(vigil_curl_easy *easy) { curl.easy_cleanup(easy); }
int vigil_curl_easy_setopt_long(vigil_curl_easy *easy, int option, long value) { return curl.easy_setopt(easy, option, value); }
int vigil_curl_easy_setopt_pointer(vigil_curl_easy *easy, int option, const void *value) {
    return curl.easy_setopt(easy, option, value);
}
int vigil_curl_easy_setopt_offset(vigil_curl_easy *easy, int option, int64_t value) { return curl.easy_setopt(easy, option, value); }
int vigil_curl_easy_getinfo_long(vigil_curl_easy *easy, int info, long *value) { return curl.easy_getinfo(easy, info, value); }
int vigil_curl_easy_getinfo_offset(vigil_curl_easy *easy, int info, int64_t *value) { return curl.easy_getinfo(easy, info, value); }
int vigil_curl_easy_getinfo_pointer(vigil_curl_easy *easy, int info, void **value) { return curl.easy_getinfo(easy, info, value); }
const char *vigil_curl_easy_strerror(int code) { return curl.easy_strerror(code); }

const char *vigil_curl_tls_version(vigil_curl_easy *easy) {
    struct tls_session_info *info = NULL;
    // CURLINFO_TLS_SSL_PTR (CURLINFO_PTR + 45); backend 1 is OpenSSL (also LibreSSL, BoringSSL).
    if (curl.ssl_get_version == NULL || curl.easy_getinfo(easy, 0x400000 + 45, &info) != 0 || info == NULL) return NULL;
    if (info->backend != 1 || info->internals == NULL) return NULL;
    return curl.ssl_get_version(info->internals);
}

vigil_curl_multi *vigil_curl_multi_init(void) { return curl.multi_init(); }
int vigil_curl_multi_setopt_long(vigil_curl_multi *multi, int option, long value) { return curl.multi_setopt(multi, option, value); }
int vigil_curl_multi_add_handle(vigil_curl_multi *multi, vigil_curl_easy *easy) { return curl.multi_add_handle(multi, easy); }
int vigil_curl_multi_remove_handle(vigil_curl_multi *multi, vigil_curl_easy *easy) { return curl.multi_remove_handle(multi, easy); }

int vigil_curl_multi_next_done(vigil_curl_multi *multi, vigil_curl_easy **easy, int *result) {
    int queued = 0;
    struct curl_msg *message;
    while ((message = curl.multi_info_read(multi, &queued)) != NULL) {
        if (message->msg == 1) {  // CURLMSG_DONE
            *easy = message->easy_handle;
            *result = message->data.result;
            return 1;
        }
    }
    return 0;
}

struct vigil_curl_loop {
    void *multi;
    int epoll;
    int wake;
    int has_deadline;
    struct timespec deadline;
};

static long milliseconds_until(const struct timespec *deadline) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    long ms = (deadline->tv_sec - now.tv_sec) * 1000 + (deadline->tv_nsec - now.tv_nsec) / 1000000;
    return ms < 0 ? 0 : ms;
}

// CURLMOPT_SOCKETFUNCTION: libcurl says which socket wants what (1 in, 2 out, 3 both, 4 remove).
static int on_socket(void *easy, int socket, int what, void *context, void *socket_context) {
    (void)easy;
    (void)socket_context;
    struct vigil_curl_loop *loop = context;
    if (what == 4) {
        epoll_ctl(loop->epoll, EPOLL_CTL_DEL, socket, NULL);  // EBADF when libcurl closed it first: fine
        return 0;
    }
    struct epoll_event event;
    memset(&event, 0, sizeof event);
    event.data.fd = socket;
    event.events = ((what & 1) ? EPOLLIN : 0) | ((what & 2) ? EPOLLOUT : 0);
    if (epoll_ctl(loop->epoll, EPOLL_CTL_MOD, socket, &event) != 0 && errno == ENOENT) {
        epoll_ctl(loop->epoll, EPOLL_CTL_ADD, socket, &event);
    }
    return 0;
}

// CURLMOPT_TIMERFUNCTION: when libcurl next needs to act without socket activity (-1: no timer).
static int on_timer(void *multi, long timeout_ms, void *context) {
    (void)multi;
    struct vigil_curl_loop *loop = context;
    loop->has_deadline = timeout_ms >= 0;
    if (timeout_ms >= 0) {
        clock_gettime(CLOCK_MONOTONIC, &loop->deadline);
        loop->deadline.tv_sec += timeout_ms / 1000;
        loop->deadline.tv_nsec += (timeout_ms % 1000) * 1000000;
        if (loop->deadline.tv_nsec >= 1000000000) {
            loop->deadline.tv_sec += 1;
            loop->deadline.tv_nsec -= 1000000000;
        }
    }
    return 0;
}

vigil_curl_loop *vigil_curl_loop_create(vigil_curl_multi *multi) {
    struct vigil_curl_loop *loop = calloc(1, sizeof *loop);
    if (loop == NULL) return NULL;
    loop->multi = multi;
    loop->epoll = epoll_create1(EPOLL_CLOEXEC);
    loop->wake = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (loop->epoll < 0 || loop->wake < 0) {
        free(loop);
        return NULL;
    }
    struct epoll_event event;
    memset(&event, 0, sizeof event);
    event.events = EPOLLIN;
    event.data.fd = loop->wake;
    epoll_ctl(loop->epoll, EPOLL_CTL_ADD, loop->wake, &event);
    // CURLMOPT_SOCKETFUNCTION 20001, SOCKETDATA 10002, TIMERFUNCTION 20004, TIMERDATA 10005.
    curl.multi_setopt(multi, 20001, on_socket);
    curl.multi_setopt(multi, 10002, loop);
    curl.multi_setopt(multi, 20004, on_timer);
    curl.multi_setopt(multi, 10005, loop);
    return loop;
}

int vigil_curl_loop_run(vigil_curl_loop *loop, int max_wait_ms) {
    long wait = max_wait_ms;
    if (loop->has_deadline) {
        long due = milliseconds_until(&loop->deadline);
        if (due < wait) wait = due;
    }
    struct epoll_event events[256];
    int ready = epoll_wait(loop->epoll, events, 256, (int)wait);
    int running = 0;
    for (int i = 0; i < ready; i++) {
        int fd = events[i].data.fd;
        if (fd == loop->wake) {
            uint64_t count;
            while (read(loop->wake, &count, sizeof count) > 0) {}
            continue;
        }
        uint32_t e = events[i].events;
        int flags = ((e & (EPOLLIN | EPOLLHUP | EPOLLERR)) ? 1 : 0) | ((e & EPOLLOUT) ? 2 : 0) | ((e & EPOLLERR) ? 4 : 0);
        curl.multi_socket_action(loop->multi, fd, flags, &running);
    }
    if (loop->has_deadline && milliseconds_until(&loop->deadline) == 0) {
        loop->has_deadline = 0;
        curl.multi_socket_action(loop->multi, -1, 0, &running);  // CURL_SOCKET_TIMEOUT
    }
    return ready;
}

void vigil_curl_loop_wakeup(vigil_curl_loop *loop) {
    uint64_t one = 1;
    ssize_t written = write(loop->wake, &one, sizeof one);
    (void)written;
}

struct vigil_curl_slist *vigil_curl_slist_append(struct vigil_curl_slist *list, const char *text) { return curl.slist_append(list, text); }
void vigil_curl_slist_free_all(struct vigil_curl_slist *list) { curl.slist_free_all(list); }

struct mail_source {
    const char *data;
    size_t length;
    size_t offset;
};

static size_t read_mail(char *buffer, size_t size, size_t count, void *context) {
    struct mail_source *source = context;
    size_t room = size * count;
    size_t left = source->length - source->offset;
    size_t n = left < room ? left : room;
    memcpy(buffer, source->data + source->offset, n);
    source->offset += n;
    return n;
}

int vigil_curl_smtp_send(const struct vigil_smtp_message *message, long *response, char *error) {
    void *easy = curl.easy_init();
    if (easy == NULL) {
        snprintf(error, 256, "curl_easy_init failed");
        return 2;  // CURLE_FAILED_INIT
    }
    struct vigil_curl_slist *recipients = NULL;
    for (int i = 0; i < message->recipient_count; i++) recipients = curl.slist_append(recipients, message->recipients[i]);
    struct mail_source source = {message->data, message->length, 0};
    error[0] = 0;
    curl.easy_setopt(easy, 10010, error);                 // CURLOPT_ERRORBUFFER (CURL_ERROR_SIZE 256)
    curl.easy_setopt(easy, 10002, message->url);          // CURLOPT_URL
    curl.easy_setopt(easy, 10318, "smtp,smtps");          // CURLOPT_PROTOCOLS_STR
    curl.easy_setopt(easy, 99, 1L);                       // CURLOPT_NOSIGNAL
    curl.easy_setopt(easy, 10186, message->from);         // CURLOPT_MAIL_FROM
    curl.easy_setopt(easy, 10187, recipients);            // CURLOPT_MAIL_RCPT
    curl.easy_setopt(easy, 20012, read_mail);             // CURLOPT_READFUNCTION
    curl.easy_setopt(easy, 10009, &source);               // CURLOPT_READDATA
    curl.easy_setopt(easy, 46, 1L);                       // CURLOPT_UPLOAD
    curl.easy_setopt(easy, 119, (long)message->use_ssl);  // CURLOPT_USE_SSL (0 none, 3 all: STARTTLS required)
    curl.easy_setopt(easy, 155, message->timeout_ms);     // CURLOPT_TIMEOUT_MS
    curl.easy_setopt(easy, 156, message->timeout_ms);     // CURLOPT_CONNECTTIMEOUT_MS
    curl.easy_setopt(easy, 10004, "");                    // CURLOPT_PROXY: none
    if (message->username != NULL) curl.easy_setopt(easy, 10173, message->username);  // CURLOPT_USERNAME
    if (message->password != NULL) curl.easy_setopt(easy, 10174, message->password);  // CURLOPT_PASSWORD
    if (message->ca_file != NULL) curl.easy_setopt(easy, 10065, message->ca_file);     // CURLOPT_CAINFO
    int result = curl.easy_perform(easy);
    *response = 0;
    curl.easy_getinfo(easy, 0x200002, response);          // CURLINFO_RESPONSE_CODE: the last SMTP reply code
    curl.easy_cleanup(easy);
    curl.slist_free_all(recipients);
    return result;
}

// The git revision built in: deploy/build-deb.sh (and anyone) passes -Xcc -DVIGIL_GIT_REVISION=\"abc1234\".
#ifndef VIGIL_GIT_REVISION
#define VIGIL_GIT_REVISION ""
#endif
const char *vigil_git_revision(void) { return VIGIL_GIT_REVISION; }
