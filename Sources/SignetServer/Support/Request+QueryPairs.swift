import Hummingbird

extension Request {
    /// The URL's query parameters, percent-decoded, in the order given: what SignetCore's parameter
    /// parsers (``QueryParameters``) take, so the same checks run for the API and the CLI.
    var queryPairs: [(name: String, value: String)] {
        uri.queryParameters.map { (name: String($0.key), value: String($0.value)) }
    }
}
