import StrypeService

/// Entry point of the `cloud` binary.
@main
struct App {
    static func main() async {
        await ServiceMain.run(CloudService.definition)
    }
}
