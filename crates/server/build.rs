// The migrations in ./migrations are embedded into the binary by
// `sqlx::migrate!`; rebuild when one is added or changed.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
