//! `file:` URIs ⟷ paths, and the rack params a convox.yml is checked against: the file the
//! editor's settings name (`rackParams`), else `convox.rack.yml`, `convox.rack.yaml` or
//! `convox.rack.json` beside the manifest.

use lsp_types::Uri;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// The path of a `file:` URI (percent-decoded).
pub fn path_of(uri: &Uri) -> Option<PathBuf> {
    let s = uri.as_str().strip_prefix("file://")?;
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Ok(b) = u8::from_str_radix(std::str::from_utf8(&bytes[i + 1..i + 3]).ok()?, 16)
        {
            out.push(b);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    Some(PathBuf::from(String::from_utf8(out).ok()?))
}

/// The `file:` URI of an absolute path.
pub fn uri_of(path: &Path) -> Option<Uri> {
    let mut s = String::from("file://");
    for b in path.to_str()?.bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~".contains(&b) {
            s.push(b as char);
        } else {
            s.push_str(&format!("%{b:02X}"));
        }
    }
    Uri::from_str(&s).ok()
}

/// The names of the rack-params file looked for beside convox.yml.
pub const BESIDE: &[&str] = &["convox.rack.yml", "convox.rack.yaml", "convox.rack.json"];

/// The rack-params file for a manifest: `configured` (relative to the manifest's folder), else
/// the first of `BESIDE` that exists there.
pub fn rack_params_for(manifest: &Path, configured: Option<&str>) -> Option<PathBuf> {
    let dir = manifest.parent()?;
    if let Some(c) = configured.filter(|c| !c.is_empty()) {
        return Some(dir.join(c));
    }
    BESIDE.iter().map(|n| dir.join(n)).find(|p| p.is_file())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_and_paths() {
        let p = Path::new("/tmp/my app/convox.yml");
        let u = uri_of(p).unwrap();
        assert_eq!(u.as_str(), "file:///tmp/my%20app/convox.yml");
        assert_eq!(path_of(&u).unwrap(), p);
        assert_eq!(path_of(&Uri::from_str("untitled:1").unwrap()), None);
    }
}
