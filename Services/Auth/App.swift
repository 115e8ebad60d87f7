import StrypeService

/// Entry point of the `auth` binary.
@main
struct App {
    static func main() async {
        await ServiceMain.run(AuthService.definition)
    }
}
