//! Splitting a script string into argv, as keepalived does for `script`, `notify*` and the
//! other `*_script` keywords: white space separates words; single quotes protect everything up
//! to the next single quote; double quotes group and allow escapes; backslash escapes outside
//! quotes. Escapes: `\n \t \r \\ \" \' \  \xHH \NNN (octal) \cC (control)`.
//! The result is exec'd directly, never given to a shell.

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArgvError {
    UnmatchedQuote(char),
    Empty,
}

impl std::fmt::Display for ArgvError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ArgvError::UnmatchedQuote(q) => write!(f, "unmatched {q} in script command"),
            ArgvError::Empty => write!(f, "empty script command"),
        }
    }
}

pub fn split(s: &str) -> Result<Vec<String>, ArgvError> {
    let chars: Vec<char> = s.chars().collect();
    let mut argv = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            c if c.is_whitespace() => {
                if in_word {
                    argv.push(std::mem::take(&mut cur));
                    in_word = false;
                }
                i += 1;
            }
            '\'' => {
                in_word = true;
                let end = chars[i + 1..].iter().position(|&q| q == '\'').ok_or(ArgvError::UnmatchedQuote('\''))?;
                cur.extend(&chars[i + 1..i + 1 + end]);
                i += end + 2;
            }
            '"' => {
                in_word = true;
                i += 1;
                loop {
                    match chars.get(i) {
                        None => return Err(ArgvError::UnmatchedQuote('"')),
                        Some('"') => {
                            i += 1;
                            break;
                        }
                        Some('\\') => i = escape(&chars, i, &mut cur),
                        Some(&c) => {
                            cur.push(c);
                            i += 1;
                        }
                    }
                }
            }
            '\\' => {
                in_word = true;
                i = escape(&chars, i, &mut cur);
            }
            c => {
                in_word = true;
                cur.push(c);
                i += 1;
            }
        }
    }
    if in_word {
        argv.push(cur);
    }
    if argv.is_empty() {
        return Err(ArgvError::Empty);
    }
    Ok(argv)
}

/// Decodes the escape at `chars[i] == '\\'`, appends it, returns the index after it.
fn escape(chars: &[char], i: usize, out: &mut String) -> usize {
    let Some(&c) = chars.get(i + 1) else {
        out.push('\\');
        return i + 1;
    };
    match c {
        'n' => out.push('\n'),
        't' => out.push('\t'),
        'r' => out.push('\r'),
        'x' => {
            let hex: String = chars[i + 2..].iter().take(2).take_while(|c| c.is_ascii_hexdigit()).collect();
            if hex.is_empty() {
                out.push('x');
                return i + 2;
            }
            out.push(char::from(u8::from_str_radix(&hex, 16).unwrap_or(0)));
            return i + 2 + hex.len();
        }
        '0'..='7' => {
            let oct: String = chars[i + 1..].iter().take(3).take_while(|c| ('0'..='7').contains(c)).collect();
            let v = u32::from_str_radix(&oct, 8).unwrap_or(0) & 0xff;
            out.push(char::from(v as u8));
            return i + 1 + oct.len();
        }
        'c' => match chars.get(i + 2) {
            Some(&k) if k.is_ascii() => {
                out.push(char::from((k.to_ascii_uppercase() as u8) ^ 0x40));
                return i + 3;
            }
            _ => out.push('c'),
        },
        other => out.push(other),
    }
    i + 2
}

#[cfg(test)]
mod tests {
    use super::split;

    #[test]
    fn words_quotes_and_escapes() {
        assert_eq!(split("/bin/check arg1 arg2").unwrap(), ["/bin/check", "arg1", "arg2"]);
        assert_eq!(split("/bin/sh -c 'pidof nginx || exit 1'").unwrap(), ["/bin/sh", "-c", "pidof nginx || exit 1"]);
        assert_eq!(split(r#"a "b c" d\ e"#).unwrap(), ["a", "b c", "d e"]);
        assert_eq!(split(r"x\ty \x41\101 \cA").unwrap(), ["x\ty", "AA", "\u{1}"]);
        assert_eq!(split(r#"'it''s' "q\"q""#).unwrap(), ["its", "q\"q"]);
    }

    #[test]
    fn errors() {
        assert!(split("  ").is_err());
        assert!(split("a 'b").is_err());
        assert!(split("a \"b").is_err());
    }
}
