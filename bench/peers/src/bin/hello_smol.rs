//! Start-up/size probe: smol's block_on driving an executor, prints and exits.

fn main() {
    let executor = smol::LocalExecutor::new();
    smol::block_on(executor.run(async {
        println!("hello from smol");
    }));
}
