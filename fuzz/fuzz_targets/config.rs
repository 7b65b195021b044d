//! The keepalived.conf loader on arbitrary bytes: no panic, and the dump and every
//! diagnostic render. The host is sealed: includes can never read the machine's files.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::path::Path;
use vrrpd::config::{self, LoadOptions, StaticHost};

fuzz_target!(|data: &[u8]| {
    let host = StaticHost { interfaces: vec!["eth0".into()], scripts: vec!["/bin/true".into()], everything_exists: false, sealed: true, ..Default::default() };
    let opts = LoadOptions { config_id: "r1".into(), all_config: false };
    let l = config::load_bytes(Path::new("/fuzz/keepalived.conf"), data.to_vec(), &opts, &host);
    let _ = config::dump::dump(&l.config);
    for d in &l.diagnostics.list {
        let _ = l.sources.render(d, true);
    }
    let _ = l.config_test_status();
});
