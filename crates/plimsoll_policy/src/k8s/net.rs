//! The Kubernetes IP and CIDR libraries (1.30): `ip`, `isIP`, `ip.isCanonical`, `family`,
//! `isUnspecified`, `isLoopback`, `isLinkLocalMulticast`, `isLinkLocalUnicast`,
//! `isGlobalUnicast`, `cidr`, `isCIDR`, `containsIP`, `containsCIDR`, `ip()`, `masked`,
//! `prefixLength`, and `string()` of both.
//!
//! Parsing follows Go's `netip.ParseAddr` and `netip.ParsePrefix`: IPv4 octets with a
//! leading zero are rejected, and the library rejects zones and IPv4-mapped IPv6 addresses.
//! A CIDR may have bits set after the prefix (`cidr('192.168.0.1/24')` is valid; `masked()`
//! clears them), as the upstream code does.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use cel::common::types::{STRING_TYPE, Type};
use cel::objects::Opaque;
use cel::{DeclarationError, Env, ExecutionError, Value};

use super::{as_str, downcast, fail, opaque, value_fn};

const IP_TYPE: &str = "net.IP";
const CIDR_TYPE: &str = "net.CIDR";

/// An IP address of the CEL IP library (`net.IP`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ip(pub IpAddr);

/// A CIDR of the CEL CIDR library (`net.CIDR`): an address and a prefix length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    pub addr: IpAddr,
    pub bits: u8,
}

impl Opaque for Ip {
    fn runtime_type_name(&self) -> &str {
        IP_TYPE
    }
}

impl Opaque for Cidr {
    fn runtime_type_name(&self) -> &str {
        CIDR_TYPE
    }
}

fn quote(s: &str) -> String {
    format!("{s:?}")
}

fn addr_error(input: &str, msg: &str, at: Option<&str>) -> String {
    match at {
        Some(at) => format!("ParseAddr({}): {msg} (at {})", quote(input), quote(at)),
        None => format!("ParseAddr({}): {msg}", quote(input)),
    }
}

/// Go's `parseIPv4Fields`: the dotted quad `s`, part of the address `input`.
fn parse_ipv4_fields(input: &str, s: &str) -> Result<[u8; 4], String> {
    let b = s.as_bytes();
    let mut fields = [0u8; 4];
    let (mut val, mut pos, mut digits) = (0u32, 0usize, 0);
    for i in 0..b.len() {
        match b[i] {
            c @ b'0'..=b'9' => {
                if digits == 1 && val == 0 {
                    return Err(addr_error(
                        input,
                        "IPv4 field has octet with leading zero",
                        None,
                    ));
                }
                val = val * 10 + u32::from(c - b'0');
                digits += 1;
                if val > 255 {
                    return Err(addr_error(input, "IPv4 field has value >255", None));
                }
            }
            b'.' => {
                if i == 0 || i == b.len() - 1 || b[i - 1] == b'.' {
                    return Err(addr_error(
                        input,
                        "IPv4 field must have at least one digit",
                        Some(&s[i..]),
                    ));
                }
                if pos == 3 {
                    return Err(addr_error(input, "IPv4 address too long", None));
                }
                fields[pos] = val as u8;
                pos += 1;
                val = 0;
                digits = 0;
            }
            _ => {
                return Err(addr_error(input, "unexpected character", Some(&s[i..])));
            }
        }
    }
    if pos < 3 {
        return Err(addr_error(input, "IPv4 address too short", None));
    }
    fields[3] = val as u8;
    Ok(fields)
}

/// Go's `parseIPv6`: the address and its zone.
fn parse_ipv6(input: &str) -> Result<(Ipv6Addr, &str), String> {
    let err = |msg: &str, at: Option<&str>| addr_error(input, msg, at);
    let (mut s, zone) = match input.split_once('%') {
        Some((_, "")) => return Err(err("zone must be a non-empty string", None)),
        Some((addr, zone)) => (addr, zone),
        None => (input, ""),
    };
    let mut ip = [0u8; 16];
    let mut ellipsis: Option<usize> = None;
    if s.starts_with("::") {
        ellipsis = Some(0);
        s = &s[2..];
        if s.is_empty() {
            return Ok((Ipv6Addr::UNSPECIFIED, zone));
        }
    }
    let mut i = 0;
    while i < 16 {
        let b = s.as_bytes();
        let mut off = 0;
        let mut acc = 0u32;
        while off < b.len() {
            let Some(d) = (b[off] as char).to_digit(16) else {
                break;
            };
            acc = (acc << 4) + d;
            if off > 3 {
                return Err(err("each group must have 4 or less digits", Some(s)));
            }
            if acc > 0xffff {
                return Err(err("IPv6 field has value >=2^16", Some(s)));
            }
            off += 1;
        }
        if off == 0 {
            return Err(err(
                "each colon-separated field must have at least one digit",
                Some(s),
            ));
        }
        if off < b.len() && b[off] == b'.' {
            if ellipsis.is_none() && i != 12 {
                return Err(err(
                    "embedded IPv4 address must replace the final 2 fields of the address",
                    Some(s),
                ));
            }
            if i + 4 > 16 {
                return Err(err(
                    "too many hex fields to fit an embedded IPv4 at the end of the address",
                    Some(s),
                ));
            }
            ip[i..i + 4].copy_from_slice(&parse_ipv4_fields(input, s)?);
            i += 4;
            s = "";
            break;
        }
        ip[i] = (acc >> 8) as u8;
        ip[i + 1] = acc as u8;
        i += 2;
        s = &s[off..];
        if s.is_empty() {
            break;
        }
        if !s.starts_with(':') {
            return Err(err("unexpected character, want colon", Some(s)));
        } else if s.len() == 1 {
            return Err(err("colon must be followed by more characters", Some(s)));
        }
        s = &s[1..];
        if s.starts_with(':') {
            if ellipsis.is_some() {
                return Err(err("multiple :: in address", Some(s)));
            }
            ellipsis = Some(i);
            s = &s[1..];
            if s.is_empty() {
                break;
            }
        }
    }
    if !s.is_empty() {
        return Err(err("trailing garbage after address", Some(s)));
    }
    if i < 16 {
        let Some(e) = ellipsis else {
            return Err(err("address string too short", None));
        };
        let n = 16 - i;
        for j in (e..i).rev() {
            ip[j + n] = ip[j];
        }
        ip[e..e + n].fill(0);
    } else if ellipsis.is_some() {
        return Err(err(
            "the :: must expand to at least one field of zeros",
            None,
        ));
    }
    Ok((Ipv6Addr::from(ip), zone))
}

/// Go's `netip.ParseAddr`: the address and its zone (empty if none).
fn parse_addr(s: &str) -> Result<(IpAddr, &str), String> {
    for c in s.bytes() {
        match c {
            b'.' => return parse_ipv4_fields(s, s).map(|a| (IpAddr::V4(a.into()), "")),
            b':' => return parse_ipv6(s).map(|(a, zone)| (IpAddr::V6(a), zone)),
            b'%' => return Err(addr_error(s, "missing IPv6 address", None)),
            _ => {}
        }
    }
    Err(addr_error(s, "unable to parse IP", None))
}

fn is_4in6(addr: &IpAddr) -> bool {
    matches!(addr, IpAddr::V6(a) if a.to_ipv4_mapped().is_some())
}

/// The IP library's `parseIPAddr`.
fn parse_ip(raw: &str) -> Result<IpAddr, String> {
    let (addr, zone) = parse_addr(raw).map_err(|e| {
        format!(
            "IP Address {} parse error during conversion from string: {e}",
            quote(raw)
        )
    })?;
    if !zone.is_empty() {
        return Err(format!(
            "IP address {} with zone value is not allowed",
            quote(raw)
        ));
    }
    if is_4in6(&addr) {
        return Err(format!(
            "IPv4-mapped IPv6 address {} is not allowed",
            quote(raw)
        ));
    }
    Ok(addr)
}

/// Go's `netip.ParsePrefix`.
fn parse_prefix(s: &str) -> Result<Cidr, String> {
    let error = |msg: &str| format!("netip.ParsePrefix({}): {msg}", quote(s));
    let Some(slash) = s.rfind('/') else {
        return Err(error("no '/'"));
    };
    let (addr, zone) = parse_addr(&s[..slash]).map_err(|e| error(&e))?;
    if !zone.is_empty() {
        return Err(error("IPv6 zones cannot be present in a prefix"));
    }
    let bits = &s[slash + 1..];
    let bad_bits = || error(&format!("bad bits after slash: {}", quote(bits)));
    if bits.len() > 1 && !(b'1'..=b'9').contains(&bits.as_bytes()[0]) {
        return Err(bad_bits());
    }
    let bits: i64 = bits.parse().map_err(|_| bad_bits())?;
    let max = if addr.is_ipv4() { 32 } else { 128 };
    if !(0..=max).contains(&bits) {
        return Err(error("prefix length out of range"));
    }
    Ok(Cidr {
        addr,
        bits: bits as u8,
    })
}

/// The CIDR library's `parseCIDR`.
fn parse_cidr(raw: &str) -> Result<Cidr, String> {
    let cidr = parse_prefix(raw)
        .map_err(|e| format!("network address parse error during conversion from string: {e}"))?;
    if is_4in6(&cidr.addr) {
        return Err(format!(
            "IPv4-mapped IPv6 address {} is not allowed",
            quote(raw)
        ));
    }
    Ok(cidr)
}

fn mask(addr: IpAddr, bits: u8) -> IpAddr {
    match addr {
        IpAddr::V4(a) => {
            let m = if bits == 0 {
                0
            } else {
                u32::MAX << (32 - u32::from(bits))
            };
            IpAddr::V4(Ipv4Addr::from(u32::from(a) & m))
        }
        IpAddr::V6(a) => {
            let m = if bits == 0 {
                0
            } else {
                u128::MAX << (128 - u32::from(bits))
            };
            IpAddr::V6(Ipv6Addr::from(u128::from(a) & m))
        }
    }
}

impl Ip {
    /// Go's `netip.Addr.IsGlobalUnicast`.
    pub fn is_global_unicast(&self) -> bool {
        match self.0 {
            IpAddr::V4(a) => {
                !a.is_unspecified()
                    && !a.is_broadcast()
                    && !a.is_loopback()
                    && !a.is_multicast()
                    && !a.is_link_local()
            }
            IpAddr::V6(a) => {
                !a.is_unspecified()
                    && !a.is_loopback()
                    && !a.is_multicast()
                    && (a.segments()[0] & 0xffc0) != 0xfe80
            }
        }
    }

    fn is_link_local_unicast(&self) -> bool {
        match self.0 {
            IpAddr::V4(a) => a.is_link_local(),
            IpAddr::V6(a) => (a.segments()[0] & 0xffc0) == 0xfe80,
        }
    }

    fn is_link_local_multicast(&self) -> bool {
        match self.0 {
            IpAddr::V4(a) => a.octets()[..3] == [224, 0, 0],
            IpAddr::V6(a) => (a.segments()[0] & 0xff0f) == 0xff02,
        }
    }
}

impl Cidr {
    /// Go's `netip.Prefix.Contains`.
    pub fn contains(&self, ip: &IpAddr) -> bool {
        ip.is_ipv4() == self.addr.is_ipv4() && mask(*ip, self.bits) == mask(self.addr, self.bits)
    }

    /// The CIDR with the bits after the prefix cleared.
    pub fn masked(&self) -> Cidr {
        Cidr {
            addr: mask(self.addr, self.bits),
            bits: self.bits,
        }
    }
}

impl std::fmt::Display for Cidr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.addr, self.bits)
    }
}

pub(super) fn register(env: &mut Env) -> Result<(), DeclarationError> {
    let ip = Type::new_opaque_type(IP_TYPE);
    let cidr = Type::new_opaque_type(CIDR_TYPE);
    env.add_type(ip.to_owned())?;
    env.add_type(cidr.to_owned())?;
    env.add_overload("ip", "string_to_ip", vec![STRING_TYPE], to_ip)?;
    env.add_overload("isIP", "is_ip", vec![STRING_TYPE], is_ip)?;
    env.add_overload(
        "ip.isCanonical",
        "ip_is_canonical",
        vec![STRING_TYPE],
        is_canonical,
    )?;
    env.add_overload("string", "ip_to_string", vec![ip.to_owned()], to_string)?;
    env.add_member_overload("family", "ip_family", ip.to_owned(), vec![], family)?;
    for (name, id, f) in [
        (
            "isUnspecified",
            "ip_is_unspecified",
            is_unspecified as cel::common::functions::Function,
        ),
        ("isLoopback", "ip_is_loopback", is_loopback),
        (
            "isLinkLocalMulticast",
            "ip_is_link_local_multicast",
            is_link_local_multicast,
        ),
        (
            "isLinkLocalUnicast",
            "ip_is_link_local_unicast",
            is_link_local_unicast,
        ),
        ("isGlobalUnicast", "ip_is_global_unicast", is_global_unicast),
    ] {
        env.add_member_overload(name, id, ip.to_owned(), vec![], f)?;
    }
    env.add_overload("cidr", "string_to_cidr", vec![STRING_TYPE], to_cidr)?;
    env.add_overload("isCIDR", "is_cidr", vec![STRING_TYPE], is_cidr)?;
    env.add_overload("string", "cidr_to_string", vec![cidr.to_owned()], to_string)?;
    env.add_member_overload(
        "containsIP",
        "cidr_contains_ip_string",
        cidr.to_owned(),
        vec![STRING_TYPE],
        contains_ip,
    )?;
    env.add_member_overload(
        "containsIP",
        "cidr_contains_ip_ip",
        cidr.to_owned(),
        vec![ip.to_owned()],
        contains_ip,
    )?;
    env.add_member_overload(
        "containsCIDR",
        "cidr_contains_cidr_string",
        cidr.to_owned(),
        vec![STRING_TYPE],
        contains_cidr,
    )?;
    env.add_member_overload(
        "containsCIDR",
        "cidr_contains_cidr",
        cidr.to_owned(),
        vec![cidr.to_owned()],
        contains_cidr,
    )?;
    env.add_member_overload("ip", "cidr_ip", cidr.to_owned(), vec![], cidr_ip)?;
    env.add_member_overload(
        "prefixLength",
        "cidr_prefix_length",
        cidr.to_owned(),
        vec![],
        prefix_length,
    )?;
    env.add_member_overload("masked", "cidr_masked", cidr.to_owned(), vec![], masked)?;
    Ok(())
}

fn ip_arg<'a>(function: &str, value: &'a Value) -> Result<&'a Ip, ExecutionError> {
    downcast::<Ip>(function, value)
}

fn cidr_arg<'a>(function: &str, value: &'a Value) -> Result<&'a Cidr, ExecutionError> {
    downcast::<Cidr>(function, value)
}

value_fn!(to_ip, |args| {
    parse_ip(as_str("ip", &args[0])?)
        .map(|a| opaque(Ip(a)))
        .map_err(|e| fail("ip", e))
});

value_fn!(is_ip, |args| {
    Ok(Value::Bool(parse_ip(as_str("isIP", &args[0])?).is_ok()))
});

value_fn!(is_canonical, |args| {
    let s = as_str("ip.isCanonical", &args[0])?;
    let addr = parse_ip(s).map_err(|e| fail("ip.isCanonical", e))?;
    Ok(Value::Bool(addr.to_string() == s))
});

value_fn!(to_string, |args| {
    match &args[0] {
        Value::Opaque(o) => {
            if let Some(ip) = o.downcast_ref::<Ip>() {
                return Ok(Value::from(ip.0.to_string()));
            }
            if let Some(cidr) = o.downcast_ref::<Cidr>() {
                return Ok(Value::from(cidr.to_string()));
            }
            Err(fail("string", "no such overload"))
        }
        _ => Err(fail("string", "no such overload")),
    }
});

value_fn!(family, |args| {
    Ok(Value::Int(match ip_arg("family", &args[0])?.0 {
        IpAddr::V4(_) => 4,
        IpAddr::V6(_) => 6,
    }))
});

value_fn!(is_unspecified, |args| {
    Ok(Value::Bool(
        ip_arg("isUnspecified", &args[0])?.0.is_unspecified(),
    ))
});

value_fn!(is_loopback, |args| {
    Ok(Value::Bool(ip_arg("isLoopback", &args[0])?.0.is_loopback()))
});

value_fn!(is_link_local_multicast, |args| {
    Ok(Value::Bool(
        ip_arg("isLinkLocalMulticast", &args[0])?.is_link_local_multicast(),
    ))
});

value_fn!(is_link_local_unicast, |args| {
    Ok(Value::Bool(
        ip_arg("isLinkLocalUnicast", &args[0])?.is_link_local_unicast(),
    ))
});

value_fn!(is_global_unicast, |args| {
    Ok(Value::Bool(
        ip_arg("isGlobalUnicast", &args[0])?.is_global_unicast(),
    ))
});

value_fn!(to_cidr, |args| {
    parse_cidr(as_str("cidr", &args[0])?)
        .map(opaque)
        .map_err(|e| {
            fail(
                "cidr",
                format!("network address parse error during conversion from string: {e}"),
            )
        })
});

value_fn!(is_cidr, |args| {
    Ok(Value::Bool(parse_cidr(as_str("isCIDR", &args[0])?).is_ok()))
});

value_fn!(contains_ip, |args| {
    let cidr = cidr_arg("containsIP", &args[0])?;
    let ip = match &args[1] {
        Value::String(s) => parse_ip(s).map_err(|e| fail("containsIP", e))?,
        other => ip_arg("containsIP", other)?.0,
    };
    Ok(Value::Bool(cidr.contains(&ip)))
});

value_fn!(contains_cidr, |args| {
    let cidr = cidr_arg("containsCIDR", &args[0])?;
    let other = match &args[1] {
        Value::String(s) => parse_cidr(s).map_err(|e| {
            fail(
                "containsCIDR",
                format!("network address parse error during conversion from string: {e}"),
            )
        })?,
        other => *cidr_arg("containsCIDR", other)?,
    };
    let same_family = cidr.addr.is_ipv4() == other.addr.is_ipv4();
    let equal_masked = same_family && mask(cidr.addr, cidr.bits) == mask(other.addr, cidr.bits);
    Ok(Value::Bool(equal_masked && cidr.bits <= other.bits))
});

value_fn!(cidr_ip, |args| {
    Ok(opaque(Ip(cidr_arg("ip", &args[0])?.addr)))
});

value_fn!(prefix_length, |args| {
    Ok(Value::Int(i64::from(
        cidr_arg("prefixLength", &args[0])?.bits,
    )))
});

value_fn!(masked, |args| {
    Ok(opaque(cidr_arg("masked", &args[0])?.masked()))
});
