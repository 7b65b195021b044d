//! `--scenario`: a small script of timed events for the simulated LAN, one per `;` or line:
//!
//! ```text
//! kill n1 at 10s; start n1 at 30s; fail chk_nginx on n2 at 40s; pass chk_nginx on n2 at 50s
//! stop n2 at 60s; link down n1 at 70s; link up n1 at 80s; isolate n1 at 90s; heal at 100s
//! end at 120s
//! ```
//!
//! Times are absolute virtual time from the nodes' start (`2s`, `1500ms`, `1.5s`, `0`).
//! `kill` powers a node off, `stop` is SIGTERM, `start` boots it again; `fail`/`pass` set what
//! the script returns from its next run on; `isolate` cuts a node from the others until
//! `heal`. Without `end`, the run lasts until 30 s after the last event.
use std::fmt;

/// What happens at a step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Kill(String),
    Stop(String),
    Start(String),
    Script { script: String, node: String, ok: bool },
    Link { node: String, up: bool },
    Isolate(String),
    Heal,
    End,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// Microseconds of virtual time.
    pub at: u64,
    pub action: Action,
}

/// A parsed scenario, its steps in time order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Script {
    pub steps: Vec<Step>,
}

/// A step that does not parse: which one (1-based) and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScenarioError {
    pub step: usize,
    pub text: String,
    pub expected: &'static str,
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "scenario step {} '{}': expected {}", self.step, self.text, self.expected)
    }
}

impl std::error::Error for ScenarioError {}

const FORMS: &str = "'kill|stop|start NODE at T', 'fail|pass SCRIPT on NODE at T', \
                     'link down|up NODE at T', 'isolate NODE at T', 'heal at T' or 'end at T'";

/// `2s`, `1500ms`, `0`: microseconds (the subcommands' duration syntax, zero allowed).
fn time(s: &str) -> Option<u64> {
    if s.trim_end_matches(['s', 'm']).chars().all(|c| c == '0' || c == '.') && !s.starts_with(['s', 'm']) {
        return Some(0);
    }
    crate::cli::duration(s)
}

impl Script {
    pub fn parse(text: &str) -> Result<Script, ScenarioError> {
        let mut steps = Vec::new();
        for (k, raw) in
            text.split([';', '\n']).map(str::trim).filter(|s| !s.is_empty() && !s.starts_with('#')).enumerate()
        {
            let err = |expected| ScenarioError { step: k + 1, text: raw.to_string(), expected };
            let words: Vec<&str> = raw.split_whitespace().collect();
            let (body, at) = match words.as_slice() {
                [body @ .., "at", t] => (body, time(t).ok_or_else(|| err("a time such as 10s or 1500ms after 'at'"))?),
                _ => return Err(err("'at TIME' at the end")),
            };
            let action = match body {
                ["kill", n] => Action::Kill(n.to_string()),
                ["stop", n] => Action::Stop(n.to_string()),
                ["start", n] => Action::Start(n.to_string()),
                [verb @ ("fail" | "pass"), s, "on", n] => {
                    Action::Script { script: s.to_string(), node: n.to_string(), ok: *verb == "pass" }
                }
                ["link", dir @ ("down" | "up"), n] => Action::Link { node: n.to_string(), up: *dir == "up" },
                ["isolate", n] => Action::Isolate(n.to_string()),
                ["heal"] => Action::Heal,
                ["end"] => Action::End,
                _ => return Err(err(FORMS)),
            };
            steps.push(Step { at, action });
        }
        // Stable: steps at one time keep the order written.
        steps.sort_by_key(|s| s.at);
        Ok(Script { steps })
    }

    /// The nodes the steps name.
    pub fn nodes(&self) -> impl Iterator<Item = &str> {
        self.steps.iter().filter_map(|s| match &s.action {
            Action::Kill(n) | Action::Stop(n) | Action::Start(n) | Action::Isolate(n) => Some(n.as_str()),
            Action::Script { node, .. } | Action::Link { node, .. } => Some(node.as_str()),
            Action::Heal | Action::End => None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_issue_example_parses_in_time_order() {
        let s = Script::parse("start n1 at 30s; kill n1 at 10s\nfail chk_nginx on n2 at 40s; heal at 0").unwrap();
        let got: Vec<_> = s.steps.iter().map(|s| (s.at, s.action.clone())).collect();
        assert_eq!(
            got,
            [
                (0, Action::Heal),
                (10_000_000, Action::Kill("n1".into())),
                (30_000_000, Action::Start("n1".into())),
                (40_000_000, Action::Script { script: "chk_nginx".into(), node: "n2".into(), ok: false }),
            ]
        );
        assert_eq!(Script::parse("link down n1 at 1500ms").unwrap().steps[0].at, 1_500_000);
    }

    #[test]
    fn a_bad_step_is_named() {
        let e = Script::parse("kill n1 at 10s; explode n2 at 5s").unwrap_err();
        assert_eq!((e.step, e.text.as_str()), (2, "explode n2 at 5s"));
        assert!(Script::parse("kill n1").unwrap_err().to_string().contains("'at TIME'"));
        assert!(Script::parse("kill n1 at soon").is_err());
    }
}
