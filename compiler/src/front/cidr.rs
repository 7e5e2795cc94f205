//! IPv4 CIDR checks with convox's wording (reference §1.4 item 8, §3.1).

/// Ok when `s` is a canonical IPv4 CIDR; otherwise the problem, phrased to follow
/// "entry \"x\" ".
pub fn check(s: &str) -> Result<(), String> {
    if s.contains(':') {
        return Err("is not a valid IPv4 CIDR (IPv6 not supported)".into());
    }
    let invalid = || "is not a valid IPv4 CIDR (e.g. 10.0.0.0/16)".to_string();
    let (addr, len) = s.split_once('/').ok_or_else(invalid)?;
    let len: u32 = if len.len() <= 2 && !len.is_empty() && len.bytes().all(|b| b.is_ascii_digit()) {
        len.parse().map_err(|_| invalid())?
    } else {
        return Err(invalid());
    };
    let ip: std::net::Ipv4Addr = addr.parse().map_err(|_| invalid())?;
    if len > 32 {
        return Err(invalid());
    }
    let mask = if len == 0 { 0 } else { u32::MAX << (32 - len) };
    let network = std::net::Ipv4Addr::from(u32::from(ip) & mask);
    if network != ip {
        return Err(format!(
            "is not canonical; use {:?} instead",
            format!("{network}/{len}")
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::check;

    #[test]
    fn cidrs() {
        assert!(check("10.0.0.0/16").is_ok());
        assert!(check("0.0.0.0/0").is_ok());
        assert!(check("1.2.3.4/32").is_ok());
        assert!(check(" 10.0.0.0/16").unwrap_err().contains("not a valid IPv4 CIDR"));
        assert!(check("10.0.0.1/16").unwrap_err().contains("\"10.0.0.0/16\""));
        assert!(check("::/0").unwrap_err().contains("IPv6"));
        assert!(check("10.0.0.0/33").is_err());
        assert!(check("10.0.0.0").is_err());
    }
}
