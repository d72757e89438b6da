import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// GETs `url` and returns (status, body); throws on transport errors.
func httpGet(_ url: String, timeout: TimeInterval = 5) async throws -> (Int, Data) {
    var request = URLRequest(url: try requireURLValue(url))
    request.timeoutInterval = timeout
    let (data, response) = try await URLSession.shared.data(for: request)
    return ((response as? HTTPURLResponse)?.statusCode ?? 0, data)
}

struct BadURL: Error { var text: String }

func requireURLValue(_ text: String) throws -> URL {
    guard let url = URL(string: text) else { throw BadURL(text: text) }
    return url
}

/// Percent-encodes a PromQL query for a URL query string (`+` included, which forms would read as a space).
func encodeQuery(_ query: String) -> String {
    var allowed = CharacterSet.alphanumerics
    allowed.insert(charactersIn: "-._~")
    return query.addingPercentEncoding(withAllowedCharacters: allowed) ?? query
}
