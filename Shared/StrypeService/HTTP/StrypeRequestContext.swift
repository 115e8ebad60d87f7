import Hummingbird

/// The request context of every service: Hummingbird's core storage plus the request id.
package struct StrypeRequestContext: RequestContext {
    package var coreContext: CoreRequestContextStorage
    /// The `X-Request-Id` of this request, set by `RequestIDMiddleware` before any handler runs.
    package var requestID: String

    package init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.requestID = ""
    }
}
