import CPKCS11
import SignetPKCS11

/// The one symbol libsignet-pkcs11.so exports (exports.map keeps everything else local): the
/// PKCS#11 entry point every consumer looks up with dlsym.
@_cdecl("C_GetFunctionList")
public func C_GetFunctionList(_ list: UnsafeMutablePointer<UnsafeMutablePointer<CK_FUNCTION_LIST>?>?) -> CK_RV {
    FunctionList.get(list)
}
