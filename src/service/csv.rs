//! A small RFC 4180 CSV reader (quoted fields, doubled quotes, CRLF) for the user import.

/// Rows with their 1-based line numbers.
pub fn parse(text: &str) -> Vec<(usize, Vec<String>)> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut in_quotes = false;
    let mut line = 1;
    let mut row_line = 1;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (in_quotes, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            (true, '"') => in_quotes = false,
            (true, c) => {
                if c == '\n' {
                    line += 1;
                }
                field.push(c);
            }
            (false, '"') => in_quotes = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\r') => {}
            (false, '\n') => {
                row.push(std::mem::take(&mut field));
                rows.push((row_line, std::mem::take(&mut row)));
                line += 1;
                row_line = line;
            }
            (false, c) => field.push(c),
        }
    }
    if !field.is_empty() || !row.is_empty() {
        row.push(field);
        rows.push((row_line, row));
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_fields_may_hold_commas_quotes_and_newlines() {
        let rows = parse("a,\"b,c\",\"say \"\"hi\"\"\"\r\nd,\"e\nf\",g\nh");
        assert_eq!(
            rows[0],
            (1, vec!["a".into(), "b,c".into(), "say \"hi\"".into()])
        );
        assert_eq!(rows[1], (2, vec!["d".into(), "e\nf".into(), "g".into()]));
        assert_eq!(rows[2], (4, vec!["h".into()]));
    }

    #[test]
    fn a_byte_order_mark_is_ignored() {
        assert_eq!(
            parse("\u{feff}x,y")[0].1,
            vec!["x".to_string(), "y".to_string()]
        );
    }
}
