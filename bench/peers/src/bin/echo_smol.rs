//! TCP echo server on smol: one multi-threaded `Executor` run by `--threads` threads,
//! the pattern smol documents, sharing one listener. As in every smol program, the
//! reactor is driven by an idle executor thread or by async-io's own thread.

use percore_peers::echo::echo_futures;
use percore_peers::server::{serve, Listeners};
use smol::net::{TcpListener, TcpStream};
use smol::Executor;

async fn accept_each(executor: &'static Executor<'static>, listener: TcpListener) {
    loop {
        // A failed accept (the client gave up first, say) costs that connection only.
        if let Ok((stream, _)) = listener.accept().await {
            let _ = stream.set_nodelay(true);
            executor.spawn(echo_futures::<TcpStream>(stream)).detach();
        }
    }
}

fn main() {
    serve(Listeners::Shared, |mut listeners, threads| {
        // Leaked so that tasks can spawn on it from any thread for the whole run.
        let executor: &'static Executor<'static> = Box::leak(Box::default());
        let listener =
            TcpListener::try_from(listeners.remove(0)).expect("cannot register the listener");
        executor.spawn(accept_each(executor, listener)).detach();
        for _ in 0..threads {
            std::thread::spawn(move || smol::block_on(executor.run(std::future::pending::<()>())));
        }
    });
}
