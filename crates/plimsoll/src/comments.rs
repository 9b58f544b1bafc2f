//! Inline exemptions: `# plimsoll: ignore RES001,IMG002 -- reason`, on the offending
//! line (trailing) or on a line of its own just above it.

use plimsoll_rules::engine::{CommentExemption, parse_exemption_text};

const MARKER: &str = "plimsoll:";

/// Finds the exemption comments of a file.
pub fn scan(file: usize, text: &str) -> Vec<CommentExemption> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let Some(hash) = comment_start(line) else {
            continue;
        };
        let body = line[hash + 1..].trim_start();
        let Some(rest) = body.strip_prefix(MARKER) else {
            continue;
        };
        let Some(rest) = rest.trim_start().strip_prefix("ignore") else {
            continue;
        };
        if !rest.is_empty() && !rest.starts_with(char::is_whitespace) {
            continue;
        }
        let (selectors, reason) = parse_exemption_text(rest);
        if selectors.is_empty() {
            continue;
        }
        let comment_line = i as u32 + 1;
        let own_line = line[..hash].trim().is_empty();
        let applies_to = if own_line {
            // the next line with content that is not itself a comment
            lines[i + 1..]
                .iter()
                .position(|l| {
                    let t = l.trim();
                    !t.is_empty() && !t.starts_with('#')
                })
                .map_or(comment_line + 1, |p| comment_line + 1 + p as u32)
        } else {
            comment_line
        };
        out.push(CommentExemption {
            file,
            comment_line,
            applies_to,
            selectors,
            reason,
        });
    }
    out
}

/// Byte offset of a YAML comment's `#`: at the start of the line or after white space,
/// and outside quotes.
pub(crate) fn comment_start(line: &str) -> Option<usize> {
    let mut quote: Option<char> = None;
    let mut prev_ws = true;
    for (i, c) in line.char_indices() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None => {
                if c == '#' && prev_ws {
                    return Some(i);
                }
                if (c == '"' || c == '\'') && prev_ws {
                    quote = Some(c);
                }
            }
        }
        prev_ws = c.is_whitespace() || matches!(c, '[' | '{' | ',');
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trailing_and_own_line_comments() {
        let text = "a: 1\n# plimsoll: ignore RES001,RES002 -- sized by the operator\n\nimage: x:latest  # plimsoll: ignore IMG001 -- pinned by digest upstream\nb: '# plimsoll: ignore X -- not a comment'\nc: 2 # plimsoll: ignore RES003\n";
        let found = scan(0, text);
        assert_eq!(found.len(), 3);
        assert_eq!(found[0].comment_line, 2);
        assert_eq!(found[0].applies_to, 4, "skips the blank line");
        assert_eq!(found[0].selectors, ["RES001", "RES002"]);
        assert_eq!(found[0].reason.as_deref(), Some("sized by the operator"));
        assert_eq!(found[1].applies_to, 4);
        assert_eq!(found[2].reason, None);
    }
}
