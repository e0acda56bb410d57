//! TCP echo server as Tokio users scale current_thread over cores: one thread per
//! `--threads`, each with its own current_thread runtime and SO_REUSEPORT listener,
//! so a connection stays on the thread whose listener the kernel gave it to.

use percore_peers::echo::echo_tokio;
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
                runtime.block_on(accept_each(listener, |stream| {
                    tokio::spawn(echo_tokio(stream));
                }));
            });
        }
    });
}
