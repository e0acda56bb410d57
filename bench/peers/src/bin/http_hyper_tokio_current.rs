//! HTTP plaintext server: hyper 0.14 on one Tokio current_thread runtime per thread,
//! each with its own SO_REUSEPORT listener, as hyper's TechEmpower entry runs it.

use percore_peers::hyper_plaintext::{http, serve as serve_connection};
use percore_peers::server::{serve, Listeners};
use percore_peers::tokio_accept::accept_each;

fn main() {
    serve(Listeners::PerThread, |listeners, _| {
        for listener in listeners {
            std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("cannot build the Tokio runtime");
                let http = http();
                runtime.block_on(accept_each(listener, |stream| {
                    tokio::spawn(serve_connection(&http, stream));
                }));
            });
        }
    });
}
