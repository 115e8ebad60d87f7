import Foundation

/// A file's media type: from well-known leading bytes first (what the file is), then from its name's extension,
/// then text when the first bytes are UTF-8 without NUL, else `application/octet-stream`.
enum ContentType {
    static let byExtension: [String: String] = [
        "txt": "text/plain; charset=utf-8", "md": "text/markdown; charset=utf-8", "csv": "text/csv; charset=utf-8",
        "html": "text/html; charset=utf-8", "htm": "text/html; charset=utf-8", "css": "text/css; charset=utf-8",
        "js": "text/javascript; charset=utf-8", "mjs": "text/javascript; charset=utf-8", "json": "application/json",
        "xml": "application/xml", "svg": "image/svg+xml", "png": "image/png", "jpg": "image/jpeg",
        "jpeg": "image/jpeg", "gif": "image/gif", "webp": "image/webp", "ico": "image/x-icon", "bmp": "image/bmp",
        "heic": "image/heic", "pdf": "application/pdf", "zip": "application/zip", "gz": "application/gzip",
        "tgz": "application/gzip", "tar": "application/x-tar", "7z": "application/x-7z-compressed",
        "mp3": "audio/mpeg", "wav": "audio/wav", "ogg": "audio/ogg", "flac": "audio/flac", "mp4": "video/mp4",
        "mov": "video/quicktime", "webm": "video/webm", "mkv": "video/x-matroska", "doc": "application/msword",
        "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "odt": "application/vnd.oasis.opendocument.text", "wasm": "application/wasm",
    ]

    /// Signatures that say what a file is whatever its name.
    static let signatures: [([UInt8], String)] = [
        ([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], "image/png"),
        ([0xFF, 0xD8, 0xFF], "image/jpeg"),
        (Array("GIF8".utf8), "image/gif"),
        (Array("%PDF-".utf8), "application/pdf"),
        ([0x1F, 0x8B], "application/gzip"),
        (Array("7z".utf8) + [0xBC, 0xAF, 0x27, 0x1C], "application/x-7z-compressed"),
    ]

    /// The type of a file named `name` whose content starts with `head`.
    static func detect(name: String, head: some Collection<UInt8>) -> String {
        let bytes = Array(head.prefix(512))
        for (signature, type) in signatures where bytes.starts(with: signature) { return type }
        let fileExtension = (name as NSString).pathExtension.lowercased()
        if let type = byExtension[fileExtension] { return type }
        // ZIP containers (docx, jar...) are only named by their extension; a bare one is a zip.
        if bytes.starts(with: [0x50, 0x4B, 0x03, 0x04]) { return "application/zip" }
        if !bytes.isEmpty, !bytes.contains(0), Self.isUTF8Prefix(bytes) { return "text/plain; charset=utf-8" }
        return "application/octet-stream"
    }

    /// Whether `bytes` is UTF-8, allowing a sequence cut short at the end (the sample is a prefix).
    static func isUTF8Prefix(_ bytes: [UInt8]) -> Bool {
        for cut in 0...min(3, bytes.count - 1) where String(validating: bytes.dropLast(cut), as: UTF8.self) != nil {
            return true
        }
        return false
    }
}
