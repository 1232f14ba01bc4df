import CPKCS11

/// Slot and token management (PKCS#11 §5.5). The slot is always there; the token is present while the
/// credential gets a key listing from Signet, the way a card is present in a reader.
extension Cryptoki {
    /// How long a failed listing is remembered before Signet is asked again: a consumer that asks for
    /// slot, token and mechanisms in a row should not wait for one unreachable server several times.
    static let failureMemory: Duration = .seconds(2)

    /// Fetches a key listing when the token has none, or always with `force`, and installs it. Returns
    /// the failure when there is no listing to show; Signet is called without the lock held.
    @discardableResult
    func refresh(force: Bool) throws(CryptokiError) -> SignetFailure? {
        enum Step { case current, remembered(SignetFailure), fetch(SignetAPI, UInt64, Diagnostics) }
        let step: Step = try withLive { live throws(CryptokiError) in
            if !force, live.token != nil { return .current }
            if let last = live.lastFailure, ContinuousClock.now - last.at < Self.failureMemory { return .remembered(last.failure) }
            return .fetch(live.api, live.generation, live.diagnostics)
        }
        guard case .fetch(let api, let generation, let diagnostics) = step else {
            if case .remembered(let failure) = step { return failure }
            return nil
        }
        let result: Result<KeyListing, SignetFailure>
        do {
            result = .success(try api.listKeys())
        } catch {
            result = .failure(error)
        }
        return try withLive { live throws(CryptokiError) in
            // Finalized and initialised again meanwhile: this answer belongs to the old configuration.
            guard live.generation == generation else { return live.token == nil ? .unreachable("the module was re-initialised") : nil }
            switch result {
            case .success(let listing):
                let contents = TokenContents(listing: listing)
                for reason in contents.skipped { diagnostics.debug("left out \(reason)") }
                live.install(contents)
                live.lastFailure = nil
                diagnostics.debug("token '\(contents.label)' for \(contents.principal): \(contents.keys.count) release key(s)")
                return nil
            case .failure(let failure):
                diagnostics.debug("listing release keys failed: \(failure)")
                live.lastFailure = (ContinuousClock.now, failure)
                // A refused credential opens nothing: the token is gone, not merely stale.
                if failure.isCredentialRefused { live.token = nil }
                return failure
            }
        }
    }

    func tokenIsPresent() throws(CryptokiError) -> Bool {
        try refresh(force: false)
        return try withLive { live throws(CryptokiError) in live.token != nil }
    }

    func checkSlot(_ slot: CK_SLOT_ID) throws(CryptokiError) {
        guard slot == Self.slotID else { throw .slotInvalid }
    }

    public func getSlotList(_ tokenPresent: CK_BBOOL, _ list: UnsafeMutablePointer<CK_SLOT_ID>?, _ count: UnsafeMutablePointer<CK_ULONG>?) -> CK_RV {
        answer { () throws(CryptokiError) in
            try ensureInitialized()
            guard let count else { throw .argumentsBad }
            let listed = tokenPresent == CK_BBOOL(CK_FALSE) ? true : try tokenIsPresent()
            let slots: [CK_SLOT_ID] = listed ? [Self.slotID] : []
            guard let list else {
                count.pointee = CK_ULONG(slots.count)
                return
            }
            guard count.pointee >= CK_ULONG(slots.count) else {
                count.pointee = CK_ULONG(slots.count)
                throw .bufferTooSmall
            }
            for (index, slot) in slots.enumerated() { list[index] = slot }
            count.pointee = CK_ULONG(slots.count)
        }
    }

    public func getSlotInfo(_ slot: CK_SLOT_ID, _ info: UnsafeMutablePointer<CK_SLOT_INFO>?) -> CK_RV {
        answer { () throws(CryptokiError) in
            try ensureInitialized()
            try checkSlot(slot)
            guard let info else { throw .argumentsBad }
            let present = try tokenIsPresent()
            let url = try withLive { live throws(CryptokiError) in live.api.configuration.baseURL }
            var value = CK_SLOT_INFO()
            BlankPadded.write("Signet at \(url.split(separator: "/", omittingEmptySubsequences: true).dropFirst().first ?? "")", into: &value.slotDescription)
            BlankPadded.write("Signet", into: &value.manufacturerID)
            value.flags = CK_FLAGS(CKF_REMOVABLE_DEVICE) | (present ? CK_FLAGS(CKF_TOKEN_PRESENT) : 0)
            value.hardwareVersion = Self.version
            value.firmwareVersion = Self.version
            info.pointee = value
        }
    }

    public func getTokenInfo(_ slot: CK_SLOT_ID, _ info: UnsafeMutablePointer<CK_TOKEN_INFO>?) -> CK_RV {
        answer { () throws(CryptokiError) in
            try ensureInitialized()
            try checkSlot(slot)
            guard let info else { throw .argumentsBad }
            guard try tokenIsPresent() else { throw .tokenNotPresent }
            info.pointee = try withLive { live throws(CryptokiError) in
                guard let token = live.token else { throw .tokenNotPresent }
                var value = CK_TOKEN_INFO()
                BlankPadded.write(token.label, into: &value.label)
                BlankPadded.write("Signet", into: &value.manufacturerID)
                BlankPadded.write("release keys", into: &value.model)
                BlankPadded.write(token.serialNumber, into: &value.serialNumber)
                // No CKF_LOGIN_REQUIRED: the credential is Signet's bearer, not a PIN. C_Login still succeeds.
                value.flags = CK_FLAGS(CKF_TOKEN_INITIALIZED) | CK_FLAGS(CKF_USER_PIN_INITIALIZED)
                value.ulMaxSessionCount = CK_ULONG(CK_EFFECTIVELY_INFINITE)
                value.ulSessionCount = CK_ULONG(live.sessions.count)
                value.ulMaxRwSessionCount = CK_ULONG(CK_EFFECTIVELY_INFINITE)
                value.ulRwSessionCount = CK_ULONG(live.sessions.values.filter(\.isReadWrite).count)
                value.ulMaxPinLen = 255
                value.ulMinPinLen = 0
                value.ulTotalPublicMemory = AttributeEncoding.unavailable
                value.ulFreePublicMemory = AttributeEncoding.unavailable
                value.ulTotalPrivateMemory = AttributeEncoding.unavailable
                value.ulFreePrivateMemory = AttributeEncoding.unavailable
                value.hardwareVersion = Self.version
                value.firmwareVersion = Self.version
                BlankPadded.write("", into: &value.utcTime)
                return value
            }
        }
    }

    public func getMechanismList(_ slot: CK_SLOT_ID, _ list: UnsafeMutablePointer<CK_MECHANISM_TYPE>?, _ count: UnsafeMutablePointer<CK_ULONG>?) -> CK_RV {
        answer { () throws(CryptokiError) in
            try ensureInitialized()
            try checkSlot(slot)
            guard let count else { throw .argumentsBad }
            guard try tokenIsPresent() else { throw .tokenNotPresent }
            let mechanisms = SignMechanism.allCases.map(\.type)
            guard let list else {
                count.pointee = CK_ULONG(mechanisms.count)
                return
            }
            guard count.pointee >= CK_ULONG(mechanisms.count) else {
                count.pointee = CK_ULONG(mechanisms.count)
                throw .bufferTooSmall
            }
            for (index, mechanism) in mechanisms.enumerated() { list[index] = mechanism }
            count.pointee = CK_ULONG(mechanisms.count)
        }
    }

    public func getMechanismInfo(_ slot: CK_SLOT_ID, _ type: CK_MECHANISM_TYPE, _ info: UnsafeMutablePointer<CK_MECHANISM_INFO>?) -> CK_RV {
        answer { () throws(CryptokiError) in
            try ensureInitialized()
            try checkSlot(slot)
            guard let info else { throw .argumentsBad }
            guard try tokenIsPresent() else { throw .tokenNotPresent }
            guard let mechanism = SignMechanism(type: type) else { throw .mechanismInvalid }
            info.pointee = mechanism.info
        }
    }
}
