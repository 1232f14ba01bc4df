// libcurl's easy interface (headers from libcurl4-openssl-dev), for the PKCS#11 module's calls to
// Signet. curl_easy_setopt and curl_easy_getinfo are variadic, which Swift cannot call: these typed
// wrappers are what the module uses instead.
#ifndef SIGNET_CCURL_SHIM_H
#define SIGNET_CCURL_SHIM_H
#include <curl/curl.h>

typedef size_t (*signet_curl_write_callback)(char *data, size_t size, size_t count, void *context);

static inline CURLcode signet_curl_setopt_long(CURL *handle, CURLoption option, long value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode signet_curl_setopt_string(CURL *handle, CURLoption option, const char *value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode signet_curl_setopt_pointer(CURL *handle, CURLoption option, void *value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode signet_curl_setopt_slist(CURL *handle, CURLoption option, struct curl_slist *value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode signet_curl_setopt_write_function(CURL *handle, signet_curl_write_callback callback) {
    return curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, callback);
}

static inline CURLcode signet_curl_setopt_post_size(CURL *handle, curl_off_t size) {
    return curl_easy_setopt(handle, CURLOPT_POSTFIELDSIZE_LARGE, size);
}

static inline CURLcode signet_curl_response_code(CURL *handle, long *code) {
    return curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, code);
}
#endif
