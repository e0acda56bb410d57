//! HTTP plaintext server: hyper 0.14 on one Tokio multi_thread runtime (`--threads`
//! workers) sharing one listener, the way a hyper server is usually deployed.

use percore_peers::hyper_plaintext::{http, serve as serve_connection};
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
        let http = http();
        runtime.spawn(accept_each(listener, move |stream| {
            tokio::spawn(serve_connection(&http, stream));
        }));
        runtime
    });
}
