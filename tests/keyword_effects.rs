//! The rule of CONTRIBUTING.md "Adding a keyword": every keyword the loader accepts without a
//! "has no effect" or "not implemented" warning has an effect in the daemon, and a test that
//! fails when the effect is missing. `tests/data/keyword-effects.tsv` names that test for each
//! keyword; this test keeps the table and the loader in step.
//!
//! The accepted keywords are read from the loader's own source, not from a list kept beside it
//! (a list would drift the way `track_file` did: parsed, modelled, and read by nothing). How:
//! `src/config/build.rs` and `src/config/lexer.rs` are split into Rust tokens (comments, string,
//! raw string and char literals understood), then into functions. Every place a function tests
//! a word against string literals is found: the arms of a `match` (the literals of each arm's
//! pattern and guard), `EXPR == "lit"` / `EXPR != "lit"`, `matches!(EXPR, ...)` and
//! `EXPR.starts_with("lit")` and its kin. Each such place, named by its function and the
//! expression tested, must be listed in `SOURCES` below as naming the keywords of a block or as
//! testing values; a place missing from `SOURCES` fails the test, so a new handler cannot slip
//! by. A `match` arm whose body reports "has no effect in vrrpd", "is not implemented by vrrpd"
//! or calls `self.unsupported(..)` or `self.unknown(..)` does not accept its keywords: they
//! need no row. Keywords `global` answers with its IGNORED_GLOBALS list, or the prefixes of
//! `unsupported_subsystem`, have no literal arm and so are never counted as accepted.
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;
use std::path::Path;

/// What the string literals tested at one place are.
#[derive(Clone, Copy, Debug)]
enum Words {
    /// Keywords (or option words of a line) of these blocks, as the table names them.
    Keywords(&'static [&'static str]),
    /// Values of a keyword, not keywords: why (for the reader).
    #[allow(dead_code)]
    Values(&'static str),
}
use Words::{Keywords, Values};

/// Every place the loader tests words against string literals: (file, function, the
/// expression tested with white space removed, what the literals are).
const SOURCES: &[(&str, &str, &str, Words)] = &[
    ("build.rs", "top", "s.name()", Keywords(&["top level"])),
    ("build.rs", "global", "s.name()", Keywords(&["global_defs"])),
    ("build.rs", "global", "t.text.as_str()", Keywords(&["dynamic_interfaces"])),
    ("build.rs", "global", "s.name().starts_with", Values("which of the two FIFOs a notify_fifo_script is for")),
    ("build.rs", "vrrp_script", "k.name()", Keywords(&["vrrp_script"])),
    ("build.rs", "reverse_word", "rest.first().map(|t|t.text.as_str())", Keywords(&["after weight N"])),
    ("build.rs", "track_list", "first.text", Keywords(&["track_* entry"])),
    ("build.rs", "notify_keyword", "s.name()", Keywords(&["vrrp_instance", "vrrp_sync_group"])),
    ("build.rs", "instance", "k.name()", Keywords(&["vrrp_instance"])),
    ("build.rs", "instance", "self.arg(k)", Values("state MASTER|BACKUP")),
    ("build.rs", "authentication", "a.name()", Keywords(&["authentication"])),
    ("build.rs", "authentication", "kind", Values("auth_type PASS|AH")),
    ("build.rs", "unicast_peer", "(opt.text.as_str(),ttl)", Keywords(&["unicast_peer entry"])),
    ("build.rs", "vip", "matches!(opt.text.as_str())", Values("the VIP options that take a value (the match below)")),
    ("build.rs", "vip", "opt.text.as_str()", Keywords(&["virtual_ipaddress entry"])),
    ("build.rs", "vip", "val.text.as_str()", Values("brd +|-|ADDRESS")),
    ("build.rs", "vip", "val.text", Values("preferred_lft forever|N")),
    ("build.rs", "table", "t.text.as_str()", Values("routing table names main|local|default")),
    ("build.rs", "extra_if", "t.text", Values("garp_extra_if all|SECONDS")),
    ("build.rs", "route", "(w.text.as_str(),val)", Keywords(&["virtual_routes entry"])),
    ("build.rs", "rule", "(w.text.as_str(),val)", Keywords(&["virtual_rules entry"])),
    ("build.rs", "rule", "v.text", Values("from|to all")),
    ("build.rs", "rule", "t.strip_prefix", Values("a hexadecimal fwmark")),
    ("build.rs", "sync_group", "k.name()", Keywords(&["vrrp_sync_group"])),
    ("build.rs", "track_file", "k.name()", Keywords(&["track_file"])),
    ("build.rs", "garp_group", "k.name()", Keywords(&["garp_group"])),
    ("build.rs", "track_file", "a.text", Keywords(&["init_file"])),
    ("build.rs", "track_process", "k.name()", Keywords(&["vrrp_track_process"])),
    ("build.rs", "track_process", "k.args.first().map(|a|a.text.as_str())", Keywords(&["param_match"])),
    ("lexer.rs", "for_keyword", "word", Keywords(&["anywhere"])),
    ("lexer.rs", "lookup", "name", Keywords(&["${} builtin"])),
    ("lexer.rs", "lookup", "name.strip_prefix", Keywords(&["${} builtin"])),
    ("lexer.rs", "lex_file", "head.starts_with", Values("~SEQ and ~LST, refused with an error")),
];

/// Literals at a keyword place that are not keywords: a stray `{` at the top level (the tree
/// builder has reported it).
const NOT_KEYWORDS: &[(&str, &str, &str)] = &[("build.rs", "top", "{")];

// ---- a small Rust tokenizer ----

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Str(String),
    Punct(&'static str),
    /// Numbers, char literals, lifetimes and anything else that is never a keyword.
    Other,
}

#[derive(Debug, Clone)]
struct Token {
    tok: Tok,
    /// Byte range in the source.
    start: usize,
    end: usize,
}

const PUNCTS: &[&str] = &[
    "..=", "=>", "==", "!=", "::", "&&", "||", "->", "..", "<=", ">=", "{", "}", "(", ")", "[", "]", ",", ";", ".",
    "!", "?", "|", "&", "=", "<", ">", "+", "-", "*", "/", "%", "^", "@", "#", ":", "$", "~",
];

fn tokenize(src: &str) -> Vec<Token> {
    let b = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let start = i;
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        if src[i..].starts_with("//") {
            i = src[i..].find('\n').map_or(b.len(), |n| i + n);
            continue;
        }
        if src[i..].starts_with("/*") {
            let mut depth = 0;
            while i < b.len() {
                if src[i..].starts_with("/*") {
                    depth += 1;
                    i += 2;
                } else if src[i..].starts_with("*/") {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            continue;
        }
        // Raw strings: r"..", r#".."#, br"..".
        let raw_at = if src[i..].starts_with("br") {
            Some(i + 2)
        } else if c == b'r' {
            Some(i + 1)
        } else {
            None
        };
        if let Some(mut j) = raw_at {
            let hashes = src[j..].bytes().take_while(|&h| h == b'#').count();
            j += hashes;
            if b.get(j) == Some(&b'"') {
                let close = format!("\"{}", "#".repeat(hashes));
                let body_end = src[j + 1..].find(&close).map_or(b.len(), |n| j + 1 + n);
                i = (body_end + close.len()).min(b.len());
                out.push(Token { tok: Tok::Str(src[j + 1..body_end].to_string()), start, end: i });
                continue;
            }
        }
        if c == b'"' || (c == b'b' && b.get(i + 1) == Some(&b'"')) {
            i += if c == b'b' { 2 } else { 1 };
            let mut s = String::new();
            while i < b.len() && b[i] != b'"' {
                if b[i] == b'\\' && i + 1 < b.len() {
                    let e = b[i + 1];
                    s.push(match e {
                        b'n' => '\n',
                        b't' => '\t',
                        other => other as char,
                    });
                    i += 2;
                    continue;
                }
                let ch = src[i..].chars().next().unwrap();
                s.push(ch);
                i += ch.len_utf8();
            }
            i += 1;
            out.push(Token { tok: Tok::Str(s), start, end: i });
            continue;
        }
        if c == b'\'' {
            // A char literal ('x', '\n', '\u{a0}') or a lifetime ('a).
            if b.get(i + 1) == Some(&b'\\') {
                i = src[i + 2..].find('\'').map_or(b.len(), |n| i + 2 + n + 1);
            } else {
                let ch_len = src[i + 1..].chars().next().map_or(1, char::len_utf8);
                if b.get(i + 1 + ch_len) == Some(&b'\'') {
                    i += ch_len + 2;
                } else {
                    i += 1;
                    while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                        i += 1;
                    }
                }
            }
            out.push(Token { tok: Tok::Other, start, end: i });
            continue;
        }
        if c.is_ascii_alphabetic() || c == b'_' {
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                i += 1;
            }
            out.push(Token { tok: Tok::Ident(src[start..i].to_string()), start, end: i });
            continue;
        }
        if c.is_ascii_digit() {
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                i += 1;
            }
            out.push(Token { tok: Tok::Other, start, end: i });
            continue;
        }
        if let Some(p) = PUNCTS.iter().find(|p| src[i..].starts_with(**p)) {
            i += p.len();
            out.push(Token { tok: Tok::Punct(p), start, end: i });
            continue;
        }
        // Any other character (non-ASCII outside literals does not occur in Rust code).
        i += src[i..].chars().next().map_or(1, char::len_utf8);
        out.push(Token { tok: Tok::Other, start, end: i });
    }
    out
}

fn is(t: &Token, p: &str) -> bool {
    matches!(&t.tok, Tok::Punct(q) if *q == p)
}

fn ident(t: &Token) -> Option<&str> {
    if let Tok::Ident(s) = &t.tok {
        Some(s)
    } else {
        None
    }
}

/// The index of the bracket closing the one at `open`.
fn closing(toks: &[Token], open: usize) -> usize {
    let mut depth = 0i32;
    for (k, t) in toks.iter().enumerate().skip(open) {
        if is(t, "{") || is(t, "(") || is(t, "[") {
            depth += 1;
        } else if is(t, "}") || is(t, ")") || is(t, "]") {
            depth -= 1;
            if depth == 0 {
                return k;
            }
        }
    }
    toks.len() - 1
}

/// The first index at or after `from`, outside brackets opened after `from`, where `stop`
/// holds; `to` when none.
fn find_outside(toks: &[Token], from: usize, to: usize, stop: impl Fn(&Token) -> bool) -> usize {
    let mut depth = 0i32;
    for (k, t) in toks.iter().enumerate().take(to).skip(from) {
        if depth == 0 && stop(t) {
            return k;
        }
        if is(t, "{") || is(t, "(") || is(t, "[") {
            depth += 1;
        } else if is(t, "}") || is(t, ")") || is(t, "]") {
            depth -= 1;
            if depth < 0 {
                return k;
            }
        }
    }
    to
}

/// Source text of tokens `a..b` without white space.
fn text(src: &str, toks: &[Token], a: usize, b: usize) -> String {
    if a >= b {
        return String::new();
    }
    src[toks[a].start..toks[b - 1].end].split_whitespace().collect()
}

const RUST_KEYWORDS: &[&str] = &["if", "else", "match", "let", "return", "while", "for", "in", "mut", "as", "move"];

/// The expression ending just before token `at`: a path of identifiers, `.`, `::` and
/// bracketed groups (`s.name()`, `first.text`).
fn expr_before(toks: &[Token], at: usize) -> usize {
    let mut k = at;
    while k > 0 {
        let t = &toks[k - 1];
        if is(t, ")") || is(t, "]") {
            let mut depth = 0i32;
            let mut j = k - 1;
            loop {
                if is(&toks[j], ")") || is(&toks[j], "]") {
                    depth += 1;
                } else if is(&toks[j], "(") || is(&toks[j], "[") {
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                }
                j -= 1;
            }
            k = j;
        } else if ident(t).is_some_and(|w| !RUST_KEYWORDS.contains(&w)) || is(t, ".") || is(t, "::") {
            k -= 1;
        } else {
            break;
        }
    }
    k
}

fn strs(toks: &[Token]) -> Vec<String> {
    toks.iter().filter_map(|t| if let Tok::Str(s) = &t.tok { Some(s.clone()) } else { None }).collect()
}

/// One place where a function tests words against string literals.
#[derive(Debug)]
struct Place {
    file: &'static str,
    function: String,
    expr: String,
    /// Each literal and whether it is accepted (false: its arm says it has no effect).
    literals: Vec<(String, bool)>,
}

/// Functions as (name, first body token, closing brace).
fn functions(toks: &[Token]) -> Vec<(String, usize, usize)> {
    let mut out = Vec::new();
    for k in 0..toks.len().saturating_sub(1) {
        if ident(&toks[k]) != Some("fn") {
            continue;
        }
        let Some(name) = ident(&toks[k + 1]) else { continue };
        let open = find_outside(toks, k + 2, toks.len(), |t| is(t, "{") || is(t, ";"));
        if open < toks.len() && is(&toks[open], "{") {
            out.push((name.to_string(), open, closing(toks, open)));
        }
    }
    out
}

/// A `match` arm's body reports that its keyword is not used: it has no effect, is not
/// implemented, or is unknown. A `match` inside the body is about the keyword's values (as
/// `dynamic_interfaces allow_if_changes`), not the keyword: it is skipped.
fn says_no_effect(body: &[Token]) -> bool {
    let mut k = 0;
    while k < body.len() {
        let hit = match &body[k].tok {
            Tok::Str(s) => s.contains("has no effect") || s.contains("is not implemented by vrrpd"),
            Tok::Ident(s) if s == "match" => {
                let open = find_outside(body, k + 1, body.len(), |t| is(t, "{"));
                k = closing(body, open.min(body.len() - 1)) + 1;
                continue;
            }
            Tok::Ident(s) => (s == "unsupported" || s == "unknown") && k > 0 && is(&body[k - 1], "."),
            _ => false,
        };
        if hit {
            return true;
        }
        k += 1;
    }
    false
}

fn places(file: &'static str) -> Vec<Place> {
    let src = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/config").join(file)).unwrap();
    let toks = tokenize(&src);
    let fns = functions(&toks);
    let enclosing = |at: usize| {
        fns.iter().filter(|f| f.1 < at && at < f.2).min_by_key(|f| f.2 - f.1).map_or("(none)".into(), |f| f.0.clone())
    };
    let mut out = Vec::new();
    // Token ranges of match guards: their comparisons belong to the arm.
    let mut guards: Vec<(usize, usize)> = Vec::new();
    for k in 0..toks.len() {
        match &toks[k].tok {
            Tok::Ident(w) if w == "match" => {
                let open = find_outside(&toks, k + 1, toks.len(), |t| is(t, "{"));
                let close = closing(&toks, open);
                let mut literals = Vec::new();
                let mut arm = open + 1;
                while arm < close {
                    let arrow = find_outside(&toks, arm, close, |t| is(t, "=>"));
                    if arrow >= close {
                        break;
                    }
                    let guard = find_outside(&toks, arm, arrow, |t| ident(t) == Some("if"));
                    let end = if is(&toks[arrow + 1], "{") {
                        let e = closing(&toks, arrow + 1) + 1;
                        if e < close && is(&toks[e], ",") {
                            e + 1
                        } else {
                            e
                        }
                    } else {
                        (find_outside(&toks, arrow + 1, close, |t| is(t, ",")) + 1).min(close)
                    };
                    let accepted = !says_no_effect(&toks[arrow + 1..end]);
                    // The pattern's literals, and those a guard compares with (`Some(t) if
                    // t.text == "x"`).
                    literals.extend(strs(&toks[arm..arrow]).into_iter().map(|s| (s, accepted)));
                    guards.push((guard, arrow));
                    arm = end;
                }
                if !literals.is_empty() {
                    out.push(Place { file, function: enclosing(k), expr: text(&src, &toks, k + 1, open), literals });
                }
            }
            Tok::Punct("==" | "!=") if !guards.iter().any(|g| g.0 < k && k < g.1) => {
                if let Some(Tok::Str(s)) = toks.get(k + 1).map(|t| &t.tok) {
                    let from = expr_before(&toks, k);
                    let expr = text(&src, &toks, from, k);
                    out.push(Place { file, function: enclosing(k), expr, literals: vec![(s.clone(), true)] });
                }
            }
            Tok::Ident(w) if w == "matches" && toks.get(k + 1).is_some_and(|t| is(t, "!")) => {
                let open = k + 2;
                let close = closing(&toks, open);
                let comma = find_outside(&toks, open + 1, close, |t| is(t, ","));
                let expr = format!("matches!({})", text(&src, &toks, open + 1, comma));
                let literals: Vec<_> = strs(&toks[comma..close]).into_iter().map(|s| (s, true)).collect();
                if !literals.is_empty() {
                    out.push(Place { file, function: enclosing(k), expr, literals });
                }
            }
            Tok::Ident(w)
                if ["starts_with", "strip_prefix", "ends_with", "strip_suffix"].contains(&w.as_str())
                    && k > 0
                    && is(&toks[k - 1], ".") =>
            {
                if let Some(Tok::Str(s)) = toks.get(k + 2).map(|t| &t.tok) {
                    let from = expr_before(&toks, k - 1);
                    let expr = format!("{}.{w}", text(&src, &toks, from, k - 1));
                    out.push(Place { file, function: enclosing(k), expr, literals: vec![(s.clone(), true)] });
                }
            }
            _ => {}
        }
    }
    out
}

/// (block, keyword) -> accepted, from the loader's source; panics on unlisted places.
fn loader_keywords() -> BTreeMap<(String, String), bool> {
    let mut unlisted = String::new();
    let mut out: BTreeMap<(String, String), bool> = BTreeMap::new();
    for p in places("build.rs").into_iter().chain(places("lexer.rs")) {
        let Some((_, _, _, words)) =
            SOURCES.iter().find(|(f, func, e, _)| *f == p.file && *func == p.function && *e == p.expr)
        else {
            let lits: Vec<&str> = p.literals.iter().map(|l| l.0.as_str()).collect();
            let _ = writeln!(unlisted, "  src/config/{} fn {}: `{}` against {lits:?}", p.file, p.function, p.expr);
            continue;
        };
        let Keywords(blocks) = words else { continue };
        for (lit, accepted) in p.literals {
            if NOT_KEYWORDS.contains(&(p.file, p.function.as_str(), lit.as_str())) {
                continue;
            }
            for b in *blocks {
                // A keyword named by several arms is accepted when any arm accepts it.
                *out.entry((b.to_string(), lit.trim().to_string())).or_insert(false) |= accepted;
            }
        }
    }
    assert!(
        unlisted.is_empty(),
        "the loader tests words against string literals at places tests/keyword_effects.rs does not know; \
         add each to SOURCES as the keywords of a block or as values:\n{unlisted}"
    );
    out
}

// ---- the table ----

/// One row of tests/data/keyword-effects.tsv.
#[derive(Debug)]
struct Row {
    line: usize,
    block: String,
    keyword: String,
    evidence: Vec<String>,
}

const TABLE: &str = "tests/data/keyword-effects.tsv";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn table() -> Vec<Row> {
    let text = std::fs::read_to_string(root().join(TABLE)).unwrap();
    let mut rows = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let cols: Vec<&str> = line.split('\t').collect();
        assert!(
            cols.len() == 5 && cols[..4].iter().all(|c| !c.is_empty()),
            "{TABLE}:{}: want block, keyword, field, evidence, note (may be empty), tab-separated: {line:?}",
            n + 1
        );
        rows.push(Row {
            line: n + 1,
            block: cols[0].to_string(),
            keyword: cols[1].to_string(),
            evidence: cols[3].split_whitespace().map(str::to_string).collect(),
        });
    }
    rows
}

#[test]
fn every_keyword_the_loader_accepts_has_a_row() {
    let rows = table();
    let have: BTreeSet<(&str, &str)> = rows.iter().map(|r| (r.block.as_str(), r.keyword.as_str())).collect();
    let mut missing = String::new();
    for ((block, keyword), accepted) in loader_keywords() {
        if accepted && !have.contains(&(block.as_str(), keyword.as_str())) {
            let _ = writeln!(missing, "  {block}\t{keyword}");
        }
    }
    assert!(
        missing.is_empty(),
        "the loader accepts these keywords without a 'has no effect' or 'not implemented' warning, and \
         {TABLE} has no row for them. Add a row naming the test that proves its effect in the daemon, \
         or make the loader warn that it has no effect (CONTRIBUTING.md, Adding a keyword):\n{missing}"
    );
}

#[test]
fn every_row_is_a_keyword_the_loader_accepts() {
    let accepted = loader_keywords();
    let mut stale = String::new();
    let mut seen = BTreeSet::new();
    for r in table() {
        let key = (r.block.clone(), r.keyword.clone());
        assert!(seen.insert(key.clone()), "{TABLE}:{}: {} {} listed twice", r.line, r.block, r.keyword);
        match accepted.get(&key) {
            Some(true) => {}
            Some(false) => {
                let _ = writeln!(
                    stale,
                    "  {TABLE}:{}: {} {} (the loader says it has no effect)",
                    r.line, r.block, r.keyword
                );
            }
            None => {
                let _ =
                    writeln!(stale, "  {TABLE}:{}: {} {} (not a keyword of that block)", r.line, r.block, r.keyword);
            }
        }
    }
    assert!(stale.is_empty(), "rows for keywords the loader does not accept; remove them:\n{stale}");
}

/// `name` is a function in `file` (its text has `fn name(` or `fn name<`).
fn has_fn(file: &Path, name: &str) -> bool {
    let text = std::fs::read_to_string(file).unwrap_or_default();
    ["(", "<"].iter().any(|c| text.contains(&format!("fn {name}{c}")))
}

#[test]
fn every_row_names_evidence_that_exists() {
    let mut bad = String::new();
    for r in table() {
        for e in &r.evidence {
            let ok = match e.split_once("::") {
                Some((file, name)) => {
                    let path = root().join(file);
                    (file.starts_with("tests/") || file.starts_with("src/")) && has_fn(&path, name)
                }
                None => e.starts_with("tests/") && root().join(e).is_file(),
            };
            if !ok {
                let _ = writeln!(bad, "  {TABLE}:{}: {} {}: {e}", r.line, r.block, r.keyword);
            }
        }
    }
    assert!(
        bad.is_empty(),
        "evidence that does not exist: a test function `tests/FILE.rs::NAME` or `src/FILE.rs::NAME`, \
         or a file under tests/ (a golden trace). A row whose effect is still missing names the test \
         to write (see its note):\n{bad}"
    );
}
