//! `vrrpd events`: one line per [`Event`], numbered by the shell so that a client sees a gap,
//! as text or as JSON (one object per line, `"seq"` first). Pure formatting.
use super::event::{Event, Handover, ScriptResult};
use super::report::json_str;
use super::status::utc;
use crate::config::value::format_seconds;

fn result_text(r: ScriptResult) -> String {
    match r {
        ScriptResult::Exited(c) => format!("exit {c}"),
        ScriptResult::TimedOut => "timed out".into(),
        ScriptResult::Failed => "killed or not started".into(),
    }
}

fn handover_text(h: Handover) -> String {
    match h {
        Handover::To(a) => format!("handed over to {a}"),
        Handover::TookBack => "nobody took over: VIPs taken back".into(),
        Handover::Nobody => "nobody took over: staying out (--force)".into(),
        Handover::NotMaster => "was not MASTER: nothing to hand over".into(),
        Handover::Promoted => "promoted before anyone took over: advertising again".into(),
        Handover::Interrupted => "left MASTER before anyone took over (see its transition)".into(),
    }
}

/// The event's line for a person: `#SEQ TIME WHAT`.
pub fn text(seq: u64, unix_us: u64, e: &Event) -> String {
    let what = match e {
        Event::Transition { instance, from, to, reason, priority } => {
            format!("{instance} {} -> {} ({reason}) priority {priority}", from.name(), to.name())
        }
        Event::Priority { instance, from, to } => format!("{instance} priority {from} -> {to}"),
        Event::Script { script, healthy, result } => {
            format!("script {script} {} ({})", if *healthy { "good" } else { "bad" }, result_text(*result))
        }
        Event::Drops { instance, reason, count, from } => {
            format!("{instance} dropped {count} adverts ({reason}) from {from}")
        }
        Event::EpisodeBegan { instance, kind, peer, priority } => {
            format!("{instance} {} began: {peer} priority {priority}", kind.name())
        }
        Event::EpisodeEnded { instance, kind, peer, adverts, lasted } => {
            format!("{instance} {} ended: {peer}, {adverts} adverts in {} s", kind.name(), format_seconds(*lasted))
        }
        Event::Demoted { instance, until } => match until {
            Some(d) => format!("{instance} demoted for {} s", format_seconds(*d)),
            None => format!("{instance} demoted"),
        },
        Event::Handover { instance, outcome } => format!("{instance} {}", handover_text(*outcome)),
        Event::Promoted { instance } => format!("{instance} demotion ended"),
        Event::Vip { instance, addr, present } => {
            format!("{instance} vip {addr} {}", if *present { "added" } else { "removed" })
        }
        Event::Reloaded => "configuration reloaded".into(),
    };
    format!("#{seq} {} {what}\n", utc(unix_us))
}

/// The event as one JSON object on one line.
pub fn json(seq: u64, unix_us: u64, e: &Event) -> String {
    let head = format!("{{\"seq\":{seq},\"time\":{},", json_str(&utc(unix_us)));
    let body = match e {
        Event::Transition { instance, from, to, reason, priority } => format!(
            "\"type\":\"transition\",\"instance\":{},\"from\":\"{}\",\"to\":\"{}\",\"reason\":{{\"kind\":\"{}\",\"text\":{}}},\"priority\":{priority}",
            json_str(instance),
            from.name(),
            to.name(),
            reason.kind(),
            json_str(&reason.to_string())
        ),
        Event::Priority { instance, from, to } => {
            format!("\"type\":\"priority\",\"instance\":{},\"from\":{from},\"to\":{to}", json_str(instance))
        }
        Event::Script { script, healthy, result } => format!(
            "\"type\":\"script\",\"script\":{},\"healthy\":{healthy},\"result\":{}",
            json_str(script),
            json_str(&result_text(*result))
        ),
        Event::Drops { instance, reason, count, from } => format!(
            "\"type\":\"drops\",\"instance\":{},\"reason\":\"{reason}\",\"count\":{count},\"from\":\"{from}\"",
            json_str(instance)
        ),
        Event::EpisodeBegan { instance, kind, peer, priority } => format!(
            "\"type\":\"episode_began\",\"instance\":{},\"kind\":\"{}\",\"peer\":\"{peer}\",\"priority\":{priority}",
            json_str(instance),
            kind.name()
        ),
        Event::EpisodeEnded { instance, kind, peer, adverts, lasted } => format!(
            "\"type\":\"episode_ended\",\"instance\":{},\"kind\":\"{}\",\"peer\":\"{peer}\",\"adverts\":{adverts},\"lasted_s\":{}",
            json_str(instance),
            kind.name(),
            format_seconds(*lasted)
        ),
        Event::Demoted { instance, until } => format!(
            "\"type\":\"demoted\",\"instance\":{},\"for_s\":{}",
            json_str(instance),
            until.map(format_seconds).unwrap_or_else(|| "null".into())
        ),
        Event::Handover { instance, outcome } => {
            let (kind, to) = match outcome {
                Handover::To(a) => ("handed_over", format!("\"{a}\"")),
                Handover::TookBack => ("took_back", "null".into()),
                Handover::Nobody => ("nobody", "null".into()),
                Handover::NotMaster => ("not_master", "null".into()),
                Handover::Promoted => ("promoted", "null".into()),
                Handover::Interrupted => ("interrupted", "null".into()),
            };
            format!("\"type\":\"handover\",\"instance\":{},\"outcome\":\"{kind}\",\"to\":{to}", json_str(instance))
        }
        Event::Promoted { instance } => format!("\"type\":\"promoted\",\"instance\":{}", json_str(instance)),
        Event::Vip { instance, addr, present } => {
            format!("\"type\":\"vip\",\"instance\":{},\"address\":\"{addr}\",\"present\":{present}", json_str(instance))
        }
        Event::Reloaded => "\"type\":\"reloaded\"".into(),
    };
    format!("{head}{body}}}\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::{Reason, State};

    #[test]
    fn a_transition_reads_the_same_in_both_forms() {
        let e = Event::Transition {
            instance: "VI_1".into(),
            from: State::Backup,
            to: State::Master,
            reason: Reason::PriorityZero { from: "10.0.0.1".parse().unwrap() },
            priority: 100,
        };
        assert_eq!(
            text(7, 0, &e),
            "#7 1970-01-01T00:00:00.000Z VI_1 BACKUP -> MASTER (priority 0 from 10.0.0.1) priority 100\n"
        );
        assert_eq!(
            json(7, 0, &e),
            "{\"seq\":7,\"time\":\"1970-01-01T00:00:00.000Z\",\"type\":\"transition\",\"instance\":\"VI_1\",\
             \"from\":\"BACKUP\",\"to\":\"MASTER\",\"reason\":{\"kind\":\"priority_zero\",\"text\":\"priority 0 from \
             10.0.0.1\"},\"priority\":100}\n"
        );
    }
}
