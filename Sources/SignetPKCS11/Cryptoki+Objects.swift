import CPKCS11

/// Object search and attributes (PKCS#11 §5.7). Objects are read-only: creating, copying, destroying
/// and changing them are not supported.
extension Cryptoki {
    public func findObjectsInit(_ handle: CK_SESSION_HANDLE, _ template: UnsafeMutablePointer<CK_ATTRIBUTE>?, _ count: CK_ULONG) -> CK_RV {
        answer { () throws(CryptokiError) in
            try withLive { live throws(CryptokiError) in
                guard var session = live.sessions[handle] else { throw .sessionInvalid }
                guard session.found == nil else { throw .operationActive }
                let criteria = try AttributeTemplate.criteria(template.map { UnsafePointer($0) }, count: count)
                guard let token = live.token else {
                    session.found = []
                    live.sessions[handle] = session
                    return
                }
                session.found = token.order.filter { handle in token.objects[handle].map { AttributeTemplate.matches($0, criteria) } ?? false }
                live.sessions[handle] = session
            }
        }
    }

    public func findObjects(_ handle: CK_SESSION_HANDLE, _ objects: UnsafeMutablePointer<CK_OBJECT_HANDLE>?, _ maximum: CK_ULONG,
                            _ count: UnsafeMutablePointer<CK_ULONG>?) -> CK_RV {
        answer { () throws(CryptokiError) in
            try withLive { live throws(CryptokiError) in
                guard var session = live.sessions[handle] else { throw .sessionInvalid }
                guard let objects, let count else { throw .argumentsBad }
                guard let found = session.found else { throw .operationNotInitialized }
                let taken = found.prefix(Int(clamping: maximum))
                for (index, object) in taken.enumerated() { objects[index] = object }
                count.pointee = CK_ULONG(taken.count)
                session.found = Array(found.dropFirst(taken.count))
                live.sessions[handle] = session
            }
        }
    }

    public func findObjectsFinal(_ handle: CK_SESSION_HANDLE) -> CK_RV {
        answer { () throws(CryptokiError) in
            try withLive { live throws(CryptokiError) in
                guard var session = live.sessions[handle] else { throw .sessionInvalid }
                guard session.found != nil else { throw .operationNotInitialized }
                session.found = nil
                live.sessions[handle] = session
            }
        }
    }

    public func getAttributeValue(_ handle: CK_SESSION_HANDLE, _ object: CK_OBJECT_HANDLE, _ template: UnsafeMutablePointer<CK_ATTRIBUTE>?, _ count: CK_ULONG) -> CK_RV {
        do {
            return try withLive { live throws(CryptokiError) in
                guard live.sessions[handle] != nil else { throw .sessionInvalid }
                guard let found = live.token?.objects[object] else { throw .objectInvalid }
                return AttributeTemplate.fill(template, count: count, from: found)
            }
        } catch {
            return error.rv
        }
    }
}
