//! What the teacher's page shows, as data: each lab's latest answer (its grade, or why it gave
//! none) and the goals of the class, in the order the labs list them. Pure: the poller puts
//! answers in ([`Board::record`]), the page and `/grades.json` read [`Board::rows`].

use std::time::SystemTime;

use serde::Serialize;

use super::labs::LabRef;
use crate::exercise::Grade;

/// A lab's latest answer.
#[derive(Debug, Clone, PartialEq)]
pub enum Standing {
    /// Not asked yet.
    Waiting,
    Graded(Grade),
    /// No grade: unreachable, still being set up, stopping.
    Failed(String),
}

/// One lab on the board.
#[derive(Debug, Clone)]
struct Entry {
    lab: LabRef,
    standing: Standing,
    /// When the answer came.
    at: Option<SystemTime>,
}

/// Every lab's latest answer.
#[derive(Debug, Clone)]
pub struct Board {
    entries: Vec<Entry>,
}

/// One goal of one lab, as the page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Cell {
    pub goal: String,
    pub met: bool,
}

/// One lab, as the page and `/grades.json` show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Row {
    /// The trainee (or pod).
    pub trainee: String,
    /// Its health port's URL.
    pub lab: String,
    /// `graded`, `waiting` or `unreachable`.
    pub state: &'static str,
    /// Why there is no grade.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Each goal of the class, in the class's order; `None` for a goal this lab's exercise does
    /// not have (or no grade).
    pub goals: Vec<Option<Cell>>,
    pub score: u32,
    pub total: u32,
    /// Seconds since the Unix epoch of the answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at: Option<u64>,
}

impl Board {
    /// A board of `labs`, none asked yet.
    pub fn new(labs: &[LabRef]) -> Board {
        Board {
            entries: labs
                .iter()
                .map(|lab| Entry {
                    lab: lab.clone(),
                    standing: Standing::Waiting,
                    at: None,
                })
                .collect(),
        }
    }

    /// The labs, in the board's order.
    pub fn labs(&self) -> Vec<LabRef> {
        self.entries.iter().map(|e| e.lab.clone()).collect()
    }

    /// Puts lab `index`'s answer, received `at`.
    pub fn record(&mut self, index: usize, answer: Result<Grade, String>, at: SystemTime) {
        if let Some(entry) = self.entries.get_mut(index) {
            entry.standing = match answer {
                Ok(grade) => Standing::Graded(grade),
                Err(why) => Standing::Failed(why),
            };
            entry.at = Some(at);
        }
    }

    /// The goals of the class: every goal of every graded lab, in the order they first appear.
    pub fn goals(&self) -> Vec<String> {
        let mut goals: Vec<String> = Vec::new();
        for e in &self.entries {
            if let Standing::Graded(grade) = &e.standing {
                for g in &grade.goals {
                    if !goals.contains(&g.goal) {
                        goals.push(g.goal.clone());
                    }
                }
            }
        }
        goals
    }

    /// The exercises the graded labs run (one in a class, more when labs differ).
    pub fn exercises(&self) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        for e in &self.entries {
            if let Standing::Graded(grade) = &e.standing {
                if !names.contains(&grade.exercise) {
                    names.push(grade.exercise.clone());
                }
            }
        }
        names
    }

    /// Every lab, its goals in the order of [`Board::goals`].
    pub fn rows(&self) -> Vec<Row> {
        let goals = self.goals();
        self.entries
            .iter()
            .map(|e| {
                let at = e.at.and_then(|at| {
                    at.duration_since(SystemTime::UNIX_EPOCH)
                        .ok()
                        .map(|d| d.as_secs())
                });
                let (state, error, cells, score, total) = match &e.standing {
                    Standing::Waiting => ("waiting", None, vec![None; goals.len()], 0, 0),
                    Standing::Failed(why) => (
                        "unreachable",
                        Some(why.clone()),
                        vec![None; goals.len()],
                        0,
                        0,
                    ),
                    Standing::Graded(grade) => {
                        let cells = goals
                            .iter()
                            .map(|goal| {
                                grade.goals.iter().find(|g| &g.goal == goal).map(|g| Cell {
                                    goal: g.goal.clone(),
                                    met: g.met,
                                })
                            })
                            .collect();
                        ("graded", None, cells, grade.score(), grade.total())
                    }
                };
                Row {
                    trainee: e.lab.name.clone(),
                    lab: e.lab.url.to_string(),
                    state,
                    error,
                    goals: cells,
                    score,
                    total,
                    at,
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exercise::GoalResult;

    fn lab(name: &str) -> LabRef {
        LabRef {
            name: name.into(),
            url: super::super::labs::parse_url(&format!("http://{name}:2501")).unwrap(),
        }
    }

    fn grade(met: &[bool]) -> Grade {
        Grade {
            exercise: "x".into(),
            goals: met
                .iter()
                .enumerate()
                .map(|(i, met)| GoalResult {
                    goal: format!("goal {i}"),
                    met: *met,
                    misses: Vec::new(),
                    hint: None,
                    points: 2,
                })
                .collect(),
        }
    }

    #[test]
    fn each_lab_shows_its_latest_answer_goal_by_goal() {
        let mut board = Board::new(&[lab("a"), lab("b"), lab("c")]);
        assert!(board.rows().iter().all(|r| r.state == "waiting"));
        let now = SystemTime::now();
        board.record(0, Ok(grade(&[true, false])), now);
        board.record(1, Ok(grade(&[false, false])), now);
        board.record(2, Err("connection refused".into()), now);
        assert_eq!(board.goals(), ["goal 0", "goal 1"]);
        let rows = board.rows();
        let met: Vec<Vec<Option<bool>>> = rows
            .iter()
            .map(|r| r.goals.iter().map(|c| c.as_ref().map(|c| c.met)).collect())
            .collect();
        assert_eq!(
            met,
            [
                vec![Some(true), Some(false)],
                vec![Some(false), Some(false)],
                vec![None, None]
            ]
        );
        assert_eq!((rows[0].score, rows[0].total), (2, 4));
        assert_eq!(rows[2].state, "unreachable");
        assert_eq!(rows[2].error.as_deref(), Some("connection refused"));
        assert_eq!(rows[1].lab, "http://b:2501");
        // a later answer replaces the earlier one
        board.record(0, Err("stopping".into()), now);
        assert_eq!(board.rows()[0].state, "unreachable");
    }
}
