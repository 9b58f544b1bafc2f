//! JSON pointers (RFC 6901) into a document.

use std::fmt;

use compact_str::CompactString;

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Segment {
    /// A key, inline up to 24 bytes (nearly every key of a manifest): a pointer is
    /// built for many nodes and most of them are never shown.
    Key(CompactString),
    Index(usize),
}

/// A JSON pointer, built segment by segment.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Pointer(Vec<Segment>);

impl Pointer {
    pub fn root() -> Self {
        Pointer(Vec::new())
    }

    /// Parses `/a/b/0` (`~1` and `~0` unescaped). Numeric segments become indexes.
    pub fn parse(s: &str) -> Self {
        if s.is_empty() {
            return Pointer::root();
        }
        Pointer(
            s.trim_start_matches('/')
                .split('/')
                .map(|p| {
                    let p = p.replace("~1", "/").replace("~0", "~");
                    match p.parse::<usize>() {
                        Ok(i) if !p.starts_with('+') => Segment::Index(i),
                        _ => Segment::Key(p.into()),
                    }
                })
                .collect(),
        )
    }

    pub fn segments(&self) -> &[Segment] {
        &self.0
    }

    #[must_use]
    pub fn key(&self, k: &str) -> Self {
        let mut v = self.0.clone();
        v.push(Segment::Key(k.into()));
        Pointer(v)
    }

    #[must_use]
    pub fn index(&self, i: usize) -> Self {
        let mut v = self.0.clone();
        v.push(Segment::Index(i));
        Pointer(v)
    }

    /// Appends several keys (`/spec/template` from `&["spec", "template"]`).
    #[must_use]
    pub fn keys(&self, ks: &[&str]) -> Self {
        let mut v = self.0.clone();
        v.extend(ks.iter().map(|k| Segment::Key((*k).into())));
        Pointer(v)
    }

    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }

    pub fn parent(&self) -> Option<Pointer> {
        if self.0.is_empty() {
            None
        } else {
            Some(Pointer(self.0[..self.0.len() - 1].to_vec()))
        }
    }

    pub fn starts_with(&self, other: &Pointer) -> bool {
        self.0.starts_with(&other.0)
    }
}

impl fmt::Display for Pointer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for seg in &self.0 {
            match seg {
                Segment::Key(k) => write!(f, "/{}", k.replace('~', "~0").replace('/', "~1"))?,
                Segment::Index(i) => write!(f, "/{i}")?,
            }
        }
        Ok(())
    }
}
