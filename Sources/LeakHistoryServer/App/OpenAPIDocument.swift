/// The OpenAPI 3.0 description of the HTTP API, served at `GET /openapi.yaml`.
///
/// ```sh
/// curl http://127.0.0.1:8080/openapi.yaml > leak-history.yaml
/// ```
///
/// The document itself is `Resources/openapi.yaml`, embedded at build time.
/// Tests keep it true: it passes an OpenAPI validator, its paths and methods
/// are exactly the routes the router registers, and real responses match its
/// schemas (which forbid undocumented fields).
public enum OpenAPIDocument {
    public static var yaml: String { EmbeddedResources.openapiYaml }
}
