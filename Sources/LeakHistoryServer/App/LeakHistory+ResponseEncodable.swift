import Hummingbird
import LeakHistory

// The library's report types already encode the API's JSON (snake_case keys,
// `baseline_mb` kept as null); the server returns them as they are.
extension LeakReport: ResponseEncodable {}
extension TrendSeries: ResponseEncodable {}
