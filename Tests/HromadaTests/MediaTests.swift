import Foundation
import Testing

@testable import Hromada

/// Sample images built byte by byte: just enough structure for the sanitizer, with metadata in them.
enum SampleImages {
    static func segment(_ marker: UInt8, _ payload: [UInt8]) -> [UInt8] {
        let length = payload.count + 2
        return [0xFF, marker, UInt8(length >> 8), UInt8(length & 0xFF)] + payload
    }

    static let scan: [UInt8] = [0xFF, 0xDA, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3F, 0x00, 0x12, 0x34, 0xFF, 0x00, 0x56, 0xFF, 0xD9]

    /// A JPEG with JFIF, an Exif segment holding a GPS block, a comment, a quantisation table and
    /// a baseline frame of 640 × 480.
    static var jpegWithGPS: [UInt8] { jpeg(width: 640, height: 480, comment: "taken at home") }

    static func jpeg(width: Int, height: Int, comment: String) -> [UInt8] {
        [0xFF, 0xD8]
            + segment(0xE0, Array("JFIF\0".utf8) + [1, 2, 0, 0, 1, 0, 1, 0, 0])
            + segment(0xE1, Array("Exif\0\0".utf8) + Array("MM\0*GPSLatitude 49.4229 GPSLongitude 26.9871".utf8))
            + segment(0xFE, Array(comment.utf8))
            + segment(0xDB, [0x00] + Array(repeating: 1, count: 64))
            + segment(0xC0, [8, UInt8(height >> 8), UInt8(height & 0xFF), UInt8(width >> 8), UInt8(width & 0xFF), 1, 1, 0x11, 0])
            + scan
    }

    static func bigEndian32(_ value: Int) -> [UInt8] {
        [UInt8(value >> 24 & 0xFF), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
    }

    static func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        bigEndian32(data.count) + Array(type.utf8) + data + [0, 0, 0, 0]
    }

    static var pngWithText: [UInt8] { png(width: 800, height: 600) }

    static func png(width: Int, height: Int) -> [UInt8] {
        ImageSanitizer.pngSignature + chunk("IHDR", bigEndian32(width) + bigEndian32(height) + [8, 6, 0, 0, 0])
            + chunk("tEXt", Array("Location\0Khmelnytskyi".utf8)) + chunk("eXIf", Array("MM\0*GPS".utf8)) + chunk("IDAT", [1, 2, 3])
            + chunk("IEND", [])
    }

    static func riffChunk(_ fourCC: String, _ data: [UInt8]) -> [UInt8] {
        let size = data.count
        return Array(fourCC.utf8) + [UInt8(size & 0xFF), UInt8(size >> 8 & 0xFF), 0, 0] + data + (size % 2 == 1 ? [0] : [])
    }

    static var webpWithExif: [UInt8] { webp(canvasWidth: 10, canvasHeight: 10) }

    static func webp(canvasWidth: Int, canvasHeight: Int) -> [UInt8] {
        let (w, h) = (canvasWidth - 1, canvasHeight - 1)
        let canvas: [UInt8] = [UInt8(w & 0xFF), UInt8(w >> 8 & 0xFF), UInt8(w >> 16 & 0xFF), UInt8(h & 0xFF), UInt8(h >> 8 & 0xFF), UInt8(h >> 16 & 0xFF)]
        let body = Array("WEBP".utf8) + riffChunk("VP8X", [0x1C, 0, 0, 0] + canvas) + riffChunk("VP8 ", [9, 8, 7, 6])
            + riffChunk("EXIF", Array("MM\0*GPS!".utf8) + [1]) + riffChunk("XMP ", Array("<x:gps/>".utf8))
        return Array("RIFF".utf8) + [UInt8(body.count & 0xFF), UInt8(body.count >> 8), 0, 0] + body
    }
}

@Suite struct MediaTests {
    func contains(_ haystack: [UInt8], _ text: String) -> Bool {
        haystack.withUnsafeBytes { UploadForm.find(Array(text.utf8), in: $0, from: 0) != nil }
    }

    @Test func gpsIsRemovedFromAJPEG() throws {
        let (format, bytes) = try ImageSanitizer.sanitized(SampleImages.jpegWithGPS)
        #expect(format == .jpeg)
        #expect(!contains(bytes, "GPS") && !contains(bytes, "Exif") && !contains(bytes, "taken at home"))
        #expect(contains(bytes, "JFIF"))
        #expect(Array(bytes.suffix(SampleImages.scan.count)) == SampleImages.scan, "the picture itself is untouched")
        #expect(bytes.count == SampleImages.jpegWithGPS.count - (4 + 6 + 44) - (4 + 13))
    }

    @Test func textAndExifLeaveAPNGAndAWebP() throws {
        let png = try ImageSanitizer.sanitized(SampleImages.pngWithText)
        #expect(png.format == .png && !contains(png.bytes, "Location") && !contains(png.bytes, "GPS") && contains(png.bytes, "IDAT"))
        let webp = try ImageSanitizer.sanitized(SampleImages.webpWithExif)
        #expect(webp.format == .webp && !contains(webp.bytes, "GPS") && !contains(webp.bytes, "gps") && contains(webp.bytes, "VP8 "))
        #expect(webp.bytes[20] == 0x10, "the VP8X flags no longer announce Exif or XMP")
        let riffSize = Int(webp.bytes[4]) | Int(webp.bytes[5]) << 8
        #expect(riffSize == webp.bytes.count - 8)
    }

    @Test func onlyImagesByTheirBytes() throws {
        #expect(throws: ImageSanitizer.Failure.unsupported) { try ImageSanitizer.sanitized(Array("<html>not a photo</html>".utf8)) }
        #expect(throws: ImageSanitizer.Failure.unsupported) { try ImageSanitizer.sanitized(Array("GIF89a".utf8)) }
        #expect(throws: ImageSanitizer.Failure.malformed) { try ImageSanitizer.sanitized(Array(SampleImages.jpegWithGPS.prefix(30))) }
        #expect(throws: ImageSanitizer.Failure.malformed) { try ImageSanitizer.sanitized(Array(SampleImages.pngWithText.prefix(40))) }
        // A text file renamed to .jpg is refused by the upload check, with the field named.
        let renamed = UploadedFile(field: "photos", filename: "lamp.jpg", bytes: Array("just text".utf8))
        #expect(throws: AppError.self) { try MediaStore.images(from: [renamed], field: "photos", limit: 5) }
        let big = UploadedFile(field: "photos", filename: "big.jpg", bytes: SampleImages.jpegWithGPS + Array(repeating: 0, count: MediaStore.maximumBytes))
        #expect(throws: AppError.self) { try MediaStore.images(from: [big], field: "photos", limit: 5) }
        let six = Array(repeating: UploadedFile(field: "photos", filename: "a.jpg", bytes: SampleImages.jpegWithGPS), count: 6)
        #expect(throws: AppError.self) { try MediaStore.images(from: six, field: "photos", limit: 5) }
        #expect(try MediaStore.images(from: Array(six.prefix(5)), field: "photos", limit: 5).count == 5)
    }

    /// A few bytes that declare a picture too big to decode (a decompression bomb) are refused in
    /// every format, with their own message; a picture of a phone's full size passes.
    @Test func picturesThatDeclareTooManyPixelsAreRefused() throws {
        for bomb in [SampleImages.png(width: 100_000, height: 100_000), SampleImages.jpeg(width: 20_000, height: 20_000, comment: ""),
                     SampleImages.webp(canvasWidth: 16_000, canvasHeight: 16_000), SampleImages.png(width: 20_000, height: 10)] {
            #expect(throws: ImageSanitizer.Failure.tooManyPixels) { try ImageSanitizer.sanitized(bomb) }
            let upload = UploadedFile(field: "photos", filename: "bomb.png", bytes: bomb)
            let refusal = #expect(throws: AppError.self) { try MediaStore.images(from: [upload], field: "photos", limit: 5) }
            #expect(refusal?.fieldErrors == ["photos": "media.error.too_many_pixels"])
        }
        #expect(try ImageSanitizer.sanitized(SampleImages.jpeg(width: 8_160, height: 6_120, comment: "")).format == .jpeg)
        // A JPEG without a frame header declares no size at all.
        let withoutFrame = [0xFF, 0xD8] + SampleImages.segment(0xDB, [0x00] + Array(repeating: 1, count: 64)) + SampleImages.scan
        #expect(throws: ImageSanitizer.Failure.malformed) { try ImageSanitizer.sanitized(withoutFrame) }
    }

    /// A JPEG whose comment is a web page (a polyglot) loses the comment: what is stored and served
    /// is only a picture, sent as `image/jpeg` with `nosniff`.
    @Test func aPolyglotLosesItsPayload() throws {
        let polyglot = SampleImages.jpeg(width: 10, height: 10, comment: "<html><script>alert(document.cookie)</script></html>")
        let cleaned = try ImageSanitizer.sanitized(polyglot)
        #expect(cleaned.format == .jpeg && !contains(cleaned.bytes, "<script>") && !contains(cleaned.bytes, "<html>"))
    }

    @Test func multipartBodies() throws {
        let body = Array("--XyZ\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nЛавки\r\n--XyZ\r\nContent-Disposition: form-data; name=\"photos\"; filename=\"a.png\"\r\nContent-Type: image/png\r\n\r\n".utf8)
            + [1, 13, 10, 2] + Array("\r\n--XyZ\r\nContent-Disposition: form-data; name=\"photos\"; filename=\"\"\r\n\r\n\r\n--XyZ--\r\n".utf8)
        #expect(UploadForm.boundary(of: "multipart/form-data; boundary=\"XyZ\"") == "XyZ")
        let form = try #require(UploadForm.parse(body, boundary: "XyZ"))
        #expect(form.fields["title"] == "Лавки")
        #expect(form.files.count == 1, "an empty file input sends nothing")
        #expect(form.files.first?.bytes == [1, 13, 10, 2] && form.files.first?.filename == "a.png")
        #expect(UploadForm.parse(Array("--XyZ\r\nno headers end".utf8), boundary: "XyZ") == nil)
        #expect(UploadForm.parse(body, boundary: "Other") == nil)
    }
}
