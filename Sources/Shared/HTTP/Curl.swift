// Curl: libcurl as Vigil uses it — loaded once per process at run time (libcurl.so.4, the library
// FoundationNetworking itself loads), the option and info numbers of libcurl's stable ABI, and the failure
// classes its result codes map to. A process that cannot load it says which library and package are missing.

import CCurl
import Foundation

/// The loaded libcurl, or why it could not be loaded.
public enum Curl {
    /// Loads libcurl on first use; the error names the library and the package that provides it.
    public static let loaded: Result<Void, CurlUnavailable> = {
        var buffer = [CChar](repeating: 0, count: 512)
        guard vigil_curl_load(&buffer, buffer.count) == 0 else {
            return .failure(CurlUnavailable(description: buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }))
        }
        return .success(())
    }()

    /// libcurl's version line: "libcurl/7.88.1 OpenSSL/3.0.17 zlib/1.2.13 brotli/1.0.9 … nghttp2/1.52.0".
    public static var version: String? {
        guard case .success = loaded, let text = vigil_curl_version() else { return nil }
        return String(cString: text)
    }

    /// "libcurl/7.88.1; TLS OpenSSL/3.0.17; HTTP/2 yes; asynchronous DNS yes; IPv6 yes" for `check`.
    public static var summary: String {
        guard let version else {
            if case let .failure(error) = loaded { return "unavailable: \(error)" }
            return "unavailable"
        }
        let features = vigil_curl_features()
        func yes(_ bit: Int32) -> String { features & bit != 0 ? "yes" : "no" }
        let tls = vigil_curl_ssl_version().map { String(cString: $0) } ?? "none"
        return "\(version.split(separator: " ").first ?? "libcurl"); TLS \(tls); HTTP/2 \(yes(1 << 16)); "
            + "asynchronous DNS \(yes(1 << 7)); IPv6 \(yes(1 << 0))"
    }

    /// libcurl's own words for a result code.
    static func describe(_ code: Int32) -> String {
        vigil_curl_easy_strerror(code).map { String(cString: $0) } ?? "error \(code)"
    }

    /// CURLOPT_* numbers used by Vigil (curl.h: CURLOPTTYPE_LONG 0, OBJECTPOINT 10000, FUNCTIONPOINT 20000, OFF_T 30000).
    enum Option: Int32 {
        case writeData = 10001, url = 10002, proxy = 10004, errorBuffer = 10010, writeFunction = 20011
        case postFields = 10015, httpHeader = 10023, headerData = 10029, customRequest = 10036, noBody = 44
        case post = 47, followLocation = 52, sslVerifyPeer = 64, caInfo = 10065, headerFunction = 20079
        case sslVerifyHost = 81, httpVersion = 84, noSignal = 99, acceptEncoding = 10102, privateData = 10103
        case ipResolve = 113, postFieldSizeLarge = 30120, timeoutMS = 155, connectTimeoutMS = 156, certInfo = 172
        case noProxy = 10177, protocolsString = 10318, sslCert = 10025, sslKey = 10087, uploadBufferSize = 280
        case connectTo = 10243, bufferSize = 98
    }

    /// CURLINFO_* numbers (curl.h: STRING 0x100000, LONG 0x200000, PTR 0x400000, OFF_T 0x600000).
    enum Info: Int32 {
        case responseCode = 0x200002, primaryIP = 0x100020, httpVersion = 0x20002E, certInfo = 0x400022
        case sizeDownload = 0x600008, totalTime = 0x600032, nameLookupTime = 0x600033, connectTime = 0x600034
        case preTransferTime = 0x600035, startTransferTime = 0x600036, appConnectTime = 0x600038
    }

    /// CURLE_* codes that decide a failure's class.
    enum Code {
        static let ok: Int32 = 0
        static let unsupportedProtocol: Int32 = 1
        static let urlMalformat: Int32 = 3
        static let couldntResolveProxy: Int32 = 5
        static let couldntResolveHost: Int32 = 6
        static let couldntConnect: Int32 = 7
        static let writeError: Int32 = 23
        static let operationTimedOut: Int32 = 28
        static let abortedByCallback: Int32 = 42
        /// Handshake, certificate and TLS library errors (35 connect, 53/54/66 engine, 58 client certificate,
        /// 59 cipher, 60 peer verification, 64, 77 CA file, 80 shutdown, 82 CRL, 83 issuer, 90 pinned key, 91 status).
        static let tls: Set<Int32> = [35, 53, 54, 58, 59, 60, 64, 66, 77, 80, 82, 83, 90, 91]
    }
}

/// libcurl could not be loaded: the sentence says which library and which package.
public struct CurlUnavailable: Error, CustomStringConvertible, Sendable {
    public let description: String
}
