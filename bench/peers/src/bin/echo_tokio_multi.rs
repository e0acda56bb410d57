//! TCP echo server on one Tokio multi_thread runtime (`--threads` workers) sharing
//! one listener: Tokio's default, work-stealing configuration.

use percore_peers::echo::echo_tokio;
use percore_peers::server::{serve, Listeners};
use percore_peers::tokio_accept::accept_each;

fn main() {
    serve(Listeners::Shared, |mut listeners, threads| {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads)
            .enable_all()
            .build()
            .expect("cannot build the Tokio runtime");
        let listener = listeners.remove(0);
        runtime.spawn(accept_each(listener, |stream| {
            tokio::spawn(echo_tokio(stream));
        }));
        runtime
    });
}
