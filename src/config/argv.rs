//! Splitting script strings into words as keepalived 2.2.7 does (lib/parser.c
//! alloc_strvec_quoted_escaped(), used by lib/notify.c for `script`, `notify*` and the other
//! `*_script` keywords):
//!
//! - words are separated by white space (space, tab, FF, LF, CR, VT);
//! - `"..."` and `'...'` group; inside either only its own closing quote ends it, so the other
//!   kind of quote is literal; quotes can start and end inside a word (`a'b c'd` is `ab cd`);
//! - a backslash escapes the next character everywhere, *inside single quotes too*:
//!   `\a \b \E \f \n \r \t \v`, `\xH...` (all following hex digits, kept to 8 bits), `\NNN` (1-3
//!   octal digits, 8 bits), `\cC` (C & 0x1f); any other character stands for itself (`\"`,
//!   `\'`, `\\`, `\ `);
//! - an unterminated quote or a backslash at the very end makes the whole string unusable.
//!
//! keepalived applies this twice to a script keyword: once to the line, giving the script
//! string and the `user [group]` words after it, then again to the script string, giving argv.
//! The result is exec'd directly, never given to a shell.

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArgvError {
    UnmatchedQuote(char),
    /// A `\` with nothing after it.
    TrailingBackslash,
    Empty,
}

impl std::fmt::Display for ArgvError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ArgvError::UnmatchedQuote(q) => write!(f, "missing terminating {q}"),
            ArgvError::TrailingBackslash => write!(f, "missing escape char at end"),
            ArgvError::Empty => write!(f, "empty script command"),
        }
    }
}

fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\x0c' | '\n' | '\r' | '\x0b')
}

/// One pass of keepalived's quoted/escaped word splitting.
pub fn split(s: &str) -> Result<Vec<String>, ArgvError> {
    let chars: Vec<char> = s.chars().collect();
    let mut words = Vec::new();
    let mut i = 0;
    loop {
        while i < chars.len() && is_space(chars[i]) {
            i += 1;
        }
        if i >= chars.len() {
            break;
        }
        // Bytes, not chars: an escape can produce any byte, and `\xc3\xa9` is one UTF-8 `é`.
        let mut word: Vec<u8> = Vec::new();
        let mut quote: Option<char> = None;
        while i < chars.len() {
            let c = chars[i];
            match (quote, c) {
                (_, '\\') => i = escape(&chars, i, &mut word)?,
                (Some(q), c) if c == q => {
                    quote = None;
                    i += 1;
                }
                (None, '"' | '\'') => {
                    quote = Some(c);
                    i += 1;
                }
                (None, c) if is_space(c) => break,
                (_, c) => {
                    let mut buf = [0u8; 4];
                    word.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                    i += 1;
                }
            }
        }
        if let Some(q) = quote {
            return Err(ArgvError::UnmatchedQuote(q));
        }
        // A C string: a NUL from `\0` or `\x00` ends the word there.
        if let Some(nul) = word.iter().position(|&b| b == 0) {
            word.truncate(nul);
        }
        words.push(match String::from_utf8(word) {
            Ok(w) => w,
            Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
        });
    }
    Ok(words)
}

/// A script string as keepalived reads it: the words of `text` (the line after the keyword),
/// the first of them split again into argv. Returns argv and the words after the script string
/// (`user [group]` for the keywords that take one).
pub fn script(text: &str) -> Result<(Vec<String>, Vec<String>), ArgvError> {
    let mut words = split(text)?;
    if words.is_empty() {
        return Err(ArgvError::Empty);
    }
    let rest = words.split_off(1);
    let argv = split(&words[0])?;
    if argv.is_empty() {
        return Err(ArgvError::Empty);
    }
    Ok((argv, rest))
}

/// Decodes the escape at `chars[i] == '\\'` into `out`; returns the index after it.
fn escape(chars: &[char], i: usize, out: &mut Vec<u8>) -> Result<usize, ArgvError> {
    let Some(&c) = chars.get(i + 1) else {
        return Err(ArgvError::TrailingBackslash);
    };
    let mut j = i + 2;
    let byte = match c {
        'x' if chars.get(j).is_some_and(|h| h.is_ascii_hexdigit()) => {
            // Every following hex digit is taken; the byte keeps the last two (C char shifts).
            let mut v = 0u8;
            while let Some(d) = chars.get(j).and_then(|h| h.to_digit(16)) {
                v = (v << 4) | d as u8;
                j += 1;
            }
            v
        }
        'c' if j < chars.len() => {
            let k = chars[j];
            j += 1;
            // keepalived masks the character's (first) byte.
            let mut buf = [0u8; 4];
            k.encode_utf8(&mut buf)[..].as_bytes()[0] & 0x1f
        }
        '0'..='7' => {
            let mut v = c as u8 - b'0';
            for _ in 0..2 {
                match chars.get(j) {
                    Some(&d @ '0'..='7') => {
                        v = (v << 3).wrapping_add(d as u8 - b'0');
                        j += 1;
                    }
                    _ => break,
                }
            }
            v
        }
        'a' => 0x07,
        'b' => 0x08,
        'E' => 0x1b,
        'f' => 0x0c,
        'n' => b'\n',
        'r' => b'\r',
        't' => b'\t',
        'v' => 0x0b,
        other => {
            let mut buf = [0u8; 4];
            out.extend_from_slice(other.encode_utf8(&mut buf).as_bytes());
            return Ok(j);
        }
    };
    out.push(byte);
    Ok(j)
}

#[cfg(test)]
mod tests {
    use super::{script, split, ArgvError};

    #[test]
    fn words_quotes_and_escapes() {
        assert_eq!(split("/bin/check arg1 arg2").unwrap(), ["/bin/check", "arg1", "arg2"]);
        assert_eq!(split("/bin/sh -c 'pidof nginx || exit 1'").unwrap(), ["/bin/sh", "-c", "pidof nginx || exit 1"]);
        assert_eq!(split(r#"a "b c" d\ e"#).unwrap(), ["a", "b c", "d e"]);
        assert_eq!(split(r"x\ty \x41\101 \cA").unwrap(), ["x\ty", "AA", "\u{1}"]);
        assert_eq!(split(r#"'it''s' "q\"q""#).unwrap(), ["its", "q\"q"]);
        assert_eq!(split("a'b c'd \"x'y\" 'x\"y'").unwrap(), ["ab cd", "x'y", "x\"y"]);
        assert_eq!(split("'' x").unwrap(), ["", "x"]);
    }

    #[test]
    fn backslash_escapes_inside_single_quotes_too() {
        // Unlike a shell: keepalived's single quotes still honour '\'.
        assert_eq!(split(r"'a\'b' '\t'").unwrap(), ["a'b", "\t"]);
    }

    #[test]
    fn escapes_are_keepalived_bytes() {
        assert_eq!(split(r"\x414").unwrap(), ["\u{14}"], "all hex digits, last two kept");
        assert_eq!(split(r"\xc3\xa9").unwrap(), ["é"], "bytes, so UTF-8 escapes make one character");
        assert_eq!(split(r"\1012").unwrap(), ["A2"], "at most three octal digits");
        assert_eq!(split(r"\c? \E \a \xg \q").unwrap(), ["\u{1f}", "\u{1b}", "\u{7}", "xg", "q"]);
        assert_eq!(split(r"ab\0cd e").unwrap(), ["ab", "e"], "a NUL ends the C string");
    }

    #[test]
    fn errors() {
        assert_eq!(split("  ").unwrap(), Vec::<String>::new());
        assert_eq!(split("a 'b"), Err(ArgvError::UnmatchedQuote('\'')));
        assert_eq!(split("a \"b"), Err(ArgvError::UnmatchedQuote('"')));
        assert_eq!(split("a b\\"), Err(ArgvError::TrailingBackslash));
        assert_eq!(script(""), Err(ArgvError::Empty));
        assert_eq!(script("\"\" root"), Err(ArgvError::Empty));
    }

    #[test]
    fn script_strings_are_split_twice() {
        // keepalived 2.2.7 -d: `script 'killall -0 haproxy'` runs '/usr/bin/killall' '-0' 'haproxy'.
        let (argv, rest) = script("'killall -0 haproxy'").unwrap();
        assert_eq!((argv, rest), (vec!["killall".into(), "-0".into(), "haproxy".into()], vec![]));
        // An unquoted command is its first word; the words after it are user and group.
        let (argv, rest) = script("/bin/echo arg1 arg2").unwrap();
        assert_eq!((argv, rest), (vec!["/bin/echo".to_string()], vec!["arg1".to_string(), "arg2".into()]));
        // Quotes and escapes of the first pass are gone before the second.
        let (argv, _) = script(r#""/bin/echo \"a b\" c\\ d""#).unwrap();
        assert_eq!(argv, ["/bin/echo", "a b", "c d"]);
        let (argv, _) = script(r#"'/bin/echo \'x   y\' "p  q"'"#).unwrap();
        assert_eq!(argv, ["/bin/echo", "x   y", "p  q"]);
        // An escape decoded by the first pass splits words in the second.
        let (argv, _) = script(r#""/bin/echo tab\tX""#).unwrap();
        assert_eq!(argv, ["/bin/echo", "tab", "X"]);
    }
}
