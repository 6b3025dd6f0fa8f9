//! The labs a teacher's page watches, each a name and the base URL of its health port: from a
//! classroom's `classroom.json` (`--dir`), or from a file (`--labs`) for labs elsewhere, such as
//! the pods of the Kubernetes classroom: one lab per line, `URL` or `NAME URL`, `#` comments.
//! Pure: parsing and checking, every error of a file at once with its line.

use std::path::{Path, PathBuf};

use super::super::roster::Roster;

/// One lab to watch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabRef {
    /// The trainee (or pod) name shown on the page.
    pub name: String,
    pub url: LabUrl,
}

/// `http://HOST:PORT`, the base of a lab's health port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabUrl {
    /// A name or an address (an IPv6 address without its brackets).
    pub host: String,
    pub port: u16,
}

impl std::fmt::Display for LabUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.host.contains(':') {
            write!(f, "http://[{}]:{}", self.host, self.port)
        } else {
            write!(f, "http://{}:{}", self.host, self.port)
        }
    }
}

/// Why the labs cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum LabsError {
    #[error("{}", .0.iter().map(|(path, line, m)| format!("{}:{line}: {m}", path.display())).collect::<Vec<_>>().join("\n"))]
    File(Vec<(PathBuf, usize, String)>),
    #[error("--labs {}: {source}", .path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0}: no labs listed")]
    Empty(String),
    #[error("{}: {message}", .path.display())]
    Roster { path: PathBuf, message: String },
}

/// Parses `http://HOST[:PORT][/]` (port 80 when none is given).
pub fn parse_url(text: &str) -> Result<LabUrl, String> {
    let rest = text.strip_prefix("http://").ok_or_else(|| {
        if text.starts_with("https://") {
            format!("{text}: https is not spoken by a lab's health port; use http://")
        } else {
            format!("{text}: not a URL; expected http://HOST:PORT")
        }
    })?;
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    if rest.contains(['/', '@', '?', '#']) {
        return Err(format!(
            "{text}: only http://HOST:PORT, the lab's health port (no path, user or query)"
        ));
    }
    let (host, port) = if let Some(v6) = rest.strip_prefix('[') {
        let (host, after) = v6
            .split_once(']')
            .ok_or_else(|| format!("{text}: an IPv6 address without its closing ]"))?;
        (host, after.strip_prefix(':'))
    } else {
        match rest.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (rest, None),
        }
    };
    if host.is_empty() {
        return Err(format!("{text}: no host"));
    }
    let port = match port {
        None => 80,
        Some(p) => p
            .parse::<u16>()
            .ok()
            .filter(|p| *p != 0)
            .ok_or_else(|| format!("{text}: port {p:?} is not 1 to 65535"))?,
    };
    Ok(LabUrl {
        host: host.to_string(),
        port,
    })
}

/// The labs of a classroom that started.
pub fn from_roster(roster: &Roster, dir: &Path) -> Result<Vec<LabRef>, LabsError> {
    let mut labs = Vec::new();
    for t in roster.trainees.iter().filter(|t| t.error.is_none()) {
        let url = parse_url(&t.lab).map_err(|message| LabsError::Roster {
            path: dir.join(super::super::roster::FILE),
            message,
        })?;
        labs.push(LabRef {
            name: t.trainee.clone(),
            url,
        });
    }
    if labs.is_empty() {
        return Err(LabsError::Empty(format!(
            "{} (no lab of the classroom started)",
            dir.join(super::super::roster::FILE).display()
        )));
    }
    Ok(labs)
}

/// Reads a labs file.
pub fn from_file(path: &Path) -> Result<Vec<LabRef>, LabsError> {
    let text = std::fs::read_to_string(path).map_err(|source| LabsError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    parse(&text, path)
}

/// Parses a labs file's text (`path` names it in errors).
pub fn parse(text: &str, path: &Path) -> Result<Vec<LabRef>, LabsError> {
    let mut labs: Vec<LabRef> = Vec::new();
    let mut errors = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let number = i + 1;
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let words: Vec<&str> = line.split_whitespace().collect();
        let (name, url) = match words.as_slice() {
            [url] => (None, *url),
            [name, url] => (Some(*name), *url),
            _ => {
                errors.push((
                    path.to_path_buf(),
                    number,
                    format!("expected `URL` or `NAME URL`, got {line:?}"),
                ));
                continue;
            }
        };
        match parse_url(url) {
            Ok(url) => {
                let name = name.map(str::to_string).unwrap_or_else(|| url.host.clone());
                if labs.iter().any(|l| l.name == name) {
                    errors.push((
                        path.to_path_buf(),
                        number,
                        format!("{name} is listed twice"),
                    ));
                    continue;
                }
                labs.push(LabRef { name, url });
            }
            Err(m) => errors.push((path.to_path_buf(), number, m)),
        }
    }
    if !errors.is_empty() {
        return Err(LabsError::File(errors));
    }
    if labs.is_empty() {
        return Err(LabsError::Empty(format!("--labs {}", path.display())));
    }
    Ok(labs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_the_base_of_a_health_port() {
        let url = parse_url("http://acnslab-7.acnslab:2501/").unwrap();
        assert_eq!((url.host.as_str(), url.port), ("acnslab-7.acnslab", 2501));
        assert_eq!(url.to_string(), "http://acnslab-7.acnslab:2501");
        let v6 = parse_url("http://[::1]:2501").unwrap();
        assert_eq!((v6.host.as_str(), v6.port), ("::1", 2501));
        assert_eq!(v6.to_string(), "http://[::1]:2501");
        assert_eq!(parse_url("http://lab").unwrap().port, 80);
        for bad in [
            "https://lab:2501",
            "lab:2501",
            "http://lab:2501/exercise",
            "http://lab:0",
            "http://:2501",
            "http://u@lab:2501",
        ] {
            assert!(parse_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_labs_file_names_every_bad_line() {
        let labs = parse(
            "# the classroom's pods\nacnslab-0 http://acnslab-0.acnslab:2501\nhttp://10.0.0.9:2501 # no name\n\n",
            Path::new("labs.txt"),
        )
        .unwrap();
        assert_eq!(labs.len(), 2);
        assert_eq!(labs[0].name, "acnslab-0");
        assert_eq!(labs[1].name, "10.0.0.9");
        let e = parse(
            "a http://x:1\nb c d\na http://y:2\nc ftp://z\n",
            Path::new("labs.txt"),
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("labs.txt:2: expected `URL` or `NAME URL`"),
            "{e}"
        );
        assert!(e.contains("labs.txt:3: a is listed twice"), "{e}");
        assert!(e.contains("labs.txt:4: ftp://z: not a URL"), "{e}");
        let e = parse("# nothing\n", Path::new("labs.txt")).unwrap_err();
        assert_eq!(e.to_string(), "--labs labs.txt: no labs listed");
    }
}
