import StrypeService

/// Entry point of the `filesystem` binary.
@main
struct App {
    static func main() async {
        await ServiceMain.run(FilesystemService.definition)
    }
}
