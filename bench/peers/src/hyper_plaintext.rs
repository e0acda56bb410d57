//! The hyper peers' HTTP side: the TechEmpower plaintext answer and hyper's settings.

use hyper::header::{HeaderValue, CONTENT_TYPE, SERVER};
use hyper::server::conn::Http;
use hyper::service::service_fn;
use hyper::{Body, Method, Request, Response, StatusCode};
use std::convert::Infallible;
use std::future::Future;

static HELLO: &[u8] = b"Hello, World!";

/// `GET /` gets the 13-byte body; hyper adds `Content-Length` (the body's size is
/// known) and `Date` (cached, refreshed once a second). Anything else is a 404.
fn answer(request: Request<Body>) -> Response<Body> {
    if request.method() != Method::GET || request.uri().path() != "/" {
        let mut response = Response::new(Body::empty());
        *response.status_mut() = StatusCode::NOT_FOUND;
        return response;
    }
    let mut response = Response::new(Body::from(HELLO));
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("text/plain"));
    headers.insert(SERVER, HeaderValue::from_static("hyper"));
    response
}

/// HTTP/1.1 with keep-alive (hyper's default), and `pipeline_flush` so that answers
/// to pipelined requests leave in one write, as in hyper's own TechEmpower entry.
pub fn http() -> Http {
    let mut http = Http::new();
    http.http1_only(true).pipeline_flush(true);
    http
}

/// A task serving one connection until the client closes it, to spawn on Tokio.
pub fn serve(
    http: &Http,
    stream: tokio::net::TcpStream,
) -> impl Future<Output = ()> + Send + 'static {
    let connection = http.serve_connection(
        stream,
        service_fn(|request| std::future::ready(Ok::<_, Infallible>(answer(request)))),
    );
    async move {
        let _ = connection.await;
    }
}
