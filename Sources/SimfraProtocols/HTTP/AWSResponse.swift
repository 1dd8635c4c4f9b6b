import SimfraCore

/// What a codec produces: status, headers and body bytes.
package struct AWSResponse: Sendable {
    package var status: Int
    package var headers: [(String, String)]
    package var body: [UInt8]
    /// A body sent in chunks as it is produced, instead of `body`.
    package var stream: (any ResponseBody)?

    package init(status: Int, headers: [(String, String)] = [], body: [UInt8] = [], stream: (any ResponseBody)? = nil) {
        self.status = status
        self.headers = headers
        self.body = body
        self.stream = stream
    }
}
