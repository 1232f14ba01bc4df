/*
 * A PKCS#11 module that forwards every call to a real one (SoftHSM2 by default) and injects faults
 * at the module boundary on command, so tests can prove what a running `signet serve` does when the
 * HSM fails: a C_Sign that fails, sessions the token drops, a token that goes away and comes back.
 *
 * Built by the tests with the system C compiler (see Tests/SignetTestSupport/FaultyPKCS11.swift);
 * never shipped. Configured through the environment of the process that loads it:
 *   FAULTY_PKCS11_TARGET   the real module (default /usr/lib/softhsm/libsofthsm2.so)
 *   FAULTY_PKCS11_CONTROL  a file whose first line selects the fault, read on every intercepted call:
 *     (missing or empty)   pass everything through
 *     sign-fails           C_Sign runs in the real module (ending its operation) and returns CKR_DEVICE_ERROR
 *     drop-sessions N      once per new N: the real module's sessions on every slot are closed
 *                          (C_CloseAllSessions, which also logs out), as when a network HSM reconnects;
 *                          then everything passes through
 *     token-gone           sessions are closed once, then C_OpenSession answers CKR_TOKEN_NOT_PRESENT
 *                          and every session call CKR_DEVICE_REMOVED, until the line changes
 */
#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <softhsm/cryptoki.h>

static CK_FUNCTION_LIST real;          /* the real module's functions */
static CK_FUNCTION_LIST shim;          /* what callers get: real, with some entries replaced */
static int loaded = 0;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

/* Slots sessions were opened on, so dropping sessions can close them all. */
#define MAX_SLOTS 64
static CK_SLOT_ID slots[MAX_SLOTS];
static int slot_count = 0;
static char last_drop[128] = "";
static int gone_closed = 0;

enum fault { NONE, SIGN_FAILS, DROP_SESSIONS, TOKEN_GONE };

static void close_all_sessions(void) {
    for (int i = 0; i < slot_count; i++) real.C_CloseAllSessions(slots[i]);
}

/* Reads the control file and performs one-shot actions; returns the fault in force. */
static enum fault current_fault(void) {
    const char *path = getenv("FAULTY_PKCS11_CONTROL");
    char line[128] = "";
    if (path) {
        int fd = open(path, O_RDONLY);
        if (fd >= 0) {
            ssize_t n = read(fd, line, sizeof line - 1);
            close(fd);
            line[n > 0 ? n : 0] = 0;
            char *newline = strchr(line, '\n');
            if (newline) *newline = 0;
        }
    }
    enum fault fault = NONE;
    pthread_mutex_lock(&lock);
    if (strcmp(line, "sign-fails") == 0) {
        fault = SIGN_FAILS;
    } else if (strncmp(line, "drop-sessions ", 14) == 0) {
        fault = DROP_SESSIONS;
        if (strcmp(line + 14, last_drop) != 0) {
            snprintf(last_drop, sizeof last_drop, "%s", line + 14);
            close_all_sessions();
        }
    } else if (strcmp(line, "token-gone") == 0) {
        fault = TOKEN_GONE;
        if (!gone_closed) {
            gone_closed = 1;
            close_all_sessions();
        }
    }
    if (fault != TOKEN_GONE) gone_closed = 0;
    pthread_mutex_unlock(&lock);
    return fault;
}

static CK_RV shim_OpenSession(CK_SLOT_ID slot, CK_FLAGS flags, CK_VOID_PTR app, CK_NOTIFY notify, CK_SESSION_HANDLE_PTR session) {
    if (current_fault() == TOKEN_GONE) return CKR_TOKEN_NOT_PRESENT;
    pthread_mutex_lock(&lock);
    int known = 0;
    for (int i = 0; i < slot_count; i++) known |= slots[i] == slot;
    if (!known && slot_count < MAX_SLOTS) slots[slot_count++] = slot;
    pthread_mutex_unlock(&lock);
    return real.C_OpenSession(slot, flags, app, notify, session);
}

static CK_RV shim_Login(CK_SESSION_HANDLE session, CK_USER_TYPE user, CK_UTF8CHAR_PTR pin, CK_ULONG pin_len) {
    if (current_fault() == TOKEN_GONE) return CKR_DEVICE_REMOVED;
    return real.C_Login(session, user, pin, pin_len);
}

static CK_RV shim_SignInit(CK_SESSION_HANDLE session, CK_MECHANISM_PTR mechanism, CK_OBJECT_HANDLE key) {
    if (current_fault() == TOKEN_GONE) return CKR_DEVICE_REMOVED;
    return real.C_SignInit(session, mechanism, key);
}

static CK_RV shim_Sign(CK_SESSION_HANDLE session, CK_BYTE_PTR data, CK_ULONG data_len, CK_BYTE_PTR signature, CK_ULONG_PTR signature_len) {
    enum fault fault = current_fault();
    if (fault == TOKEN_GONE) return CKR_DEVICE_REMOVED;
    CK_RV rv = real.C_Sign(session, data, data_len, signature, signature_len);
    if (fault == SIGN_FAILS && signature != NULL) return CKR_DEVICE_ERROR;
    return rv;
}

static CK_RV shim_FindObjectsInit(CK_SESSION_HANDLE session, CK_ATTRIBUTE_PTR templ, CK_ULONG count) {
    if (current_fault() == TOKEN_GONE) return CKR_DEVICE_REMOVED;
    return real.C_FindObjectsInit(session, templ, count);
}

static CK_RV shim_GetAttributeValue(CK_SESSION_HANDLE session, CK_OBJECT_HANDLE object, CK_ATTRIBUTE_PTR templ, CK_ULONG count) {
    if (current_fault() == TOKEN_GONE) return CKR_DEVICE_REMOVED;
    return real.C_GetAttributeValue(session, object, templ, count);
}

static CK_RV shim_GenerateKeyPair(CK_SESSION_HANDLE session, CK_MECHANISM_PTR mechanism, CK_ATTRIBUTE_PTR public_templ, CK_ULONG public_count,
                                  CK_ATTRIBUTE_PTR private_templ, CK_ULONG private_count, CK_OBJECT_HANDLE_PTR public_key,
                                  CK_OBJECT_HANDLE_PTR private_key) {
    if (current_fault() == TOKEN_GONE) return CKR_DEVICE_REMOVED;
    return real.C_GenerateKeyPair(session, mechanism, public_templ, public_count, private_templ, private_count, public_key, private_key);
}

static CK_RV load_real(void) {
    if (loaded) return CKR_OK;
    const char *target = getenv("FAULTY_PKCS11_TARGET");
    void *handle = dlopen(target ? target : "/usr/lib/softhsm/libsofthsm2.so", RTLD_NOW | RTLD_LOCAL);
    if (!handle) return CKR_GENERAL_ERROR;
    CK_C_GetFunctionList get = (CK_C_GetFunctionList)dlsym(handle, "C_GetFunctionList");
    CK_FUNCTION_LIST_PTR list = NULL;
    if (!get || get(&list) != CKR_OK || !list) return CKR_GENERAL_ERROR;
    real = *list;
    shim = *list;
    shim.C_OpenSession = shim_OpenSession;
    shim.C_Login = shim_Login;
    shim.C_SignInit = shim_SignInit;
    shim.C_Sign = shim_Sign;
    shim.C_FindObjectsInit = shim_FindObjectsInit;
    shim.C_GetAttributeValue = shim_GetAttributeValue;
    shim.C_GenerateKeyPair = shim_GenerateKeyPair;
    loaded = 1;
    return CKR_OK;
}

CK_RV C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR list) {
    if (!list) return CKR_ARGUMENTS_BAD;
    pthread_mutex_lock(&lock);
    CK_RV rv = load_real();
    pthread_mutex_unlock(&lock);
    if (rv != CKR_OK) return rv;
    *list = &shim;
    return CKR_OK;
}
