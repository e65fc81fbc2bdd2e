//! reStructuredText (docutils and Sphinx sources): work in progress, read as plain text until its decoder lands.

use crate::DocumentBuilder;

/// Whether `text` reads as RestructuredText by its content.
pub(crate) fn looks_like(_text: &str) -> bool {
    false
}

/// Splits `text` into blocks.
pub(crate) fn parse(text: &str) -> DocumentBuilder {
    crate::plain::parse(text)
}
