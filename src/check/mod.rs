//! `vrrpd check`: lint each node's configuration, cross-check the nodes of every virtual router,
//! and (with `--simulate` or `--scenario`) run them on the simulated LAN with the real protocol
//! core. Pure: the caller loads the files with the normal loader and prints the report.
//!
//! Invariants: every finding names the node and, when the keyword was written, its
//! `FILE:LINE:COL`; a finding is an error only when failover breaks (two masters, a VIP that
//! never moves, adverts dropped); the exit status is derived in one place, [`Report::exit_code`].
pub mod cross;
pub mod lint;
pub mod report;
pub mod scenario;
pub mod simulate;

use crate::config::{Effect, Host, LoadError, LoadOptions, Loaded, Location, StaticHost};
use std::path::{Path, PathBuf};

/// One router's configuration, as loaded.
pub struct Node {
    /// `ID` of `ID=FILE`, else the file's name without `.conf`.
    pub name: String,
    pub loaded: Loaded,
}

impl Node {
    /// keepalived would refuse to run it: it is neither cross-checked nor simulated.
    pub fn loads(&self) -> bool {
        !self.loaded.is_fatal()
    }
}

/// The machine a node's file is read for: not this one, so every interface and script it
/// names is taken to exist there, and the users every such machine has (root, nobody, and
/// keepalived_script, keepalived's default script user); the files are read from here.
pub fn node_host() -> StaticHost {
    let users = [("root", 0, 0), ("nobody", 65534, 65534), ("keepalived_script", 999, 999)];
    StaticHost {
        everything_exists: true,
        users: users.iter().map(|&(n, u, g)| (n.to_string(), u, g)).collect(),
        groups: vec![("root".into(), 0), ("nogroup".into(), 65534), ("keepalived_script".into(), 999)],
        ..Default::default()
    }
}

/// A node's name: its `ID=`, else the file name without `.conf`.
pub fn node_name(id: Option<&str>, path: &Path) -> String {
    match id {
        Some(id) => id.to_string(),
        None => {
            let file =
                path.file_name().map_or_else(|| path.display().to_string(), |f| f.to_string_lossy().into_owned());
            file.strip_suffix(".conf").map_or(file.clone(), str::to_string)
        }
    }
}

/// Loads each node with the normal loader. The config id (`@ID` lines) is the node's `ID=`,
/// else `-i`, else the node's name.
pub fn load(
    list: &[(Option<String>, PathBuf)],
    config_id: Option<&str>,
    host: &dyn Host,
) -> Result<Vec<Node>, LoadError> {
    let mut nodes: Vec<Node> = Vec::new();
    for (id, path) in list {
        let mut name = node_name(id.as_deref(), path);
        if nodes.iter().any(|n| n.name == name) {
            name = path.display().to_string();
        }
        let config_id = id.clone().or(config_id.map(str::to_string)).unwrap_or_else(|| name.clone());
        let loaded = crate::config::load(path, &LoadOptions { config_id, all_config: false }, host)?;
        nodes.push(Node { name, loaded });
    }
    Ok(nodes)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// Loads and runs, but is almost surely not what was meant.
    Warning,
    /// Failover breaks: two masters, adverts dropped, a VIP that never moves.
    Error,
}

impl Severity {
    pub fn name(self) -> &'static str {
        match self {
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// Something wrong in one node's file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub severity: Severity,
    /// Index into the nodes checked.
    pub node: usize,
    /// The instance (index in the node's `Config::instances`) it belongs to; None for a
    /// node-wide finding (a script, the global section).
    pub instance: Option<usize>,
    pub loc: Option<Location>,
    pub message: String,
    /// What to change.
    pub fix: String,
}

/// Everything `vrrpd check` found.
pub struct Report {
    pub routers: Vec<cross::Router>,
    pub findings: Vec<Finding>,
    /// Per simulated virtual router, the scenarios' timelines.
    pub simulations: Vec<simulate::RouterRun>,
    /// `--scenario`'s timeline.
    pub scenario: Option<simulate::Timeline>,
}

/// What to run beyond the static checks.
#[derive(Debug, Default, Clone)]
pub struct Options {
    pub simulate: bool,
    pub scenario: Option<scenario::Script>,
}

/// Lints every node, groups the instances into virtual routers, cross-checks them, and runs
/// the simulations asked for.
pub fn check(nodes: &[Node], opts: &Options) -> Report {
    let mut findings = Vec::new();
    for (n, node) in nodes.iter().enumerate() {
        findings.extend(lint::node(n, &node.loaded.config));
    }
    let routers = cross::routers(nodes);
    findings.extend(cross::check(nodes, &routers));
    let mut simulations = Vec::new();
    if opts.simulate {
        for r in &routers {
            let run = simulate::router(nodes, r);
            findings.extend(run.findings.iter().cloned());
            simulations.push(run);
        }
    }
    let scenario = opts.scenario.as_ref().map(|s| simulate::script(nodes, s));
    findings.sort_by_key(|f| (f.node, f.loc.map(|l| (l.file, l.line, l.col))));
    findings.dedup();
    Report { routers, findings, simulations, scenario }
}

impl Report {
    /// 0 clean, 1 warnings, 2 errors (findings that break failover), 4 a file does not load,
    /// 64 a scenario that names a node or script no file has (a usage error, like one that
    /// does not parse). The loader's notes (Unicode spaces read as spaces) change nothing and
    /// do not count.
    pub fn exit_code(&self, nodes: &[Node]) -> u8 {
        if nodes.iter().any(|n| !n.loads()) {
            return 4;
        }
        if self.scenario.as_ref().is_some_and(|s| !s.errors.is_empty()) {
            return 64;
        }
        if self.findings.iter().any(|f| f.severity == Severity::Error) {
            return 2;
        }
        let loader_warns = nodes.iter().any(|n| n.loaded.diagnostics.list.iter().any(|d| d.effect != Effect::Note));
        if loader_warns || !self.findings.is_empty() {
            return 1;
        }
        0
    }

    /// The router (index into `routers`) that instance `instance` of node `node` belongs to.
    pub fn router_of(&self, node: usize, instance: usize) -> Option<usize> {
        self.routers.iter().position(|r| r.members.iter().any(|m| m.node == node && m.instance == instance))
    }
}
