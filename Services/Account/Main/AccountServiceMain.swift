import Foundation
import Logging
import SafeMapAccount
import SafeMapClient
import SafeMapRuntime

/// account-service: reads configuration, wires, runs. Everything else is in SafeMapAccount.
@main
enum AccountServiceMain {
  static func main() async {
    await ServiceMain.run(.account) { host, environment in
      try await AccountServer.run(host: host, environment: environment)
    }
  }
}
