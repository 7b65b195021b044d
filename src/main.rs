//! vrrpd: command line entry point (keepalived's options, exit codes and messages).
use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use vrrpd::cli::{self, Options};
use vrrpd::config::{self, dump, LoadOptions};
use vrrpd::io::host::{host_name, SystemHost};

/// keepalived's runtime exit codes (lib/scheduler.h).
const EXIT_FATAL: u8 = 1;
const EXIT_CONFIG: u8 = 2;

fn main() -> ExitCode {
    let opts = match cli::parse(std::env::args().skip(1)) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("vrrpd: {e}\nTry 'vrrpd --help' for more information.");
            return ExitCode::from(EXIT_FATAL);
        }
    };
    if opts.help {
        eprint!("{}", cli::USAGE);
        return ExitCode::SUCCESS;
    }
    if opts.version {
        eprintln!("vrrpd v{} (keepalived v2.2.7 compatible)", env!("CARGO_PKG_VERSION"));
        return ExitCode::SUCCESS;
    }
    if let Some(name) = &opts.signum {
        return match vrrpd::io::signals::signum(name) {
            Some(n) => {
                println!("{n}");
                ExitCode::SUCCESS
            }
            None => {
                eprintln!("vrrpd: unknown signal function '{name}'");
                ExitCode::from(EXIT_FATAL)
            }
        };
    }
    run_config(&opts)
}

fn run_config(opts: &Options) -> ExitCode {
    let load_opts =
        LoadOptions { config_id: opts.config_id.clone().unwrap_or_else(host_name), all_config: opts.all_config };
    let testing = opts.config_test.is_some();
    // -t=FILE sends the report to FILE, as keepalived does.
    let mut report: Box<dyn Write> = match &opts.config_test {
        Some(Some(path)) => match std::fs::File::create(path) {
            Ok(f) => Box::new(f),
            Err(e) => {
                eprintln!("vrrpd: cannot open {}: {e}", path.display());
                return ExitCode::from(4);
            }
        },
        _ => Box::new(std::io::stderr()),
    };
    let to_terminal = matches!(opts.config_test, None | Some(None)) && std::io::stderr().is_terminal();
    let loaded = match config::load(&opts.config_file, &load_opts, &SystemHost) {
        Ok(l) => l,
        Err(e) => {
            let _ = writeln!(report, "{e}");
            return ExitCode::from(if testing { 4 } else { EXIT_CONFIG });
        }
    };
    for d in &loaded.diagnostics.list {
        let _ = writeln!(report, "{}", loaded.sources.render(d, to_terminal));
    }
    if opts.dump_conf {
        print!("{}", dump::dump(&loaded.config));
    }
    if testing {
        return ExitCode::from(loaded.config_test_status() as u8);
    }
    if loaded.is_fatal() {
        return ExitCode::from(EXIT_CONFIG);
    }
    if opts.dump_conf {
        return ExitCode::SUCCESS;
    }
    eprintln!("vrrpd: the VRRP daemon is not part of this build yet; use -t to test a configuration or -d to dump it");
    ExitCode::from(EXIT_FATAL)
}
