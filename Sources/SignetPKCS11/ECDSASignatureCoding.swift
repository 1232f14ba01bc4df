import SwiftASN1

/// Signet returns an ECDSA signature as DER `ECDSA-Sig-Value`; CKM_ECDSA returns r‖s, each left-padded
/// to the curve's coordinate length (PKCS#11 §2.3.1). The two encodings of one signature.
///
/// ```
/// ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER }     -- RFC 3279 §2.2.3
/// ```
public enum ECDSASignatureCoding {
    /// r‖s from a DER signature; both must be positive and fit in `coordinateLength` octets.
    public static func raw(fromDER der: [UInt8], coordinateLength: Int) throws(PKCS11ParseError) -> [UInt8] {
        guard coordinateLength > 0, coordinateLength <= 66 else { throw PKCS11ParseError("Expected a coordinate length of 1-66 octets, got \(coordinateLength)") }
        let values: [ArraySlice<UInt8>]
        do {
            let node = try DER.parse(der)
            values = try DER.sequence(node, identifier: .sequence) { nodes in
                [try ArraySlice<UInt8>(derEncoded: &nodes), try ArraySlice<UInt8>(derEncoded: &nodes)]
            }
        } catch {
            throw PKCS11ParseError("Expected an ECDSA-Sig-Value of two positive INTEGERs: \(error)")
        }
        var raw: [UInt8] = []
        raw.reserveCapacity(2 * coordinateLength)
        for value in values {
            let magnitude = value.drop(while: { $0 == 0 })
            guard !magnitude.isEmpty, magnitude.count <= coordinateLength else {
                throw PKCS11ParseError("Expected r and s of 1-\(coordinateLength) octets, got \(magnitude.count)")
            }
            raw.append(contentsOf: repeatElement(0, count: coordinateLength - magnitude.count))
            raw.append(contentsOf: magnitude)
        }
        return raw
    }

    /// The DER signature for r‖s (two halves of equal length).
    public static func der(fromRaw raw: [UInt8]) throws(PKCS11ParseError) -> [UInt8] {
        guard !raw.isEmpty, raw.count % 2 == 0, raw.count <= 132 else {
            throw PKCS11ParseError("Expected r‖s of two equal halves of at most 66 octets, got \(raw.count) octets")
        }
        let half = raw.count / 2
        let r = raw[..<half].drop(while: { $0 == 0 }), s = raw[half...].drop(while: { $0 == 0 })
        guard !r.isEmpty, !s.isEmpty else { throw PKCS11ParseError("Expected nonzero r and s") }
        var serializer = DER.Serializer()
        do {
            try serializer.appendConstructedNode(identifier: .sequence) { coder in
                try coder.serialize(r)
                try coder.serialize(s)
            }
        } catch {
            throw PKCS11ParseError("Cannot encode the signature: \(error)")
        }
        return serializer.serializedBytes
    }
}
