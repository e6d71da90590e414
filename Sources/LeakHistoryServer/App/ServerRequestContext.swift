import Foundation
import Hummingbird

/// The request context of every LeakHistory route: Hummingbird's core storage
/// and a JSON encoder with a stable (sorted) key order that leaves slashes
/// readable (Foundation's bytes, written faster: `SortedJSONEncoder`).
public struct ServerRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
    }

    /// Only Hummingbird's own decoding helpers read this; the events route
    /// enforces `ServerConfiguration.maxBodyBytes` itself.
    public var maxUploadSize: Int { 8 << 20 }

    public var responseEncoder: SortedJSONEncoder { SortedJSONEncoder() }
}
