import StrypeService

/// Entry point of the `array` binary.
@main
struct App {
    static func main() async {
        await ServiceMain.run(ArrayService.definition)
    }
}
