//! `acnslab run --shard I/N`: one of N runners (a Kubernetes Indexed Job's pods, CI jobs side by
//! side) runs only its share of the scenario files, so that N of them together run every file
//! exactly once. File number k of the list `collect` gives (the paths as given, each folder's
//! files sorted by name) belongs to shard `k mod N`. Pure: parses the flag and picks the files.

use std::fmt;
use std::str::FromStr;

/// Why a `--shard` value cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShardError {
    #[error("expected I/N, the shard's index I (from 0) and the number of shards N, e.g. 0/4")]
    Form,
    #[error("{0:?} is not a number")]
    Number(String),
    #[error("the number of shards N must be 1 or more")]
    NoShards,
    #[error("the index I must be less than the number of shards N (from 0 to {}), got {index}", .count - 1)]
    Index { index: usize, count: usize },
}

/// Shard `index` of `count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

impl FromStr for Shard {
    type Err = ShardError;

    fn from_str(text: &str) -> Result<Shard, ShardError> {
        let (index, count) = text.trim().split_once('/').ok_or(ShardError::Form)?;
        let number = |t: &str| {
            t.trim()
                .parse::<usize>()
                .map_err(|_| ShardError::Number(t.trim().to_string()))
        };
        let (index, count) = (number(index)?, number(count)?);
        if count == 0 {
            return Err(ShardError::NoShards);
        }
        if index >= count {
            return Err(ShardError::Index { index, count });
        }
        Ok(Shard { index, count })
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl Shard {
    /// The items of `all` (in their order) that belong to this shard.
    pub fn pick<T>(&self, all: Vec<T>) -> Vec<T> {
        all.into_iter()
            .enumerate()
            .filter(|(k, _)| k % self.count == self.index)
            .map(|(_, item)| item)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_flag_is_an_index_below_a_count() {
        assert_eq!("1/4".parse(), Ok(Shard { index: 1, count: 4 }));
        assert_eq!("0/1".parse(), Ok(Shard { index: 0, count: 1 }));
        assert_eq!("3".parse::<Shard>(), Err(ShardError::Form));
        assert_eq!("a/4".parse::<Shard>(), Err(ShardError::Number("a".into())));
        assert_eq!(
            "-1/4".parse::<Shard>(),
            Err(ShardError::Number("-1".into()))
        );
        assert_eq!("0/0".parse::<Shard>(), Err(ShardError::NoShards));
        let e = "4/4".parse::<Shard>().unwrap_err();
        assert_eq!(e, ShardError::Index { index: 4, count: 4 });
        assert!(e.to_string().contains("from 0 to 3"), "{e}");
    }

    #[test]
    fn the_shards_together_take_every_item_once() {
        for count in 1..=7 {
            for items in 0..=20usize {
                let mut seen: Vec<usize> = (0..count)
                    .flat_map(|index| Shard { index, count }.pick((0..items).collect()))
                    .collect();
                seen.sort();
                assert_eq!(
                    seen,
                    (0..items).collect::<Vec<_>>(),
                    "{items} items, {count} shards"
                );
            }
        }
        assert_eq!(
            Shard { index: 1, count: 3 }.pick(vec!['a', 'b', 'c', 'd', 'e']),
            ['b', 'e']
        );
    }
}
