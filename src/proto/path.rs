//! Client-side znode path rules (the server's `PathUtils.validatePath`) and the chroot
//! prefix/strip arithmetic.

use std::borrow::Cow;

use thiserror::Error;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[error("invalid path: {0}")]
pub struct PathError(pub &'static str);

/// Checks `path` as the server would. For sequential creates the server appends a counter,
/// so the path is judged with a "1" appended, which makes "/a/" acceptable.
pub fn validate_path(path: &str, sequential: bool) -> Result<(), PathError> {
    if sequential {
        check(&format!("{path}1"))
    } else {
        check(path)
    }
}

fn check(path: &str) -> Result<(), PathError> {
    let fail = |reason| Err(PathError(reason));
    if path.is_empty() {
        return fail("path must not be empty");
    }
    let Some(rest) = path.strip_prefix('/') else {
        return fail("path must start with /");
    };
    if rest.is_empty() {
        return Ok(());
    }
    if rest.ends_with('/') {
        return fail("path must not end with /");
    }
    for segment in rest.split('/') {
        match segment {
            "" => return fail("empty node name"),
            "." | ".." => return fail("relative paths not allowed"),
            _ if segment.contains('\0') => return fail("null character not allowed"),
            _ if segment.chars().any(is_forbidden) => return fail("invalid character"),
            _ => {}
        }
    }
    Ok(())
}

/// Java rejects \uD800–\uF8FF, which covers both surrogate halves, so every character
/// outside the BMP (a surrogate pair in Java) is rejected along with U+E000–U+F8FF.
fn is_forbidden(c: char) -> bool {
    matches!(
        c,
        '\u{1}'..='\u{1F}'
            | '\u{7F}'..='\u{9F}'
            | '\u{E000}'..='\u{F8FF}'
            | '\u{FFF0}'..='\u{FFFF}'
            | '\u{10000}'..
    )
}

/// The path prefix from the connect string (`host:port/app`); `None` means no chroot.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Chroot(Option<String>);

impl Chroot {
    /// "" and "/" mean no chroot; anything else must be a valid path.
    pub fn parse(s: &str) -> Result<Self, PathError> {
        if s.is_empty() || s == "/" {
            return Ok(Self(None));
        }
        validate_path(s, false)?;
        Ok(Self(Some(s.to_owned())))
    }

    pub fn as_str(&self) -> Option<&str> {
        self.0.as_deref()
    }

    /// The server path for a client path.
    pub fn prefix<'a>(&'a self, path: &'a str) -> Cow<'a, str> {
        match &self.0 {
            None => Cow::Borrowed(path),
            Some(root) if path == "/" => Cow::Borrowed(root),
            Some(root) => Cow::Owned(format!("{root}{path}")),
        }
    }

    /// Whether a server path is the chroot or below it (every path is, without a chroot).
    pub fn contains(&self, server_path: &str) -> bool {
        match &self.0 {
            None => true,
            Some(root) => server_path
                .strip_prefix(root.as_str())
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('/')),
        }
    }

    /// The client path for a server path. Paths outside the chroot come back unchanged, as
    /// Java does for watch events.
    pub fn strip<'a>(&self, server_path: &'a str) -> &'a str {
        let Some(root) = &self.0 else {
            return server_path;
        };
        match server_path.strip_prefix(root.as_str()) {
            Some("") => "/",
            Some(rest) if rest.starts_with('/') => rest,
            _ => server_path,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contains_stops_at_a_path_boundary() {
        let c = Chroot::parse("/app").unwrap();
        assert!(c.contains("/app") && c.contains("/app/x"));
        assert!(!c.contains("/apple/x") && !c.contains("/ap") && !c.contains("/"));
        assert!(Chroot::parse("").unwrap().contains("/anything"));
    }

    #[test]
    fn path_validation_table() {
        let cases: &[(&str, bool, bool)] = &[
            ("/", false, true),
            ("/a", false, true),
            ("/a/b-c_d.e", false, true),
            ("/.a", false, true),
            ("/a.", false, true),
            ("/...", false, true),
            ("/é/中", false, true),
            ("", false, false),
            ("no-slash", false, false),
            ("/trailing/", false, false),
            ("//", false, false),
            ("/a//b", false, false),
            ("/.", false, false),
            ("/a/./b", false, false),
            ("/a/../b", false, false),
            ("/a/..", false, false),
            ("/a\u{0}b", false, false),
            ("/a\u{1}", false, false),
            ("/a\u{1F}", false, false),
            ("/a\u{7F}", false, false),
            ("/a\u{9F}", false, false),
            ("/a\u{E000}", false, false),
            ("/a\u{F8FF}", false, false),
            ("/a\u{FFF0}", false, false),
            ("/a\u{FFFF}", false, false),
            ("/a\u{1F600}", false, false),
            ("/a\u{A0}", false, true),
            ("/a\u{F900}", false, true),
            ("/a/", true, true),
            ("/", true, true),
            ("/a/.", true, true),
            ("/a/", false, false),
            ("", true, false),
            ("/a//", true, false),
        ];
        for &(path, sequential, valid) in cases {
            assert_eq!(
                validate_path(path, sequential).is_ok(),
                valid,
                "{path:?} sequential={sequential}"
            );
        }
    }

    #[test]
    fn rejection_reasons_name_the_rule() {
        assert_eq!(
            validate_path("a", false),
            Err(PathError("path must start with /"))
        );
        assert_eq!(
            validate_path("/a/", false),
            Err(PathError("path must not end with /"))
        );
        assert_eq!(
            validate_path("/a\u{0}", false),
            Err(PathError("null character not allowed"))
        );
    }

    #[test]
    fn chroot_parse() {
        assert_eq!(Chroot::parse("").unwrap().as_str(), None);
        assert_eq!(Chroot::parse("/").unwrap().as_str(), None);
        assert_eq!(Chroot::parse("/app/x").unwrap().as_str(), Some("/app/x"));
        assert!(Chroot::parse("/app/").is_err());
        assert!(Chroot::parse("app").is_err());
    }

    #[test]
    fn chroot_prefix() {
        let root = Chroot::parse("/app").unwrap();
        assert_eq!(root.prefix("/"), "/app");
        assert_eq!(root.prefix("/a/b"), "/app/a/b");
        assert_eq!(Chroot::default().prefix("/a"), "/a");
        assert!(matches!(Chroot::default().prefix("/a"), Cow::Borrowed(_)));
    }

    #[test]
    fn chroot_strip() {
        let root = Chroot::parse("/app").unwrap();
        assert_eq!(root.strip("/app"), "/");
        assert_eq!(root.strip("/app/a/b"), "/a/b");
        assert_eq!(root.strip("/application"), "/application");
        assert_eq!(root.strip("/ap"), "/ap");
        assert_eq!(root.strip("/other"), "/other");
        assert_eq!(Chroot::default().strip("/app/a"), "/app/a");
    }
}
