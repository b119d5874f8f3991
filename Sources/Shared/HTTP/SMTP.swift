// SMTP: one e-mail through libcurl's SMTP (smtp:// with STARTTLS required or not, smtps://), on a thread of
// its own since curl_easy_perform blocks; the async caller waits without holding an executor thread.

import CCurl
import Foundation

public enum SMTP {
    /// How a send ended: libcurl's code, the server's last reply code, and libcurl's words.
    public struct Outcome: Sendable {
        public let code: Int32
        public let reply: Int
        public let message: String

        public var succeeded: Bool { code == Curl.Code.ok }
    }

    public struct Envelope: Sendable {
        public var url: String
        public var from: String
        public var recipients: [String]
        public var username: String?
        public var password: String?
        public var caFile: String?
        /// On smtp://, refuse to send unless the server upgrades to TLS (STARTTLS).
        public var requireTLS: Bool
        public var timeout: TimeInterval

        public init(
            url: String, from: String, recipients: [String], username: String?, password: String?, caFile: String?, requireTLS: Bool,
            timeout: TimeInterval
        ) {
            self.url = url
            self.from = from
            self.recipients = recipients
            self.username = username
            self.password = password
            self.caFile = caFile
            self.requireTLS = requireTLS
            self.timeout = timeout
        }
    }

    /// Sends `message` (headers and body with CRLF line ends) to the envelope's recipients.
    public static func send(_ message: [UInt8], envelope: Envelope) async -> Outcome {
        if case let .failure(error) = Curl.loaded { return Outcome(code: 2, reply: 0, message: "\(error)") }
        return await withCheckedContinuation { continuation in
            let thread = Thread { continuation.resume(returning: perform(message, envelope)) }
            thread.name = "vigil-smtp"
            thread.start()
        }
    }

    private static func perform(_ message: [UInt8], _ envelope: Envelope) -> Outcome {
        var reply = 0
        var error = [CChar](repeating: 0, count: 256)
        // C strings that live through the call.
        let strings = ([envelope.url, envelope.from] + envelope.recipients).map { strdup($0) }
        let optional = [envelope.username, envelope.password, envelope.caFile].map { $0.map { strdup($0) } ?? nil }
        defer {
            for pointer in strings + optional { free(pointer) }
        }
        let recipients = strings[2...].map { UnsafePointer($0) }
        let code = message.withUnsafeBufferPointer { data -> Int32 in
            recipients.withUnsafeBufferPointer { list -> Int32 in
                data.withMemoryRebound(to: CChar.self) { text -> Int32 in
                    var mail = vigil_smtp_message(
                        url: strings[0], from: strings[1], recipients: list.baseAddress, recipient_count: Int32(list.count),
                        data: text.baseAddress, length: text.count, username: optional[0], password: optional[1], ca_file: optional[2],
                        use_ssl: envelope.requireTLS ? 3 : 0, timeout_ms: Int(envelope.timeout * 1000))
                    var response = 0
                    let result = vigil_curl_smtp_send(&mail, &response, &error)
                    reply = response
                    return result
                }
            }
        }
        let words = error.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        return Outcome(code: code, reply: reply, message: words.isEmpty ? Curl.describe(code) : words)
    }
}
