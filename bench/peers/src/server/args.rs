//! Command line of the peer servers: `--port P [--threads N]`.

use std::process::exit;
use std::str::FromStr;

pub struct ServerArgs {
    pub port: u16,
    /// Worker threads; defaults to one per CPU, as the runtimes themselves do.
    pub threads: usize,
}

impl ServerArgs {
    /// Parses the command line, or exits with a usage line.
    pub fn parse() -> ServerArgs {
        let args: Vec<String> = std::env::args().collect();
        let usage = || -> ! {
            eprintln!("usage: {} --port P [--threads N]", args[0]);
            exit(2)
        };
        let mut port = None;
        let mut threads = None;
        let mut rest = args[1..].iter();
        while let Some(flag) = rest.next() {
            let value = rest.next().unwrap_or_else(|| usage());
            match flag.as_str() {
                "--port" => port = Some(positive(value).unwrap_or_else(|| usage())),
                "--threads" => threads = Some(positive(value).unwrap_or_else(|| usage())),
                _ => usage(),
            }
        }
        ServerArgs {
            port: port.unwrap_or_else(|| usage()),
            threads: threads
                .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())),
        }
    }
}

fn positive<T: FromStr + PartialOrd + Default>(text: &str) -> Option<T> {
    text.parse().ok().filter(|n| *n > T::default())
}
