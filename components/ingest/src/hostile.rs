//! Builders of hostile inputs for tests (here and in the host's end-to-end
//! tests): decompression bombs are generated, not committed, because a file
//! that inflates to gigabytes is still megabytes when compressed.

use std::io::Write;

/// A valid one-page PDF whose content stream is `inflated` zero bytes,
/// Flate-compressed (about 1/1000 of that on disk).
pub fn flate_bomb_pdf(inflated: u64) -> Vec<u8> {
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    let block = vec![0u8; 1 << 20];
    let mut left = inflated;
    while left > 0 {
        let n = left.min(block.len() as u64) as usize;
        encoder.write_all(&block[..n]).expect("writing to a Vec");
        left -= n as u64;
    }
    let stream = encoder.finish().expect("writing to a Vec");
    let mut pdf = b"%PDF-1.7\n".to_vec();
    let mut offsets = Vec::new();
    let objects: [Vec<u8>; 4] = [
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << >> >>".to_vec(),
        [
            format!("<< /Length {} /Filter /FlateDecode >>\nstream\n", stream.len()).into_bytes(),
            stream,
            b"\nendstream".to_vec(),
        ]
        .concat(),
    ];
    for (index, object) in objects.iter().enumerate() {
        offsets.push(pdf.len());
        pdf.extend_from_slice(format!("{} 0 obj\n", index + 1).as_bytes());
        pdf.extend_from_slice(object);
        pdf.extend_from_slice(b"\nendobj\n");
    }
    let xref = pdf.len();
    pdf.extend_from_slice(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes());
    for offset in offsets {
        pdf.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
    }
    pdf.extend_from_slice(
        format!("trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n", objects.len() + 1).as_bytes(),
    );
    pdf
}

/// A zip holding a `word/document.xml` of `inflated` spaces inside a valid
/// document element: a DOCX-shaped zip bomb.
pub fn zip_bomb_docx(inflated: u64) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(inflated >= u32::MAX as u64);
    writer.start_file("word/document.xml", options).expect("zip entry");
    writer.write_all(b"<w:document><w:body><w:p><w:r><w:t>").expect("zip write");
    let block = vec![b' '; 1 << 20];
    let mut left = inflated;
    while left > 0 {
        let n = left.min(block.len() as u64) as usize;
        writer.write_all(&block[..n]).expect("zip write");
        left -= n as u64;
    }
    writer.write_all(b"</w:t></w:r></w:p></w:body></w:document>").expect("zip write");
    writer.finish().expect("zip finish").into_inner()
}

/// An HTML page of `depth` nested `<div>`s around one paragraph.
pub fn deeply_nested_html(depth: usize) -> Vec<u8> {
    format!(
        "<!DOCTYPE html><html><body>{}<p>Deep text survives.</p>{}</body></html>",
        "<div>".repeat(depth),
        "</div>".repeat(depth)
    )
    .into_bytes()
}

/// A JSON value nested `depth` arrays deep.
pub fn deeply_nested_json(depth: usize) -> Vec<u8> {
    format!("{}{{\"text\": \"deep\"}}{}", "[".repeat(depth), "]".repeat(depth)).into_bytes()
}
