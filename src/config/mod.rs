//! keepalived.conf: lexing, the keyword tree, the typed model, validation and the dump.
//!
//! Pure apart from reading the configuration files themselves (and listing directories for
//! include globs). Everything else the loader needs to know about the machine (interfaces,
//! where a script is, environment variables) comes through the [`Host`] trait, so tests can
//! describe any machine.
pub mod argv;
pub mod build;
pub mod complete;
pub mod diag;
pub mod dump;
pub mod glob;
pub mod lexer;
pub mod model;
pub mod tree;
pub mod value;

pub use diag::{Diagnostic, Diagnostics, Effect, Location, SourceMap};
pub use model::Config;

use std::fmt;
use std::path::{Path, PathBuf};

/// What the loader asks about the machine it configures.
pub trait Host {
    fn interface_exists(&self, name: &str) -> bool;
    /// The interface has this MAC, as far as the host can tell (`use_vmac` tells its own
    /// macvlan, left by a previous run, from another interface of that name).
    fn interface_has_mac(&self, _name: &str, _mac: &[u8; 6]) -> bool {
        false
    }
    /// Resolves a script's `argv[0]`: an absolute or relative path is checked as is, a bare
    /// name is searched in PATH.
    fn find_script(&self, cmd: &str) -> ScriptLookup;
    /// For `${_ENV NAME}`.
    fn env(&self, name: &str) -> Option<String>;

    /// (uid, primary gid) of a user name, from the user database.
    fn user(&self, _name: &str) -> Option<(u32, u32)> {
        None
    }
    /// gid of a group name.
    fn group(&self, _name: &str) -> Option<u32> {
        None
    }
    /// The script itself or a directory above it that a non-root user could write, which
    /// makes running it as root unsafe (keepalived script security).
    fn writable_by_non_root(&self, _path: &str) -> Option<String> {
        None
    }

    /// Reads a configuration file, refusing one larger than `limit` bytes before reading it
    /// all. The default reads the real filesystem.
    fn read_config(&self, path: &Path, limit: u64) -> std::io::Result<Vec<u8>> {
        read_bounded(path, limit)
    }

    /// Directory entries for include globs: (name, is_dir). Default: the real filesystem.
    fn list_dir(&self, dir: &Path) -> std::io::Result<Vec<(String, bool)>> {
        list_dir_real(dir)
    }

    /// What `path` is: `Some(true)` a directory, `Some(false)` a file, `None` nothing.
    fn file_kind(&self, path: &Path) -> Option<bool> {
        std::fs::metadata(path).ok().map(|m| m.is_dir())
    }

    /// Whether `path` (followed through symlinks) is a regular file with no execute bit, which
    /// keepalived requires of every configuration file it includes. Default: the real
    /// filesystem.
    fn regular_non_executable(&self, path: &Path) -> bool {
        regular_non_executable_real(path)
    }

    /// The canonical form of `path` for include-loop detection.
    fn canonical(&self, path: &Path) -> PathBuf {
        std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
    }
}

fn regular_non_executable_real(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 == 0)
}

fn list_dir_real(dir: &Path) -> std::io::Result<Vec<(String, bool)>> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir)?.flatten() {
        let is_dir = e.file_type().map(|t| t.is_dir()).unwrap_or(false);
        out.push((e.file_name().to_string_lossy().into_owned(), is_dir));
    }
    Ok(out)
}

/// Reads at most `limit` bytes of `path`; larger files are an error, not truncated.
pub fn read_bounded(path: &Path, limit: u64) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let f = std::fs::File::open(path)?;
    if f.metadata()?.is_dir() {
        return Err(std::io::Error::new(std::io::ErrorKind::InvalidInput, "is a directory"));
    }
    let mut buf = Vec::new();
    f.take(limit + 1).read_to_end(&mut buf)?;
    if buf.len() as u64 > limit {
        return Err(std::io::Error::new(std::io::ErrorKind::InvalidData, format!("larger than {limit} bytes")));
    }
    Ok(buf)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScriptLookup {
    /// Found and executable; the resolved path.
    Executable(String),
    NotExecutable(String),
    NotFound,
}

/// A described machine, for tests and for checking a config meant for another host.
#[derive(Debug, Default, Clone)]
pub struct StaticHost {
    pub interfaces: Vec<String>,
    /// Executable scripts by path (or bare name).
    pub scripts: Vec<String>,
    /// When set, every interface and every script exists.
    pub everything_exists: bool,
    /// When set, no file can be read or listed: includes match nothing. For untrusted input
    /// (fuzzing), so random text can never make the loader read the machine's files.
    pub sealed: bool,
    /// Users (name, uid, gid), groups (name, gid) and scripts a non-root user could write.
    pub users: Vec<(String, u32, u32)>,
    pub groups: Vec<(String, u32)>,
    pub unsafe_scripts: Vec<String>,
}

impl StaticHost {
    pub fn with_interfaces(names: &[&str]) -> Self {
        StaticHost { interfaces: names.iter().map(|s| s.to_string()).collect(), ..Default::default() }
    }
}

impl Host for StaticHost {
    fn interface_exists(&self, name: &str) -> bool {
        self.everything_exists || self.interfaces.iter().any(|i| i == name)
    }
    fn find_script(&self, cmd: &str) -> ScriptLookup {
        if self.everything_exists || self.scripts.iter().any(|s| s == cmd) {
            ScriptLookup::Executable(cmd.to_string())
        } else {
            ScriptLookup::NotFound
        }
    }
    fn env(&self, _name: &str) -> Option<String> {
        None
    }
    fn user(&self, name: &str) -> Option<(u32, u32)> {
        self.users.iter().find(|u| u.0 == name).map(|u| (u.1, u.2))
    }
    fn group(&self, name: &str) -> Option<u32> {
        self.groups.iter().find(|g| g.0 == name).map(|g| g.1)
    }
    fn writable_by_non_root(&self, path: &str) -> Option<String> {
        self.unsafe_scripts.iter().find(|s| *s == path).cloned()
    }
    fn read_config(&self, path: &Path, limit: u64) -> std::io::Result<Vec<u8>> {
        if self.sealed {
            return Err(std::io::ErrorKind::NotFound.into());
        }
        read_bounded(path, limit)
    }
    fn list_dir(&self, dir: &Path) -> std::io::Result<Vec<(String, bool)>> {
        if self.sealed {
            return Ok(vec![("a.conf".into(), false), ("d".into(), true)]);
        }
        list_dir_real(dir)
    }
    fn file_kind(&self, path: &Path) -> Option<bool> {
        if self.sealed {
            return None;
        }
        std::fs::metadata(path).ok().map(|m| m.is_dir())
    }
    fn regular_non_executable(&self, path: &Path) -> bool {
        !self.sealed && regular_non_executable_real(path)
    }
}

/// Errors that stop loading before any configuration is read.
#[derive(Debug)]
pub enum LoadError {
    Read { path: PathBuf, error: std::io::Error },
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadError::Read { path, error } => write!(f, "{}: cannot read configuration: {}", path.display(), error),
        }
    }
}

impl std::error::Error for LoadError {}

#[derive(Debug, Default)]
pub struct LoadOptions {
    /// `-i/--config-id`; defaults to the host name up to the first dot (chosen by the caller).
    pub config_id: String,
    /// `-e/--all-config`.
    pub all_config: bool,
}

/// The result of reading a configuration: the model (absent only when a fatal error made
/// some instance unusable), the diagnostics, and the files they refer to.
pub struct Loaded {
    pub config: Config,
    pub diagnostics: Diagnostics,
    pub sources: SourceMap,
}

impl Loaded {
    /// True when keepalived would refuse to run this configuration.
    pub fn is_fatal(&self) -> bool {
        self.diagnostics.has(Effect::Fatal)
    }

    /// keepalived's `-t` exit code: 6 scripts without enable_script_security, else 5 something
    /// not used as written, else 4 cannot run, else 0.
    pub fn config_test_status(&self) -> i32 {
        exit_code_for(&self.diagnostics)
    }
}

/// keepalived records the *last* kind of its config_err_t list that was reported (fatal kinds
/// first, then errors, then the script-security violation; lib/parser.c, `config_err < err`),
/// so the precedence is the reverse of severity. Measured with 2.2.7 `-t`: an unknown keyword
/// plus scripts without enable_script_security exits 6; an unknown keyword plus a fatal error
/// (an unknown interface in interface_up_down_delays, alone 4) exits 5.
/// A failed include check (`includer` ... `includea`, `-e`) comes first: keepalived stops right
/// after reading the files and exits KEEPALIVED_EXIT_NO_CONFIG, 6, also under `-t` (measured:
/// `includem` of a missing file plus an unknown keyword exits 6).
pub fn exit_code_for(d: &Diagnostics) -> i32 {
    if d.file_error || d.has(Effect::Insecure) {
        6
    } else if d.has(Effect::Corrected) {
        5
    } else if d.has(Effect::Fatal) {
        4
    } else {
        0
    }
}

/// Reads `path` and everything it includes into a validated [`Config`].
pub fn load(path: &Path, opts: &LoadOptions, host: &dyn Host) -> Result<Loaded, LoadError> {
    load_with(path, None, opts, host)
}

/// Loads configuration text given in memory as if it were the file `path`.
pub fn load_bytes(path: &Path, bytes: Vec<u8>, opts: &LoadOptions, host: &dyn Host) -> Loaded {
    load_with(path, Some(bytes), opts, host).expect("in-memory text cannot fail to read")
}

// Not inlined: `load` and `load_bytes` share one copy (LTO otherwise duplicates it, ~13 KB).
#[inline(never)]
fn load_with(path: &Path, bytes: Option<Vec<u8>>, opts: &LoadOptions, host: &dyn Host) -> Result<Loaded, LoadError> {
    let mut sources = SourceMap::default();
    let mut diagnostics = Diagnostics::default();
    let lex_opts = lexer::LexOptions { config_id: opts.config_id.clone(), all_config: opts.all_config };
    let lexer = lexer::Lexer::new(&lex_opts, host, &mut sources, &mut diagnostics);
    let lexed = match bytes {
        Some(b) => lexer.run_bytes(path, b),
        None => lexer.run(path)?,
    };
    let stmts = tree::build(lexed.lines, lexed.eof, &mut diagnostics);
    let mut builder = build::Builder::new(&mut diagnostics);
    builder.top(&stmts);
    let drafts = builder.d;
    let config = complete::complete(drafts, host, &mut diagnostics);
    Ok(Loaded { config, diagnostics, sources })
}
