import ArgumentParser
import SafeMapCLI

/// The `safemap` executable: everything is in SafeMapCLI, which the tests also link.
@main
enum SafeMapMain {
  static func main() async {
    await SafeMapCommand.main()
  }
}
