//! Link options of the `convoxc` binary only (dependencies are not rebuilt for them).
//!
//! Packed relative relocations (RELR, `-z pack-relative-relocs`): a position-independent
//! executable of this size has ~56,000 relative relocations that the dynamic loader applies at
//! every start, each a 24-byte RELA entry it reads and a page it writes; RELR packs them into a
//! bitmap a few KB long. The binary stays PIE (address randomisation kept). Needs GNU ld 2.38+
//! (or lld 15+, mold) and glibc 2.36+ at run time; elsewhere (`CONVOXC_NO_RELR=1`, or a target
//! that is not Linux GNU) the option is left out.

fn main() {
    println!("cargo:rerun-if-env-changed=CONVOXC_NO_RELR");
    let target_os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let target_env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    if target_os == "linux" && target_env == "gnu" && std::env::var_os("CONVOXC_NO_RELR").is_none() {
        println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    }
}
