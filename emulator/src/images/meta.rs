//! Meta files (seed table 7-1): the small text files registered on the CDM that point at an image.
//!
//! This module owns their syntax and its checks, and the image URL type ([`ImageUrl`]):
//! - `key=value` lines; spaces around the key and after `=` are allowed (`version= 5.1.0.b.26`);
//! - keys match case-insensitively (the seed writes both `updateFileUrl` and `updateFileURL`);
//!   unknown keys, blank lines and `#` comment lines are ignored; a repeated key keeps the last value;
//! - required: `updateFileSize` (bytes), `version` (`X.Y.Z.b.B` or `X.Y.Z`), `updateFileUrl`;
//!   optional: `description`, `user`, `password` (FTP only), `CDM-IP` (downgrade to 4.x only);
//! - an HTTP `updateFileUrl` must use port 80 and carry no credentials (no `user`/`password`, seed:
//!   authenticating HTTP servers are not supported); an FTP one needs `user` and `password`.

use std::fmt;
use std::net::Ipv4Addr;
use std::str::FromStr;

use crate::release::Version;

/// A parsed meta file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetaFile {
    pub update_file_size: u64,
    /// The version after the upgrade or downgrade (`5.1.0.b.26` gives 5.1.0).
    pub version: Version,
    /// The version exactly as written (`5.1.0.b.26`).
    pub version_text: String,
    pub description: Option<String>,
    pub url: ImageUrl,
    pub user: Option<String>,
    pub password: Option<String>,
    pub cdm_ip: Option<Ipv4Addr>,
}

/// Where an image lives.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ImageUrl {
    /// `ftp://host[:port]/dir/file`; `dir` starts with `/` (`/` alone for the top directory).
    Ftp {
        host: String,
        port: u16,
        dir: String,
        file: String,
    },
    /// `http://host[:port]/path`; `path` starts with `/`.
    Http {
        host: String,
        port: u16,
        path: String,
    },
}

impl ImageUrl {
    pub fn host(&self) -> &str {
        match self {
            ImageUrl::Ftp { host, .. } | ImageUrl::Http { host, .. } => host,
        }
    }

    pub fn port(&self) -> u16 {
        match self {
            ImageUrl::Ftp { port, .. } | ImageUrl::Http { port, .. } => *port,
        }
    }

    /// The last path segment: the image file name.
    pub fn file_name(&self) -> &str {
        match self {
            ImageUrl::Ftp { file, .. } => file,
            ImageUrl::Http { path, .. } => path.rsplit('/').next().unwrap_or(path),
        }
    }

    pub fn is_http(&self) -> bool {
        matches!(self, ImageUrl::Http { .. })
    }

    /// The file the URL names on its server, as one text: two URLs with the same identity fetch
    /// the same file (the duplicate-URL rule compares these). The host in lower case, the port
    /// always given, the path percent-decoded with empty and `.` segments dropped, and for HTTP
    /// without its query or fragment, which the server does not look at (`...meta?x=1`).
    pub fn identity(&self) -> String {
        let (scheme, path) = match self {
            ImageUrl::Ftp { dir, file, .. } => ("ftp", format!("{dir}/{file}")),
            ImageUrl::Http { path, .. } => (
                "http",
                path.split(['?', '#'])
                    .next()
                    .unwrap_or_default()
                    .to_string(),
            ),
        };
        let decoded = percent_decode(&path).unwrap_or(path);
        let segments: Vec<&str> = decoded
            .split('/')
            .filter(|s| !s.is_empty() && *s != ".")
            .collect();
        format!(
            "{scheme}://{}:{}/{}",
            self.host().to_ascii_lowercase(),
            self.port(),
            segments.join("/")
        )
    }
}

/// `%XX` sequences decoded; `None` for a bad sequence or a result that is not UTF-8.
pub fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

impl fmt::Display for ImageUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ImageUrl::Ftp {
                host,
                port,
                dir,
                file,
            } => {
                write!(f, "ftp://{host}")?;
                if *port != 21 {
                    write!(f, ":{port}")?;
                }
                let dir = dir.trim_end_matches('/');
                if !dir.is_empty() && !dir.starts_with('/') {
                    f.write_str("/")?;
                }
                write!(f, "{dir}/{file}")
            }
            ImageUrl::Http { host, port, path } => {
                write!(f, "http://{host}")?;
                if *port != 80 {
                    write!(f, ":{port}")?;
                }
                f.write_str(path)
            }
        }
    }
}

/// Why a URL was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid URL {url:?}: {reason}")]
pub struct BadUrl {
    pub url: String,
    pub reason: String,
}

impl FromStr for ImageUrl {
    type Err = BadUrl;

    /// Parses `ftp://host[:port]/path/file` or `http://host[:port]/path`. Any port is accepted here;
    /// the meta file rules (HTTP on port 80 only) are checked by [`parse`].
    fn from_str(s: &str) -> Result<Self, BadUrl> {
        let bad = |reason: &str| BadUrl {
            url: s.to_string(),
            reason: reason.to_string(),
        };
        let s = s.trim();
        let (scheme, rest) = s
            .split_once("://")
            .ok_or_else(|| bad("expected ftp://HOST/PATH or http://HOST/PATH"))?;
        let scheme = scheme.to_ascii_lowercase();
        let default_port = match scheme.as_str() {
            "ftp" => 21,
            "http" => 80,
            _ => return Err(bad("only ftp:// and http:// URLs are supported")),
        };
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, ""),
        };
        if authority.contains('@') {
            return Err(bad(
                "credentials do not belong in the URL (use the user= and password= lines)",
            ));
        }
        let (host, port) = match authority.rsplit_once(':') {
            Some((h, p)) => {
                let port = p
                    .parse::<u16>()
                    .ok()
                    .filter(|p| *p != 0)
                    .ok_or_else(|| bad("invalid port"))?;
                (h, port)
            }
            None => (authority, default_port),
        };
        let host_ok = !host.is_empty()
            && host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-' || c == '_');
        if !host_ok {
            return Err(bad("invalid host name"));
        }
        if path.contains(char::is_whitespace) {
            return Err(bad("spaces are not allowed in the path"));
        }
        let (dir, file) = path.rsplit_once('/').unwrap_or(("", ""));
        if file.is_empty() {
            return Err(bad("the URL must name a file"));
        }
        if path.split('/').any(|seg| seg == "..") {
            return Err(bad("'..' is not allowed in the path"));
        }
        let host = host.to_string();
        Ok(if default_port == 21 {
            ImageUrl::Ftp {
                host,
                port,
                dir: if dir.is_empty() {
                    "/".to_string()
                } else {
                    dir.to_string()
                },
                file: file.to_string(),
            }
        } else {
            ImageUrl::Http {
                host,
                port,
                path: path.to_string(),
            }
        })
    }
}

/// Why a meta file was refused: `FILE:LINE: message` (`FILE: message` when no line applies, e.g.
/// a missing key, `line` 0).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct MetaError {
    pub file: String,
    pub line: usize,
    pub message: String,
}

impl fmt::Display for MetaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.file, self.message)
        } else {
            write!(f, "{}:{}: {}", self.file, self.line, self.message)
        }
    }
}

/// Parses a meta file; `file` names it in errors (its URL or path).
pub fn parse(text: &str, file: &str) -> Result<MetaFile, MetaError> {
    let err = |line: usize, message: String| MetaError {
        file: file.to_string(),
        line,
        message,
    };
    if looks_like_image(text.as_bytes()) {
        return Err(err(
            0,
            "this is a software image, not a meta file (register the meta file URL)".into(),
        ));
    }
    let mut size = None;
    let mut version = None;
    let mut description = None;
    let mut url: Option<(ImageUrl, usize)> = None;
    let mut user = None;
    let mut password = None;
    let mut cdm_ip = None;
    for (i, raw) in text.lines().enumerate() {
        let no = i + 1;
        let line = raw.trim().trim_start_matches('\u{feff}');
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            return Err(err(no, format!("expected key=value, got {line:?}")));
        };
        let value = value.trim();
        match key.trim().to_ascii_lowercase().as_str() {
            "updatefilesize" => {
                let n = value.parse::<u64>().map_err(|_| {
                    err(
                        no,
                        format!("invalid updateFileSize {value:?}: expected a number of bytes"),
                    )
                })?;
                size = Some(n);
            }
            "version" => {
                let v = crate::images::parse_version_text(value).ok_or_else(|| {
                    err(
                        no,
                        format!("invalid version {value:?}: expected X.Y.Z.b.B, e.g. 5.1.3.b.26"),
                    )
                })?;
                version = Some((v, value.to_string()));
            }
            "description" => description = Some(value.to_string()),
            "updatefileurl" => {
                let u = value
                    .parse::<ImageUrl>()
                    .map_err(|e| err(no, format!("invalid updateFileUrl: {e}")))?;
                if let ImageUrl::Http { port, .. } = u {
                    if port != 80 {
                        return Err(err(
                            no,
                            format!("HTTP image URLs must use port 80 (got port {port})"),
                        ));
                    }
                }
                url = Some((u, no));
            }
            "user" => user = Some((value.to_string(), no)),
            "password" => password = Some((value.to_string(), no)),
            "cdm-ip" => {
                let ip = value.parse::<Ipv4Addr>().map_err(|_| {
                    err(
                        no,
                        format!("invalid CDM-IP {value:?}: expected an IPv4 address"),
                    )
                })?;
                cdm_ip = Some(ip);
            }
            _ => {}
        }
    }
    let missing = |key: &str| err(0, format!("missing required key {key}"));
    let update_file_size = size.ok_or_else(|| missing("updateFileSize"))?;
    let (version, version_text) = version.ok_or_else(|| missing("version"))?;
    let (url, url_line) = url.ok_or_else(|| missing("updateFileUrl"))?;
    match &url {
        ImageUrl::Http { .. } => {
            if let Some((_, line)) = user.as_ref().or(password.as_ref()) {
                return Err(err(
                    *line,
                    "user and password apply to FTP URLs only (HTTP servers with authentication \
                     are not supported)"
                        .into(),
                ));
            }
        }
        ImageUrl::Ftp { .. } => {
            if user.is_none() || password.is_none() {
                return Err(err(
                    url_line,
                    "an FTP updateFileUrl needs user= and password= lines".into(),
                ));
            }
        }
    }
    Ok(MetaFile {
        update_file_size,
        version,
        version_text,
        description,
        url,
        user: user.map(|u| u.0),
        password: password.map(|p| p.0),
        cdm_ip,
    })
}

/// Renders a meta file in the seed's style (`version= 5.1.0.b.26`); [`parse`] reads it back.
pub fn render(meta: &MetaFile) -> String {
    let mut out = format!("updateFileSize={}\n", meta.update_file_size);
    out += &format!("version= {}\n", meta.version_text);
    if let Some(d) = &meta.description {
        out += &format!("description= {d}\n");
    }
    out += &format!("updateFileUrl= {}\n", meta.url);
    if let Some(u) = &meta.user {
        out += &format!("user={u}\n");
    }
    if let Some(p) = &meta.password {
        out += &format!("password={p}\n");
    }
    if let Some(ip) = meta.cdm_ip {
        out += &format!("CDM-IP={ip}\n");
    }
    out
}

/// Whether `bytes` (the start of a downloaded file is enough) is a software image rather than a
/// meta file: it carries the image magic, or it is binary (NUL bytes or not UTF-8 text). Used to
/// refuse registering an image URL where a meta file URL is expected.
pub fn looks_like_image(bytes: &[u8]) -> bool {
    if bytes.starts_with(crate::images::MAGIC) {
        return true;
    }
    let head = &bytes[..bytes.len().min(4096)];
    if head.contains(&0) {
        return true;
    }
    match std::str::from_utf8(head) {
        Ok(_) => false,
        // A multi-byte character cut at the 4096-byte boundary is still text.
        Err(e) => e.error_len().is_some(),
    }
}

#[cfg(test)]
mod tests {
    use super::ImageUrl;

    fn identity(url: &str) -> String {
        url.parse::<ImageUrl>().unwrap().identity()
    }

    #[test]
    fn urls_naming_the_same_file_have_one_identity() {
        let base = identity("http://10.1.1.100/meta/a.meta");
        assert_eq!(base, "http://10.1.1.100:80/meta/a.meta");
        for same in [
            "http://10.1.1.100/meta/a.meta?x=1",
            "http://10.1.1.100/meta/a.meta#f",
            "HTTP://10.1.1.100:80/meta//./a.meta",
            "http://10.1.1.100/%6Deta/a.meta",
        ] {
            assert_eq!(identity(same), base, "{same}");
        }
        for other in [
            "http://10.1.1.100/meta/b.meta",
            "http://10.1.1.100:8080/meta/a.meta",
            "ftp://10.1.1.100/meta/a.meta",
        ] {
            assert_ne!(identity(other), base, "{other}");
        }
        assert_eq!(
            identity("ftp://Images/dir//a.meta"),
            identity("ftp://images:21/dir/a.meta")
        );
    }
}
