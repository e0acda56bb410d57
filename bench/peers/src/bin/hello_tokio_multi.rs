//! Start-up/size probe: a Tokio multi_thread runtime (default workers) that prints and exits.

#[tokio::main]
async fn main() {
    println!("hello from tokio-multi");
}
