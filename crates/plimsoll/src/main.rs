// mimalloc: the run allocates millions of small tree nodes; the system allocator spent
// a third of the time in malloc/free on the benchmark corpus (bench/run.py).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    std::process::exit(plimsoll::main_with_args(std::env::args_os()));
}
