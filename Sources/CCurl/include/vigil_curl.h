// vigil_curl.h: the part of libcurl's API Vigil uses, declared here so that building needs no libcurl -dev
// package. The library itself (libcurl.so.4, which FoundationNetworking also loads) is opened at run time by
// vigil_curl_load(); every call below goes through the function pointers it resolved. Option and info numbers
// are libcurl's stable ABI values (curl.h: CURLOPTTYPE_* + n, CURLINFO_* + n).

#ifndef VIGIL_CURL_H
#define VIGIL_CURL_H

#include <stddef.h>
#include <stdint.h>

typedef void vigil_curl_easy;
typedef void vigil_curl_multi;

struct vigil_curl_slist {
    char *data;
    struct vigil_curl_slist *next;
};

struct vigil_curl_certinfo {
    int num_of_certs;
    struct vigil_curl_slist **certinfo;
};

/// Loads libcurl.so.4 and resolves its functions; 0 on success, else -1 with a message in `error`.
int vigil_curl_load(char *error, size_t size);
/// "libcurl/7.88.1 OpenSSL/3.0.17 zlib/1.2.13 … nghttp2/1.52.0" (after a successful load).
const char *vigil_curl_version(void);
/// The feature bits of curl_version_info (CURL_VERSION_IPV6 1<<0, SSL 1<<2, ASYNCHDNS 1<<7, HTTP2 1<<16), and
/// the TLS library's name and version ("OpenSSL/3.0.17"), or NULL.
int vigil_curl_features(void);
const char *vigil_curl_ssl_version(void);

vigil_curl_easy *vigil_curl_easy_init(void);
void vigil_curl_easy_cleanup(vigil_curl_easy *easy);
int vigil_curl_easy_setopt_long(vigil_curl_easy *easy, int option, long value);
int vigil_curl_easy_setopt_pointer(vigil_curl_easy *easy, int option, const void *value);
int vigil_curl_easy_setopt_offset(vigil_curl_easy *easy, int option, int64_t value);
int vigil_curl_easy_getinfo_long(vigil_curl_easy *easy, int info, long *value);
int vigil_curl_easy_getinfo_offset(vigil_curl_easy *easy, int info, int64_t *value);
int vigil_curl_easy_getinfo_pointer(vigil_curl_easy *easy, int info, void **value);
const char *vigil_curl_easy_strerror(int code);

/// The TLS protocol of a transfer's connection ("TLSv1.3"), or NULL: only while the transfer runs, and only
/// with an OpenSSL-family backend (libssl's SSL_get_version on CURLINFO_TLS_SSL_PTR).
const char *vigil_curl_tls_version(vigil_curl_easy *easy);

vigil_curl_multi *vigil_curl_multi_init(void);
int vigil_curl_multi_setopt_long(vigil_curl_multi *multi, int option, long value);
int vigil_curl_multi_add_handle(vigil_curl_multi *multi, vigil_curl_easy *easy);
int vigil_curl_multi_remove_handle(vigil_curl_multi *multi, vigil_curl_easy *easy);
/// The next finished transfer: returns 1 and sets `easy` and `result`, or 0 when there is none.
int vigil_curl_multi_next_done(vigil_curl_multi *multi, vigil_curl_easy **easy, int *result);

/// An epoll event loop for a multi handle (libcurl's socket and timer callbacks): waking costs O(ready sockets),
/// not O(all sockets) as curl_multi_poll does.
typedef struct vigil_curl_loop vigil_curl_loop;
/// Creates the loop and installs its callbacks on `multi`; NULL if epoll or eventfd cannot be had.
vigil_curl_loop *vigil_curl_loop_create(vigil_curl_multi *multi);
/// Waits up to `max_wait_ms` (less when one of libcurl's timers is due) and lets libcurl act on what is ready.
int vigil_curl_loop_run(vigil_curl_loop *loop, int max_wait_ms);
/// Makes a waiting vigil_curl_loop_run return (from any thread).
void vigil_curl_loop_wakeup(vigil_curl_loop *loop);

struct vigil_curl_slist *vigil_curl_slist_append(struct vigil_curl_slist *list, const char *text);
void vigil_curl_slist_free_all(struct vigil_curl_slist *list);

/// The write and header callbacks libcurl calls: Swift passes `@convention(c)` functions of this type.
typedef size_t (*vigil_curl_write_callback)(char *data, size_t size, size_t count, void *context);

/// One e-mail for libcurl's SMTP: the envelope, the message (headers and body, CRLF lines), and the session.
struct vigil_smtp_message {
    const char *url;  // smtp://host:port or smtps://host:port
    const char *from;
    const char *const *recipients;
    int recipient_count;
    const char *data;
    size_t length;
    const char *username;  // NULL: no AUTH
    const char *password;
    const char *ca_file;   // NULL: the system's trust store
    int use_ssl;           // CURLUSESSL_NONE 0, CURLUSESSL_ALL 3 (STARTTLS required on smtp://)
    long timeout_ms;
};

/// Sends one e-mail with curl_easy_perform (blocking: call it off the async executors). Returns the CURLcode;
/// `response` gets the server's last reply code (250, 535, 550, …), `error` (256 bytes) libcurl's words.
int vigil_curl_smtp_send(const struct vigil_smtp_message *message, long *response, char *error);

/// The git revision given at build time (-Xcc -DVIGIL_GIT_REVISION=\"…\"), or "".
const char *vigil_git_revision(void);

#endif
