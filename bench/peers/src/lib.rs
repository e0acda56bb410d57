//! Shared plumbing for the peer benchmarks: argument parsing and RSS reading for
//! the runtime measurements, and the pieces the network servers are made of.

pub mod echo;
pub mod hyper_plaintext;
pub mod server;
pub mod tokio_accept;

use std::process::exit;

/// The runtimes measured, named as on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Runtime {
    TokioCurrent,
    TokioMulti,
    Smol,
    AsyncStd,
}

pub const RUNTIMES: &str = "tokio-current|tokio-multi|smol|async-std";

impl Runtime {
    pub fn parse(name: &str) -> Option<Runtime> {
        match name {
            "tokio-current" => Some(Runtime::TokioCurrent),
            "tokio-multi" => Some(Runtime::TokioMulti),
            "smol" => Some(Runtime::Smol),
            "async-std" => Some(Runtime::AsyncStd),
            _ => None,
        }
    }

    /// A Tokio runtime built as `#[tokio::main]` would build it (all drivers enabled).
    pub fn tokio(self) -> tokio::runtime::Runtime {
        let mut builder = match self {
            Runtime::TokioCurrent => tokio::runtime::Builder::new_current_thread(),
            Runtime::TokioMulti => tokio::runtime::Builder::new_multi_thread(),
            _ => unreachable!("not a Tokio runtime"),
        };
        builder
            .enable_all()
            .build()
            .expect("cannot build the Tokio runtime")
    }
}

/// Command line `<program> <runtime> [count] [variant]`; the first `variants`
/// entry is the default variant. Exits with a usage line on bad input.
pub struct Args {
    pub runtime: Runtime,
    pub count: u64,
    pub variant: &'static str,
}

pub fn parse_args(default_count: u64, variants: &[&'static str]) -> Args {
    let args: Vec<String> = std::env::args().collect();
    let usage = || -> ! {
        eprintln!(
            "usage: {} {} [count] [{}]",
            args[0],
            RUNTIMES,
            variants.join("|")
        );
        exit(2)
    };
    if args.len() < 2 || args.len() > 4 {
        usage();
    }
    let runtime = Runtime::parse(&args[1]).unwrap_or_else(|| usage());
    let count = match args.get(2) {
        Some(text) => text
            .parse()
            .ok()
            .filter(|&n| n > 0)
            .unwrap_or_else(|| usage()),
        None => default_count,
    };
    let variant = match args.get(3) {
        Some(text) => *variants
            .iter()
            .find(|&&v| v == text)
            .unwrap_or_else(|| usage()),
        None => variants[0],
    };
    Args {
        runtime,
        count,
        variant,
    }
}

/// Resident set size of this process in bytes, from /proc/self/statm.
pub fn rss_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").expect("cannot read /proc/self/statm");
    let resident_pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|field| field.parse().ok())
        .expect("unexpected /proc/self/statm format");
    // SAFETY: sysconf has no preconditions.
    let page_size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as u64;
    resident_pages * page_size
}
