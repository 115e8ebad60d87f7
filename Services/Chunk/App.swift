import StrypeService

/// Entry point of the `chunk` binary.
@main
struct App {
    static func main() async {
        await ServiceMain.run(ChunkService.definition)
    }
}
