//! Golden traces (holo style): each tests/golden/*.trace is a readable script of inputs
//! (`<` lines, with their time) and the actions the core must produce (`>` lines, under the
//! `@ time` they happen at). The test replays the inputs and compares the whole text.
//! `UPDATE_GOLDEN=1 cargo test --test golden` rewrites the files; review the diff.
mod sim;
use sim::*;
use std::fmt::Write;
use std::net::IpAddr;
use vrrpd::proto::{Action, Agent, Input, Instant, ScriptResult};
use vrrpd::wire::vrrp::RxMeta;

fn render(a: &Action) -> String {
    match a {
        Action::SendAdvert { priority, dst, .. } => format!("advert prio={priority} dst={dst}"),
        Action::SendGarp { addr, .. } => format!("garp {addr}"),
        Action::AddAddress { vip, .. } => {
            format!("add-address {}/{} dev {}", vip.addr, vip.prefix, vip.dev.as_deref().unwrap_or("(instance)"))
        }
        Action::RemoveAddress { vip, .. } => format!("remove-address {}/{}", vip.addr, vip.prefix),
        Action::AddRoute { route, .. } => format!("add-route {}/{}", route.dst.0, route.dst.1),
        Action::RemoveRoute { route, .. } => format!("remove-route {}/{}", route.dst.0, route.dst.1),
        Action::ReleaseRemoved { config, vips, adverts } => {
            format!("release-removed {} ({} addresses, {} priority-0 adverts)", config.name, vips.len(), adverts.len())
        }
        Action::AddRule { .. } => "add-rule".into(),
        Action::RemoveRule { .. } => "remove-rule".into(),
        Action::Static { entry, add } => format!("{} static {entry:?}", if *add { "add" } else { "remove" }),
        Action::RunScript { script, .. } => format!("run-script {script}"),
        Action::Notify { command, extra, kill_after } => {
            let kill = kill_after.map(|k| format!(" (killed after {k} us)")).unwrap_or_default();
            format!("notify {} {}{kill}", command.argv.join(" "), extra.join(" ")).trim_end().to_string()
        }
        Action::FifoLine { line } => format!("fifo {}", line.trim_end()),
        Action::Log { level, message } => format!("log {level:?}: {message}"),
        Action::Event(e) => {
            let line = vrrpd::proto::stream::text(0, 0, e);
            format!("event {}", line.trim_end().trim_start_matches("#0 1970-01-01T00:00:00.000Z "))
        }
    }
}

fn parse_time(s: &str) -> Instant {
    let (w, f) = s.split_once('.').unwrap();
    Instant::from_micros(w.parse::<u64>().unwrap() * 1_000_000 + format!("{f:0<6}")[..6].parse::<u64>().unwrap())
}

struct Replay {
    agent: Option<Agent>,
    out: String,
    last_at: Option<Instant>,
}

impl Replay {
    fn emit(&mut self, now: Instant) {
        let Some(agent) = self.agent.as_mut() else { return };
        let mut lines = Vec::new();
        while let Some(a) = agent.poll_action() {
            lines.push(render(&a));
        }
        if lines.is_empty() {
            return;
        }
        if self.last_at != Some(now) {
            let _ = writeln!(self.out, "@ {now}");
            self.last_at = Some(now);
        }
        for l in lines {
            let _ = writeln!(self.out, "> {l}");
        }
    }

    fn advance(&mut self, to: Instant) {
        while let Some(t) = self.agent.as_mut().and_then(|a| a.poll_timeout()) {
            if t > to {
                break;
            }
            self.agent.as_mut().unwrap().handle(t, Input::Timeout);
            self.emit(t);
        }
    }
}

fn replay(path: &std::path::Path) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    let dir = path.parent().unwrap();
    let mut r = Replay { agent: None, out: String::new(), last_at: None };
    for line in text.lines() {
        if line.starts_with('#') {
            let _ = writeln!(r.out, "{line}");
            continue;
        }
        let Some(rest) = line.strip_prefix("< ") else { continue };
        let mut words = rest.split_whitespace();
        let now = parse_time(words.next().unwrap());
        r.advance(now);
        let _ = writeln!(r.out, "{line}");
        r.last_at = None;
        let args: Vec<&str> = words.collect();
        match args.as_slice() {
            ["config", file] => {
                let cfg = config(&std::fs::read_to_string(dir.join(file)).unwrap());
                let mut agent = Agent::new(cfg, now);
                agent.handle(now, Input::AddressAdded { interface: "eth0", addr: "192.168.31.20".parse().unwrap() });
                agent.start(now);
                r.agent = Some(agent);
            }
            ["script", n, "exit", code] => {
                let result = ScriptResult::Exited(code.parse().unwrap());
                let agent = r.agent.as_mut().unwrap();
                let script = agent.scripts().nth(n.parse().unwrap()).unwrap().0;
                agent.handle(now, Input::ScriptExited { script, result });
            }
            ["advert", src, prio] => {
                let agent = r.agent.as_mut().unwrap();
                let c = agent.config().instances[0].clone();
                let src: IpAddr = src.parse().unwrap();
                let bytes = advert_from(agent, instance(0), prio.parse().unwrap(), src, c.mcast_dst);
                let meta = RxMeta { src, dst: c.mcast_dst, ttl: 255, header_len: 20 };
                agent.handle(now, Input::Packet { interface: "eth0", meta, header: &[], bytes: &bytes });
            }
            ["link", ifname, state] => {
                r.agent.as_mut().unwrap().handle(now, Input::Link { interface: ifname, up: *state == "up" })
            }
            ["addr-removed", ifname, addr] => r
                .agent
                .as_mut()
                .unwrap()
                .handle(now, Input::AddressRemoved { interface: ifname, addr: addr.parse().unwrap() }),
            ["shutdown"] => r.agent.as_mut().unwrap().handle(now, Input::Shutdown),
            ["end"] => {}
            other => panic!("{}: unknown input {other:?}", path.display()),
        }
        r.emit(now);
    }
    r.out
}

#[test]
fn golden_traces() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "trace"))
        .collect();
    files.sort();
    assert!(files.len() >= 9);
    let update = std::env::var("UPDATE_GOLDEN").is_ok();
    let mut failed = Vec::new();
    for f in &files {
        let got = replay(f);
        let want = std::fs::read_to_string(f).unwrap();
        if update {
            std::fs::write(f, &got).unwrap();
        } else if got != want {
            failed.push(format!("{}:\n--- expected\n{want}\n--- got\n{got}", f.display()));
        }
    }
    assert!(failed.is_empty(), "{}", failed.join("\n"));
}
