import Foundation

/// The OpenAPI 3.1 description of the API, shipped as `Resources/openapi.json` and served at
/// `/openapi.json`. A test holds it to the routes the server actually registers.
public enum OpenAPIDocument {
    public static let json: String = {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "json"),
              let text = try? String(contentsOf: url, encoding: .utf8) else {
            return #"{"openapi":"3.1.0","info":{"title":"Signet","version":"1"},"paths":{}}"#
        }
        return text
    }()
}
