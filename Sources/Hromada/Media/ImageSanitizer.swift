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
///
/// The picture's declared size is checked too: a few kilobytes can declare billions of pixels (a
/// decompression bomb) that would exhaust the memory of whoever decodes it, a browser or a
/// thumbnailer.
public enum ImageSanitizer {
    public enum Failure: Error, Equatable {
        /// Not a JPEG, PNG or WebP image.
        case unsupported
        /// It starts like one but its structure is broken.
        case malformed
        /// It declares more pixels than ``maximumPixels`` or a side longer than ``maximumSide``.
        case tooManyPixels
    }

    /// 64 megapixels: more than a phone's full-resolution photo (48–50 MP).
    public static let maximumPixels = 64_000_000
    public static let maximumSide = 16_384

    static let pngSignature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    public static func sanitized(_ bytes: [UInt8]) throws -> (format: ImageFormat, bytes: [UInt8]) {
        guard let format = ImageFormat.detect(bytes) else { throw Failure.unsupported }
        let (cleaned, width, height) = switch format {
        case .jpeg: try jpeg(bytes)
        case .png: try png(bytes)
        case .webp: try webp(bytes)
        }
        guard width > 0, height > 0 else { throw Failure.malformed }
        guard width <= maximumSide, height <= maximumSide, width * height <= maximumPixels else { throw Failure.tooManyPixels }
        return (format, cleaned)
    }

    /// A cleaned image and the width and height it declares.
    typealias Cleaned = (bytes: [UInt8], width: Int, height: Int)

    static func bigEndian(_ bytes: [UInt8], _ at: Int, count: Int) -> Int {
        bytes[at..<at + count].reduce(0) { $0 << 8 | Int($1) }
    }

    static func littleEndian(_ bytes: [UInt8], _ at: Int, count: Int) -> Int {
        (0..<count).reduce(0) { $0 | Int(bytes[at + $1]) << (8 * $1) }
    }

    static func jpeg(_ bytes: [UInt8]) throws -> Cleaned {
        let dropped: Set<UInt8> = [0xE1, 0xED, 0xFE]
        // Start-of-frame markers, which carry the picture's size; C4, C8 and CC are other segments.
        let frames: Set<UInt8> = [0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF]
        var size: (width: Int, height: Int)?
        var output: [UInt8] = [0xFF, 0xD8]
        var index = 2
        while index < bytes.count {
            guard bytes[index] == 0xFF else { throw Failure.malformed }
            while index < bytes.count && bytes[index] == 0xFF { index += 1 }  // fill bytes
            guard index < bytes.count else { throw Failure.malformed }
            let marker = bytes[index]
            index += 1
            switch marker {
            case 0xD9, 0xDA:  // end of image; start of scan: the compressed picture and everything after it, as it is
                guard let size else { throw Failure.malformed }
                return (output + [0xFF, marker] + (marker == 0xDA ? bytes[index...] : []), size.width, size.height)
            case 0x01, 0xD0...0xD7:
                output += [0xFF, marker]
            default:
                guard index + 2 <= bytes.count else { throw Failure.malformed }
                let length = Int(bytes[index]) << 8 | Int(bytes[index + 1])
                guard length >= 2, index + length <= bytes.count else { throw Failure.malformed }
                if frames.contains(marker) {
                    guard length >= 7 else { throw Failure.malformed }
                    size = (bigEndian(bytes, index + 5, count: 2), bigEndian(bytes, index + 3, count: 2))
                }
                if !dropped.contains(marker) { output += [0xFF, marker] + bytes[index..<index + length] }
                index += length
            }
        }
        throw Failure.malformed
    }

    static func png(_ bytes: [UInt8]) throws -> Cleaned {
        let dropped: Set<String> = ["eXIf", "tEXt", "zTXt", "iTXt", "tIME"]
        var output = pngSignature
        var index = pngSignature.count
        var first = true
        while index + 12 <= bytes.count {
            let length = bigEndian(bytes, index, count: 4)
            let type = String(decoding: bytes[index + 4..<index + 8], as: UTF8.self)
            let end = index + 12 + length
            guard length <= 0x7FFF_FFFF, end <= bytes.count, !first || (type == "IHDR" && length >= 8) else { throw Failure.malformed }
            first = false
            if !dropped.contains(type) { output += bytes[index..<end] }
            if type == "IEND" {
                return (output, bigEndian(bytes, pngSignature.count + 8, count: 4), bigEndian(bytes, pngSignature.count + 12, count: 4))
            }
            index = end
        }
        throw Failure.malformed
    }

    static func webp(_ bytes: [UInt8]) throws -> Cleaned {
        let riffEnd = 8 + littleEndian(bytes, 4, count: 4)
        guard riffEnd <= bytes.count, riffEnd >= 12 else { throw Failure.malformed }
        var chunks: [UInt8] = Array("WEBP".utf8)
        var dimensions: (width: Int, height: Int)?
        var index = 12
        while index + 8 <= riffEnd {
            let fourCC = String(decoding: bytes[index..<index + 4], as: UTF8.self)
            let size = littleEndian(bytes, index + 4, count: 4)
            let end = index + 8 + size + (size & 1)
            guard end <= riffEnd || (end == riffEnd + 1 && size & 1 == 1) else { throw Failure.malformed }
            var chunk = Array(bytes[index..<min(end, riffEnd)])
            if chunk.count < 8 + size + (size & 1) { chunk.append(0) }
            if fourCC == "VP8X", size >= 1 { chunk[8] &= ~UInt8(0x0C) }  // no Exif, no XMP
            if fourCC != "EXIF" && fourCC != "XMP " { chunks += chunk }
            if dimensions == nil { dimensions = webpDimensions(fourCC, data: Array(chunk.dropFirst(8))) }
            index = end
        }
        guard index >= riffEnd, let dimensions else { throw Failure.malformed }
        let size = chunks.count
        return (Array("RIFF".utf8) + (0..<4).map { UInt8(truncatingIfNeeded: size >> (8 * $0)) } + chunks, dimensions.width, dimensions.height)
    }

    /// The canvas of an extended WebP (VP8X), or the frame size of a simple lossy (VP8) or
    /// lossless (VP8L) one; `nil` for other chunks.
    static func webpDimensions(_ fourCC: String, data: [UInt8]) -> (width: Int, height: Int)? {
        switch fourCC {
        case "VP8X" where data.count >= 10:
            return (littleEndian(data, 4, count: 3) + 1, littleEndian(data, 7, count: 3) + 1)
        case "VP8 " where data.count >= 10 && data[3...5].elementsEqual([0x9D, 0x01, 0x2A]):
            return (littleEndian(data, 6, count: 2) & 0x3FFF, littleEndian(data, 8, count: 2) & 0x3FFF)
        case "VP8L" where data.count >= 5 && data[0] == 0x2F:
            let bits = littleEndian(data, 1, count: 4)
            return ((bits & 0x3FFF) + 1, (bits >> 14 & 0x3FFF) + 1)
        default:
            return nil
        }
    }
}
