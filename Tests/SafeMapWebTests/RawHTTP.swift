import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// HTTP/1.1 over a plain TCP socket, byte for byte: what URLSession refuses to send (a raw
/// space in a path, a stray `%`, broken headers) is exactly what a fuzz test must send.
enum RawHTTP {
  struct Reply {
    /// The status code, or nil when the server closed the connection without answering
    /// (its HTTP parser refusing a request it cannot frame).
    var status: Int?
    var head: String
  }

  /// A connected socket to 127.0.0.1:`port`, with send and receive timeouts.
  static func connect(port: Int, timeoutSeconds: Int = 10) throws -> Int32 {
    let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard socket >= 0 else { throw Failure("socket: \(errno)") }
    var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
    setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    setsockopt(socket, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let connected = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        Glibc.connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
      }
    }
    guard connected == 0 else {
      close(socket)
      throw Failure("connect to \(port): errno \(errno)")
    }
    return socket
  }

  /// Sends `request` on a new connection and reads the answer until the server closes it.
  static func send(_ request: [UInt8], port: Int) throws -> Reply {
    let socket = try connect(port: port)
    defer { close(socket) }
    var offset = 0
    while offset < request.count {
      let sent = request[offset...].withUnsafeBytes {
        Glibc.send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
      }
      // The server may answer and close before reading all of a large or broken request.
      guard sent > 0 else { break }
      offset += sent
    }
    shutdown(socket, Int32(SHUT_WR))
    var received: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 16_384)
    while received.count < 65_536 {
      let count = recv(socket, &buffer, buffer.count, 0)
      guard count > 0 else { break }
      received += buffer[0..<count]
    }
    let head = String(decoding: received.prefix(2_048), as: UTF8.self)
    let parts = head.split(separator: " ", maxSplits: 2)
    let status = parts.count >= 2 && parts[0].hasPrefix("HTTP/1.") ? Int(parts[1]) : nil
    return Reply(status: status, head: head)
  }

  /// Whether the peer closed `socket` (a read returns end of file within `seconds`).
  static func isClosed(_ socket: Int32, within seconds: Int) -> Bool {
    var poll = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
    guard Glibc.poll(&poll, 1, Int32(seconds * 1000)) > 0 else { return false }
    var byte: UInt8 = 0
    return recv(socket, &byte, 1, Int32(MSG_DONTWAIT)) == 0
  }

  struct Failure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
  }
}

extension RawHTTP {
  /// ``send(_:port:)`` on a thread of its own (``onThread(_:)``).
  static func sendOffPool(_ request: [UInt8], port: Int) async throws -> Reply {
    try await onThread { try send(request, port: port) }
  }

  /// Runs blocking socket work on a thread of its own: never on Swift's cooperative pool or
  /// Dispatch's global queues, which the in-process servers' handlers (and their accept
  /// loops) need to answer the very requests this work waits for.
  static func onThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
      let thread = Thread { continuation.resume(with: Result { try body() }) }
      thread.stackSize = 1 << 20
      thread.start()
    }
  }
}
