//! Code listings, margin names and TeX source in PDFs: on real LaTeX package
//! manuals (`tests/fixtures/pdf/`, see its `SOURCES.md`), on small PDFs
//! written here, and on pages of glyphs laid out by hand.

use super::*;
use brightrun_types::{Document, Ingested};

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/../../tests/fixtures/pdf/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|error| panic!("{path}: {error}"))
}

fn decode(name: &str, bytes: &[u8]) -> Document {
    let Ingested { documents, .. } =
        crate::ingest(name, None, bytes, &IngestConfig::default()).unwrap_or_else(|error| panic!("{error}"));
    documents.into_iter().next().expect("a PDF is one document")
}

fn blocks(doc: &Document) -> Vec<(BlockKind, &str)> {
    doc.blocks.iter().map(|block| (block.kind, block.span.slice(&doc.text).unwrap_or("<bad span>"))).collect()
}

fn texts(doc: &Document, kind: BlockKind) -> Vec<&str> {
    blocks(doc).into_iter().filter(|(k, _)| *k == kind).map(|(_, text)| text).collect()
}

/// Whether `blocks` holds `wanted` as consecutive blocks.
fn has_run(blocks: &[(BlockKind, &str)], wanted: &[(BlockKind, &str)]) -> bool {
    blocks.windows(wanted.len()).any(|window| window == wanted)
}

/// Prose in the fixtures that names an internal macro in a sentence, read
/// in the PDFs: the one place an `@` name belongs in a paragraph.
const PROSE_NAMING_INTERNALS: &[&str] = &[
    // cmdtrack.pdf, pages 3 to 6.
    "The cmdtrack package works by hooking into the internal LATEX function \\@yargdef. When processing",
    "One branch of providecommand processing uses \\reserved@a in a way that will fail unless we watch out",
    "In order to avoid figuring out how to read the optional arguments of \\newtheorem, we postpone the \
     application of \\log@cmd",
    "Restore \\@yargdef to normal at beginning of document,",
    // tabulary.pdf, pages 12 and 13.
    "The argument is \\centering etc depending on whether LCRJ is used.",
    "Place all tokens as far as the first \\end into a token register. Then call \\TY@find@end",
    "If we are at \\end{tabulary}, call \\end{tabulary}, otherwise add \\end{...} to the register, and call \
     \\TY@get@body again.",
];

/// The TeX debris reviewers rejected, if `text` has any: an internal `@`
/// name, a `#1` parameter, three control sequences in a row, or a name
/// glued before the prose it was printed beside.
fn tex_debris(text: &str) -> Option<String> {
    // Inline code (`\TY@box`) is TeX quoted as code, as prose sets it; the
    // backticks themselves must not hide a name glued to a sentence.
    let mut outside_code = String::new();
    for (index, part) in text.split('`').enumerate() {
        if index % 2 == 0 {
            outside_code.push_str(part);
        }
    }
    let unquoted = text.replace('`', "");
    let text = unquoted.as_str();
    let tokens: Vec<&str> = text.split_whitespace().collect();
    let internal = outside_code.split_whitespace().flat_map(control_sequences).find(|name| name.contains('@'));
    if let Some(name) = internal
        && !PROSE_NAMING_INTERNALS.iter().any(|prose| text.starts_with(prose))
    {
        return Some(format!("internal \\{name}"));
    }
    if outside_code.as_bytes().windows(2).any(|pair| pair[0] == b'#' && pair[1].is_ascii_digit()) {
        return Some("a #n parameter".to_string());
    }
    if control_sequences_in_a_row(text) >= 3 {
        return Some("three control sequences in a row".to_string());
    }
    // `\TY@count Counter so that…`, `\RaggedRightLeftskip “\leftskip …`: a
    // margin name glued to the sentence printed beside it.
    let glued = tokens.first().is_some_and(|first| {
        first.starts_with('\\')
            && first
                .get(1..)
                .is_some_and(|name| !name.is_empty() && name.chars().all(|c| c.is_ascii_alphabetic() || c == '@'))
    }) && tokens.get(1).is_some_and(|second| second.starts_with(|c: char| c.is_uppercase() || c == '“'));
    glued.then(|| format!("a name glued to prose: {:?}", tokens.iter().take(3).collect::<Vec<_>>()))
}

/// The longest run of control sequences (`\\` and letters) with nothing
/// but spaces between them: `\\foo\\bar \\baz` is three.
fn control_sequences_in_a_row(text: &str) -> usize {
    let (mut longest, mut run) = (0, 0);
    let mut rest = text;
    while let Some(at) = rest.find('\\') {
        let between = &rest[..at];
        if !between.trim().is_empty() {
            run = 0;
        }
        let after = &rest[at + 1..];
        let letters = after.find(|c: char| !c.is_ascii_alphabetic()).unwrap_or(after.len());
        run = if letters > 0 { run + 1 } else { 0 };
        longest = longest.max(run);
        let skip = if letters > 0 { letters } else { after.chars().next().map_or(0, char::len_utf8) };
        rest = &after[skip..];
    }
    longest
}

/// A code line that still starts with its listing's line number.
fn starts_with_line_number(line: &str) -> bool {
    strip_line_number(line.trim_start()).is_some_and(|rest| rest.starts_with(['\\', '{', '}', '%', '⟨']))
}

fn assert_listings_and_prose_are_apart(doc: &Document) {
    let code = texts(doc, BlockKind::Code);
    assert!(code.len() >= 15, "{}: {} code blocks", doc.name, code.len());
    for block in &code {
        for line in block.lines() {
            assert!(!starts_with_line_number(line), "{}: line number kept in {line:?}", doc.name);
        }
    }
    for (kind, text) in blocks(doc) {
        if matches!(kind, BlockKind::Paragraph | BlockKind::ListItem | BlockKind::Heading)
            && let Some(debris) = tex_debris(text)
        {
            panic!("{}: {kind:?} with TeX source ({debris}): {text:?}", doc.name);
        }
    }
}

#[test]
fn keeps_a_documented_latex_package_listing_as_code_and_its_prose_clean() {
    let doc = decode("tabulary.pdf", &fixture("tabulary.pdf"));
    assert_listings_and_prose_are_apart(&doc);
    let code = texts(&doc, BlockKind::Code);
    // Page 5: code lines 14–16, their numbers gone, the indentation kept.
    assert!(code.contains(&"\\def\\TY@tabular#1{%\n  \\edef\\TY@{\\@currenvir}%\n  {\\ifnum0=‘}\\fi"), "{code:#?}");
    assert!(code.contains(
        &"⟨∗package⟩\n\\RequirePackage{array}\n\\catcode‘\\Z=14\n\
                            \\DeclareOption{debugshow}{\\catcode‘\\Z=9\\relax}\n\\ProcessOptions"
    ));
    // Line 27 goes on line 26, aligned under its argument.
    assert!(code.iter().any(|block| block.contains(
        "  \\expandafter\\let\\csname TY@SF\\the\\count@\\expandafter\\endcsname\n                   \\csname TY@F"
    )));
    let paragraphs = texts(&doc, BlockKind::Paragraph);
    assert!(paragraphs.contains(
        &"At this point need to save locally things that tabulary will globally mess up. These are restored at \
          the end of the environment."
    ));
}

#[test]
fn cuts_margin_macro_names_off_the_paragraph_beside_them() {
    let doc = decode("tabulary.pdf", &fixture("tabulary.pdf"));
    let blocks = blocks(&doc);
    for run in [
        [
            (BlockKind::Code, "\\TY@count"),
            (BlockKind::Paragraph, "Counter so that we know what column we are hacking around in."),
            (BlockKind::Code, "\\newcount\\TY@count"),
        ],
        [
            (BlockKind::Code, "\\arraybackslash"),
            (BlockKind::Paragraph, "Borrowed from tabularx."),
            (BlockKind::Code, "\\def\\arraybackslash{\\let\\\\=\\@arraycr}"),
        ],
    ] {
        assert!(has_run(&blocks, &run), "{run:?} not in {blocks:#?}");
    }
}

#[test]
fn drops_the_index_and_the_change_history() {
    let doc = decode("tabulary.pdf", &fixture("tabulary.pdf"));
    let headings = texts(&doc, BlockKind::Heading);
    assert!(!headings.contains(&"Index") && !headings.contains(&"Change History"), "{headings:?}");
    for entry in ["\\@whilesw . . .", ". . . . . . 21, 162", "Numbers written in italic", "General: Initial version"] {
        assert!(!doc.text.contains(entry), "index or change history kept: {entry:?}");
    }
    // The last code of the package is kept.
    assert!(texts(&doc, BlockKind::Code).iter().any(|code| code.ends_with("⟨/package⟩")));
}

#[test]
fn keeps_verbatim_samples_without_line_numbers_as_code() {
    let doc = decode("cmdtrack.pdf", &fixture("cmdtrack.pdf"));
    assert_listings_and_prose_are_apart(&doc);
    let blocks = blocks(&doc);
    let runs: [&[(BlockKind, &str)]; 3] = [
        &[
            (BlockKind::Paragraph, "Standard declaration of package name and date."),
            (BlockKind::Code, "\\NeedsTeXFormat{LaTeX2e}\n\\ProvidesPackage{cmdtrack}[2012/12/18 v1.06]"),
        ],
        &[(BlockKind::Code, "\\usepackage{cmdtrack}")],
        &[(
            BlockKind::Code,
            "\"mdash\" was used on line 25\n\"ndash\" was never used\n\"gar \" was used on line 26\n\
             \"math character ?\" was used on line 26",
        )],
    ];
    for run in runs {
        assert!(has_run(&blocks, run), "{run:?} not in {blocks:#?}");
    }
    let code = texts(&doc, BlockKind::Code);
    // Columns aligned with spaces in the source stay aligned.
    assert!(code.iter().any(|block| block.contains("\n%%?{ ?       Causes this information to be shown on-screen.\n")));
    assert!(code.iter().any(|block| block.starts_with("\\newcommand{\\untrack}[1]{%\n  \\begingroup\n")));
}

#[test]
fn sql_samples_in_courier_are_code() {
    let path = format!("{}/../../tests/fixtures/formats/sqlite-atomic-commit.pdf", env!("CARGO_MANIFEST_DIR"));
    let bytes = std::fs::read(&path).unwrap_or_else(|error| panic!("{path}: {error}"));
    let doc = decode("sqlite-atomic-commit.pdf", &bytes);
    let code = texts(&doc, BlockKind::Code);
    assert!(code.contains(&"PRAGMA journal_mode=DELETE;\nBEGIN EXCLUSIVE;\nCOMMIT;"), "{code:?}");
    assert!(texts(&doc, BlockKind::Paragraph).iter().any(|p| p.starts_with("Beware of deleting persistent journal")));
}

#[test]
fn truncated_manuals_decode_or_fail_with_a_typed_error() {
    for name in ["tabulary.pdf", "cmdtrack.pdf"] {
        let bytes = fixture(name);
        for cut in [64, bytes.len() / 10, bytes.len() / 4, bytes.len() / 2, bytes.len() * 9 / 10, bytes.len() - 7] {
            // Cut, and cut with the rest of the file overwritten: both damage
            // streams, fonts and the cross-reference table.
            let mut scrambled = bytes.clone();
            scrambled.iter_mut().skip(cut).step_by(97).for_each(|byte| *byte = byte.wrapping_mul(31));
            for damaged in [&bytes[..cut], scrambled.as_slice()] {
                if let Ok(ingested) = crate::ingest(name, None, damaged, &IngestConfig::default()) {
                    for doc in &ingested.documents {
                        for block in &doc.blocks {
                            assert!(block.span.slice(&doc.text).is_some_and(|t| !t.trim().is_empty()), "{name} @{cut}");
                        }
                    }
                }
            }
        }
    }
}

// ---- Small PDFs written here ----

/// A one-page PDF with fonts F1 (Helvetica) and F2 (Courier), drawing
/// `content` through `forms` nested form XObjects.
fn pdf(content: &str, forms: usize) -> Vec<u8> {
    let fonts = "/Font << /F1 5 0 R /F2 6 0 R >>";
    let resources = if forms > 0 { format!("<< {fonts} /XObject << /X 7 0 R >> >>") } else { format!("<< {fonts} >>") };
    let page_content = if forms > 0 { "/X Do".to_string() } else { content.to_string() };
    let mut objects = vec![
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
        format!("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources {resources} >>"),
        format!("<< /Length {} >>\nstream\n{page_content}\nendstream", page_content.len()),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_string(),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Courier >>".to_string(),
    ];
    for depth in 0..forms {
        let last = depth + 1 == forms;
        let body = if last { content.to_string() } else { "/X Do".to_string() };
        let inner =
            if last { format!("<< {fonts} >>") } else { format!("<< {fonts} /XObject << /X {} 0 R >> >>", 8 + depth) };
        objects.push(format!(
            "<< /Type /XObject /Subtype /Form /BBox [0 0 612 792] /Resources {inner} /Length {} >>\nstream\n{body}\nendstream",
            body.len()
        ));
    }
    let mut file = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (index, object) in objects.iter().enumerate() {
        offsets.push(file.len());
        file.extend_from_slice(format!("{} 0 obj\n{object}\nendobj\n", index + 1).as_bytes());
    }
    let xref = file.len();
    file.extend_from_slice(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes());
    for offset in offsets {
        file.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
    }
    file.extend_from_slice(
        format!("trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n", objects.len() + 1).as_bytes(),
    );
    file
}

/// A text line at (`x`, `y`) in font `font` at `size`, for [`pdf`].
fn shown(font: &str, size: u32, x: f64, y: f64, text: &str) -> String {
    let escaped = text.replace('\\', "\\\\").replace('(', "\\(").replace(')', "\\)");
    format!("BT /{font} {size} Tf {x} {y} Td ({escaped}) Tj ET\n")
}

/// A listing like the `doc` package's: code in Courier, its line numbers
/// smaller in Helvetica to the left, between two paragraphs.
fn listing(forms: usize) -> Vec<u8> {
    let mut content = shown("F1", 10, 72.0, 700.0, "The package defines one command, shown here in full:");
    for (number, (indent, code)) in [(0, "\\def\\foo#1{%"), (2, "\\bar#1\\relax"), (0, "}")].into_iter().enumerate() {
        content += &shown("F1", 6, 60.0, 680.0 - 11.0 * number as f64, &format!("{}", number + 41));
        content += &shown("F2", 9, 72.0 + 5.4 * f64::from(indent), 680.0 - 11.0 * number as f64, code);
    }
    content += &shown("F1", 10, 72.0, 630.0, "That is all it takes to define it.");
    pdf(&content, forms)
}

#[test]
fn a_listing_in_a_monospaced_font_loses_its_line_numbers() {
    let doc = decode("listing.pdf", &listing(0));
    assert_eq!(
        blocks(&doc),
        [
            (BlockKind::Paragraph, "The package defines one command, shown here in full:"),
            (BlockKind::Code, "\\def\\foo#1{%\n  \\bar#1\\relax\n}"),
            (BlockKind::Paragraph, "That is all it takes to define it."),
        ]
    );
}

#[test]
fn a_listing_inside_forms_too_deep_to_walk_is_read_by_its_text() {
    // Forms nested past MAX_FORM_DEPTH: pdf-extract draws them, the font
    // walk gives up, and the TeX is told by its text (line numbers and all,
    // as they are not in another font any more to the decoder).
    for forms in [1, MAX_FORM_DEPTH + 3] {
        let doc = decode("nested.pdf", &listing(forms));
        let code = texts(&doc, BlockKind::Code);
        assert_eq!(code.len(), 1, "{forms} forms: {:#?}", blocks(&doc));
        assert!(code.iter().all(|code| code.contains("\\def\\foo#1{%")), "{forms} forms: {code:?}");
        assert!(!texts(&doc, BlockKind::Paragraph).iter().any(|p| p.contains('\\')), "{forms} forms");
    }
}

// ---- Pages of glyphs laid out by hand ----

/// Glyphs for `text` from (`x`, `y`), each `advance` wide, spaces as gaps.
fn glyphs(x: f64, y: f64, size: f64, monospaced: bool, text: &str) -> Vec<Glyph> {
    let advance = size * if monospaced { 0.6 } else { 0.5 };
    text.chars()
        .enumerate()
        .filter(|(_, c)| *c != ' ')
        .map(|(column, c)| {
            let x = x + advance * column as f64;
            Glyph { x, y, end: x + advance, size, text: c.to_string(), string: 0, monospaced }
        })
        .collect()
}

fn page(fonts_known: bool, glyphs: Vec<Glyph>) -> Page {
    Page { number: 1, width: 612.0, height: 792.0, glyphs, strings: 0, fonts_known }
}

fn laid_out(pages: Vec<Page>) -> Vec<(BlockKind, String)> {
    let builder = layout(pages);
    builder
        .blocks
        .iter()
        .map(|block| (block.kind, block.span.slice(&builder.text).unwrap_or("<bad span>").to_string()))
        .collect()
}

#[test]
fn without_fonts_tex_lines_are_code_and_their_glued_numbers_go() {
    let mut drawn = glyphs(72.0, 100.0, 10.0, false, "The package saves one internal command first.");
    drawn.extend(glyphs(72.0, 130.0, 10.0, false, "261 \\rc@newcommand*\\foo[1]{#1}"));
    drawn.extend(glyphs(72.0, 142.0, 10.0, false, "262 \\let\\bar\\relax"));
    drawn.extend(glyphs(72.0, 172.0, 10.0, false, "Then it is used in the next section."));
    assert_eq!(
        laid_out(vec![page(false, drawn)]),
        [
            (BlockKind::Paragraph, "The package saves one internal command first.".to_string()),
            (BlockKind::Code, "\\rc@newcommand*\\foo[1]{#1}\n\\let\\bar\\relax".to_string()),
            (BlockKind::Paragraph, "Then it is used in the next section.".to_string()),
        ]
    );
}

#[test]
fn a_typewritten_document_is_read_by_its_text() {
    // All in a monospaced font (a text file printed to PDF): the font says
    // nothing, so prose stays prose and only the TeX line is code.
    let mut drawn = glyphs(72.0, 100.0, 10.0, true, "Every line of this memo is set in Courier.");
    drawn.extend(glyphs(72.0, 112.0, 10.0, true, "It reads as prose all the same."));
    drawn.extend(glyphs(72.0, 142.0, 10.0, true, "\\newcommand{\\memo}[1]{#1}"));
    drawn.extend(glyphs(72.0, 172.0, 10.0, true, "That was the only command."));
    assert_eq!(
        laid_out(vec![page(true, drawn)]),
        [
            (
                BlockKind::Paragraph,
                "Every line of this memo is set in Courier. It reads as prose all the same.".to_string()
            ),
            (BlockKind::Code, "\\newcommand{\\memo}[1]{#1}".to_string()),
            (BlockKind::Paragraph, "That was the only command.".to_string()),
        ]
    );
}

#[test]
fn a_macro_name_ending_a_sentence_stays_in_its_paragraph() {
    let mut drawn = glyphs(72.0, 100.0, 10.0, false, "The lists are printed by \\listoffigures and by");
    drawn.extend(glyphs(72.0, 112.0, 10.0, true, "\\listoftables."));
    drawn.extend(glyphs(72.0, 124.0, 10.0, false, "Both take no argument at all, and print a list."));
    let blocks = laid_out(vec![page(true, drawn)]);
    assert_eq!(blocks.len(), 1, "{blocks:?}");
    assert_eq!(blocks[0].0, BlockKind::Paragraph);
}

#[test]
fn reads_tex_source_by_its_text() {
    let cases = [
        ("\\def\\foo#1{\\bar{#1}}", true),
        ("261 \\rc@newcommand*\\getrefnumber[1]{%", true),
        ("\\usepackage{cmdtrack}", true),
        ("\\let\\@float@Hx\\@xfloat", true),
        ("\\fi}%", true),
        ("The \\newfloat command takes three required arguments.", false),
        ("For instance, \\floatstyle{ruled}.", false),
        ("\\floatstyle", false),
        ("Numbers are written in italic.", false),
    ];
    for (text, tex) in cases {
        assert_eq!(looks_like_tex(text), tex, "{text:?}");
    }
}

#[test]
fn tells_monospaced_fonts_by_their_names() {
    let cases = [
        ("Courier", true),
        ("ABCDEF+CMTT10", true),
        ("QWERTY+LMMono10-Regular", true),
        ("rm-lmtt10", true),
        ("SFTT1000", true),
        ("DejaVuSansMono-Bold", true),
        ("SourceCodePro-Regular", true),
        ("Consolas", true),
        ("NimbusMonL-Regu", true),
        ("ABCDEF+CMR10", false),
        ("Helvetica", false),
        ("ArialUnicodeMS", false),
        ("Bitter-Regular", false),
    ];
    for (name, monospaced) in cases {
        assert_eq!(is_monospaced_name(name), monospaced, "{name}");
    }
}

#[test]
fn code_text_drops_counting_line_numbers_and_keeps_indentation() {
    let line =
        |x0: f64, text: &str, blank_before: bool| CodeLine { x0, advance: 5.0, text: text.to_string(), blank_before };
    // Numbers drawn with the code in one font: they count up, so they go.
    let numbered = [line(60.0, "9 \\def\\a{%", false), line(60.0, "10   \\b}", false), line(60.0, "12 \\c", true)];
    assert_eq!(code_text(&numbered), "\\def\\a{%\n  \\b}\n\n\\c");
    // Numbers that do not count up are the code's own.
    let data = [line(60.0, "3 4", false), line(60.0, "1 2", false)];
    assert_eq!(code_text(&data), "3 4\n1 2");
    // Indentation from where each line starts, in columns.
    let indented = [line(72.0, "if x:", false), line(92.0, "y()", false), line(2000.0, "far", false)];
    assert_eq!(code_text(&indented), format!("if x:\n    y()\n{}far", " ".repeat(MAX_INDENT)));
}

#[test]
fn tells_index_entries_from_code_that_ends_in_a_number() {
    let line = |text: &str, fonts_known: bool, ends_monospaced: bool| {
        let mut line = Line::start(&glyphs(0.0, 0.0, 10.0, false, "x")[0], text.to_string(), fonts_known);
        line.ends_monospaced = ends_monospaced;
        line
    };
    assert!(is_index_entry(&line("\\@whilesw . . . . . 21, 162 \\@ifstar . . . 415", true, false)));
    assert!(is_index_entry(&line("\\TY@save@row 98, 102, 103", false, false)));
    assert!(!is_index_entry(&line("\\multiply\\dimen@ 2", true, true)), "code ends in the code font");
    assert!(!is_index_entry(&line("\\multiply\\dimen@ 2", false, false)), "no leaders, no list of numbers");
    assert!(!is_index_entry(&line("v0.1 \\xdef not \\edef . . . 10", true, false)), "words");
}

#[test]
fn debris_checks_catch_the_answers_reviewers_rejected() {
    for debris in [
        "\\getrefnumber 261 \\rc@newcommand*\\getrefnumber[1]{%",
        "\\RaggedRightLeftskip “\\leftskip (glue at left of justified lines)” [4, p.",
        "\\TY@count Counter so that we know what column we are hacking around in.",
        "the code \\expandafter\\let\\csname is here",
        "takes #1 as its argument",
    ] {
        assert!(tex_debris(debris).is_some(), "{debris:?}");
    }
    for prose in [
        "The \\newfloat command takes three required and one optional argument.",
        "Only commands defined with \\newcommand, \\newenvironment, \\newtheorem, and their variants are logged.",
        "\\logcmd redefines \\foo to take on the meaning of \\\"foo.",
    ] {
        assert_eq!(tex_debris(prose), None, "{prose:?}");
    }
}

#[test]
fn a_tex_manuals_prose_sets_control_sequences_as_code_and_spells_the_logos() {
    assert_eq!(
        tex_logos("Among the features of LATEX and TEX (LATEX2ε)"),
        "Among the features of LaTeX and TeX (LaTeX2ε)"
    );
    assert_eq!(tex_logos("A LATEXT heading, ATEX"), "A LATEXT heading, ATEX");
    assert_eq!(
        tex_in_prose("The \\floatstyle command sets a default float style."),
        "The `\\floatstyle` command sets a default float style."
    );
    assert_eq!(
        tex_in_prose("it is of the form \\newfloat{∗type⟩}{∗placement⟩}[∗within⟩] where"),
        "it is of the form `\\newfloat{⟨type⟩}{⟨placement⟩}[⟨within⟩]` where"
    );
    assert_eq!(
        tex_in_prose("commands like \\begin{table*}, \\fps@∗float⟩ and \\section*."),
        "commands like `\\begin{table*}`, `\\fps@⟨float⟩` and `\\section*`."
    );
    // A group left open is not taken; a control symbol is one character.
    assert_eq!(tex_in_prose("\\caption{.. . caption"), "`\\caption`{.. . caption");
    assert_eq!(tex_in_prose("a \\\\ b and \\, c"), "a `\\\\` b and `\\,` c");
    // A footnote's asterisk is no meta-variable.
    assert_eq!(tex_in_prose("∗This file has version number v1.3d."), "∗This file has version number v1.3d.");
}
