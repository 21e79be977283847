//! How the mock shows what a client sent inside its own messages: received values quoted and cut, names cut,
//! and text cut at a character boundary. One length rule for every message (API errors, admin errors, logs).

/// A parameter name as a message shows it: cut at 64 characters.
pub(crate) fn shown_name(name: &str) -> String {
    match cut_chars(name) {
        (cut, true) => format!("{cut}..."),
        (cut, false) => cut.to_string(),
    }
}

/// `text` cut at 64 characters, and whether it was cut: the one length rule of received values in messages.
fn cut_chars(text: &str) -> (&str, bool) {
    const MAX_CHARS: usize = 64;
    match text.char_indices().nth(MAX_CHARS) {
        Some((end, _)) => (&text[..end], true),
        None => (text, false),
    }
}

/// Shows a received value in a message: quoted, escaped, and cut at 64 characters.
pub(crate) fn shown(value: &str) -> String {
    match cut_chars(value) {
        (cut, true) => format!("{cut:?}..."),
        (cut, false) => format!("{cut:?}"),
    }
}

/// The longest start of `text` of at most `max` bytes that ends at a character boundary.
pub(crate) fn prefix_within(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// `1 second`, `30 seconds`.
pub(crate) fn seconds(secs: u64) -> String {
    if secs == 1 {
        "1 second".to_string()
    } else {
        format!("{secs} seconds")
    }
}
