fn main() {
    std::process::exit(plimsoll::main_with_args(std::env::args_os()));
}
