/// A configuration the module cannot run with. The message names the setting (and, for the file, the
/// line) and says what was expected, because C_Initialize can only answer CKR_GENERAL_ERROR: this line
/// on stderr is all the user learns.
public struct ConfigurationError: Error, Equatable, CustomStringConvertible {
    public let message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}
