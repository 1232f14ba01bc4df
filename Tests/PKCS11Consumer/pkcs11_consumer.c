/*
 * A C consumer of a PKCS#11 module, for what the command-line tools do not exercise: many threads
 * signing at once through one loaded module, and a fork whose child must call C_Initialize again
 * (PKCS#11 §6.7.7) and can then sign. Built by the tests with the system C compiler (see
 * Tests/InteropTests/PKCS11ModuleInteropTests.swift); never shipped.
 *
 *   pkcs11_consumer MODULE threads THREADS SIGNATURES
 *   pkcs11_consumer MODULE fork
 *
 * Signs with the token's first private key and CKM_ECDSA_SHA256. For every signature it prints
 * "sig <message> <r||s in hex>" (the message is ASCII; the test verifies each signature over it with
 * the certificate's key), then "ok" and exit 0, or "fail <what> rv=0x.." and exit 1.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <softhsm/cryptoki.h>

static CK_FUNCTION_LIST_PTR p11;
static pthread_mutex_t print_lock = PTHREAD_MUTEX_INITIALIZER;
static CK_OBJECT_HANDLE key;
static int signatures_per_thread;

static void fail(const char *what, CK_RV rv) {
    pthread_mutex_lock(&print_lock);
    printf("fail %s rv=0x%lx\n", what, (unsigned long)rv);
    fflush(stdout);
    pthread_mutex_unlock(&print_lock);
    _exit(1);
}

static void expect(CK_RV rv, CK_RV wanted, const char *what) {
    if (rv != wanted) fail(what, rv);
}

static void initialize(void) {
    CK_C_INITIALIZE_ARGS args;
    memset(&args, 0, sizeof args);
    args.flags = CKF_OS_LOCKING_OK;
    expect(p11->C_Initialize(&args), CKR_OK, "C_Initialize");
}

static CK_SESSION_HANDLE open_session(void) {
    CK_SLOT_ID slot;
    CK_ULONG count = 1;
    expect(p11->C_GetSlotList(CK_TRUE, &slot, &count), CKR_OK, "C_GetSlotList");
    if (count != 1) fail("no slot with a token", CKR_OK);
    CK_SESSION_HANDLE session;
    expect(p11->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &session), CKR_OK, "C_OpenSession");
    return session;
}

static CK_OBJECT_HANDLE first_private_key(CK_SESSION_HANDLE session) {
    CK_OBJECT_CLASS class = CKO_PRIVATE_KEY;
    CK_ATTRIBUTE template[] = {{CKA_CLASS, &class, sizeof class}};
    CK_OBJECT_HANDLE found;
    CK_ULONG count = 0;
    expect(p11->C_FindObjectsInit(session, template, 1), CKR_OK, "C_FindObjectsInit");
    expect(p11->C_FindObjects(session, &found, 1, &count), CKR_OK, "C_FindObjects");
    expect(p11->C_FindObjectsFinal(session), CKR_OK, "C_FindObjectsFinal");
    if (count != 1) fail("no private key", CKR_OK);
    return found;
}

static void sign(CK_SESSION_HANDLE session, const char *message) {
    CK_MECHANISM mechanism = {CKM_ECDSA_SHA256, NULL, 0};
    unsigned char signature[256];
    CK_ULONG length = 0;
    expect(p11->C_SignInit(session, &mechanism, key), CKR_OK, "C_SignInit");
    expect(p11->C_Sign(session, (CK_BYTE_PTR)message, strlen(message), NULL, &length), CKR_OK, "C_Sign length");
    if (length > sizeof signature) fail("signature length", length);
    expect(p11->C_Sign(session, (CK_BYTE_PTR)message, strlen(message), signature, &length), CKR_OK, "C_Sign");
    pthread_mutex_lock(&print_lock);
    printf("sig %s ", message);
    for (CK_ULONG i = 0; i < length; i++) printf("%02x", signature[i]);
    printf("\n");
    fflush(stdout);
    pthread_mutex_unlock(&print_lock);
}

static void *signer(void *argument) {
    long index = (long)argument;
    CK_SESSION_HANDLE session = open_session();
    char message[64];
    for (int i = 0; i < signatures_per_thread; i++) {
        snprintf(message, sizeof message, "thread-%ld-signature-%d", index, i);
        sign(session, message);
    }
    expect(p11->C_CloseSession(session), CKR_OK, "C_CloseSession");
    return NULL;
}

/* Opens and closes sessions (each one lists the keys again) while the signers run. */
static void *lister(void *argument) {
    (void)argument;
    for (int i = 0; i < signatures_per_thread; i++) {
        CK_SESSION_HANDLE session = open_session();
        if (first_private_key(session) != key) fail("the key's handle changed between listings", CKR_OK);
        expect(p11->C_CloseSession(session), CKR_OK, "C_CloseSession (lister)");
    }
    return NULL;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s MODULE threads N M | fork\n", argv[0]);
        return 2;
    }
    void *module = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (!module) {
        printf("fail dlopen %s\n", dlerror());
        return 1;
    }
    CK_C_GetFunctionList get = (CK_C_GetFunctionList)dlsym(module, "C_GetFunctionList");
    if (!get) fail("dlsym C_GetFunctionList", 0);
    expect(get(&p11), CKR_OK, "C_GetFunctionList");
    initialize();
    CK_SESSION_HANDLE session = open_session();
    key = first_private_key(session);

    if (strcmp(argv[2], "threads") == 0 && argc == 5) {
        int threads = atoi(argv[3]);
        signatures_per_thread = atoi(argv[4]);
        pthread_t ids[65];
        if (threads < 1 || threads > 64) return 2;
        for (long i = 0; i < threads; i++) pthread_create(&ids[i], NULL, signer, (void *)i);
        pthread_create(&ids[threads], NULL, lister, NULL);
        for (int i = 0; i <= threads; i++) pthread_join(ids[i], NULL);
    } else if (strcmp(argv[2], "fork") == 0) {
        sign(session, "parent-before-fork");
        fflush(stdout);
        pid_t child = fork();
        if (child < 0) fail("fork", 0);
        if (child == 0) {
            CK_ULONG count = 0;
            expect(p11->C_GetSlotList(CK_TRUE, NULL, &count), CKR_CRYPTOKI_NOT_INITIALIZED, "child C_GetSlotList before C_Initialize");
            CK_MECHANISM mechanism = {CKM_ECDSA_SHA256, NULL, 0};
            expect(p11->C_SignInit(session, &mechanism, key), CKR_CRYPTOKI_NOT_INITIALIZED, "child C_SignInit with the parent's session");
            initialize();
            CK_SESSION_HANDLE own = open_session();
            key = first_private_key(own);
            sign(own, "child-after-fork");
            expect(p11->C_Finalize(NULL), CKR_OK, "child C_Finalize");
            _exit(0);
        }
        int status = 0;
        waitpid(child, &status, 0);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) fail("child", (CK_RV)status);
        sign(session, "parent-after-fork");
    } else {
        return 2;
    }
    expect(p11->C_CloseSession(session), CKR_OK, "C_CloseSession");
    expect(p11->C_Finalize(NULL), CKR_OK, "C_Finalize");
    printf("ok\n");
    return 0;
}
