fn main() {
    htx_survey::start_console();
}
