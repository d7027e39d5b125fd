/// The image formats people may upload.
public enum ImageFormat: String, Sendable, CaseIterable {
    case jpeg
    case png
    case webp

    public var contentType: String { "image/\(rawValue)" }

    /// The format the bytes are in, whatever the file was called; `nil` for anything else.
    public static func detect(_ bytes: [UInt8]) -> ImageFormat? {
        if bytes.starts(with: [0xFF, 0xD8, 0xFF]) { return .jpeg }
        if bytes.starts(with: ImageSanitizer.pngSignature) { return .png }
        if bytes.count >= 12, bytes.starts(with: Array("RIFF".utf8)), Array(bytes[8..<12]) == Array("WEBP".utf8) { return .webp }
        return nil
    }
}

/// Removes location and other metadata from uploaded images without decoding the pictures:
/// JPEG loses its APP1 (Exif, XMP), APP13 (IPTC) and comment segments, PNG its eXIf, text and time
/// chunks, WebP its EXIF and XMP chunks. Everything else is copied byte for byte, and bytes that do
/// not follow the format's structure are refused.
///
/// Without Exif a camera's orientation flag goes too, so a photo taken sideways shows sideways.
public enum ImageSanitizer {
    public enum Failure: Error, Equatable {
        /// Not a JPEG, PNG or WebP image.
        case unsupported
        /// It starts like one but its structure is broken.
        case malformed
    }

    static let pngSignature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    public static func sanitized(_ bytes: [UInt8]) throws -> (format: ImageFormat, bytes: [UInt8]) {
        guard let format = ImageFormat.detect(bytes) else { throw Failure.unsupported }
        switch format {
        case .jpeg: return (format, try jpeg(bytes))
        case .png: return (format, try png(bytes))
        case .webp: return (format, try webp(bytes))
        }
    }

    static func jpeg(_ bytes: [UInt8]) throws -> [UInt8] {
        let dropped: Set<UInt8> = [0xE1, 0xED, 0xFE]
        var output: [UInt8] = [0xFF, 0xD8]
        var index = 2
        while index < bytes.count {
            guard bytes[index] == 0xFF else { throw Failure.malformed }
            while index < bytes.count && bytes[index] == 0xFF { index += 1 }  // fill bytes
            guard index < bytes.count else { throw Failure.malformed }
            let marker = bytes[index]
            index += 1
            switch marker {
            case 0xD9:  // end of image
                return output + [0xFF, 0xD9]
            case 0xDA:  // start of scan: the compressed picture and everything after it, as it is
                return output + [0xFF, 0xDA] + bytes[index...]
            case 0x01, 0xD0...0xD7:
                output += [0xFF, marker]
            default:
                guard index + 2 <= bytes.count else { throw Failure.malformed }
                let length = Int(bytes[index]) << 8 | Int(bytes[index + 1])
                guard length >= 2, index + length <= bytes.count else { throw Failure.malformed }
                if !dropped.contains(marker) { output += [0xFF, marker] + bytes[index..<index + length] }
                index += length
            }
        }
        throw Failure.malformed
    }

    static func png(_ bytes: [UInt8]) throws -> [UInt8] {
        let dropped: Set<String> = ["eXIf", "tEXt", "zTXt", "iTXt", "tIME"]
        var output = pngSignature
        var index = pngSignature.count
        var first = true
        while index + 12 <= bytes.count {
            let length = bytes[index..<index + 4].reduce(0) { $0 << 8 | Int($1) }
            let type = String(decoding: bytes[index + 4..<index + 8], as: UTF8.self)
            let end = index + 12 + length
            guard length <= 0x7FFF_FFFF, end <= bytes.count, !first || type == "IHDR" else { throw Failure.malformed }
            first = false
            if !dropped.contains(type) { output += bytes[index..<end] }
            if type == "IEND" { return output }
            index = end
        }
        throw Failure.malformed
    }

    static func webp(_ bytes: [UInt8]) throws -> [UInt8] {
        func littleEndian(_ at: Int) -> Int { (0..<4).reduce(0) { $0 | Int(bytes[at + $1]) << (8 * $1) } }
        let riffEnd = 8 + littleEndian(4)
        guard riffEnd <= bytes.count, riffEnd >= 12 else { throw Failure.malformed }
        var chunks: [UInt8] = Array("WEBP".utf8)
        var index = 12
        while index + 8 <= riffEnd {
            let fourCC = String(decoding: bytes[index..<index + 4], as: UTF8.self)
            let size = littleEndian(index + 4)
            let end = index + 8 + size + (size & 1)
            guard end <= riffEnd || (end == riffEnd + 1 && size & 1 == 1) else { throw Failure.malformed }
            var chunk = Array(bytes[index..<min(end, riffEnd)])
            if chunk.count < 8 + size + (size & 1) { chunk.append(0) }
            if fourCC == "VP8X", size >= 1 { chunk[8] &= ~UInt8(0x0C) }  // no Exif, no XMP
            if fourCC != "EXIF" && fourCC != "XMP " { chunks += chunk }
            index = end
        }
        guard index >= riffEnd else { throw Failure.malformed }
        let size = chunks.count
        return Array("RIFF".utf8) + (0..<4).map { UInt8(truncatingIfNeeded: size >> (8 * $0)) } + chunks
    }
}
