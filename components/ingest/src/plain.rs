//! Plain text: paragraphs separated by blank lines, with light structure
//! recovered from common conventions (underlined or numbered headings, list
//! markers, indented code).

use brightrun_types::BlockKind;

use crate::DocumentBuilder;

/// Splits `text` into blocks. A paragraph of one short line without final
/// punctuation, followed by a paragraph, is a heading; a line underlined with
/// `===` or `---` is a heading of level 1 or 2; lines starting with `-`, `*`
/// or `N.` are list items; a paragraph indented by four spaces or a tab is code.
pub(crate) fn parse(text: &str) -> DocumentBuilder {
    let mut builder = DocumentBuilder::default();
    let paragraphs: Vec<&str> = split_paragraphs(text);
    for (index, paragraph) in paragraphs.iter().enumerate() {
        let lines: Vec<&str> = paragraph.lines().collect();
        if lines.iter().all(|line| line.starts_with("    ") || line.starts_with('\t')) {
            let code: Vec<&str> = lines
                .iter()
                .map(|line| line.strip_prefix("    ").or_else(|| line.strip_prefix('\t')).unwrap_or(line))
                .collect();
            builder.push(BlockKind::Code, 0, None, None, &code.join("\n"));
            continue;
        }
        if lines.len() == 2 && is_underline(lines[1]) {
            let level = if lines[1].trim_start().starts_with('=') { 1 } else { 2 };
            builder.push(BlockKind::Heading, level, None, None, lines[0]);
            continue;
        }
        if lines.len() == 1 && index + 1 < paragraphs.len() && looks_like_heading(lines[0]) {
            builder.push(BlockKind::Heading, 2, None, None, lines[0]);
            continue;
        }
        if lines.iter().any(|line| list_marker(line).is_some()) {
            push_list(&mut builder, &lines);
            continue;
        }
        builder.push(BlockKind::Paragraph, 0, None, None, &lines.join(" "));
    }
    builder
}

fn split_paragraphs(text: &str) -> Vec<&str> {
    let mut paragraphs = Vec::new();
    let mut start: Option<usize> = None;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if line.trim().is_empty() {
            if let Some(begin) = start.take() {
                paragraphs.push(text[begin..offset].trim_end_matches('\n'));
            }
        } else if start.is_none() {
            start = Some(offset);
        }
        offset += line.len();
    }
    if let Some(begin) = start {
        paragraphs.push(text[begin..].trim_end_matches('\n'));
    }
    paragraphs
}

fn is_underline(line: &str) -> bool {
    let line = line.trim();
    line.len() >= 3 && (line.chars().all(|c| c == '=') || line.chars().all(|c| c == '-'))
}

fn looks_like_heading(line: &str) -> bool {
    let line = line.trim();
    let words = line.split_whitespace().count();
    (1..=10).contains(&words)
        && line.len() <= 80
        && !line.ends_with(['.', ',', ';', ':', '!'])
        && line.chars().next().is_some_and(|c| c.is_uppercase() || c.is_ascii_digit())
        && list_marker(line).is_none()
}

/// For a list line, the ordinal (for `N.` / `N)`) and the item text.
fn list_marker(line: &str) -> Option<(Option<u32>, &str)> {
    let trimmed = line.trim_start();
    for bullet in ["- ", "* ", "• "] {
        if let Some(rest) = trimmed.strip_prefix(bullet) {
            return Some((None, rest));
        }
    }
    let digits = trimmed.chars().take_while(char::is_ascii_digit).count();
    if (1..=3).contains(&digits) {
        let rest = &trimmed[digits..];
        if let Some(item) = rest.strip_prefix(". ").or_else(|| rest.strip_prefix(") ")) {
            return trimmed[..digits].parse().ok().map(|n| (Some(n), item));
        }
    }
    None
}

/// Pushes list items; a line without a marker continues the item before it
/// (or, before the first item, is an introductory paragraph).
fn push_list(builder: &mut DocumentBuilder, lines: &[&str]) {
    let mut intro: Vec<&str> = Vec::new();
    let mut current: Option<(Option<u32>, u8, String)> = None;
    for line in lines {
        match list_marker(line) {
            Some((ordinal, item)) => {
                if !intro.is_empty() {
                    builder.push(BlockKind::Paragraph, 0, None, None, &intro.join(" "));
                    intro.clear();
                }
                if let Some((ordinal, level, text)) = current.take() {
                    builder.push(BlockKind::ListItem, level, ordinal, None, &text);
                }
                let indent = line.len() - line.trim_start().len();
                let level = u8::try_from(1 + indent / 2).unwrap_or(u8::MAX).min(6);
                current = Some((ordinal, level, item.trim().to_string()));
            }
            None => match current.as_mut() {
                Some((_, _, text)) => {
                    text.push(' ');
                    text.push_str(line.trim());
                }
                None => intro.push(line.trim()),
            },
        }
    }
    if !intro.is_empty() {
        builder.push(BlockKind::Paragraph, 0, None, None, &intro.join(" "));
    }
    if let Some((ordinal, level, text)) = current {
        builder.push(BlockKind::ListItem, level, ordinal, None, &text);
    }
}
