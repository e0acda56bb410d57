//! Start-up/size probe: async-std's block_on (what #[async_std::main] expands to), prints and exits.

fn main() {
    async_std::task::block_on(async {
        println!("hello from async-std");
    });
}
