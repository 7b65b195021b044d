//! keepalived.conf lexing (lib/parser.c semantics): files, `include`, comments, `@id` lines,
//! `$NAME` parameters, Unicode white space, quoted tokens, and `{`/`}` split off as tokens.
//!
//! Output is a flat list of logical lines, each a non-empty list of tokens that carry their
//! source location. Every input is bounded: file size, file count, include depth, line length,
//! parameter expansion depth and size, and stored diagnostics, so no input can make the
//! loader hang or grow without limit.
use super::diag::{Diagnostics, FileId, Location, SourceMap};
use super::glob;
use super::{Host, LoadError};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// keepalived reads lines of at most 1024 bytes and drops longer ones; we accept far longer
/// lines (a generated VIP list can be long) but not without bound.
pub const MAX_LINE_BYTES: usize = 64 * 1024;
/// A single file larger than this is refused (a config is kilobytes; this is 256x that).
pub const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;
/// All files together, after includes.
pub const MAX_TOTAL_BYTES: u64 = 64 * 1024 * 1024;
pub const MAX_FILES: usize = 512;
pub const MAX_INCLUDE_DEPTH: usize = 32;
/// `$A` may refer to `$B` ... at most this deep (also stops `$A=$A` recursion).
pub const MAX_EXPANSION_DEPTH: u32 = 16;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokKind {
    Word,
    Open,
    Close,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    pub kind: TokKind,
    /// The text with double quotes removed; backslash escapes are kept for script strings.
    pub text: String,
    /// Any part of the token was inside double quotes.
    pub quoted: bool,
    pub loc: Location,
    /// The token exactly as written (quotes and backslashes kept), preceded by the white space
    /// before it on its line. Script keywords re-read their words from this, as keepalived
    /// re-reads the raw line for them (alloc_strvec_quoted_escaped()).
    pub source: String,
}

#[derive(Debug)]
pub struct Line {
    pub tokens: Vec<Token>,
}

#[derive(Debug, Default)]
pub struct LexOptions {
    /// `-i/--config-id`: selects `@ID` lines.
    pub config_id: String,
    /// `-e/--all-config`: an include that matches nothing is fatal.
    pub all_config: bool,
}

pub struct Lexed {
    pub lines: Vec<Line>,
    /// Where the last file read ended, for "missing '}'" reports.
    pub eof: Location,
}

struct Param {
    value: String,
}

/// U+xxxx code points keepalived does not take as white space but people paste from web pages.
pub fn unicode_space_name(c: char) -> Option<&'static str> {
    Some(match c {
        '\u{00A0}' => "NO-BREAK SPACE",
        '\u{1680}' => "OGHAM SPACE MARK",
        '\u{2000}' => "EN QUAD",
        '\u{2001}' => "EM QUAD",
        '\u{2002}' => "EN SPACE",
        '\u{2003}' => "EM SPACE",
        '\u{2004}' => "THREE-PER-EM SPACE",
        '\u{2005}' => "FOUR-PER-EM SPACE",
        '\u{2006}' => "SIX-PER-EM SPACE",
        '\u{2007}' => "FIGURE SPACE",
        '\u{2008}' => "PUNCTUATION SPACE",
        '\u{2009}' => "THIN SPACE",
        '\u{200A}' => "HAIR SPACE",
        '\u{202F}' => "NARROW NO-BREAK SPACE",
        '\u{205F}' => "MEDIUM MATHEMATICAL SPACE",
        '\u{3000}' => "IDEOGRAPHIC SPACE",
        _ => return None,
    })
}

fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\x0b' | '\x0c' | '\r')
}

/// One character of a logical line with the 1-based column it came from; characters produced
/// by parameter expansion carry the column of the `$`.
type Ch = (char, u32);

/// The checks an include line asks for (keepalived 2.2.7 lib/parser.c include_t). A failed
/// check is a configuration file error: keepalived does not start, `-t` exits 6. Without the
/// check keepalived only logs the message.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct IncludeChecks {
    /// R: each match must be a readable regular file without execute bits (not a directory).
    pub read: bool,
    /// M: a name without wildcards must exist, and a directory named must be listable.
    pub names: bool,
    /// W: a wildcard must match something.
    pub wildcard: bool,
    /// B: every `{a,b}` alternative must match; if one does not, none is read.
    pub brace: bool,
}

impl IncludeChecks {
    /// `include`, `includer`, `includem`, `includew`, `includeb`, `includea` (keepalived's
    /// letters; any other letter is not an include, so it is an unknown keyword).
    pub fn for_keyword(word: &str) -> Option<IncludeChecks> {
        let (r, m, w, b) = match word {
            "include" => (false, false, false, false),
            "includer" => (true, false, false, false),
            "includem" => (true, true, false, false),
            "includew" => (true, true, true, false),
            "includeb" => (true, false, false, true),
            "includea" => (true, true, true, true),
            _ => return None,
        };
        Some(IncludeChecks { read: r, names: m, wildcard: w, brace: b })
    }
    /// `-e/--all-config`: every check on every include.
    pub const ALL: IncludeChecks = IncludeChecks { read: true, names: true, wildcard: true, brace: true };
    fn or(self, o: IncludeChecks) -> IncludeChecks {
        IncludeChecks {
            read: self.read || o.read,
            names: self.names || o.names,
            wildcard: self.wildcard || o.wildcard,
            brace: self.brace || o.brace,
        }
    }
}

/// Which check a problem with an include falls under.
#[derive(Clone, Copy)]
enum Check {
    Read,
    Names,
    Wildcard,
    Brace,
}

pub struct Lexer<'a> {
    opts: &'a LexOptions,
    host: &'a dyn Host,
    sources: &'a mut SourceMap,
    diags: &'a mut Diagnostics,
    params: HashMap<String, Param>,
    /// Canonical paths of the files being read, outermost first (include-loop detection).
    stack: Vec<PathBuf>,
    total_bytes: u64,
    lines: Vec<Line>,
    eof: Location,
}

/// Per-file Unicode white-space bookkeeping for the one warning per file.
#[derive(Default)]
struct SpaceSeen {
    first: Option<(Location, char)>,
    count: usize,
    kinds: Vec<char>,
}

impl<'a> Lexer<'a> {
    pub fn new(
        opts: &'a LexOptions,
        host: &'a dyn Host,
        sources: &'a mut SourceMap,
        diags: &'a mut Diagnostics,
    ) -> Self {
        Lexer {
            opts,
            host,
            sources,
            diags,
            params: HashMap::new(),
            stack: Vec::new(),
            total_bytes: 0,
            lines: Vec::new(),
            eof: Location { file: 0, line: 1, col: 1 },
        }
    }

    /// Lexes the main configuration file and everything it includes.
    pub fn run(self, path: &Path) -> Result<Lexed, LoadError> {
        let text = self
            .host
            .read_config(path, MAX_FILE_BYTES)
            .map_err(|e| LoadError::Read { path: path.to_path_buf(), error: e })?;
        Ok(self.run_bytes(path, text))
    }

    /// Lexes `bytes` as if read from `path` (includes are still resolved from its directory).
    pub fn run_bytes(mut self, path: &Path, bytes: Vec<u8>) -> Lexed {
        self.lex_file(path, bytes);
        Lexed { lines: self.lines, eof: self.eof }
    }

    fn lex_file(&mut self, path: &Path, bytes: Vec<u8>) {
        self.total_bytes += bytes.len() as u64;
        let canonical = self.host.canonical(path);
        let mut text = match String::from_utf8(bytes) {
            Ok(t) => t,
            Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
        };
        let had_invalid_utf8 = text.contains('\u{FFFD}');
        if let Some(stripped) = text.strip_prefix('\u{FEFF}') {
            // A UTF-8 byte order mark (Windows editors) is not content.
            text = stripped.to_string();
        }
        let file = self.sources.add(path.to_path_buf(), text.clone());
        if had_invalid_utf8 {
            self.diags.corrected(
                Location { file, line: 1, col: 1 },
                "file is not valid UTF-8; invalid bytes were replaced by U+FFFD",
            );
        }
        self.stack.push(canonical);
        let mut spaces = SpaceSeen::default();
        // A `$NAME=value \` definition continuing over the following lines.
        let mut pending_def: Option<(String, String)> = None;
        let mut last_line = 0u32;
        for (idx, raw) in text.split('\n').enumerate() {
            let line_no = (idx + 1) as u32;
            last_line = line_no;
            let raw = raw.strip_suffix('\r').unwrap_or(raw);
            let at = |col| Location { file, line: line_no, col };
            if raw.len() > MAX_LINE_BYTES {
                self.diags.corrected(
                    at(1),
                    format!("line too long ({} bytes, limit {}) - ignoring", raw.len(), MAX_LINE_BYTES),
                );
                continue;
            }
            if let Some(pos) = raw.find('\0') {
                let col = raw[..pos].chars().count() as u32 + 1;
                self.diags.corrected(at(col), "line contains a NUL byte - ignoring");
                continue;
            }
            let mut chars: Vec<Ch> = Vec::with_capacity(raw.len());
            for (i, c) in raw.chars().enumerate() {
                let col = i as u32 + 1;
                if unicode_space_name(c).is_some() {
                    spaces.count += 1;
                    if spaces.first.is_none() {
                        spaces.first = Some((at(col), c));
                    }
                    if !spaces.kinds.contains(&c) {
                        spaces.kinds.push(c);
                    }
                    chars.push((' ', col));
                } else {
                    chars.push((c, col));
                }
            }
            let content = decomment(&chars);
            let content = trim(&content);
            if let Some((name, mut value)) = pending_def.take() {
                let (body, more) = strip_continuation(content);
                value.push('\n');
                value.extend(body.iter().map(|c| c.0));
                if more {
                    pending_def = Some((name, value));
                } else {
                    self.params.insert(name, Param { value });
                }
                continue;
            }
            if content.is_empty() {
                continue;
            }
            if let Some((keyword, checks, rest)) = include_directive(content) {
                self.include(file, content[0].1, line_no, (&keyword, checks), rest);
                continue;
            }
            let Some(content) = self.conditional(content, file, line_no) else { continue };
            if content.first().map(|c| c.0) == Some('$') {
                if let Some((name, value)) = parse_definition(content) {
                    let (body, more) = strip_continuation(value);
                    let value: String = body.iter().map(|c| c.0).collect();
                    if more {
                        pending_def = Some((name, value));
                    } else {
                        self.params.insert(name, Param { value });
                    }
                    continue;
                }
            }
            let head: String = content.iter().take(5).map(|c| c.0).collect();
            if head.starts_with("~SEQ") || head.starts_with("~LST") {
                self.diags.fatal(
                    Some(at(content[0].1)),
                    format!("{} line repetition is not supported by vrrpd; write the lines out", &head[..4]),
                );
                continue;
            }
            let mut expanded = Vec::with_capacity(content.len());
            if let Err(msg) = self.expand(content, file, 0, &mut expanded) {
                self.diags.corrected(at(content[0].1), format!("{msg} - ignoring line"));
                continue;
            }
            // A multi-line parameter value expands to several logical lines.
            for part in expanded.split(|c| c.0 == '\n') {
                let tokens = self.tokenize(part, file, line_no);
                if !tokens.is_empty() {
                    self.lines.push(Line { tokens });
                }
            }
        }
        if let Some((name, _)) = pending_def {
            self.diags.corrected(
                Location { file, line: last_line, col: 1 },
                format!("definition of ${name} continues past the end of the file - ignoring it"),
            );
        }
        if let Some((loc, c)) = spaces.first {
            let name = unicode_space_name(c).unwrap_or("SPACE");
            let mut msg = format!(
                "U+{:04X} {} treated as a space ({} time{} in this file",
                c as u32,
                name,
                spaces.count,
                if spaces.count == 1 { "" } else { "s" }
            );
            for other in spaces.kinds.iter().skip(1) {
                msg.push_str(&format!(", also U+{:04X}", *other as u32));
            }
            msg.push(')');
            self.diags.note(loc, msg);
        }
        self.eof = Location { file, line: last_line, col: 1 };
        self.stack.pop();
    }

    /// `@ID rest` keeps `rest` only when ID is our config id; `@^ID rest` only when it is not.
    fn conditional<'c>(&mut self, content: &'c [Ch], _file: FileId, _line: u32) -> Option<&'c [Ch]> {
        if content[0].0 != '@' {
            return Some(content);
        }
        let end = content.iter().position(|c| is_space(c.0)).unwrap_or(content.len());
        let tag: String = content[1..end].iter().map(|c| c.0).collect();
        let (negate, id) = match tag.strip_prefix('^') {
            Some(id) => (true, id),
            None => (false, tag.as_str()),
        };
        let keep = (id == self.opts.config_id) != negate;
        if keep {
            Some(trim(&content[end..])).filter(|c| !c.is_empty())
        } else {
            None
        }
    }

    /// keepalived's include (lib/parser.c open_and_check_glob(), check_glob_file(),
    /// open_conf_file()): its messages, each an error when the line's checks (or `-e`) cover
    /// it. Without the check keepalived only logs; vrrpd reports an include that reads nothing
    /// (or drops a file) as not used as written, and the rest as notes.
    fn include(&mut self, file: FileId, col: u32, line: u32, kind: (&str, IncludeChecks), rest: &[Ch]) {
        let loc = Location { file, line, col };
        let (keyword, checks) = kind;
        let checks = if self.opts.all_config { checks.or(IncludeChecks::ALL) } else { checks };
        let words = split_words(rest);
        let Some(pattern) = words.first() else {
            self.diags.corrected(loc, "include without a file name - ignoring");
            return;
        };
        if words.len() > 1 {
            self.diags.corrected(loc, format!("include takes one pattern; ignoring '{}'", words[1..].join(" ")));
        }
        if self.stack.len() >= MAX_INCLUDE_DEPTH {
            self.diags.corrected(loc, format!("include nested deeper than {MAX_INCLUDE_DEPTH} files - ignoring"));
            return;
        }
        let base = self.sources.path(file).parent().map(Path::to_path_buf).unwrap_or_default();
        let Some(found) = glob::glob(&base, pattern, self.host) else {
            self.diags.corrected(
                loc,
                format!("include '{pattern}' expands to more than {} patterns - ignoring", glob::MAX_BRACE_EXPANSIONS),
            );
            return;
        };
        if found.paths.is_empty() {
            if found.missing {
                let check = if glob::has_brace(pattern) { Check::Brace } else { Check::Names };
                self.include_problem((loc, keyword), checks, check, true, format!("Config files missing '{pattern}'."));
            } else if found.wildcards {
                // keepalived says nothing here unless the wildcard check is on.
                self.include_problem(
                    (loc, keyword),
                    checks,
                    Check::Wildcard,
                    true,
                    format!("No config files matched '{pattern}'."),
                );
            }
            return;
        }
        if found.missing {
            let msg = format!("Some config files missing: \"{pattern}\".");
            if checks.brace {
                self.include_problem((loc, keyword), checks, Check::Brace, true, msg);
                return;
            }
            self.include_problem((loc, keyword), checks, Check::Brace, false, msg);
        }
        for path in found.paths {
            if self.host.file_kind(&path) == Some(true) {
                let msg = format!("Configuration file '{}/' is a directory - skipping", path.display());
                self.include_problem((loc, keyword), checks, Check::Read, true, msg);
                continue;
            }
            if !self.host.regular_non_executable(&path) {
                let msg =
                    format!("Configuration file '{}' is not a regular non-executable file - skipping", path.display());
                self.include_problem((loc, keyword), checks, Check::Read, true, msg);
                continue;
            }
            let canonical = self.host.canonical(&path);
            if let Some(pos) = self.stack.iter().position(|p| *p == canonical) {
                let chain: Vec<String> = self.stack[pos..].iter().map(|p| p.display().to_string()).collect();
                self.diags.corrected(
                    loc,
                    format!("include loop: {} -> {} - ignoring", chain.join(" -> "), canonical.display()),
                );
                continue;
            }
            if self.sources.len() >= MAX_FILES {
                self.diags.corrected(loc, format!("more than {MAX_FILES} files included - ignoring the rest"));
                return;
            }
            match self.host.read_config(&path, MAX_FILE_BYTES) {
                Ok(bytes) if self.total_bytes + bytes.len() as u64 <= MAX_TOTAL_BYTES => self.lex_file(&path, bytes),
                Ok(_) => self.diags.corrected(
                    loc,
                    format!(
                        "{}: configuration larger than {} bytes in all - ignoring",
                        path.display(),
                        MAX_TOTAL_BYTES
                    ),
                ),
                Err(e) => {
                    let msg = format!("Configuration file '{}' open problem ({e}) - skipping", path.display());
                    self.include_problem((loc, keyword), checks, Check::Read, true, msg);
                }
            }
        }
    }

    /// Reports an include problem: a configuration file error when `checks` covers `check`
    /// (with what the check asks for), else a warning when something named is not read
    /// (`unread`), else a note.
    fn include_problem(
        &mut self,
        at: (Location, &str),
        checks: IncludeChecks,
        check: Check,
        unread: bool,
        msg: String,
    ) {
        let (loc, keyword) = at;
        let (on, why) = match check {
            Check::Read => {
                (checks.read, "every file matched must be a readable regular file without execute permission")
            }
            Check::Names => (checks.names, "every file or directory named without a wildcard must exist"),
            Check::Wildcard => (checks.wildcard, "a wildcard must match at least one file"),
            Check::Brace => (checks.brace, "every {a,b} alternative must match; none is read otherwise"),
        };
        if on {
            let how = if self.opts.all_config && !keyword_checks(keyword, check) { "-e/--all-config" } else { keyword };
            self.diags.file_error(loc, format!("{msg} ({how}: {why}; the configuration cannot run)"));
        } else if unread {
            self.diags.corrected(loc, msg);
        } else {
            self.diags.note(loc, msg);
        }
    }

    /// `$NAME` / `${NAME}` substitution, recursive at use time, bounded in depth and size.
    fn expand(&self, input: &[Ch], file: FileId, depth: u32, out: &mut Vec<Ch>) -> Result<(), String> {
        if depth > MAX_EXPANSION_DEPTH {
            return Err(format!("parameter expansion deeper than {MAX_EXPANSION_DEPTH} levels"));
        }
        let mut i = 0;
        while i < input.len() {
            if out.len() > MAX_LINE_BYTES {
                return Err(format!("line longer than {MAX_LINE_BYTES} characters after parameter expansion"));
            }
            let (c, col) = input[i];
            if c != '$' || i + 1 >= input.len() {
                out.push((c, col));
                i += 1;
                continue;
            }
            let (name, next) = if input[i + 1].0 == '{' {
                match input[i + 2..].iter().position(|c| c.0 == '}') {
                    Some(len) => (input[i + 2..i + 2 + len].iter().map(|c| c.0).collect::<String>(), i + 3 + len),
                    None => {
                        out.push((c, col));
                        i += 1;
                        continue;
                    }
                }
            } else {
                let len = input[i + 1..].iter().take_while(|c| c.0.is_ascii_alphanumeric() || c.0 == '_').count();
                if len == 0 {
                    out.push((c, col));
                    i += 1;
                    continue;
                }
                (input[i + 1..i + 1 + len].iter().map(|c| c.0).collect::<String>(), i + 1 + len)
            };
            match self.lookup(&name, file) {
                Some(value) => {
                    let chars: Vec<Ch> = value.chars().map(|v| (v, col)).collect();
                    self.expand(&chars, file, depth + 1, out)?;
                }
                // keepalived leaves an undefined parameter as it is.
                None => out.extend_from_slice(&input[i..next]),
            }
            i = next;
        }
        Ok(())
    }

    fn lookup(&self, name: &str, file: FileId) -> Option<String> {
        match name {
            "_HASH" => return Some("#".into()),
            "_BANG" => return Some("!".into()),
            "_PWD" => {
                return Some(self.sources.path(file).parent().map(|p| p.display().to_string()).unwrap_or_default())
            }
            "_INSTANCE" => return Some(self.opts.config_id.clone()),
            _ => {}
        }
        // keepalived 2.4 `${_ENV NAME}` (lib/parser.c find_definition(), get_env_var()): braces,
        // blanks, then exactly one word of letters, digits and `_`, no blank before the `}`.
        // An unset variable expands to nothing; anything else is not a definition and stays
        // as written (keepalived also reports a second word as an error).
        if let Some(params) = name.strip_prefix("_ENV").filter(|p| p.starts_with(is_blank)) {
            let var = params.trim_start_matches(is_blank);
            if var.is_empty() || !var.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return None;
            }
            return Some(self.host.env(var).unwrap_or_default());
        }
        self.params.get(name).map(|p| p.value.clone())
    }

    fn tokenize(&mut self, chars: &[Ch], file: FileId, line: u32) -> Vec<Token> {
        let mut tokens = Vec::new();
        let mut i = 0;
        let at = |col| Location { file, line, col };
        // Where the white space before the next token starts.
        let mut gap = 0;
        let source = |from: usize, to: usize| chars[from..to].iter().map(|c| c.0).collect::<String>();
        while i < chars.len() {
            let (c, col) = chars[i];
            if is_space(c) {
                i += 1;
                continue;
            }
            if c == '{' || c == '}' {
                let kind = if c == '{' { TokKind::Open } else { TokKind::Close };
                tokens.push(Token {
                    kind,
                    text: c.to_string(),
                    quoted: false,
                    loc: at(col),
                    source: source(gap, i + 1),
                });
                i += 1;
                gap = i;
                continue;
            }
            let mut text = String::new();
            let mut quoted = false;
            while i < chars.len() {
                let c = chars[i].0;
                if is_space(c) || c == '{' || c == '}' {
                    break;
                }
                if c != '"' {
                    text.push(c);
                    i += 1;
                    continue;
                }
                // A double-quoted run: white space and braces inside are literal.
                quoted = true;
                let open_col = chars[i].1;
                i += 1;
                let mut closed = false;
                while i < chars.len() {
                    let q = chars[i].0;
                    if q == '\\' && i + 1 < chars.len() {
                        text.push(q);
                        text.push(chars[i + 1].0);
                        i += 2;
                        continue;
                    }
                    i += 1;
                    if q == '"' {
                        closed = true;
                        break;
                    }
                    text.push(q);
                }
                if !closed {
                    self.diags.corrected(at(open_col), "Unmatched quote; the string runs to the end of the line");
                }
            }
            tokens.push(Token { kind: TokKind::Word, text, quoted, loc: at(col), source: source(gap, i) });
            gap = i;
        }
        tokens
    }
}

/// Cuts the line at the first `#` or `!` outside double quotes; `\#` and `\!` stand for the
/// characters themselves (keepalived: decomment()).
fn decomment(chars: &[Ch]) -> Vec<Ch> {
    let mut out = Vec::with_capacity(chars.len());
    let mut in_quote = false;
    let mut i = 0;
    while i < chars.len() {
        let (c, col) = chars[i];
        if c == '\\' && i + 1 < chars.len() && matches!(chars[i + 1].0, '#' | '!') && !in_quote {
            out.push(chars[i + 1]);
            i += 2;
            continue;
        }
        if c == '\\' && in_quote && i + 1 < chars.len() {
            out.push((c, col));
            out.push(chars[i + 1]);
            i += 2;
            continue;
        }
        if c == '"' {
            in_quote = !in_quote;
        } else if (c == '#' || c == '!') && !in_quote {
            break;
        }
        out.push((c, col));
        i += 1;
    }
    out
}

fn trim(chars: &[Ch]) -> &[Ch] {
    let start = chars.iter().position(|c| !is_space(c.0)).unwrap_or(chars.len());
    let end = chars.iter().rposition(|c| !is_space(c.0)).map_or(start, |e| e + 1);
    &chars[start..end]
}

fn strip_continuation(chars: &[Ch]) -> (&[Ch], bool) {
    match chars.last() {
        Some(('\\', _)) => (trim(&chars[..chars.len() - 1]), true),
        _ => (chars, false),
    }
}

/// If the line is an include directive (the keyword followed by white space), the keyword, its
/// checks and the rest of the line after the keyword.
fn include_directive(content: &[Ch]) -> Option<(String, IncludeChecks, &[Ch])> {
    let end = content.iter().position(|c| is_space(c.0))?;
    let word: String = content[..end].iter().map(|c| c.0).collect();
    let checks = IncludeChecks::for_keyword(&word)?;
    Some((word, checks, trim(&content[end..])))
}

/// Whether the include keyword itself (not `-e`) asks for `check`.
fn keyword_checks(keyword: &str, check: Check) -> bool {
    let k = IncludeChecks::for_keyword(keyword).unwrap_or_default();
    match check {
        Check::Read => k.read,
        Check::Names => k.names,
        Check::Wildcard => k.wildcard,
        Check::Brace => k.brace,
    }
}

/// `$NAME=value` (no space before `=`). Returns the name and the value characters.
fn parse_definition(content: &[Ch]) -> Option<(String, &[Ch])> {
    let name_len = content[1..].iter().take_while(|c| c.0.is_ascii_alphanumeric() || c.0 == '_').count();
    if name_len == 0 || content.get(1 + name_len).map(|c| c.0) != Some('=') {
        return None;
    }
    let first = content[1].0;
    if first.is_ascii_digit() {
        return None;
    }
    let name: String = content[1..1 + name_len].iter().map(|c| c.0).collect();
    Some((name, trim(&content[2 + name_len..])))
}

/// Splits on white space, honouring double quotes (quotes removed).
fn split_words(chars: &[Ch]) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_quote = false;
    let mut any = false;
    for &(c, _) in chars {
        if c == '"' {
            in_quote = !in_quote;
            any = true;
        } else if is_space(c) && !in_quote {
            if any {
                words.push(std::mem::take(&mut cur));
                any = false;
            }
        } else {
            cur.push(c);
            any = true;
        }
    }
    if any {
        words.push(cur);
    }
    words
}

/// A blank between a definition's name and its parameters (keepalived: space or tab).
fn is_blank(c: char) -> bool {
    c == ' ' || c == '\t'
}
