//! The echo servers' connection loop: read what has arrived into a buffer, write it
//! all back, until EOF. One version per family of I/O traits, identical otherwise.

use smol::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

/// One buffer per connection, allocated with its task.
const BUFFER: usize = 4096;

/// For Tokio's streams.
pub async fn echo_tokio(mut stream: tokio::net::TcpStream) {
    let mut buffer = [0u8; BUFFER];
    loop {
        match stream.read(&mut buffer).await {
            Ok(0) | Err(_) => return,
            Ok(n) => {
                if stream.write_all(&buffer[..n]).await.is_err() {
                    return;
                }
            }
        }
    }
}

/// For the `futures` traits, which smol's and async-std's streams implement.
pub async fn echo_futures<S: AsyncRead + AsyncWrite + Unpin>(mut stream: S) {
    let mut buffer = [0u8; BUFFER];
    loop {
        match stream.read(&mut buffer).await {
            Ok(0) | Err(_) => return,
            Ok(n) => {
                if stream.write_all(&buffer[..n]).await.is_err() {
                    return;
                }
            }
        }
    }
}
