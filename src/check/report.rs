//! `vrrpd check`'s output: text for a terminal (the loader's diagnostics, then per virtual
//! router its election and findings as `FILE:LINE:COL: severity: message` with a fix, then
//! the simulations), or one JSON document, schema `vrrpd-check/1`.
use super::simulate::{Outcome, Timeline};
use super::{Finding, Node, Report, Severity};
use crate::config::value::format_seconds;
use crate::config::{Diagnostic, Effect};
use crate::proto::report::json_str;
use crate::proto::Instant;
use std::fmt::Write;

/// A finding as the loader renders a diagnostic (one renderer for both).
fn render(nodes: &[Node], f: &Finding) -> String {
    let effect = if f.severity == Severity::Error { Effect::Fatal } else { Effect::Corrected };
    let d = Diagnostic { loc: f.loc, effect, message: f.message.clone() };
    let line = nodes[f.node].loaded.sources.render(&d, false);
    if f.loc.is_some() {
        line
    } else {
        format!("{}: {line}", nodes[f.node].name)
    }
}

fn timeline(out: &mut String, entries: &[(Instant, String)], indent: &str) {
    for (at, what) in entries {
        // Instant's Display ignores widths: pad its text.
        let at = at.to_string();
        let _ = writeln!(out, "{indent}{at:>10}  {what}");
    }
}

/// The text report.
pub fn text(nodes: &[Node], r: &Report) -> String {
    let mut out = String::new();
    for n in nodes {
        for d in &n.loaded.diagnostics.list {
            let _ = writeln!(out, "{}", n.loaded.sources.render(d, false));
        }
        if !n.loads() {
            let _ = writeln!(out, "{}: does not load: not cross-checked or simulated", n.name);
        }
    }
    for (k, router) in r.routers.iter().enumerate() {
        let members: Vec<&str> = router.members.iter().map(|m| nodes[m.node].name.as_str()).collect();
        let _ = writeln!(out, "{}: {}", router.label(nodes), members.join(", "));
        if !router.election.is_empty() {
            let _ = writeln!(out, "  master at start: {}", router.election);
        }
        if let Some(k) = router.successor {
            let _ = writeln!(out, "  failover to {}:", nodes[router.members[k].node].name);
            for line in &router.failover {
                let _ = writeln!(out, "    {line}");
            }
        }
        for f in r.findings.iter().filter(|f| f.instance.and_then(|i| r.router_of(f.node, i)) == Some(k)) {
            let _ = writeln!(out, "  {}\n    fix: {}", render(nodes, f), f.fix);
        }
    }
    let loose: Vec<&Finding> =
        r.findings.iter().filter(|f| f.instance.and_then(|i| r.router_of(f.node, i)).is_none()).collect();
    if !loose.is_empty() {
        let _ = writeln!(out, "nodes:");
        for f in loose {
            let _ = writeln!(out, "  {}\n    fix: {}", render(nodes, f), f.fix);
        }
    }
    for run in &r.simulations {
        if run.outcomes.is_empty() {
            continue;
        }
        let _ = writeln!(out, "simulated {}:", run.label);
        for o in &run.outcomes {
            let _ = writeln!(out, "  {}: {}", o.scenario, o.summary);
            timeline(&mut out, &o.timeline, "    ");
        }
    }
    if let Some(s) = &r.scenario {
        let _ = writeln!(out, "scenario:");
        for e in &s.errors {
            let _ = writeln!(out, "  {e}");
        }
        timeline(&mut out, &s.entries, "  ");
    }
    // The loader's warnings count as warnings (its notes change nothing), its fatal errors as
    // errors.
    let loader = nodes.iter().flat_map(|n| n.loaded.diagnostics.list.iter());
    let (loader_errors, loader_warnings) = loader.fold((0, 0), |(e, w), d| match d.effect {
        Effect::Fatal => (e + 1, w),
        Effect::Note => (e, w),
        Effect::Corrected | Effect::Insecure => (e, w + 1),
    });
    let found_errors = r.findings.iter().filter(|f| f.severity == Severity::Error).count();
    let errors = found_errors + loader_errors;
    let warnings = r.findings.len() - found_errors + loader_warnings;
    let _ = writeln!(
        out,
        "{} node{}, {} virtual router{}: {errors} error{}, {warnings} warning{}",
        nodes.len(),
        plural(nodes.len()),
        r.routers.len(),
        plural(r.routers.len()),
        plural(errors),
        plural(warnings)
    );
    out
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

fn json_list(items: &[String]) -> String {
    let v: Vec<String> = items.iter().map(|s| json_str(s)).collect();
    format!("[{}]", v.join(","))
}

fn opt_secs(us: Option<u64>) -> String {
    us.map_or("null".into(), format_seconds)
}

fn json_finding(nodes: &[Node], f: &Finding) -> String {
    let (file, line, col) = match f.loc {
        Some(l) => (
            json_str(&nodes[f.node].loaded.sources.path(l.file).display().to_string()),
            l.line.to_string(),
            l.col.to_string(),
        ),
        None => ("null".into(), "null".into(), "null".into()),
    };
    format!(
        "{{\"severity\":\"{}\",\"node\":{},\"file\":{file},\"line\":{line},\"col\":{col},\"message\":{},\"fix\":{}}}",
        f.severity.name(),
        json_str(&nodes[f.node].name),
        json_str(&f.message),
        json_str(&f.fix)
    )
}

fn json_timeline(entries: &[(Instant, String)]) -> String {
    let items: Vec<String> = entries
        .iter()
        .map(|(at, what)| format!("{{\"at\":{},\"what\":{}}}", format_seconds(at.as_micros()), json_str(what)))
        .collect();
    format!("[{}]", items.join(","))
}

fn json_outcome(o: &Outcome) -> String {
    format!(
        "{{\"scenario\":{},\"summary\":{},\"master\":{},\"to_master\":{},\"to_garp\":{},\"bound\":{},\"timeline\":{}}}",
        json_str(o.scenario),
        json_str(&o.summary),
        o.master.as_deref().map_or("null".into(), json_str),
        opt_secs(o.to_master),
        opt_secs(o.to_garp),
        opt_secs(o.bound),
        json_timeline(&o.timeline)
    )
}

fn json_scenario(s: &Timeline) -> String {
    let errors: Vec<String> = s.errors.iter().map(|e| json_str(e)).collect();
    format!("{{\"errors\":[{}],\"timeline\":{}}}", errors.join(","), json_timeline(&s.entries))
}

/// The JSON report, schema `vrrpd-check/1` (times in seconds).
pub fn json(nodes: &[Node], r: &Report) -> String {
    let node_items: Vec<String> = nodes
        .iter()
        .map(|n| {
            let diags: Vec<String> = n
                .loaded
                .diagnostics
                .list
                .iter()
                .map(|d| {
                    let (file, line, col) = match d.loc {
                        Some(l) => (
                            json_str(&n.loaded.sources.path(l.file).display().to_string()),
                            l.line.to_string(),
                            l.col.to_string(),
                        ),
                        None => ("null".into(), "null".into(), "null".into()),
                    };
                    format!(
                        "{{\"severity\":\"{}\",\"file\":{file},\"line\":{line},\"col\":{col},\"message\":{}}}",
                        d.severity(),
                        json_str(&d.message)
                    )
                })
                .collect();
            format!("{{\"name\":{},\"loads\":{},\"diagnostics\":[{}]}}", json_str(&n.name), n.loads(), diags.join(","))
        })
        .collect();
    let routers: Vec<String> = r
        .routers
        .iter()
        .enumerate()
        .map(|(k, router)| {
            let members: Vec<String> = router
                .members
                .iter()
                .map(|m| {
                    let i = &nodes[m.node].loaded.config.instances[m.instance];
                    format!("{{\"node\":{},\"instance\":{},\"priority\":{}}}", json_str(&nodes[m.node].name), json_str(&i.name), i.priority)
                })
                .collect();
            let findings: Vec<String> = r
                .findings
                .iter()
                .filter(|f| f.instance.and_then(|i| r.router_of(f.node, i)) == Some(k))
                .map(|f| json_finding(nodes, f))
                .collect();
            let master = router.master_at_start.map(|m| json_str(&nodes[router.members[m].node].name));
            let sim = r.simulations.iter().find(|s| s.label == router.label(nodes));
            let outcomes: Vec<String> = sim.map(|s| s.outcomes.iter().map(json_outcome).collect()).unwrap_or_default();
            format!(
                "{{\"label\":{},\"vrid\":{},\"members\":[{}],\"master_at_start\":{},\"election\":{},\"failover\":{},\"findings\":[{}],\"simulated\":[{}]}}",
                json_str(&router.label(nodes)),
                router.vrid,
                members.join(","),
                master.unwrap_or_else(|| "null".into()),
                json_str(&router.election),
                json_list(&router.failover),
                findings.join(","),
                outcomes.join(",")
            )
        })
        .collect();
    let loose: Vec<String> = r
        .findings
        .iter()
        .filter(|f| f.instance.and_then(|i| r.router_of(f.node, i)).is_none())
        .map(|f| json_finding(nodes, f))
        .collect();
    format!(
        "{{\"schema\":\"vrrpd-check/1\",\"exit\":{},\"nodes\":[{}],\"routers\":[{}],\"findings\":[{}],\"scenario\":{}}}\n",
        r.exit_code(nodes),
        node_items.join(","),
        routers.join(","),
        loose.join(","),
        r.scenario.as_ref().map_or("null".into(), json_scenario)
    )
}
