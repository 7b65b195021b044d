//! Diagnostics: `FILE:LINE:COL: error|warning: message`, and what each one means for `-t`.
//!
//! A diagnostic is a report to the operator, not an error that unwinds the loader: the loader
//! keeps going after every one of them (keepalived's behaviour), and the `-t` exit code is
//! derived from the worst [`Effect`] seen.
use std::fmt;
use std::path::PathBuf;

/// Index of a file in [`SourceMap`].
pub type FileId = u32;

/// A position in a configuration file; line and column are 1-based, the column counts
/// characters (not bytes) so the caret lands under the right glyph.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Location {
    pub file: FileId,
    pub line: u32,
    pub col: u32,
}

/// What a diagnostic means for the configuration that will run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Effect {
    /// Nothing changes: the text is read as written (e.g. Unicode white space).
    Note,
    /// Scripts will run without `enable_script_security`. `-t` exits 6, whatever else is
    /// reported (keepalived's precedence, see [`super::exit_code_for`]).
    Insecure,
    /// Something in the file is not used as written: corrected, ignored, unknown or skipped.
    /// `-t` exits 5, also when a fatal error is reported too.
    Corrected,
    /// The configuration cannot run (the daemon refuses it). `-t` exits 4 when nothing else
    /// is reported.
    Fatal,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub loc: Option<Location>,
    pub effect: Effect,
    pub message: String,
}

impl Diagnostic {
    pub fn severity(&self) -> &'static str {
        match self.effect {
            Effect::Fatal => "error",
            Effect::Note | Effect::Insecure | Effect::Corrected => "warning",
        }
    }
}

/// The files read while loading, kept so diagnostics can name them and show the line.
#[derive(Default, Debug)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

#[derive(Debug)]
struct SourceFile {
    path: PathBuf,
    /// Byte offsets of line starts in `text`, for caret rendering.
    text: String,
}

impl SourceMap {
    pub fn add(&mut self, path: PathBuf, text: String) -> FileId {
        self.files.push(SourceFile { path, text });
        (self.files.len() - 1) as FileId
    }

    pub fn path(&self, id: FileId) -> &std::path::Path {
        &self.files[id as usize].path
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// The text of line `line` (1-based) of file `id`, without its line terminator.
    pub fn line_text(&self, id: FileId, line: u32) -> Option<&str> {
        let text = &self.files.get(id as usize)?.text;
        text.split('\n').nth(line.checked_sub(1)? as usize).map(|l| l.strip_suffix('\r').unwrap_or(l))
    }

    /// Renders `d` as `FILE:LINE:COL: severity: message`; with `with_source`, also the line
    /// and a caret under the column (what a terminal user gets).
    pub fn render(&self, d: &Diagnostic, with_source: bool) -> String {
        let mut out = String::new();
        match d.loc {
            Some(loc) => {
                out.push_str(&format!(
                    "{}:{}:{}: {}: {}",
                    self.path(loc.file).display(),
                    loc.line,
                    loc.col,
                    d.severity(),
                    d.message
                ));
                if with_source {
                    if let Some(text) = self.line_text(loc.file, loc.line) {
                        // Long lines are cut so a 10 MB line does not flood the terminal.
                        let shown: String = text.chars().take(200).collect();
                        let pad: String = text
                            .chars()
                            .take(loc.col.saturating_sub(1) as usize)
                            .map(|c| if c == '\t' { '\t' } else { ' ' })
                            .collect();
                        if (loc.col as usize) <= 200 {
                            out.push_str(&format!("\n  {}\n  {}^", shown, pad));
                        }
                    }
                }
            }
            None => out.push_str(&format!("{}: {}", d.severity(), d.message)),
        }
        out
    }
}

/// Collects diagnostics; the one place that decides severity bookkeeping.
#[derive(Default, Debug)]
pub struct Diagnostics {
    pub list: Vec<Diagnostic>,
    /// Every effect pushed, stored or not (one bit per [`Effect`]), so the `-t` status is right
    /// past [`MAX_STORED_DIAGNOSTICS`].
    seen: u8,
    /// An include check failed (keepalived: config_file_error): the daemon does not start and
    /// `-t` exits 6 whatever else is reported.
    pub file_error: bool,
}

/// Past this many diagnostics further ones are counted but not stored, so a file of random
/// bytes cannot use unbounded memory through its error list.
pub const MAX_STORED_DIAGNOSTICS: usize = 1000;

impl Diagnostics {
    pub fn push(&mut self, loc: Option<Location>, effect: Effect, message: impl Into<String>) {
        self.push_string(loc, effect, message.into())
    }
    /// The one body of [`Diagnostics::push`] (the armv7 size budget).
    fn push_string(&mut self, loc: Option<Location>, effect: Effect, message: String) {
        self.seen |= 1 << effect as u8;
        if self.list.len() < MAX_STORED_DIAGNOSTICS {
            self.list.push(Diagnostic { loc, effect, message });
        } else if self.list.len() == MAX_STORED_DIAGNOSTICS {
            self.list.push(Diagnostic {
                loc: None,
                effect,
                message: "too many diagnostics; further ones are not shown".into(),
            });
        } else if let Some(last) = self.list.last_mut() {
            // Keep the worst effect visible in the overflow marker so the exit code is right.
            if effect > last.effect {
                last.effect = effect;
            }
        }
    }
    pub fn note(&mut self, loc: Location, message: impl Into<String>) {
        self.push(Some(loc), Effect::Note, message)
    }
    pub fn corrected(&mut self, loc: Location, message: impl Into<String>) {
        self.push(Some(loc), Effect::Corrected, message)
    }
    pub fn fatal(&mut self, loc: Option<Location>, message: impl Into<String>) {
        self.push(loc, Effect::Fatal, message)
    }
    /// A fatal error in reading the configuration files themselves (a failed include check).
    pub fn file_error(&mut self, loc: Location, message: impl Into<String>) {
        self.file_error = true;
        self.push(Some(loc), Effect::Fatal, message)
    }
    pub fn worst(&self) -> Option<Effect> {
        self.list.iter().map(|d| d.effect).max()
    }
    /// Whether any diagnostic with `effect` was pushed (stored or counted past the limit).
    pub fn has(&self, effect: Effect) -> bool {
        self.seen & (1 << effect as u8) != 0
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.col)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_location_line_and_caret() {
        let mut map = SourceMap::default();
        let f = map.add(PathBuf::from("k.conf"), "global_defs {\n\trouter_id  x\n}\n".into());
        let d = Diagnostic {
            loc: Some(Location { file: f, line: 2, col: 13 }),
            effect: Effect::Corrected,
            message: "bad".into(),
        };
        assert_eq!(map.render(&d, false), "k.conf:2:13: warning: bad");
        // The caret keeps the line's tab so it lines up under column 13.
        assert_eq!(map.render(&d, true), "k.conf:2:13: warning: bad\n  \trouter_id  x\n  \t           ^");
        let fatal = Diagnostic { loc: None, effect: Effect::Fatal, message: "no".into() };
        assert_eq!(map.render(&fatal, true), "error: no");
    }

    #[test]
    fn stored_diagnostics_are_bounded_but_the_worst_effect_is_kept() {
        let mut d = Diagnostics::default();
        let loc = Location { file: 0, line: 1, col: 1 };
        for _ in 0..5000 {
            d.corrected(loc, "x");
        }
        d.fatal(None, "late fatal");
        d.push(None, Effect::Insecure, "late insecure");
        assert_eq!(d.list.len(), MAX_STORED_DIAGNOSTICS + 1);
        assert_eq!(d.worst(), Some(Effect::Fatal));
        assert!(d.has(Effect::Insecure) && d.has(Effect::Corrected) && d.has(Effect::Fatal));
        assert!(!d.has(Effect::Note));
    }
}
