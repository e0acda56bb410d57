//! Listening sockets on 127.0.0.1, made the same way for every peer server so that
//! only the runtimes differ: SO_REUSEADDR, a 1024-connection backlog (what Tokio's
//! and mio's own `bind` use), and SO_REUSEPORT when there is one listener per thread.

use socket2::{Domain, Protocol, SockAddr, Socket, Type};
use std::io;
use std::net::{Ipv4Addr, SocketAddr, TcpListener};

const BACKLOG: i32 = 1024;

/// `count` non-blocking listeners on 127.0.0.1:`port`; with more than one, the
/// kernel spreads incoming connections over them (SO_REUSEPORT).
pub fn listen(port: u16, count: usize) -> io::Result<Vec<TcpListener>> {
    let address = SockAddr::from(SocketAddr::from((Ipv4Addr::LOCALHOST, port)));
    let reuse_port = count > 1;
    // SO_REUSEPORT listeners of one user share a port silently, so a server left
    // running would take half the connections; a plain bind first fails instead.
    if reuse_port {
        socket(&address, false)?;
    }
    (0..count)
        .map(|_| {
            let socket = socket(&address, reuse_port)?;
            socket.listen(BACKLOG)?;
            socket.set_nonblocking(true)?;
            Ok(socket.into())
        })
        .collect()
}

fn socket(address: &SockAddr, reuse_port: bool) -> io::Result<Socket> {
    let socket = Socket::new(Domain::IPV4, Type::STREAM, Some(Protocol::TCP))?;
    socket.set_reuse_address(true)?;
    socket.set_reuse_port(reuse_port)?;
    socket.bind(address)?;
    Ok(socket)
}
