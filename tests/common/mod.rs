//! Helpers shared by the config tests: load text on a described machine and find diagnostics.
#![allow(dead_code)]
// shared by several test binaries; pub is how a test module exports
#![allow(unreachable_pub)]
use std::path::{Path, PathBuf};
use vrrpd::config::{self, Diagnostic, Effect, LoadOptions, Loaded, StaticHost};

pub fn host() -> StaticHost {
    StaticHost {
        interfaces: ["eth0", "eth1", "enp0s3", "veth1"].iter().map(|s| s.to_string()).collect(),
        scripts: vec!["/etc/keepalived/check_nginx.sh".into(), "/bin/true".into(), "/usr/local/bin/notify.sh".into()],
        everything_exists: false,
        sealed: false,
        users: vec![("root".into(), 0, 0), ("nobody".into(), 65534, 65534)],
        groups: vec![("root".into(), 0), ("wheel".into(), 10), ("nogroup".into(), 65534)],
        unsafe_scripts: Vec::new(),
    }
}

/// [`host`] with a few environment variables for `${_ENV NAME}`.
pub struct EnvHost(pub StaticHost);

impl config::Host for EnvHost {
    fn interface_exists(&self, name: &str) -> bool {
        self.0.interface_exists(name)
    }
    fn find_script(&self, cmd: &str) -> config::ScriptLookup {
        self.0.find_script(cmd)
    }
    fn env(&self, name: &str) -> Option<String> {
        let vars = [("KA_IFACE", "eth0"), ("KA_PRIO", "150"), ("KA_REF", "$DEF")];
        vars.iter().find(|(n, _)| *n == name).map(|(_, v)| v.to_string())
    }
    fn user(&self, name: &str) -> Option<(u32, u32)> {
        self.0.user(name)
    }
    fn group(&self, name: &str) -> Option<u32> {
        self.0.group(name)
    }
    fn writable_by_non_root(&self, path: &str) -> Option<String> {
        self.0.writable_by_non_root(path)
    }
    fn read_config(&self, path: &Path, limit: u64) -> std::io::Result<Vec<u8>> {
        self.0.read_config(path, limit)
    }
    fn list_dir(&self, dir: &Path) -> std::io::Result<Vec<(String, bool)>> {
        self.0.list_dir(dir)
    }
    fn file_kind(&self, path: &Path) -> Option<bool> {
        self.0.file_kind(path)
    }
    fn regular_non_executable(&self, path: &Path) -> bool {
        self.0.regular_non_executable(path)
    }
    fn canonical(&self, path: &Path) -> PathBuf {
        self.0.canonical(path)
    }
}

pub fn load_as(name: &str, text: &str, id: &str) -> Loaded {
    let opts = LoadOptions { config_id: id.into(), all_config: false };
    config::load_bytes(Path::new(name), text.as_bytes().to_vec(), &opts, &EnvHost(host()))
}

pub fn load(text: &str) -> Loaded {
    load_as("t.conf", text, "r1")
}

pub fn load_file(path: &Path) -> Loaded {
    let opts = LoadOptions { config_id: "r1".into(), all_config: false };
    config::load(path, &opts, &host()).expect("readable")
}

/// The one diagnostic whose message contains `needle`; panics listing all of them otherwise.
pub fn diag<'a>(l: &'a Loaded, needle: &str) -> &'a Diagnostic {
    let hits: Vec<&Diagnostic> = l.diagnostics.list.iter().filter(|d| d.message.contains(needle)).collect();
    assert_eq!(hits.len(), 1, "expected one diagnostic containing {needle:?}, got: {:#?}", l.diagnostics.list);
    hits[0]
}

/// Asserts a diagnostic containing `needle` at line:col with `effect`.
pub fn expect(l: &Loaded, needle: &str, line: u32, col: u32, effect: Effect) {
    let d = diag(l, needle);
    let loc = d.loc.unwrap_or_else(|| panic!("{needle:?} has no location"));
    assert_eq!((loc.line, loc.col, d.effect), (line, col, effect), "location/effect of {:?}", d.message);
}

pub fn no_diagnostics(l: &Loaded) {
    assert!(l.diagnostics.list.is_empty(), "unexpected diagnostics: {:#?}", l.diagnostics.list);
}

pub fn messages(l: &Loaded) -> Vec<String> {
    l.diagnostics.list.iter().map(|d| d.message.clone()).collect()
}

pub fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(name)
}

/// A temporary directory removed on drop (no extra crates).
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        let n = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
        let p = std::env::temp_dir().join(format!("vrrpd-test-{tag}-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let p = self.0.join(name);
        if let Some(d) = p.parent() {
            std::fs::create_dir_all(d).unwrap();
        }
        std::fs::write(&p, text).unwrap();
        p
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A minimal valid instance to embed in tests.
pub const VI: &str =
    "vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 51\n virtual_ipaddress {\n  10.0.0.1\n }\n}\n";
pub mod lan;
pub mod pcap;
pub mod rng;
