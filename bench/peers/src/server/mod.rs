//! What every peer server shares around its runtime: the command line, the listening
//! sockets, the readiness line and the stop on SIGINT or SIGTERM.

mod args;
mod fd_limit;
mod listen;
mod stop_signals;

pub use args::ServerArgs;

use std::net::TcpListener;
use std::process::exit;

/// How a server takes its connections.
pub enum Listeners {
    /// One listener, accepted from by whichever worker the runtime picks.
    Shared,
    /// One listener per thread (SO_REUSEPORT), each served by its own thread only.
    PerThread,
}

/// Runs a peer server. `start` gets the listeners and the thread count, starts the
/// runtime's threads and returns whatever must live while they serve (a runtime,
/// say). Once it has returned, "listening on 127.0.0.1:PORT" goes to stderr; on
/// SIGINT or SIGTERM that value is dropped and `serve` returns.
pub fn serve<R>(listeners: Listeners, start: impl FnOnce(Vec<TcpListener>, usize) -> R) {
    let stop = stop_signals::StopSignals::block();
    let args = ServerArgs::parse();
    fd_limit::raise_fd_limit();
    let count = match listeners {
        Listeners::Shared => 1,
        Listeners::PerThread => args.threads,
    };
    let sockets = listen::listen(args.port, count).unwrap_or_else(|error| {
        let program = std::env::args().next().unwrap_or_default();
        eprintln!(
            "{}: cannot listen on 127.0.0.1:{}: {}",
            program, args.port, error
        );
        exit(1)
    });
    let running = start(sockets, args.threads);
    eprintln!("listening on 127.0.0.1:{}", args.port);
    stop.wait();
    drop(running);
}
