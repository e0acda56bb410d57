//! The accept loop of the Tokio-based servers (echo and hyper alike).

/// Accepts connections on `listener` forever, in the current Tokio runtime, and
/// hands each to `serve` with TCP_NODELAY set, as nginx does by default.
pub async fn accept_each(
    listener: std::net::TcpListener,
    mut serve: impl FnMut(tokio::net::TcpStream),
) {
    let listener =
        tokio::net::TcpListener::from_std(listener).expect("cannot register the listener");
    loop {
        // A failed accept (the client gave up first, say) costs that connection only.
        if let Ok((stream, _)) = listener.accept().await {
            let _ = stream.set_nodelay(true);
            serve(stream);
        }
    }
}
