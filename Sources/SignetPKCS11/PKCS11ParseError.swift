/// Input from Signet (a certificate, a signature, a listing) that is not what the module expected.
/// The token reports it as CKR_DEVICE_ERROR; the message goes to stderr under SIGNET_PKCS11_DEBUG.
public struct PKCS11ParseError: Error, Equatable, CustomStringConvertible {
    public let message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}
