//! The client side of the control socket: `vrrpd status`, `events`, `demote`, `promote`,
//! `metrics` send one request line to the running daemon and print what it answers
//! (protocol: `io/control.rs`). Never follows a symlink at the socket's path.
use crate::cli::Subcommand;
use std::io::{self, BufRead, BufReader, Write};
use std::os::unix::fs::FileTypeExt;
use std::os::unix::net::UnixStream;

/// How a subcommand ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Done.
    Ok,
    /// The daemon refused, or could not be reached (exit 1).
    Failed,
    /// `demote`: nobody took over (exit 3).
    NobodyTookOver,
}

impl Outcome {
    /// The process exit code.
    pub fn code(self) -> u8 {
        match self {
            Outcome::Ok => 0,
            Outcome::Failed => 1,
            Outcome::NobodyTookOver => 3,
        }
    }
}

/// Sends the request, copies the answer to `out`, and says how it ended.
pub fn run(cmd: &Subcommand, out: &mut dyn Write) -> Outcome {
    let path = &cmd.socket;
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => {
            eprintln!("vrrpd: {} is a symlink; not following it", path.display());
            return Outcome::Failed;
        }
        Ok(m) if !m.file_type().is_socket() => {
            eprintln!("vrrpd: {} is not a socket", path.display());
            return Outcome::Failed;
        }
        Ok(_) => {}
        Err(e) => {
            eprintln!(
                "vrrpd: no control socket at {} ({e}): is vrrpd running? (-s, -i, --control-socket)",
                path.display()
            );
            return Outcome::Failed;
        }
    }
    let mut stream = match UnixStream::connect(path) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("vrrpd: cannot connect to {}: {e}", path.display());
            return Outcome::Failed;
        }
    };
    if let Err(e) = stream.write_all(format!("{}\n", cmd.request).as_bytes()) {
        eprintln!("vrrpd: {}: {e}", path.display());
        return Outcome::Failed;
    }
    match copy_answer(BufReader::new(stream), out) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("vrrpd: {}: {e}", path.display());
            Outcome::Failed
        }
    }
}

fn copy_answer(mut answer: impl BufRead, out: &mut dyn Write) -> io::Result<Outcome> {
    let mut head = String::new();
    answer.read_line(&mut head)?;
    match head.trim_end() {
        "ok" => {}
        "" => {
            eprintln!("vrrpd: the daemon closed the connection without answering");
            return Ok(Outcome::Failed);
        }
        other => {
            eprintln!("vrrpd: {}", other.strip_prefix("error: ").unwrap_or(other));
            return Ok(Outcome::Failed);
        }
    }
    let mut outcome = Outcome::Ok;
    let mut line = String::new();
    loop {
        line.clear();
        if answer.read_line(&mut line)? == 0 {
            break;
        }
        // `demote`'s last line is its exit status, not for the reader.
        if let Some(code) = line.strip_prefix("exit ") {
            if code.trim() == "3" {
                outcome = Outcome::NobodyTookOver;
            }
            continue;
        }
        out.write_all(line.as_bytes())?;
        // `events` lines are wanted as they come (a pipe would buffer them otherwise).
        out.flush()?;
    }
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_answer_is_copied_without_its_head_and_trailer() {
        let mut out = Vec::new();
        let o = copy_answer(&b"ok\nVI_1 handed over to 10.0.0.2\nexit 0\n"[..], &mut out).unwrap();
        assert_eq!((o, out.as_slice()), (Outcome::Ok, &b"VI_1 handed over to 10.0.0.2\n"[..]));
        let mut out = Vec::new();
        let o = copy_answer(&b"ok\nVI_1 nobody took over\nexit 3\n"[..], &mut out).unwrap();
        assert_eq!(o, Outcome::NobodyTookOver);
        let o = copy_answer(&b"error: no instance named X\n"[..], &mut Vec::new()).unwrap();
        assert_eq!(o, Outcome::Failed);
    }
}
