//! vrrpd: command line entry point (keepalived's options, exit codes and messages).
use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use vrrpd::cli::{self, Options};
use vrrpd::config::{self, dump, LoadOptions};
use vrrpd::io::host::{host_name, SystemHost};

/// keepalived's runtime exit codes (lib/scheduler.h).
const EXIT_FATAL: u8 = 1;
const EXIT_CONFIG: u8 = 2;
/// `vrrpd check` with a bad command line or scenario: sysexits' EX_USAGE, apart from its
/// findings' 0, 1, 2 and 4.
const EXIT_CHECK_USAGE: u8 = 64;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(verb) = args.first().filter(|a| cli::CHECK_VERBS.contains(&a.as_str())) {
        // `vrrpd check ...`: pure, no daemon involved.
        return match cli::parse_check(verb, &args[1..]) {
            Ok(cmd) => run_check(&cmd),
            Err(e) => {
                eprintln!("vrrpd {verb}: {e}\nTry 'vrrpd --help' for more information.");
                ExitCode::from(EXIT_CHECK_USAGE)
            }
        };
    }
    if let Some(verb) = args.first().filter(|a| cli::VERBS.contains(&a.as_str())) {
        // `vrrpd status ...`: a client of the running daemon.
        return match cli::parse_subcommand(verb, &args[1..]) {
            Ok(cmd) => ExitCode::from(vrrpd::ctl::run(&cmd, &mut std::io::stdout().lock()).code()),
            Err(e) => {
                eprintln!("vrrpd {verb}: {e}\nTry 'vrrpd --help' for more information.");
                ExitCode::from(EXIT_FATAL)
            }
        };
    }
    let opts = match cli::parse(args) {
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

/// `vrrpd check` / `vrrpd simulate`: 0 clean, 1 warnings, 2 errors, 4 a file does not load.
fn run_check(cmd: &cli::CheckCommand) -> ExitCode {
    const NOT_LOADED: u8 = 4;
    let scenario = match &cmd.scenario {
        None => None,
        Some(text) => {
            let text = match text.strip_prefix('@') {
                Some(file) => match std::fs::read_to_string(file) {
                    Ok(t) => t,
                    Err(e) => {
                        eprintln!("vrrpd check: cannot read scenario {file}: {e}");
                        return ExitCode::from(EXIT_CHECK_USAGE);
                    }
                },
                None => text.clone(),
            };
            match vrrpd::check::scenario::Script::parse(&text) {
                Ok(s) => Some(s),
                Err(e) => {
                    eprintln!("vrrpd check: {e}");
                    return ExitCode::from(EXIT_CHECK_USAGE);
                }
            }
        }
    };
    let nodes = match vrrpd::check::load(&cmd.nodes, cmd.config_id.as_deref(), &vrrpd::check::node_host()) {
        Ok(n) => n,
        Err(e) => {
            eprintln!("vrrpd check: {e}");
            return ExitCode::from(NOT_LOADED);
        }
    };
    let report = vrrpd::check::check(&nodes, &vrrpd::check::Options { simulate: cmd.simulate, scenario });
    let text = if cmd.json {
        vrrpd::check::report::json(&nodes, &report)
    } else {
        vrrpd::check::report::text(&nodes, &report)
    };
    print!("{text}");
    ExitCode::from(report.exit_code(&nodes))
}

fn run_config(opts: &Options) -> ExitCode {
    // -s NAME: everything, the config's interface checks included, happens in that namespace.
    if let Some(ns) = &opts.namespace {
        let path = ["/run/netns", "/var/run/netns"]
            .iter()
            .map(|d| std::path::Path::new(d).join(ns))
            .find(|p| p.exists())
            .unwrap_or_else(|| std::path::Path::new("/run/netns").join(ns));
        if let Err(e) = vrrpd::io::sys::enter_netns(&path) {
            eprintln!("vrrpd: Unable to set network namespace {ns} - exiting ({}: {e})", path.display());
            return ExitCode::from(EXIT_FATAL);
        }
    }
    // Loaded before the daemon starts so -t and the daemon share one path.
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
    run_daemon(opts, loaded.config, load_opts)
}

/// The daemon: keepalived's process behaviour for the VRRP side (-n foreground, -l console,
/// -D detail, -S facility, -p/-r pid files, -V). `-X` needs nothing: vrrpd always releases
/// its VIPs when it leaves MASTER, which is what -X asks of keepalived.
fn run_daemon(opts: &Options, config: vrrpd::config::Config, load_opts: LoadOptions) -> ExitCode {
    if !opts.dont_fork {
        if let Err(e) = vrrpd::io::sys::daemonize() {
            eprintln!("vrrpd: cannot daemonize: {e}");
            return ExitCode::from(EXIT_FATAL);
        }
    }
    // keepalived's syslog ident gains `_NAME` in network namespace NAME.
    let ident = match &opts.namespace {
        Some(ns) => format!("Keepalived_vrrp_{ns}"),
        None => "Keepalived_vrrp".to_string(),
    };
    vrrpd::io::logger::Logger::install(ident, opts.log_console, opts.log_detail, opts.log_facility, !opts.no_syslog);
    log::info!("Starting vrrpd v{} (keepalived v2.2.7 compatible)", env!("CARGO_PKG_VERSION"));
    // keepalived `-u`: its default umask is 0177, so pid files, dumps and whatever the
    // scripts create are 0600 unless asked otherwise (measured: a notify script's file).
    vrrpd::io::sys::set_umask(opts.umask.unwrap_or(0o177));
    if opts.core_dump {
        if let Err(e) = vrrpd::io::sys::allow_core_dumps() {
            log::warn!("-m: cannot lift the core size limit: {e}");
        }
    }
    if opts.dont_respawn {
        log::warn!("-R/--dont-respawn has no effect: vrrpd is one process, with no child to respawn");
    }
    for option in &opts.ignored {
        log::warn!(
            "--{option} has no effect: vrrpd runs only the VRRP side of keepalived and logs to syslog and the console"
        );
    }
    let pid = std::process::id().to_string() + "\n";
    for path in [&opts.pid_file, &opts.vrrp_pid_file] {
        if let Some(dir) = path.parent().filter(|_| opts.namespace.is_some()) {
            let _ = std::fs::create_dir_all(dir);
        }
        if let Err(e) = std::fs::write(path, &pid) {
            log::warn!("cannot write pid file {}: {e}", path.display());
        }
    }
    let dopts = vrrpd::io::reactor::Options {
        config_path: opts.config_file.clone(),
        load: load_opts,
        dont_release_vrrp: opts.dont_release_vrrp,
        address_monitoring: opts.address_monitoring,
        // The command line wins over global_defs; `none` switches the socket off.
        control_socket: match opts.control_socket.clone().or_else(|| config.global.control_socket.clone()) {
            Some(p) if p.as_os_str() == "none" => None,
            Some(p) => Some(p),
            None => Some(cli::default_control_socket(opts.namespace.as_deref(), opts.config_id.as_deref())),
        },
        metrics_listen: opts.metrics_listen.or(config.global.metrics_listen),
    };
    let code = match vrrpd::io::reactor::Daemon::new(config, dopts) {
        Ok(mut d) => d.run(),
        Err(e) => {
            log::error!("{e}");
            EXIT_FATAL as i32
        }
    };
    for path in [&opts.pid_file, &opts.vrrp_pid_file] {
        let _ = std::fs::remove_file(path);
        if let Some(dir) = path.parent().filter(|d| opts.namespace.is_some() && d.starts_with("/run/keepalived")) {
            // The per-namespace directory -s made; left alone if anything else is in it.
            let _ = std::fs::remove_dir(dir);
        }
    }
    ExitCode::from(code as u8)
}
