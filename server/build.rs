//! `sqlx::migrate!` embeds the migrations at compile time: a changed migration file must rebuild the server.

fn main() {
    println!("cargo:rerun-if-changed=migrations");
    println!("cargo:rerun-if-changed=migrations-postgres");
}
