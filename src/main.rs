fn main() {
    htx_survey::start();
}
