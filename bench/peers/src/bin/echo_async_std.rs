//! TCP echo server on async-std's global runtime with `--threads` executor threads
//! (its ASYNC_STD_THREAD_COUNT), sharing one listener.

use async_std::net::{TcpListener, TcpStream};
use percore_peers::echo::echo_futures;
use percore_peers::server::{serve, Listeners};

async fn accept_each(listener: TcpListener) {
    loop {
        // A failed accept (the client gave up first, say) costs that connection only.
        if let Ok((stream, _)) = listener.accept().await {
            let _ = stream.set_nodelay(true);
            async_std::task::spawn(echo_futures::<TcpStream>(stream));
        }
    }
}

fn main() {
    serve(Listeners::Shared, |mut listeners, threads| {
        // Read once, when async-std first starts its runtime, which is below.
        std::env::set_var("ASYNC_STD_THREAD_COUNT", threads.to_string());
        let listener = TcpListener::from(listeners.remove(0));
        async_std::task::spawn(accept_each(listener));
    });
}
