import SwiftASN1

extension ASN1ObjectIdentifier {
    /// Content types Signet reads and writes in CMS (RFC 5652 §4, §5; RFC 3161 §2.4.2).
    public enum CMSContentType: Sendable {
        /// id-data, RFC 5652 §4: arbitrary octets, such as a file signed detached.
        public static let data: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 7, 1]
        /// id-signedData, RFC 5652 §5.1.
        public static let signedData: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 7, 2]
        /// id-ct-TSTInfo, RFC 3161 §2.4.2: the eContentType of a time-stamp token.
        public static let tstInfo: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 9, 16, 1, 4]
    }
}
