//! Start-up/size probe: a Tokio current_thread runtime that prints and exits.

#[tokio::main(flavor = "current_thread")]
async fn main() {
    println!("hello from tokio-current");
}
