//! Large documents cut into parts that segment on their own, so one big
//! document is segmented by every worker instead of one, and a segment call
//! carries about [`PART_BYTES`] of text whatever the document's size.
//!
//! Where a document has sections, it is cut only before a heading at its
//! top heading level (1 to 3) that follows body text. Segment starts a new
//! chunk there anyway, with no overlap, and the open headings are exactly
//! that one heading, so the parts' chunks are the whole document's chunks:
//! same text, section paths and token counts, spans and indexes moved back
//! into the document ([`place`]). A document without headings (plain text)
//! is cut between two paragraphs; the first chunk after the cut does not
//! repeat the previous chunk's overlap, which is the one difference. A
//! document whose only headings are deeper than level 3 is not cut: a cut
//! there would lose the open headings.

use crate::types;

/// Text per part: a part ends at the first cut point past this size.
pub const PART_BYTES: usize = 1 << 20;

/// Documents up to this size stay whole.
pub const SPLIT_ABOVE_BYTES: usize = 2 * PART_BYTES;

/// One part of a document: a document of its own whose spans start at
/// `offset` in the whole one.
#[derive(Debug, Clone)]
pub struct Part {
    /// Where the part's text starts in the document's text.
    pub offset: u32,
    /// The part, named and titled as the whole document.
    pub document: types::Document,
}

/// `document` cut into parts (see the module docs); one part, the whole
/// document, when it is small or has nowhere to cut.
pub fn parts(document: types::Document) -> Vec<Part> {
    if document.text.len() <= SPLIT_ABOVE_BYTES {
        return vec![Part { offset: 0, document }];
    }
    let cuts = cut_points(&document);
    if cuts.is_empty() {
        return vec![Part { offset: 0, document }];
    }
    let starts: Vec<usize> = std::iter::once(0)
        .chain(cuts.iter().filter_map(|block| document.blocks.get(*block)).map(|block| block.span.start as usize))
        .collect();
    let first_blocks: Vec<usize> = std::iter::once(0).chain(cuts.iter().copied()).collect();
    let mut parts = Vec::with_capacity(starts.len());
    for (at, (start, first_block)) in starts.iter().zip(&first_blocks).enumerate() {
        let end = starts.get(at + 1).copied().unwrap_or(document.text.len());
        let last_block = first_blocks.get(at + 1).copied().unwrap_or(document.blocks.len());
        let (Some(text), Some(blocks), Ok(offset)) =
            (document.text.get(*start..end), document.blocks.get(*first_block..last_block), u32::try_from(*start))
        else {
            // Spans that do not fit the text: leave the document whole, and
            // to segment, which reports it.
            return vec![Part { offset: 0, document }];
        };
        let blocks = blocks
            .iter()
            .map(|block| types::Block {
                span: types::Span {
                    start: block.span.start.saturating_sub(offset),
                    end: block.span.end.saturating_sub(offset),
                },
                ..block.clone()
            })
            .collect();
        let part = types::Document {
            name: document.name.clone(),
            format: document.format,
            title: document.title.clone(),
            subject: document.subject.clone(),
            text: text.to_string(),
            blocks,
        };
        parts.push(Part { offset, document: part });
    }
    parts
}

/// Block indexes to cut before: the first cut point past each
/// [`PART_BYTES`] of text.
fn cut_points(document: &types::Document) -> Vec<usize> {
    let is_body = |block: &types::Block| {
        block.kind != types::BlockKind::Heading
            && document
                .text
                .get(block.span.start as usize..block.span.end as usize)
                .is_some_and(|text| !text.trim().is_empty())
    };
    let headings = document.blocks.iter().filter(|block| block.kind == types::BlockKind::Heading);
    let top_level = headings.map(|block| block.level).min();
    let cut_before = |previous: &types::Block, block: &types::Block| {
        is_body(previous)
            && match top_level {
                None => is_body(block),
                Some(level) if level <= 3 => block.kind == types::BlockKind::Heading && block.level == level,
                Some(_) => false,
            }
    };
    let mut cuts = Vec::new();
    let mut part_start = 0usize;
    for (index, pair) in document.blocks.windows(2).enumerate() {
        let [previous, block] = pair else { continue };
        let start = block.span.start as usize;
        if start >= part_start + PART_BYTES && cut_before(previous, block) {
            cuts.push(index + 1);
            part_start = start;
        }
    }
    cuts
}

/// Moves a part's chunks into the whole document: spans shifted by the
/// part's offset, indexes counted on from `first_index` (the chunks of the
/// parts before).
pub fn place(chunks: &mut [types::Chunk], offset: u32, first_index: u32) {
    for (at, chunk) in chunks.iter_mut().enumerate() {
        chunk.index = first_index.saturating_add(u32::try_from(at).unwrap_or(u32::MAX));
        chunk.span.start = chunk.span.start.saturating_add(offset);
        chunk.span.end = chunk.span.end.saturating_add(offset);
        chunk.body_start = chunk.body_start.saturating_add(offset);
        for block in &mut chunk.blocks {
            block.span.start = block.span.start.saturating_add(offset);
            block.span.end = block.span.end.saturating_add(offset);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(kind: types::BlockKind, level: u8, start: usize, end: usize) -> types::Block {
        types::Block {
            kind,
            level,
            ordinal: None,
            span: types::Span { start: start as u32, end: end as u32 },
            language: None,
            page: None,
        }
    }

    /// A document of `sections` sections (`heading_level`, or none) of
    /// `paragraphs` paragraphs each.
    fn document(heading_level: Option<u8>, sections: usize, paragraphs: usize) -> types::Document {
        let mut text = String::new();
        let mut blocks = Vec::new();
        let paragraph = "The relay retries a delivery three times before it parks it. ".repeat(20);
        for section in 0..sections {
            if let Some(level) = heading_level {
                let start = text.len();
                text.push_str(&format!("Section {section}"));
                blocks.push(block(types::BlockKind::Heading, level, start, text.len()));
                text.push_str("\n\n");
                let start = text.len();
                text.push_str("Details");
                blocks.push(block(types::BlockKind::Heading, level + 1, start, text.len()));
                text.push_str("\n\n");
            }
            for _ in 0..paragraphs {
                let start = text.len();
                text.push_str(paragraph.trim_end());
                blocks.push(block(types::BlockKind::Paragraph, 0, start, text.len()));
                text.push_str("\n\n");
            }
        }
        types::Document {
            name: "big.md".into(),
            format: types::SourceFormat::Markdown,
            title: "Big".into(),
            subject: None,
            text,
            blocks,
        }
    }

    fn check_parts_cover_the_document(whole: &types::Document, parts: &[Part]) {
        let mut joined = String::new();
        let mut blocks = 0;
        for part in parts {
            assert_eq!(part.offset as usize, joined.len());
            assert_eq!(part.document.name, whole.name);
            joined.push_str(&part.document.text);
            for (block, original) in part.document.blocks.iter().zip(&whole.blocks[blocks..]) {
                let text = &part.document.text[block.span.start as usize..block.span.end as usize];
                assert_eq!(text, &whole.text[original.span.start as usize..original.span.end as usize]);
            }
            blocks += part.document.blocks.len();
        }
        assert_eq!(joined, whole.text);
        assert_eq!(blocks, whole.blocks.len());
    }

    #[test]
    fn cuts_before_top_level_headings_that_follow_body_text() {
        let whole = document(Some(2), 600, 4);
        assert!(whole.text.len() > SPLIT_ABOVE_BYTES);
        let parts = parts(whole.clone());
        assert!(parts.len() >= 3, "{} parts", parts.len());
        check_parts_cover_the_document(&whole, &parts);
        for part in &parts {
            let first = &part.document.blocks[0];
            assert!(first.kind == types::BlockKind::Heading && first.level == 2, "{first:?}");
            assert!(part.document.text.len() <= PART_BYTES + 8192, "{}", part.document.text.len());
        }
    }

    #[test]
    fn cuts_plain_text_between_paragraphs_and_leaves_deep_headings_whole() {
        let plain = document(None, 1, 2500);
        let cut = parts(plain.clone());
        assert!(cut.len() >= 2);
        check_parts_cover_the_document(&plain, &cut);
        assert!(cut.iter().all(|part| part.document.blocks[0].kind == types::BlockKind::Paragraph));

        // Headings only at level 4 and below: nowhere to cut without losing them.
        let deep = document(Some(4), 600, 4);
        assert_eq!(parts(deep).len(), 1);
        // Small documents stay whole.
        assert_eq!(parts(document(Some(1), 3, 2)).len(), 1);
    }

    #[test]
    fn places_chunks_back_into_the_document() {
        let span = |start, end| types::Span { start, end };
        let chunk = types::Chunk {
            document: "big.md".into(),
            index: 0,
            section_path: vec!["Section".into()],
            subject: None,
            span: span(0, 10),
            body_start: 4,
            text: "0123456789".into(),
            token_count: 3,
            blocks: vec![block(types::BlockKind::Paragraph, 0, 4, 10)],
        };
        let mut chunks = vec![chunk.clone(), chunk];
        place(&mut chunks, 100, 7);
        assert_eq!((chunks[0].index, chunks[1].index), (7, 8));
        assert_eq!((chunks[1].span.start, chunks[1].span.end, chunks[1].body_start), (100, 110, 104));
        assert_eq!((chunks[1].blocks[0].span.start, chunks[1].blocks[0].span.end), (104, 110));
    }
}
