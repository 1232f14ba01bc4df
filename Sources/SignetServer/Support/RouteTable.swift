import Hummingbird

/// Registers routes in OpenAPI path syntax (`/api/v1/certificates/{serial}`) and remembers them, so a
/// test can hold the router and `openapi.json` to the same list.
struct RouteTable {
    struct Entry: Hashable, Sendable {
        let method: String
        let path: String
    }

    private(set) var entries: [Entry] = []

    /// Registers `path`; `routerPath` overrides the Hummingbird pattern when the OpenAPI path cannot
    /// express it (a parameter that may contain '/', registered as `**`).
    mutating func add<Context: RequestContext>(
        _ router: some RouterMethods<Context>, _ method: HTTPRequest.Method, _ path: String, routerPath: String? = nil,
        _ handler: @escaping @Sendable (Request, Context) async throws -> Response
    ) {
        entries.append(Entry(method: method.rawValue.lowercased(), path: path))
        let hummingbirdPath = routerPath ?? path.split(separator: "/", omittingEmptySubsequences: false).map { part -> String in
            part.hasPrefix("{") && part.hasSuffix("}") ? ":" + part.dropFirst().dropLast() : String(part)
        }.joined(separator: "/")
        router.on(RouterPath(hummingbirdPath), method: method, use: handler)
    }
}
