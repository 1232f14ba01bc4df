// The PKCS#11 C API as shipped by libsofthsm2-dev, plus the dynamic loader used to open any
// vendor's module at run time. Signet never links a PKCS#11 library at build time.
#ifndef SIGNET_CPKCS11_SHIM_H
#define SIGNET_CPKCS11_SHIM_H
#include <softhsm/cryptoki.h>
#include <dlfcn.h>
#endif
