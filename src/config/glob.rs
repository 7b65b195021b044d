//! `include` patterns: `{a,b}` brace expansion, then `*`, `?` and `[...]` per path component,
//! matched against directory listings, results sorted as glob(3) sorts them.
//!
//! Pure matching lives in [`expand_braces`] and [`matches()`]; [`glob`] lists directories
//! through [`Host`], like every other filesystem access of the config layer.
use super::Host;
use std::path::{Path, PathBuf};

/// At most this many alternatives from brace expansion, so `{a,b}{a,b}...` cannot explode.
pub const MAX_BRACE_EXPANSIONS: usize = 256;
/// At most this many files matched by one include line.
pub const MAX_MATCHES: usize = 256;

/// Expands `{a,b}` alternatives (nested allowed). Returns `None` past
/// [`MAX_BRACE_EXPANSIONS`]. An unbalanced brace is taken literally.
pub fn expand_braces(pattern: &str) -> Option<Vec<String>> {
    let chars: Vec<char> = pattern.chars().collect();
    // Find the first top-level '{' with a matching '}' and at least one ',' inside.
    let mut depth = 0usize;
    let mut open = None;
    for (i, &c) in chars.iter().enumerate() {
        match c {
            '{' => {
                if depth == 0 {
                    open = Some(i);
                }
                depth += 1;
            }
            '}' if depth > 0 => {
                depth -= 1;
                if depth == 0 {
                    let start = open.expect("open set at depth 0");
                    let inner = &chars[start + 1..i];
                    let alts = split_top_level_commas(inner);
                    if alts.len() < 2 {
                        continue;
                    }
                    let prefix: String = chars[..start].iter().collect();
                    let suffix: String = chars[i + 1..].iter().collect();
                    let mut out = Vec::new();
                    for alt in alts {
                        for tail in expand_braces(&format!("{prefix}{alt}{suffix}"))? {
                            out.push(tail);
                            if out.len() > MAX_BRACE_EXPANSIONS {
                                return None;
                            }
                        }
                    }
                    return Some(out);
                }
            }
            _ => {}
        }
    }
    Some(vec![pattern.to_string()])
}

fn split_top_level_commas(chars: &[char]) -> Vec<String> {
    let mut parts = vec![String::new()];
    let mut depth = 0usize;
    for &c in chars {
        match c {
            '{' => depth += 1,
            '}' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                parts.push(String::new());
                continue;
            }
            _ => {}
        }
        parts.last_mut().expect("never empty").push(c);
    }
    parts
}

/// True if the pattern component has a glob metacharacter.
pub fn has_wildcard(s: &str) -> bool {
    s.contains(['*', '?', '['])
}

/// Shell-style match of one path component: `*`, `?`, `[abc]`, `[a-z]`, `[!x]`.
/// Iterative with a single backtrack point, so it is linear-ish and never recurses.
pub fn matches(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    // A leading dot must be matched explicitly, as glob(3) does.
    if n.first() == Some(&'.') && p.first() != Some(&'.') {
        return false;
    }
    let (mut pi, mut ni) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ni < n.len() {
        if pi < p.len() {
            match p[pi] {
                '*' => {
                    star = Some((pi, ni));
                    pi += 1;
                    continue;
                }
                '?' => {
                    pi += 1;
                    ni += 1;
                    continue;
                }
                '[' => {
                    if let Some((ok, next)) = class_match(&p, pi, n[ni]) {
                        if ok {
                            pi = next;
                            ni += 1;
                            continue;
                        }
                    } else if n[ni] == '[' {
                        pi += 1;
                        ni += 1;
                        continue;
                    }
                }
                c if c == n[ni] => {
                    pi += 1;
                    ni += 1;
                    continue;
                }
                _ => {}
            }
        }
        match star {
            Some((sp, sn)) => {
                pi = sp + 1;
                ni = sn + 1;
                star = Some((sp, sn + 1));
            }
            None => return false,
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

/// Matches `c` against the class starting at `p[start] == '['`. Returns (matched, index after
/// the class), or `None` if the class is not closed (then '[' is literal).
fn class_match(p: &[char], start: usize, c: char) -> Option<(bool, usize)> {
    let mut i = start + 1;
    let negate = matches!(p.get(i), Some('!') | Some('^'));
    if negate {
        i += 1;
    }
    let mut matched = false;
    let mut first = true;
    while i < p.len() {
        if p[i] == ']' && !first {
            return Some((matched != negate, i + 1));
        }
        first = false;
        if i + 2 < p.len() && p[i + 1] == '-' && p[i + 2] != ']' {
            if p[i] <= c && c <= p[i + 2] {
                matched = true;
            }
            i += 3;
        } else {
            if p[i] == c {
                matched = true;
            }
            i += 1;
        }
    }
    None
}

/// What an include pattern found, with what glibc's glob() tells keepalived through its
/// GLOB_ALTDIRFUNC hooks (lib/parser.c open_and_check_glob()).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Globbed {
    /// Matches, each brace alternative's sorted, in the order of the alternatives; directories
    /// are included (keepalived reports them, then skips them).
    pub paths: Vec<PathBuf>,
    /// A name without wildcards did not exist, or a directory could not be listed (keepalived:
    /// "missing files" / "missing directories").
    pub missing: bool,
    /// A directory was listed for a wildcard.
    pub wildcards: bool,
}

/// True if the pattern has a `{` brace (not escaped), as keepalived's have_brace().
pub fn has_brace(pattern: &str) -> bool {
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                chars.next();
            }
            '{' => return true,
            _ => {}
        }
    }
    false
}

/// Expands an include pattern. `base` is the including file's directory for relative
/// patterns. Returns `None` when brace expansion is too large.
pub fn glob(base: &Path, pattern: &str, host: &dyn Host) -> Option<Globbed> {
    let mut out = Globbed::default();
    for alt in expand_braces(pattern)? {
        let path = if Path::new(&alt).is_absolute() { PathBuf::from(&alt) } else { base.join(&alt) };
        let mut found = Vec::new();
        glob_path(&path, host, &mut found, &mut out);
        found.sort();
        for f in found {
            if out.paths.len() >= MAX_MATCHES {
                return Some(out);
            }
            if !out.paths.contains(&f) {
                out.paths.push(f);
            }
        }
    }
    Some(out)
}

fn glob_path(path: &Path, host: &dyn Host, out: &mut Vec<PathBuf>, g: &mut Globbed) {
    // Walk components; literal prefixes are joined, wildcard components are listed.
    let mut candidates = vec![PathBuf::new()];
    let comps: Vec<_> = path.components().collect();
    for (idx, comp) in comps.iter().enumerate() {
        let last = idx + 1 == comps.len();
        let s = comp.as_os_str().to_string_lossy();
        let mut next = Vec::new();
        for dir in &candidates {
            if has_wildcard(&s) {
                g.wildcards = true;
                let listing = if dir.as_os_str().is_empty() { Path::new(".") } else { dir };
                let Ok(entries) = host.list_dir(listing) else {
                    g.missing = true;
                    continue;
                };
                for (name, _) in entries {
                    if matches(&s, &name) {
                        let p = dir.join(&name);
                        // Inside the pattern only directories go on (glob's GLOB_ONLYDIR).
                        if last || host.file_kind(&p) == Some(true) {
                            next.push(p);
                        }
                        if next.len() > MAX_MATCHES * 4 {
                            break;
                        }
                    }
                }
            } else {
                let p = dir.join(comp.as_os_str());
                if !matches!(comp, std::path::Component::Normal(_)) {
                    next.push(p);
                    continue;
                }
                // A literal name must be there, and be a directory inside the pattern (glob's
                // lstat() or opendir() fails otherwise).
                match host.file_kind(&p) {
                    Some(is_dir) if last || is_dir => next.push(p),
                    _ => g.missing = true,
                }
            }
        }
        candidates = next;
        if candidates.is_empty() {
            return;
        }
    }
    out.extend(candidates);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn braces_expand_in_order_and_nest() {
        assert_eq!(expand_braces("a{b,c}d").unwrap(), vec!["abd", "acd"]);
        assert_eq!(expand_braces("{x,y{1,2}}").unwrap(), vec!["x", "y1", "y2"]);
        assert_eq!(expand_braces("no{brace").unwrap(), vec!["no{brace"]);
        assert_eq!(expand_braces("{single}").unwrap(), vec!["{single}"]);
    }

    #[test]
    fn braces_are_found_unless_escaped() {
        assert!(has_brace("a/{b,c}.conf"));
        assert!(!has_brace("a/\\{b.conf"));
        assert!(!has_brace("a/*.conf"));
    }

    #[test]
    fn brace_bomb_is_refused() {
        let bomb = "{a,b}".repeat(12);
        assert!(expand_braces(&bomb).is_none());
    }

    #[test]
    fn wildcards_match_like_glob() {
        assert!(matches("*.conf", "a.conf"));
        assert!(!matches("*.conf", "a.conf.bak"));
        assert!(!matches("*.conf", ".hidden.conf"));
        assert!(matches("v?.conf", "v1.conf"));
        assert!(matches("[ab]*", "beta"));
        assert!(!matches("[!ab]*", "beta"));
        assert!(matches("[a-c]x", "bx"));
        assert!(matches("*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaab"));
        assert!(!matches("*a*a*a*b", &"a".repeat(5000)));
    }
}
